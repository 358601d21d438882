/**
 * Parsing and checking manifests: OCI image manifest and index (image-spec
 * manifest.md, image-index.md) and Docker schema2 manifest and manifest list.
 *
 * Pure: bytes in, a {@link ParsedManifest} or a `MANIFEST_INVALID` error out.
 * The bytes themselves are never re-serialised; the registry stores what the
 * client sent (distribution-spec: "MUST store the manifest in the exact byte
 * representation provided by the client").
 */
import { RegistryError } from './errors.js';
import { tryParseDigest } from './digest.js';
import {
  MANIFEST_MEDIA_TYPES,
  MEDIA_TYPE_DOCKER_MANIFEST,
  MEDIA_TYPE_DOCKER_MANIFEST_LIST,
  MEDIA_TYPE_DOCKER_SCHEMA1,
  MEDIA_TYPE_DOCKER_SCHEMA1_SIGNED,
  MEDIA_TYPE_OCI_INDEX,
  MEDIA_TYPE_OCI_MANIFEST,
  bareMediaType,
  isIndexMediaType,
} from './media-types.js';

export interface Platform {
  architecture: string;
  os: string;
  variant?: string;
  'os.version'?: string;
  'os.features'?: string[];
}

/** image-spec descriptor.md */
export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  artifactType?: string;
  annotations?: Record<string, string>;
  urls?: string[];
  platform?: Platform;
}

export interface ParsedManifest {
  /** The manifest's media type (from the body, else the Content-Type). */
  mediaType: string;
  /** True for an OCI index or Docker manifest list. */
  isIndex: boolean;
  artifactType?: string;
  /** Image manifests only. */
  config?: Descriptor;
  /** Image manifests: layers (possibly empty). Indexes: empty. */
  layers: Descriptor[];
  /** Indexes: children. Image manifests: empty. */
  manifests: Descriptor[];
  subject?: Descriptor;
  annotations?: Record<string, string>;
}

function invalid(detail: string): never {
  throw new RegistryError('MANIFEST_INVALID', detail);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function stringMap(value: unknown, where: string): Record<string, string> | undefined {
  if (value === undefined) return undefined;
  if (!isObject(value)) invalid(`${where} must be an object of strings`);
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== 'string') invalid(`${where}["${k}"] must be a string`);
  }
  return value as Record<string, string>;
}

function optionalString(value: unknown, where: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') invalid(`${where} must be a string`);
  return value;
}

/** Parses and checks one descriptor; `where` names it in errors (`layers[2]`). */
export function parseDescriptor(value: unknown, where: string): Descriptor {
  if (!isObject(value)) invalid(`${where} must be a descriptor object`);
  const { mediaType, digest, size } = value;
  if (typeof mediaType !== 'string' || mediaType.length === 0) {
    invalid(`${where}.mediaType must be a non-empty string`);
  }
  if (typeof digest !== 'string' || tryParseDigest(digest) === undefined) {
    invalid(`${where}.digest must be a sha256 or sha512 digest`);
  }
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
    invalid(`${where}.size must be a non-negative integer`);
  }
  const d: Descriptor = { mediaType, digest, size };
  const artifactType = optionalString(value.artifactType, `${where}.artifactType`);
  if (artifactType !== undefined) d.artifactType = artifactType;
  const annotations = stringMap(value.annotations, `${where}.annotations`);
  if (annotations !== undefined) d.annotations = annotations;
  if (value.urls !== undefined) {
    if (!Array.isArray(value.urls) || value.urls.some((u) => typeof u !== 'string')) {
      invalid(`${where}.urls must be an array of strings`);
    }
    d.urls = value.urls as string[];
  }
  if (value.platform !== undefined) {
    const p = value.platform;
    if (!isObject(p) || typeof p.architecture !== 'string' || typeof p.os !== 'string') {
      invalid(`${where}.platform must have string architecture and os`);
    }
    d.platform = p as unknown as Platform;
  }
  return d;
}

function descriptorList(value: unknown, where: string, required: boolean): Descriptor[] {
  if (value === undefined && !required) return [];
  if (!Array.isArray(value)) invalid(`${where} must be an array`);
  return value.map((v, i) => parseDescriptor(v, `${where}[${i}]`));
}

