/**
 * Reading, deleting and mounting blobs (distribution-spec: "Pulling blobs",
 * "Deleting Blobs", "Mounting a blob from another repository").
 */
import { Readable } from 'node:stream';
import { RegistryError } from '../oci/errors.js';
import { parseDigest, type Digest } from '../oci/digest.js';
import { blobPath } from '../storage/paths.js';
import { isStorageNotFound, type ReadOptions, type RecyclableChunks } from '../storage/driver.js';
import type { RegistryDeps } from './deps.js';

/** A blob's bytes; chunks may be handed back when written out (see {@link RecyclableChunks}). */
export type BlobBody = Readable & Partial<RecyclableChunks>;

export interface BlobInfo {
  digest: string;
  size: number;
  /** A manifest's bytes, kept by the metadata store rather than blob storage. */
  body?: Buffer;
}

/** A byte range, inclusive on both ends, already checked against the size. */
export interface ByteRange {
  start: number;
  end: number;
}

export interface OpenedBlob extends BlobInfo {
  stream: Readable;
}

export interface MountResult {
  /** True when the blob is now in the repository (201); false: start an upload (202). */
  mounted: boolean;
  size?: number;
}

export interface BlobService {
  /**
   * Size of a blob the repository holds (blobs it linked and its manifests).
   *
   * @throws RegistryError `NAME_UNKNOWN` for an unknown repository, `BLOB_UNKNOWN` otherwise.
   */
  stat(repo: string, digest: string): Promise<BlobInfo>;
  /** Opens a blob (or a range of it) for reading. Same errors as `stat`. */
  open(repo: string, info: BlobInfo, range?: ByteRange, signal?: AbortSignal): Promise<BlobBody>;
  /** A presigned URL for the blob, when the driver offers redirects. */
  redirectUrl(info: BlobInfo, method: 'GET' | 'HEAD'): Promise<string | undefined>;
  /**
   * Unlinks a blob from a repository (bytes go at the next GC).
   *
   * @throws RegistryError `UNSUPPORTED` when deletes are disabled; `BLOB_UNKNOWN`.
   */
  delete(repo: string, digest: string): Promise<void>;
  /**
   * Links a blob another repository holds (or, with no `from`, any blob the
   * registry holds) into `repo`. Never throws for an unknown source: the
   * caller falls back to a normal upload session.
   */
  mount(repo: string, digest: Digest, from: string | undefined): Promise<MountResult>;
}

export function createBlobService(deps: RegistryDeps): BlobService {
  const { metadata, storage } = deps;

  async function unknown(repo: string, digest: string): Promise<never> {
    if (!(await metadata.repositoryExists(repo))) {
      throw new RegistryError('NAME_UNKNOWN', { name: repo });
    }
    throw new RegistryError('BLOB_UNKNOWN', { digest });
  }

  return {
    async stat(repo, digestText) {
      const digest = parseDigest(digestText);
      const blob = await metadata.getRepositoryBlob(repo, digest.value);
      if (blob !== undefined) return { digest: digest.value, size: blob.size };
      // A repository's manifests are blobs too (content-addressed, same store).
      // Their bytes are kept with the record (older ones: in blob storage).
      const manifest = await metadata.getManifest(repo, digest.value);
      if (manifest !== undefined) {
        const body = await metadata.getManifestBody(repo, digest.value);
        return body === undefined ? { digest: digest.value, size: manifest.size } : { digest: digest.value, size: manifest.size, body };
      }
      return unknown(repo, digest.value);
    },

    async open(repo, info, range, signal) {
      if (info.body !== undefined) {
        const bytes = range === undefined ? info.body : info.body.subarray(range.start, range.end + 1);
        return Readable.from([bytes], { objectMode: false });
      }
      const path = blobPath(parseDigest(info.digest));
      try {
        const options: ReadOptions = { size: info.size };
        if (range !== undefined) {
          options.offset = range.start;
          options.length = range.end - range.start + 1;
        }
        if (signal !== undefined) options.signal = signal;
        return await storage.reader(path, options);
      } catch (err) {
        if (isStorageNotFound(err)) {
          // Metadata says yes, bytes say no: never expected (write order is
          // bytes first). Report it to the operator, answer as unknown.
          deps.logger.error({ repo, digest: info.digest }, 'blob record without bytes in storage');
          throw new RegistryError('BLOB_UNKNOWN', { digest: info.digest });
        }
        throw err;
      }
    },

    async redirectUrl(info, method) {
      if (storage.redirectUrl === undefined || info.body !== undefined) return undefined;
      return storage.redirectUrl(blobPath(parseDigest(info.digest)), { method, expiresIn: 900 });
    },

    async delete(repo, digestText) {
      if (!deps.config.deleteEnabled) {
        throw new RegistryError('UNSUPPORTED', 'deletes are disabled on this registry (registry.deleteEnabled)');
      }
      const digest = parseDigest(digestText);
      const events = deps.events.eventsFor({ action: 'delete', repo, target: { digest: digest.value } });
      if (!(await metadata.unlinkBlob(repo, digest.value, events))) {
        await unknown(repo, digest.value);
      }
    },

    async mount(repo, digest, from) {
      const source =
        from === undefined
          ? await metadata.getBlob(digest.value)
          : await metadata.getRepositoryBlob(from, digest.value);
      if (source === undefined) return { mounted: false };
      await deps.quota?.check(repo, { digest: digest.value, size: source.size });
      const change = { action: 'mount' as const, repo, target: { digest: digest.value, size: source.size } };
      const events = deps.events.eventsFor(from === undefined ? change : { ...change, from });
      const linked = await metadata.linkBlob(repo, { ...source, createdAt: deps.clock() }, events);
      // Trust but verify, after the link: GC may have reclaimed the bytes
      // since the source's record was read (gc/blob-reclaimer.ts), and a
      // collection that parks them from now on sees the new link and puts
      // them back. Missing bytes: undo the new link, let the client upload.
      // One check, not one before and one after: each storage call is a
      // thread-pool round trip, ~40 % of a mount's CPU (README, Performance).
      // The rare cost: bytes lost outside GC still get a link (and its
      // event), undone here. A 202 lets the client upload them again.
      if ((await storage.stat(blobPath(digest))) === undefined) {
        if (linked) await metadata.unlinkBlob(repo, digest.value);
        return { mounted: false };
      }
      return { mounted: true, size: source.size };
    },
  };
}
