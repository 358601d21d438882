/**
 * The seam between manifest pushes and artifact types: identify the type,
 * decide whether the repository accepts it, validate it. The artifact-types
 * module provides the real implementation; `createDefaultHooks` identifies by
 * the spec's rules and accepts everything.
 */
import type { ParsedManifest } from '../oci/manifest.js';
import { MEDIA_TYPE_OCI_EMPTY } from '../oci/media-types.js';

export interface IdentifiedManifest {
  /** The identifying media type (`artifactType`, else `config.mediaType`, …). */
  artifactType: string | null;
  /** Short name of the matching well-known type, if any. */
  typeName: string | null;
}

export interface PushCheckInput {
  repo: string;
  manifest: ParsedManifest;
  identified: IdentifiedManifest;
  /** Reads the config blob (parsed JSON) when validation needs it. */
  loadConfig: () => Promise<unknown>;
}

export interface PushCheckResult {
  /** `Warning: 299 - "…"` texts to send with the 201. */
  warnings: string[];
}

export interface ManifestHooks {
  identify(manifest: ParsedManifest): IdentifiedManifest;
  /**
   * Throws RegistryError (`DENIED` or `MANIFEST_INVALID`) when the repository
   * refuses the manifest; resolves with warnings otherwise.
   */
  checkPush(input: PushCheckInput): Promise<PushCheckResult>;
}

/** Spec-only identification; every type accepted. */
export function createDefaultHooks(): ManifestHooks {
  return {
    identify(m) {
      if (m.artifactType !== undefined && m.artifactType !== '') {
        return { artifactType: m.artifactType, typeName: null };
      }
      if (!m.isIndex && m.config !== undefined && m.config.mediaType !== MEDIA_TYPE_OCI_EMPTY) {
        return { artifactType: m.config.mediaType, typeName: null };
      }
      return { artifactType: m.isIndex ? m.mediaType : null, typeName: null };
    },
    checkPush: () => Promise.resolve({ warnings: [] }),
  };
}
