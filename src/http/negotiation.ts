/**
 * Content negotiation for manifest GET (distribution-spec
 * content-negotiation.md). berth serves what was pushed, byte-exact, whatever
 * the `Accept` header says — except, when `registry.legacyDockerConversion`
 * is on, a pull by tag from a client that lists only Docker media types gets
 * the Docker form of an OCI image or index (stored once, so a follow-up pull
 * by the converted digest works).
 */
import { parseManifest, type Descriptor } from '../oci/manifest.js';
import { parseReference } from '../oci/names.js';
import { digestOf } from '../oci/digest.js';
import {
  MEDIA_TYPE_DOCKER_MANIFEST,
  MEDIA_TYPE_DOCKER_MANIFEST_LIST,
  MEDIA_TYPE_OCI_INDEX,
  MEDIA_TYPE_OCI_MANIFEST,
  bareMediaType,
} from '../oci/media-types.js';
import { toDockerManifest, toDockerManifestList } from '../registry/docker-conversion.js';
import type { FetchedManifest } from '../registry/manifest-service.js';
import type { Registry } from '../registry/registry.js';

/** True when `accept` names Docker manifest types and nothing OCI or wildcard. */
export function acceptsOnlyDocker(accept: string | undefined): boolean {
  if (accept === undefined) return false;
  const types = accept.split(',').map(bareMediaType).filter((t) => t !== '');
  const docker = types.some((t) => t === MEDIA_TYPE_DOCKER_MANIFEST || t === MEDIA_TYPE_DOCKER_MANIFEST_LIST);
  const other = types.some((t) => t === MEDIA_TYPE_OCI_MANIFEST || t === MEDIA_TYPE_OCI_INDEX || t.includes('*'));
  return docker && !other;
}

async function storeConverted(registry: Registry, repo: string, body: Buffer): Promise<FetchedManifest> {
  const digest = digestOf(body);
  const pushed = await registry.manifests.push({ repo, reference: digest, body });
  return { record: pushed.record, body };
}

async function convertImage(registry: Registry, repo: string, fetched: FetchedManifest): Promise<FetchedManifest | undefined> {
  const body = toDockerManifest(parseManifest(fetched.body, fetched.record.mediaType));
  return body === undefined ? undefined : storeConverted(registry, repo, body);
}

/** The manifest to send for this request. */
export async function negotiate(
  registry: Registry,
  repo: string,
  reference: string,
  fetched: FetchedManifest,
  accept: string | undefined,
): Promise<FetchedManifest> {
  if (!registry.deps.config.legacyDockerConversion || !acceptsOnlyDocker(accept)) return fetched;
  if (parseReference(reference).kind !== 'tag') return fetched;
  const { mediaType } = fetched.record;
  if (mediaType === MEDIA_TYPE_OCI_MANIFEST) return (await convertImage(registry, repo, fetched)) ?? fetched;
  if (mediaType !== MEDIA_TYPE_OCI_INDEX) return fetched;
  const index = parseManifest(fetched.body, mediaType);
  const children: (Descriptor | undefined)[] = [];
  for (const child of index.manifests) {
    const converted = await convertImage(registry, repo, await registry.manifests.fetch(repo, child.digest));
    children.push(
      converted === undefined
        ? undefined
        : { ...child, mediaType: MEDIA_TYPE_DOCKER_MANIFEST, digest: converted.record.digest, size: converted.body.byteLength },
    );
  }
  const list = toDockerManifestList(index, children);
  return list === undefined ? fetched : storeConverted(registry, repo, list);
}
