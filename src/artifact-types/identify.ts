/**
 * Identification: which media type says what a manifest is.
 *
 * Pure and deterministic: the answer depends only on the manifest's own
 * fields, never on blobs, the repository or the time. The README's
 * identification table (`README-types.md`) restates the rules below; keep
 * them in step.
 */
import { normalizeMediaType } from './media-type.js';
import {
  DOCKER_MANIFEST,
  DOCKER_MANIFEST_LIST,
  DOCKER_SCHEMA1,
  DOCKER_SCHEMA1_SIGNED,
  LEGACY_ARTIFACT_TYPE_ANNOTATION,
  OCI_EMPTY,
  OCI_INDEX,
  OCI_MANIFEST,
} from './well-known.js';

/** A descriptor as far as identification cares. */
export interface DescriptorLike {
  mediaType: string;
  artifactType?: string;
}

/**
 * The fields of a parsed manifest or index that identification reads. The
 * registry maps its own parsed manifest onto this shape; `mediaType` is the
 * manifest's `mediaType` field or, when that is absent, the `Content-Type` it
 * was pushed with (it may be `''` when neither is known).
 */
export interface ParsedManifestLike {
  mediaType: string;
  artifactType?: string;
  config?: { mediaType: string };
  layers?: { mediaType: string }[];
  manifests?: DescriptorLike[];
  annotations?: Record<string, string>;
}

/** Which part of the manifest the identifying media type came from. */
export type IdentificationSource = 'artifactType' | 'config' | 'index' | 'manifest';

/** The media type that identifies a manifest, and where it was found. */
export interface IdentifiedType {
  mediaType: string;
  source: IdentificationSource;
}

type ManifestKind = 'image' | 'index' | 'docker-list' | 'docker-schema1' | 'other';

const IMAGE_MANIFESTS: ReadonlySet<string> = new Set([OCI_MANIFEST, DOCKER_MANIFEST]);
const INDEXES: ReadonlySet<string> = new Set([OCI_INDEX, DOCKER_MANIFEST_LIST]);
/** A child of an index counts as an image when it is one of these with no artifactType. */
const IMAGE_CHILDREN: ReadonlySet<string> = new Set([OCI_MANIFEST, DOCKER_MANIFEST, OCI_INDEX, DOCKER_MANIFEST_LIST]);

function nonEmpty(value: string | undefined): value is string {
  return value !== undefined && value.trim() !== '';
}

function kindOf(manifest: ParsedManifestLike): ManifestKind {
  const mediaType = normalizeMediaType(manifest.mediaType);
  if (mediaType === normalizeMediaType(DOCKER_MANIFEST_LIST)) return 'docker-list';
  if (mediaType === normalizeMediaType(DOCKER_SCHEMA1)) return 'docker-schema1';
  if (mediaType === normalizeMediaType(DOCKER_SCHEMA1_SIGNED)) return 'docker-schema1';
  if (INDEXES.has(mediaType)) return 'index';
  if (IMAGE_MANIFESTS.has(mediaType)) return 'image';
  // image-spec: `mediaType` is optional in both documents; fall back to shape.
  if (mediaType === '') {
    if (manifest.manifests !== undefined) return 'index';
    if (manifest.config !== undefined) return 'image';
  }
  return 'other';
}

