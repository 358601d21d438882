/**
 * Manifest and config media types that identification itself depends on.
 * Type-specific media types live with their definitions in `builtin/`.
 */

/** image-spec media-types.md */
export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
export const OCI_CONFIG = 'application/vnd.oci.image.config.v1+json';
/** image-spec manifest.md, "Guidance for an Empty Descriptor". */
export const OCI_EMPTY = 'application/vnd.oci.empty.v1+json';

/** Docker Image Manifest V2, Schema 2 and its manifest list. */
export const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
export const DOCKER_MANIFEST_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json';
export const DOCKER_CONFIG = 'application/vnd.docker.container.image.v1+json';
/** Docker Image Manifest V2, Schema 1 (deprecated; no config descriptor). */
export const DOCKER_SCHEMA1 = 'application/vnd.docker.distribution.manifest.v1+json';
export const DOCKER_SCHEMA1_SIGNED = 'application/vnd.docker.distribution.manifest.v1+prettyjws';

/**
 * The annotation the OCI artifacts project used for an index's type before
 * OCI 1.1 added `artifactType` (still written by cnab-to-oci).
 */
export const LEGACY_ARTIFACT_TYPE_ANNOTATION = 'org.opencontainers.artifactType';

/** image-spec annotations.md */
export const TITLE_ANNOTATION = 'org.opencontainers.image.title';
