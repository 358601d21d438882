/**
 * The registry: every service built from one set of dependencies.
 */
import type { RegistryDeps } from './deps.js';
import { createBlobService, type BlobService } from './blob-service.js';
import { createUploadService, type UploadService } from './upload-service.js';
import { createManifestService, type ManifestService } from './manifest-service.js';
import { createListingService, type ListingService } from './listing-service.js';
import { createArtifactCatalog, type ArtifactCatalog } from './artifact-catalog.js';

export interface Registry {
  readonly deps: RegistryDeps;
  blobs: BlobService;
  uploads: UploadService;
  manifests: ManifestService;
  listings: ListingService;
  /** berth's typed listings (`/v2/_berth/`). */
  artifacts: ArtifactCatalog;
}

/**
 * @example
 * const registry = createRegistry({ storage, metadata, config, clock: Date.now, ids, logger, hooks, events });
 */
export function createRegistry(deps: RegistryDeps): Registry {
  const manifests = createManifestService(deps);
  return {
    deps,
    blobs: createBlobService(deps),
    uploads: createUploadService(deps),
    manifests,
    listings: createListingService(deps),
    artifacts: createArtifactCatalog(deps, deps.types, manifests),
  };
}