/** Chooses the manifest's media type from the body's field and the request's Content-Type. */
function resolveMediaType(body: Record<string, unknown>, contentType: string | undefined): string {
  const declared = optionalString(body.mediaType, 'mediaType');
  const header = contentType === undefined ? undefined : bareMediaType(contentType);
  const headerIsManifest = header !== undefined && MANIFEST_MEDIA_TYPES.includes(header);
  if (declared === MEDIA_TYPE_DOCKER_SCHEMA1 || declared === MEDIA_TYPE_DOCKER_SCHEMA1_SIGNED) {
    invalid('Docker schema1 manifests are not supported; push schema2 or OCI');
  }
  if (declared !== undefined) {
    if (!MANIFEST_MEDIA_TYPES.includes(declared)) {
      invalid(`mediaType "${declared}" is not a manifest media type (${MANIFEST_MEDIA_TYPES.join(', ')})`);
    }
    if (headerIsManifest && header !== declared) {
      invalid(`mediaType "${declared}" does not match Content-Type "${header}"`);
    }
    return declared;
  }
  if (headerIsManifest) return header;
  // Neither says: the shape decides (OCI allows an absent mediaType).
  if (Array.isArray(body.manifests)) return MEDIA_TYPE_OCI_INDEX;
  if (isObject(body.config)) return MEDIA_TYPE_OCI_MANIFEST;
  return invalid('manifest has no mediaType and its Content-Type is not a manifest media type');
}

/**
 * Parses manifest bytes.
 *
 * @param bytes the body exactly as received
 * @param contentType the request's `Content-Type`, if any
 * @throws RegistryError `MANIFEST_INVALID` with a detail naming the bad field.
 * @example
 * parseManifest(Buffer.from(json), 'application/vnd.oci.image.manifest.v1+json').layers.length
 */
export function parseManifest(bytes: Uint8Array, contentType?: string): ParsedManifest {
  let body: unknown;
  try {
    body = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'));
  } catch {
    return invalid('manifest is not valid JSON');
  }
  if (!isObject(body)) invalid('manifest must be a JSON object');
  if (body.schemaVersion !== 2) {
    invalid(
      body.schemaVersion === 1
        ? 'Docker schema1 manifests are not supported; push schema2 or OCI'
        : 'schemaVersion must be 2',
    );
  }
  const mediaType = resolveMediaType(body, contentType);
  const isIndex = isIndexMediaType(mediaType);
  const parsed: ParsedManifest = { mediaType, isIndex, layers: [], manifests: [] };

  const artifactType = optionalString(body.artifactType, 'artifactType');
  if (artifactType !== undefined) parsed.artifactType = artifactType;
  const annotations = stringMap(body.annotations, 'annotations');
  if (annotations !== undefined) parsed.annotations = annotations;
  if (body.subject !== undefined) parsed.subject = parseDescriptor(body.subject, 'subject');

  if (isIndex) {
    if (body.config !== undefined || body.layers !== undefined) {
      invalid('an index must not have config or layers');
    }
    parsed.manifests = descriptorList(body.manifests, 'manifests', true);
    if (mediaType === MEDIA_TYPE_DOCKER_MANIFEST_LIST) {
      for (const [i, m] of parsed.manifests.entries()) {
        if (m.platform === undefined) invalid(`manifests[${i}].platform is required in a manifest list`);
      }
    }
  } else {
    if (body.manifests !== undefined) invalid('an image manifest must not have manifests');
    parsed.config = parseDescriptor(body.config, 'config');
    parsed.layers = descriptorList(body.layers, 'layers', mediaType === MEDIA_TYPE_DOCKER_MANIFEST);
    if (artifactType !== undefined && mediaType === MEDIA_TYPE_DOCKER_MANIFEST) {
      invalid('Docker schema2 manifests have no artifactType');
    }
  }
  return parsed;
}

/**
 * True when a layer's bytes are not expected in the registry (Docker foreign
 * layers and OCI non-distributable layers that carry `urls`).
 */
export function isExternalLayer(d: Descriptor): boolean {
  return (
    d.urls !== undefined &&
    d.urls.length > 0 &&
    (d.mediaType.includes('foreign') || d.mediaType.includes('nondistributable'))
  );
}
