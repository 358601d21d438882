/**
 * Optional conversion of OCI manifests to Docker schema2 for clients that
 * accept only Docker media types (`registry.legacyDockerConversion`).
 *
 * Only what converts without loss is converted: an OCI image manifest whose
 * config is an image config and whose layers are tar or tar+gzip, and an
 * index whose children all convert. Artifacts, zstd layers and indexes with
 * other children are served unchanged. The output is deterministic, so the
 * same OCI manifest always converts to the same digest.
 */
import type { ParsedManifest, Descriptor } from '../oci/manifest.js';
import {
  MEDIA_TYPE_DOCKER_CONFIG,
  MEDIA_TYPE_DOCKER_LAYER,
  MEDIA_TYPE_DOCKER_MANIFEST,
  MEDIA_TYPE_DOCKER_MANIFEST_LIST,
  MEDIA_TYPE_OCI_CONFIG,
  MEDIA_TYPE_OCI_LAYER,
  MEDIA_TYPE_OCI_LAYER_GZIP,
  MEDIA_TYPE_OCI_MANIFEST,
} from '../oci/media-types.js';

const LAYER_MAP: Record<string, string> = {
  [MEDIA_TYPE_OCI_LAYER_GZIP]: MEDIA_TYPE_DOCKER_LAYER,
  [MEDIA_TYPE_OCI_LAYER]: 'application/vnd.docker.image.rootfs.diff.tar',
  'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip':
    'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
};

function plain(d: Descriptor, mediaType: string): Record<string, unknown> {
  const out: Record<string, unknown> = { mediaType, size: d.size, digest: d.digest };
  if (d.urls !== undefined) out.urls = d.urls;
  return out;
}

/** Docker schema2 bytes for an OCI image manifest, or undefined when it does not convert. */
export function toDockerManifest(m: ParsedManifest): Buffer | undefined {
  if (m.mediaType !== MEDIA_TYPE_OCI_MANIFEST || m.config?.mediaType !== MEDIA_TYPE_OCI_CONFIG) return undefined;
  if (m.artifactType !== undefined) return undefined;
  const layers: Record<string, unknown>[] = [];
  for (const layer of m.layers) {
    const mapped = LAYER_MAP[layer.mediaType];
    if (mapped === undefined) return undefined;
    layers.push(plain(layer, mapped));
  }
  const doc = {
    schemaVersion: 2,
    mediaType: MEDIA_TYPE_DOCKER_MANIFEST,
    config: plain(m.config, MEDIA_TYPE_DOCKER_CONFIG),
    layers,
  };
  return Buffer.from(JSON.stringify(doc, null, 3));
}

/**
 * Docker manifest list bytes for an OCI index, given each child's converted
 * descriptor (or undefined when the index does not convert).
 */
export function toDockerManifestList(m: ParsedManifest, children: (Descriptor | undefined)[]): Buffer | undefined {
  if (m.artifactType !== undefined || children.some((c) => c === undefined || c.platform === undefined)) {
    return undefined;
  }
  const doc = {
    schemaVersion: 2,
    mediaType: MEDIA_TYPE_DOCKER_MANIFEST_LIST,
    manifests: (children as Descriptor[]).map((c) => ({ ...plain(c, c.mediaType), platform: c.platform })),
  };
  return Buffer.from(JSON.stringify(doc, null, 3));
}
