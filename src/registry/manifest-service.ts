/**
 * Pushing, pulling and deleting manifests (distribution-spec: "Pushing
 * Manifests", "Pulling manifests", "Deleting Manifests").
 *
 * Write order: one metadata transaction records the manifest with its exact
 * bytes, its references, its tags, its subject and its events, so a push is
 * one durable commit (the SQLite store group-commits concurrent pushes into
 * one WAL sync). Manifests recorded before the metadata store kept their
 * bytes are read from blob storage at their content address. Manifest bytes
 * are immutable, so a small cache by digest is always correct.
 */
import { RegistryError } from '../oci/errors.js';
import { digestOf, parseDigest } from '../oci/digest.js';
import { assertTag, parseReference } from '../oci/names.js';
import { isExternalLayer, parseManifest, type ParsedManifest } from '../oci/manifest.js';
import { blobPath } from '../storage/paths.js';
import type { ManifestRecord } from '../metadata/store.js';
import type { RegistryDeps } from './deps.js';
import { createByteCache } from './byte-cache.js';
import { deleteReferrersOf } from './gc/referrers.js';
import { ImmutableTagError } from '../metadata/immutable-tag-error.js';
import { compileImmutableTagRules, immutableTagDenied } from './immutable-tags.js';

export interface PushManifestInput {
  repo: string;
  /** Tag or digest from the URL. */
  reference: string;
  body: Uint8Array;
  contentType?: string;
  /** `?tag=` values (distribution-spec end-7b). */
  extraTags?: string[];
}

export interface PushManifestResult {
  digest: string;
  /** Tags now pointing at the manifest. */
  tags: string[];
  subject?: string;
  warnings: string[];
  record: ManifestRecord;
}

export interface FetchedManifest {
  record: ManifestRecord;
  body: Buffer;
}

export interface ManifestService {
  /** @throws MANIFEST_INVALID, MANIFEST_BLOB_UNKNOWN, DIGEST_INVALID, TAG_INVALID, DENIED. */
  push(input: PushManifestInput): Promise<PushManifestResult>;
  /** Record only (HEAD). @throws NAME_UNKNOWN, MANIFEST_UNKNOWN. */
  stat(repo: string, reference: string): Promise<ManifestRecord>;
  /** Record and bytes (GET). */
  fetch(repo: string, reference: string): Promise<FetchedManifest>;
  /**
   * Deletes by digest (with its tags) or a tag alone.
   *
   * @throws DENIED (`TAG_IMMUTABLE`) for an immutable tag, or a digest an immutable tag points at.
   */
  delete(repo: string, reference: string): Promise<void>;
}

const CACHE_BYTES = 64 * 1024 * 1024;

