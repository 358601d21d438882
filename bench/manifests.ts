/**
 * Builders for the small images the bench pushes: a config blob, a layer blob,
 * and OCI image manifests that reference them.
 */
import type { RegistryClient } from './client.js';
import { OCI_MANIFEST } from './client.js';
import { sha256 } from './data.js';

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
}

/** A config and a layer already present in one repository. */
export interface BaseImage {
  repo: string;
  config: Descriptor;
  layer: Descriptor;
  configBytes: Buffer;
  layerBytes: Buffer;
}

const LAYER_TYPE = 'application/vnd.oci.image.layer.v1.tar';
const CONFIG_TYPE = 'application/vnd.oci.image.config.v1+json';

/** A descriptor for bytes of a given media type. */
export function describe(mediaType: string, bytes: Buffer): Descriptor {
  return { mediaType, digest: sha256(bytes), size: bytes.length };
}

/**
 * An OCI image manifest; `annotations` make otherwise identical manifests distinct.
 *
 * @example
 * const body = imageManifest(base.config, [base.layer], { 'org.example.n': '7' });
 */
export function imageManifest(
  config: Descriptor,
  layers: readonly Descriptor[],
  annotations?: Record<string, string>,
): Buffer {
  const manifest = {
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    config,
    layers,
    ...(annotations === undefined ? {} : { annotations }),
  };
  return Buffer.from(JSON.stringify(manifest));
}

/** A layer blob of `size` bytes of pool data (not a real tar: registries do not look inside). */
export function layerDescriptor(bytes: Buffer): Descriptor {
  return describe(LAYER_TYPE, bytes);
}

/**
 * Pushes a config and a layer into `repo` (untimed setup for manifest workloads).
 * The layer bytes come from the caller so each run has its own digests.
 */
export async function pushBaseImage(reg: RegistryClient, repo: string, layerBytes: Buffer): Promise<BaseImage> {
  const layer = layerDescriptor(layerBytes);
  const configBytes = Buffer.from(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      rootfs: { type: 'layers', diff_ids: [layer.digest] },
    }),
  );
  const config = describe(CONFIG_TYPE, configBytes);
  await reg.pushBlob(repo, { digest: config.digest, size: config.size, body: configBytes });
  await reg.pushBlob(repo, { digest: layer.digest, size: layer.size, body: layerBytes });
  return { repo, config, layer, configBytes, layerBytes };
}

/** Mounts a base image's blobs into another repository so manifests there can reference them. */
export async function mountBaseImage(reg: RegistryClient, base: BaseImage, repo: string): Promise<BaseImage> {
  await reg.mountBlob(repo, base.repo, base.config.digest);
  await reg.mountBlob(repo, base.repo, base.layer.digest);
  return { ...base, repo };
}
