/**
 * Builders for test content: blobs, images, indexes, artifacts and
 * referrers, with real digests. Tests describe what they need
 * (`image({ layers: 2 })`, `artifact('application/vnd.example+json', { subject })`)
 * instead of pasting JSON.
 */
import { createHash, randomBytes } from 'node:crypto';
import {
  MEDIA_TYPE_DOCKER_CONFIG,
  MEDIA_TYPE_DOCKER_LAYER,
  MEDIA_TYPE_DOCKER_MANIFEST,
  MEDIA_TYPE_DOCKER_MANIFEST_LIST,
  MEDIA_TYPE_OCI_CONFIG,
  MEDIA_TYPE_OCI_EMPTY,
  MEDIA_TYPE_OCI_INDEX,
  MEDIA_TYPE_OCI_LAYER_GZIP,
  MEDIA_TYPE_OCI_MANIFEST,
} from '../../src/oci/media-types.js';

export interface Blob {
  bytes: Buffer;
  digest: string;
  size: number;
  mediaType: string;
}

/** Anything with a manifest that can be pushed. */
export interface Pushable {
  bytes: Buffer;
  digest: string;
  size: number;
  mediaType: string;
  json: Record<string, unknown>;
  /** Blobs to push first. */
  blobs?: Blob[];
  /** Manifests to push first (index children). */
  children?: Pushable[];
}

export function sha256(data: Uint8Array | string): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

/** A blob of random (or given) bytes. */
export function blob(content: number | string | Buffer = 1024, mediaType = MEDIA_TYPE_OCI_LAYER_GZIP): Blob {
  const bytes = typeof content === 'number' ? randomBytes(content) : Buffer.from(content);
  return { bytes, digest: sha256(bytes), size: bytes.byteLength, mediaType };
}

export function descriptor(b: { mediaType: string; digest: string; size: number }, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { mediaType: b.mediaType, digest: b.digest, size: b.size, ...extra };
}

function manifestOf(json: Record<string, unknown>, mediaType: string, blobs: Blob[], children: Pushable[] = []): Pushable {
  const bytes = Buffer.from(JSON.stringify(json));
  return { bytes, digest: sha256(bytes), size: bytes.byteLength, mediaType, json, blobs, children };
}

export interface ImageOptions {
  layers?: number;
  layerSize?: number;
  annotations?: Record<string, string>;
  subject?: Pushable;
  platform?: { architecture: string; os: string };
}

/** An OCI image: a real image config and random layers. */
export function image(options: ImageOptions = {}): Pushable {
  const layers = Array.from({ length: options.layers ?? 1 }, () => blob(options.layerSize ?? 512));
  const platform = options.platform ?? { architecture: 'amd64', os: 'linux' };
  const config = blob(
    JSON.stringify({ ...platform, rootfs: { type: 'layers', diff_ids: layers.map((l) => l.digest) }, created: new Date(0).toISOString(), nonce: randomBytes(4).toString('hex') }),
    MEDIA_TYPE_OCI_CONFIG,
  );
  const json: Record<string, unknown> = {
    schemaVersion: 2,
    mediaType: MEDIA_TYPE_OCI_MANIFEST,
    config: descriptor(config),
    layers: layers.map((l) => descriptor(l)),
  };
  if (options.subject !== undefined) json.subject = descriptor(options.subject);
  if (options.annotations !== undefined) json.annotations = options.annotations;
  return manifestOf(json, MEDIA_TYPE_OCI_MANIFEST, [config, ...layers]);
}

/** A Docker schema2 image. */
export function dockerImage(layers = 1): Pushable {
  const ls = Array.from({ length: layers }, () => blob(256, MEDIA_TYPE_DOCKER_LAYER));
  const config = blob(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] }, n: randomBytes(4).toString('hex') }), MEDIA_TYPE_DOCKER_CONFIG);
  const json = {
    schemaVersion: 2,
    mediaType: MEDIA_TYPE_DOCKER_MANIFEST,
    config: descriptor(config),
    layers: ls.map((l) => descriptor(l)),
  };
  return manifestOf(json, MEDIA_TYPE_DOCKER_MANIFEST, [config, ...ls]);
}

export interface ArtifactOptions {
  /** Put the type in `config.mediaType` instead of `artifactType` (pre-1.1 style). */
  asConfig?: boolean;
  subject?: Pushable;
  annotations?: Record<string, string>;
  layers?: Blob[];
  config?: Blob;
}

/** The empty descriptor's blob: `{}`. */
export function emptyConfig(): Blob {
  return blob('{}', MEDIA_TYPE_OCI_EMPTY);
}

/** An OCI 1.1 artifact (artifactType + empty config), or a config-typed one. */
export function artifact(type: string, options: ArtifactOptions = {}): Pushable {
  const layers = options.layers ?? [blob(64, 'application/octet-stream')];
  const config = options.config ?? (options.asConfig === true ? blob(`{"n":"${randomBytes(4).toString('hex')}"}`, type) : emptyConfig());
  const json: Record<string, unknown> = {
    schemaVersion: 2,
    mediaType: MEDIA_TYPE_OCI_MANIFEST,
    ...(options.asConfig === true ? {} : { artifactType: type }),
    config: descriptor(config),
    layers: layers.map((l) => descriptor(l)),
  };
  if (options.subject !== undefined) json.subject = descriptor(options.subject);
  json.annotations = options.annotations ?? { 'org.opencontainers.image.created': '2026-01-01T00:00:00Z', nonce: randomBytes(4).toString('hex') };
  return manifestOf(json, MEDIA_TYPE_OCI_MANIFEST, [config, ...layers]);
}

/** An OCI index over the given manifests (each with a platform when it has one). */
export function index(children: Pushable[], options: { artifactType?: string; subject?: Pushable; annotations?: Record<string, string>; docker?: boolean } = {}): Pushable {
  const mediaType = options.docker === true ? MEDIA_TYPE_DOCKER_MANIFEST_LIST : MEDIA_TYPE_OCI_INDEX;
  const json: Record<string, unknown> = {
    schemaVersion: 2,
    mediaType,
    manifests: children.map((c, i) =>
      descriptor(c, { platform: { architecture: ['amd64', 'arm64', 's390x', 'ppc64le'][i % 4], os: 'linux' } }),
    ),
  };
  if (options.artifactType !== undefined) json.artifactType = options.artifactType;
  if (options.subject !== undefined) json.subject = descriptor(options.subject);
  if (options.annotations !== undefined) json.annotations = options.annotations;
  return manifestOf(json, mediaType, [], children);
}

/** Raw manifest bytes with a media type (for malformed-input tests). */
export function rawManifest(body: string | Record<string, unknown>, mediaType = MEDIA_TYPE_OCI_MANIFEST): Pushable {
  const bytes = Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
  return { bytes, digest: sha256(bytes), size: bytes.byteLength, mediaType, json: {} };
}