/**
 * Identifies a manifest by one media type. The first rule that applies wins:
 *
 * 1. **artifactType**: a non-empty `artifactType` (manifest or index), as is.
 *    `{artifactType: 'application/vnd.dev.cosign.artifact.sig.v1+json', ...}`
 *    → that value, source `artifactType`. An index's legacy
 *    `org.opencontainers.artifactType` annotation (cnab-to-oci) counts too.
 * 2. **config**: an image manifest (OCI or Docker schema 2) → its
 *    `config.mediaType`, unless that is empty or the empty descriptor type
 *    `application/vnd.oci.empty.v1+json`. A Docker image has the config
 *    `application/vnd.docker.container.image.v1+json`, a Helm chart
 *    `application/vnd.cncf.helm.config.v1+json`; source `config`.
 * 3. **index**: an OCI index without an artifact type:
 *    - no children, or every child an image (an image manifest or index with
 *      no `artifactType`) → `application/vnd.oci.image.index.v1+json`, a
 *      multi-platform image; source `index`;
 *    - every child an artifact of one and the same `artifactType` → that
 *      type (an index of per-platform artifacts is that artifact); source `index`;
 *    - mixed children → `application/vnd.oci.image.index.v1+json`, source
 *      `manifest`: a plain index, nothing more can be said without its children.
 *    A Docker manifest list always lists images →
 *    `application/vnd.docker.distribution.manifest.list.v2+json`, source `index`.
 * 4. **manifest**: anything else (an image manifest whose config is the empty
 *    descriptor but which lacks the `artifactType` the spec requires, Docker
 *    schema 1, an unknown document) → the manifest's own media type, source
 *    `manifest`.
 *
 * The returned media type is the manifest's string, trimmed, with case and
 * parameters kept; resolution ignores both.
 *
 * Known limits, by design (identification reads the manifest only):
 * tag-based cosign signatures (config `application/vnd.oci.image.config.v1+json`,
 * layer `application/vnd.dev.cosign.simplesigning.v1+json`), BuildKit
 * attestation manifests and Crossplane or Tekton bundles pushed as plain images
 * identify as images.
 *
 * @example
 * identifyArtifact({
 *   mediaType: 'application/vnd.oci.image.manifest.v1+json',
 *   config: { mediaType: 'application/vnd.cncf.helm.config.v1+json' },
 *   layers: [{ mediaType: 'application/vnd.cncf.helm.chart.content.v1.tar+gzip' }],
 * });
 * // { mediaType: 'application/vnd.cncf.helm.config.v1+json', source: 'config' }
 */
export function identifyArtifact(manifest: ParsedManifestLike): IdentifiedType {
  if (nonEmpty(manifest.artifactType)) {
    return { mediaType: manifest.artifactType.trim(), source: 'artifactType' };
  }
  const kind = kindOf(manifest);
  switch (kind) {
    case 'image': {
      const configType = manifest.config?.mediaType;
      if (nonEmpty(configType) && normalizeMediaType(configType) !== OCI_EMPTY) {
        return { mediaType: configType.trim(), source: 'config' };
      }
      break;
    }
    case 'index':
      return identifyIndex(manifest);
    case 'docker-list':
      return { mediaType: DOCKER_MANIFEST_LIST, source: 'index' };
    case 'docker-schema1':
    case 'other':
      break;
  }
  const own = manifest.mediaType.trim();
  return { mediaType: own === '' && kind === 'image' ? OCI_MANIFEST : own, source: 'manifest' };
}

function identifyIndex(index: ParsedManifestLike): IdentifiedType {
  const legacy = index.annotations?.[LEGACY_ARTIFACT_TYPE_ANNOTATION];
  if (nonEmpty(legacy)) return { mediaType: legacy.trim(), source: 'artifactType' };

  const children = index.manifests ?? [];
  const isImage = (child: DescriptorLike): boolean =>
    !nonEmpty(child.artifactType) && IMAGE_CHILDREN.has(normalizeMediaType(child.mediaType));
  if (children.every(isImage)) return { mediaType: OCI_INDEX, source: 'index' };

  const childTypes = new Set(
    children.map((child) => (nonEmpty(child.artifactType) ? normalizeMediaType(child.artifactType) : '')),
  );
  const first = children[0]?.artifactType;
  if (childTypes.size === 1 && !childTypes.has('') && nonEmpty(first)) {
    return { mediaType: first.trim(), source: 'index' };
  }
  return { mediaType: OCI_INDEX, source: 'manifest' };
}
