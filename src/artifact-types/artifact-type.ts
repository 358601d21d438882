/**
 * What berth knows about one kind of artifact: how to recognise it, what to call
 * it, how to draw it and how to check it.
 *
 * image-spec (artifacts-guidance.md, manifest.md "Guidelines for Artifact
 * Usage"): an artifact is an image manifest whose `artifactType` (or, before
 * OCI 1.1, `config.mediaType`) names what it is. A definition lists those
 * values; {@link identifyArtifact} picks the one a manifest carries and the
 * type registry maps it to a definition.
 */

/** The broad families berth groups types into, for filtering and icons. */
export const ARTIFACT_CATEGORIES = [
  'image',
  'signature',
  'sbom',
  'attestation',
  'package',
  'bundle',
  'model',
  'other',
] as const;

/** One of {@link ARTIFACT_CATEGORIES}. */
export type ArtifactCategory = (typeof ARTIFACT_CATEGORIES)[number];

/**
 * A built-in or operator-defined artifact type.
 *
 * Media type lists accept a single trailing `*` as a prefix wildcard
 * (`application/vnd.cncf.model.*`); `*` alone matches anything. Matching
 * ignores letter case and parameters.
 */
export interface ArtifactTypeDefinition {
  /** Short lower-kebab name, unique in a registry: `helm-chart`. */
  readonly name: string;
  /** Name for people: `Helm chart`. */
  readonly displayName: string;
  /** One line, no trailing period needed. */
  readonly description: string;
  /** An `<svg>` element, 24x24 viewBox, drawing with `currentColor`. */
  readonly icon: string;
  /** The `artifactType` / `config.mediaType` values that identify this type. */
  readonly mediaTypes: readonly string[];
  /** Layer media types this type is known to use; checked when a rule asks for it. */
  readonly layerMediaTypes: readonly string[];
  /** JSON Schema (draft-07 unless `$schema` names 2019-09 or 2020-12) for the config object. */
  readonly configSchema?: Readonly<Record<string, unknown>>;
  /** Manifest annotations every artifact of this type must carry. */
  readonly requiredAnnotations?: readonly string[];
  /** Layer media types that hold a README or summary for a UI to render. */
  readonly summaryLayerMediaTypes?: readonly string[];
  /**
   * URL of the public document the media types come from. Every built-in type
   * cites one; operators' in-house types may have none.
   */
  readonly source?: string;
  readonly category: ArtifactCategory;
}
