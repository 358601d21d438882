/**
 * Test data for the metadata-store conformance suite: manifest records,
 * pushes, blobs, uploads and events built from short labels, so tests say
 * what differs and nothing else. Digests are real sha256 digests of the
 * label, stable across runs.
 */
import { digestOf } from '../../oci/digest.js';
import type {
  BlobRecord,
  ManifestRecord,
  OutboxEvent,
  PutManifestInput,
  UploadSession,
} from '../store.js';

export const MEDIA_TYPES = {
  imageManifest: 'application/vnd.oci.image.manifest.v1+json',
  imageIndex: 'application/vnd.oci.image.index.v1+json',
  imageConfig: 'application/vnd.oci.image.config.v1+json',
  empty: 'application/vnd.oci.empty.v1+json',
  helmConfig: 'application/vnd.cncf.helm.config.v1+json',
  sbom: 'application/vnd.example.sbom.v1+json',
  signatureConfig: 'application/vnd.example.signature.config.v1+json',
  bundle: 'application/vnd.example.bundle.v1',
} as const;

/** A stable sha256 digest named by `label`. */
export function fakeDigest(label: string): string {
  return digestOf(`berth-conformance:${label}`);
}

/** Fields of a manifest a test may set. */
export interface ManifestOptions {
  /** Raw `artifactType` field. */
  artifactType?: string;
  /** `config.mediaType` (image manifests only); default the OCI image config. */
  configMediaType?: string;
  subject?: string;
  annotations?: Record<string, string>;
  size?: number;
  createdAt?: number;
}

/**
 * An image manifest record, identified as its raw `artifactType`, else its
 * `config.mediaType`.
 *
 * @example
 * imageManifest('library/app', 'v1', { configMediaType: MEDIA_TYPES.helmConfig })
 */
export function imageManifest(repo: string, label: string, options: ManifestOptions = {}): ManifestRecord {
  const configMediaType = options.configMediaType ?? MEDIA_TYPES.imageConfig;
  const raw = options.artifactType ?? null;
  return {
    repo,
    digest: fakeDigest(`manifest:${label}`),
    mediaType: MEDIA_TYPES.imageManifest,
    size: options.size ?? 500 + label.length,
    artifactType: raw ?? configMediaType,
    rawArtifactType: raw,
    configMediaType,
    subject: options.subject ?? null,
    annotations: options.annotations ?? null,
    totalSize: (options.size ?? 500) + 10_000,
    createdAt: options.createdAt ?? 1_700_000_000_000,
  };
}

/**
 * An image index record: identified as its raw `artifactType`, else as an
 * index (its own media type); no config.
 */
export function indexManifest(repo: string, label: string, options: Omit<ManifestOptions, 'configMediaType'> = {}): ManifestRecord {
  const raw = options.artifactType ?? null;
  return {
    repo,
    digest: fakeDigest(`index:${label}`),
    mediaType: MEDIA_TYPES.imageIndex,
    size: options.size ?? 300 + label.length,
    artifactType: raw ?? MEDIA_TYPES.imageIndex,
    rawArtifactType: raw,
    configMediaType: null,
    subject: options.subject ?? null,
    annotations: options.annotations ?? null,
    totalSize: (options.size ?? 300) + 20_000,
    createdAt: options.createdAt ?? 1_700_000_000_000,
  };
}

/** What a push carries besides the record. */
export interface PushOptions {
  tags?: string[];
  /** Tags of `tags` that must not move. */
  immutableTags?: string[];
  blobs?: string[];
  manifests?: string[];
  events?: OutboxEvent[];
}

/** The input of `putManifest` for `manifest`. */
export function push(manifest: ManifestRecord, options: PushOptions = {}): PutManifestInput {
  const input: PutManifestInput = {
    manifest,
    references: { blobs: options.blobs ?? [], manifests: options.manifests ?? [] },
    tags: options.tags ?? [],
  };
  if (options.events !== undefined) input.events = options.events;
  if (options.immutableTags !== undefined) input.immutableTags = options.immutableTags;
  return input;
}

/** A blob record named by `label`. */
export function blob(label: string, size = 1024, createdAt = 1_700_000_000_000): BlobRecord {
  return { digest: fakeDigest(`blob:${label}`), size, createdAt };
}

/** An outbox event with id `evt-<label>`. */
export function event(label: string, repo = 'events/repo', action = 'push', payload: unknown = { label }): OutboxEvent {
  return { id: `evt-${label}`, action, repo, payload, createdAt: 1_700_000_000_000 };
}

/** An upload session with id `upload-<label>`. */
export function upload(label: string, options: Partial<Omit<UploadSession, 'id'>> = {}): UploadSession {
  return {
    id: `upload-${label}`,
    repo: options.repo ?? 'uploads/repo',
    algorithm: options.algorithm ?? 'sha256',
    offset: options.offset ?? 0,
    createdAt: options.createdAt ?? 1_000,
    updatedAt: options.updatedAt ?? options.createdAt ?? 1_000,
    driverState: options.driverState ?? null,
  };
}
