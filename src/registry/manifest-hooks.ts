/**
 * The seam between manifest pushes and artifact types: identify the type,
 * decide whether the repository accepts it, validate it. The artifact-types
 * module provides the implementation (`type-hooks.ts`).
 */
import type { ParsedManifest } from '../oci/manifest.js';

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