export function createManifestService(deps: RegistryDeps): ManifestService {
  const { metadata, storage, config } = deps;
  const cache = createByteCache(CACHE_BYTES);
  const immutable = compileImmutableTagRules(config.immutableTags);

  /** Runs a store write, turning its immutable-tag refusal into 403 DENIED. */
  async function guarded<T>(write: () => Promise<T>): Promise<T> {
    try {
      return await write();
    } catch (err) {
      if (err instanceof ImmutableTagError) throw immutableTagDenied(immutable, err);
      throw err;
    }
  }

  async function unknown(repo: string, reference: string): Promise<never> {
    if (!(await metadata.repositoryExists(repo))) throw new RegistryError('NAME_UNKNOWN', { name: repo });
    throw new RegistryError('MANIFEST_UNKNOWN', { reference });
  }

  /** The record a reference names: by digest, or through its tag in one store read. */
  async function lookup(repo: string, reference: string): Promise<ManifestRecord> {
    const ref = parseReference(reference);
    const record =
      ref.kind === 'digest'
        ? await metadata.getManifest(repo, ref.digest.value)
        : await metadata.getTaggedManifest(repo, ref.tag);
    return record ?? unknown(repo, reference);
  }

  /** Every blob and child the manifest names must already be in the repository. */
  async function checkReferences(repo: string, m: ParsedManifest): Promise<{ blobs: string[]; manifests: string[]; total: number }> {
    const missing: { digest: string; mediaType: string }[] = [];
    let total = 0;
    const blobs: string[] = [];
    const manifests: string[] = [];
    if (m.isIndex) {
      const found = await Promise.all(m.manifests.map((d) => metadata.getManifest(repo, d.digest)));
      m.manifests.forEach((d, i) => {
        const child = found[i];
        if (child === undefined) missing.push({ digest: d.digest, mediaType: d.mediaType });
        else total += child.totalSize;
        manifests.push(d.digest);
      });
    } else {
      const descriptors = [...(m.config === undefined ? [] : [m.config]), ...m.layers].filter((d) => !isExternalLayer(d));
      const found = await Promise.all(descriptors.map((d) => metadata.getRepositoryBlob(repo, d.digest)));
      descriptors.forEach((d, i) => {
        const blob = found[i];
        if (blob === undefined) missing.push({ digest: d.digest, mediaType: d.mediaType });
        else total += blob.size;
        blobs.push(d.digest);
      });
    }
    if (missing.length > 0) throw new RegistryError('MANIFEST_BLOB_UNKNOWN', { missing });
    return { blobs: [...new Set(blobs)], manifests: [...new Set(manifests)], total };
  }

  async function readConfig(m: ParsedManifest): Promise<unknown> {
    if (m.config === undefined || m.config.size > 4 * 1024 * 1024) return undefined;
    const bytes = await storage.getContent(blobPath(parseDigest(m.config.digest)));
    try {
      return JSON.parse(bytes.toString('utf8')) as unknown;
    } catch {
      throw new RegistryError('MANIFEST_INVALID', { config: m.config.digest, reason: 'config is not valid JSON' });
    }
  }

  async function readBytes(record: ManifestRecord): Promise<Buffer> {
    const hit = cache.get(record.digest);
    if (hit !== undefined) return hit;
    const body =
      (await metadata.getManifestBody(record.repo, record.digest)) ??
      (await storage.getContent(blobPath(parseDigest(record.digest))));
    cache.set(record.digest, body);
    return body;
  }

  return {
    async push(input) {
      const { repo, body } = input;
      const ref = parseReference(input.reference);
      if (body.byteLength > config.maxManifestBytes) {
        throw new RegistryError('MANIFEST_TOO_LARGE', `manifest is larger than the ${config.maxManifestBytes}-byte limit`);
      }
      const extraTags = (input.extraTags ?? []).map(assertTag);
      if (extraTags.length > config.maxTagsPerPush) {
        throw new RegistryError('TOO_MANY_TAGS', `at most ${config.maxTagsPerPush} tags per push`);
      }
      const digest = ref.kind === 'digest' ? digestOf(body, ref.digest.algorithm) : digestOf(body);
      if (ref.kind === 'digest' && digest !== ref.digest.value) {
        throw new RegistryError('DIGEST_INVALID', { expected: ref.digest.value, actual: digest });
      }
      const manifest = parseManifest(body, input.contentType);
      const refs = await checkReferences(repo, manifest);
      const identified = deps.hooks.identify(manifest);
      const { warnings } = await deps.hooks.checkPush({
        repo,
        manifest,
        identified,
        loadConfig: () => readConfig(manifest),
      });
      const tags = [...new Set([...(ref.kind === 'tag' ? [ref.tag] : []), ...extraTags])];
      const record: ManifestRecord = {
        repo,
        digest,
        mediaType: manifest.mediaType,
        size: body.byteLength,
        artifactType: identified.artifactType,
        // distribution-spec: an empty artifactType counts as missing.
        rawArtifactType: manifest.artifactType === undefined || manifest.artifactType === '' ? null : manifest.artifactType,
        configMediaType: manifest.config?.mediaType ?? null,
        subject: manifest.subject?.digest ?? null,
        annotations: manifest.annotations ?? null,
        totalSize: body.byteLength + refs.total,
        createdAt: deps.clock(),
      };
      await deps.quota?.check(repo, { digest, size: body.byteLength });
      const target = {
        mediaType: manifest.mediaType,
        digest,
        size: body.byteLength,
        artifactType: identified.artifactType,
        artifactTypeName: identified.typeName,
      };
      const events =
        tags.length === 0
          ? deps.events.eventsFor({ action: 'push', repo, target })
          : tags.flatMap((tag) => deps.events.eventsFor({ action: 'push', repo, target: { ...target, tag } }));
      // Immutable tags are checked in the store's transaction, under the
      // tag's lock: of racing pushes to a new immutable tag one wins.
      await guarded(() =>
        metadata.putManifest({
          manifest: record,
          body,
          references: { blobs: refs.blobs, manifests: refs.manifests },
          tags,
          immutableTags: immutable.immutableOf(repo, tags),
          events,
        }),
      );
      const result: PushManifestResult = { digest, tags, warnings, record };
      if (manifest.subject !== undefined) result.subject = manifest.subject.digest;
      return result;
    },

    stat: lookup,

    async fetch(repo, reference) {
      const record = await lookup(repo, reference);
      return { record, body: await readBytes(record) };
    },

    async delete(repo, reference) {
      if (!config.deleteEnabled) {
        throw new RegistryError('UNSUPPORTED', 'deletes are disabled on this registry (registry.deleteEnabled)');
      }
      const ref = parseReference(reference);
      if (ref.kind === 'tag') {
        const digest = await metadata.resolveTag(repo, ref.tag);
        if (digest === undefined) return unknown(repo, reference);
        // Immutability is decided by the tag's name alone: no race to guard.
        if (immutable.ruleFor(repo, ref.tag) !== undefined) {
          throw immutableTagDenied(immutable, new ImmutableTagError(repo, ref.tag, digest, 'delete'));
        }
        const events = deps.events.eventsFor({ action: 'delete', repo, target: { digest, tag: ref.tag } });
        if ((await metadata.deleteTag(repo, ref.tag, events)) === undefined) await unknown(repo, reference);
        return;
      }
      const record = await metadata.getManifest(repo, ref.digest.value);
      if (record === undefined) return unknown(repo, reference);
      const events = deps.events.eventsFor({
        action: 'delete',
        repo,
        target: {
          digest: record.digest,
          mediaType: record.mediaType,
          size: record.size,
          artifactType: record.artifactType,
        },
      });
      const guard = immutable.empty ? undefined : { protectedTag: immutable.forRepository(repo) };
      const deleted = await guarded(() => metadata.deleteManifest(repo, record.digest, events, guard));
      if (deleted === undefined) return unknown(repo, reference);
      if (config.deleteReferrersWithSubject) await deleteReferrersOf(deps, repo, record.digest, guard);
    },
  };
}
