/**
 * Classifying stored manifests: every manifest records its identified
 * artifact type at push; when berth starts with identification rules newer
 * than the ones the stored data was classified with (data from before types
 * existed, an import, or a rules change), it re-identifies every manifest
 * from its stored bytes and records the new type. Idempotent and safe to run
 * on several instances at once; the applied rules version is kept in the
 * metadata store so the walk happens once per version.
 */
import type { Logger } from 'pino';
import { parseManifest } from '../oci/manifest.js';
import type { ManifestListing, ManifestRecord } from '../metadata/store.js';
import type { RegistryDeps } from './deps.js';
import type { ManifestService } from './manifest-service.js';

/** Bump when `identifyArtifact`'s rules change, so stored data is re-classified. */
export const IDENTIFICATION_RULES_VERSION = 1;

/** The metadata cursor that records the rules version stored data was classified with. */
export const CLASSIFICATION_CURSOR = 'artifact-types:identification-rules';

const PAGE = 500;

function recordOf(listing: ManifestListing): ManifestRecord {
  const { tags: _tags, referrerCount: _count, ...record } = listing;
  return record;
}

/**
 * Re-identifies every stored manifest when the stored rules version is older.
 * Logs progress every 1,000 manifests.
 *
 * @returns how many manifests were checked and how many changed type.
 */
export async function reclassifyManifests(
  deps: RegistryDeps,
  manifests: ManifestService,
  logger: Logger,
): Promise<{ checked: number; changed: number }> {
  const { metadata } = deps;
  const applied = await metadata.getCursor(CLASSIFICATION_CURSOR);
  if (applied >= IDENTIFICATION_RULES_VERSION) return { checked: 0, changed: 0 };
  logger.info({ from: applied, to: IDENTIFICATION_RULES_VERSION }, 'classifying stored manifests by artifact type');
  let checked = 0;
  let changed = 0;
  let lastRepo: string | undefined;
  for (;;) {
    const repos = await metadata.listRepositories(lastRepo === undefined ? { limit: PAGE } : { last: lastRepo, limit: PAGE });
    for (const repo of repos.items) {
      let lastDigest: string | undefined;
      for (;;) {
        const page = await metadata.listManifests(repo, lastDigest === undefined ? { limit: PAGE } : { last: lastDigest, limit: PAGE });
        for (const listing of page.items) {
          checked++;
          const { body } = await manifests.fetch(repo, listing.digest);
          const identified = deps.hooks.identify(parseManifest(body, listing.mediaType));
          if (identified.artifactType !== listing.artifactType) {
            const references = await metadata.getReferences(repo, listing.digest);
            const manifest = { ...recordOf(listing), artifactType: identified.artifactType };
            await metadata.putManifest({ manifest, body, references, tags: [] });
            changed++;
          }
          if (checked % 1000 === 0) logger.info({ checked, changed }, 'classifying stored manifests');
        }
        lastDigest = page.items.at(-1)?.digest;
        if (!page.more) break;
      }
    }
    lastRepo = repos.items.at(-1);
    if (!repos.more) break;
  }
  await metadata.setCursor(CLASSIFICATION_CURSOR, IDENTIFICATION_RULES_VERSION);
  logger.info({ checked, changed }, 'stored manifests classified');
  return { checked, changed };
}
