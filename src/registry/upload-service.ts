/**
 * Blob upload sessions (distribution-spec: "Pushing blobs", "Pushing a blob
 * in chunks", "Cancel a blob upload").
 *
 * Bytes of a session live at `uploads/<id>/data`; its offset and algorithm in
 * the metadata store, so a session survives a restart and can move between
 * instances. Each chunk streams through the session's hasher into a storage
 * writer and is committed before the offset advances (compare-and-set), so
 * an acknowledged chunk is durable and a crashed one is invisible. On
 * completion the digest is verified (from the in-memory hasher when this
 * process saw every byte, else by re-reading the data) and only then is the
 * file moved to its content address and linked into the repository. A blob
 * sent whole in the closing request skips the session file: it is hashed
 * into a temporary file committed straight to its content address.
 */
import { isRegistryError, RegistryError } from '../oci/errors.js';
import { isDigestAlgorithm, parseDigest, type DigestAlgorithm } from '../oci/digest.js';
import { blobPath, uploadDataPath, uploadDir, isSessionId } from '../storage/paths.js';
import { StorageSizeMismatchError, type RecyclableChunks, type StorageWriter } from '../storage/driver.js';
import { copyVerified } from '../storage/digest-stream.js';
import { inlineDigester, type Digester } from '../storage/digester.js';
import type { UploadSession } from '../metadata/store.js';
import type { RegistryDeps } from './deps.js';
import type { BlobInfo } from './blob-service.js';
import { createKeyedLock } from './keyed-lock.js';

/** Inclusive byte range of a chunk, from `Content-Range`. */
export interface ChunkRange {
  start: number;
  end: number;
}

export interface ChunkInput {
  /** The chunk's bytes; with `recycle`, copied chunks are handed back (see copyVerified). */
  body: AsyncIterable<Uint8Array> & Partial<RecyclableChunks>;
  /** `Content-Range` of the chunk, when the client sent one. */
  range?: ChunkRange;
  /** `Content-Length`, when known. */
  length?: number;
  signal?: AbortSignal;
}

export interface UploadService {
  /** Opens a session. @throws `DIGEST_INVALID` for an unsupported algorithm. */
  start(repo: string, algorithm?: string): Promise<UploadSession>;
  /** @throws `BLOB_UPLOAD_UNKNOWN` (also for a session of another repository). */
  status(repo: string, id: string): Promise<UploadSession>;
  /**
   * Appends one chunk. @throws `RANGE_INVALID` (416) when it does not start at
   * the session's offset, `SIZE_INVALID` when fewer or more bytes arrive than declared,
   * `BLOB_TOO_LARGE` (the session is discarded) when the blob would pass `maxBlobBytes`.
   */
  append(repo: string, id: string, chunk: ChunkInput): Promise<UploadSession>;
  /**
   * Appends an optional last chunk, verifies the digest and links the blob.
   * @throws `DIGEST_INVALID` (the session is discarded: nothing is stored);
   *   those of `append` for the last chunk.
   */
  complete(repo: string, id: string, digest: string, chunk?: ChunkInput): Promise<BlobInfo>;
  /** Single-request upload (`POST …/uploads/?digest=`). */
  putMonolithic(repo: string, digest: string, chunk: ChunkInput): Promise<BlobInfo>;
  /** Discards a session and its bytes. */
  cancel(repo: string, id: string): Promise<void>;
  /** Removes sessions idle longer than the TTL; returns how many. */
  expireStale(): Promise<number>;
}

interface LiveHash {
  offset: number;
  hash: Digester;
}

export function createUploadService(deps: RegistryDeps): UploadService {
  const { metadata, storage, config } = deps;
  const digesters = deps.digesters ?? inlineDigester;
  /** Hash state of sessions this process has seen every byte of. */
  const live = new Map<string, LiveHash>();
  const lock = createKeyedLock();

  async function load(repo: string, id: string): Promise<UploadSession> {
    const session = isSessionId(id) ? await metadata.getUpload(id) : undefined;
    if (session === undefined || session.repo !== repo) {
      throw new RegistryError('BLOB_UPLOAD_UNKNOWN', { uuid: id.slice(0, 80) });
    }
    return session;
  }

  function rangeError(session: UploadSession, detail: string): RegistryError {
    return new RegistryError('RANGE_INVALID', detail, {
      headers: { Range: `0-${Math.max(session.offset - 1, 0)}` },
    });
  }

  function checkRange(session: UploadSession, chunk: ChunkInput): void {
    const { range, length } = chunk;
    if (range === undefined) return;
    if (range.start !== session.offset || range.end < range.start) {
      throw rangeError(
        session,
        `chunk ${range.start}-${range.end} does not continue the upload; the next byte expected is ${session.offset}`,
      );
    }
    if (length !== undefined && length !== range.end - range.start + 1) {
      throw new RegistryError(
        'SIZE_INVALID',
        `Content-Length ${length} does not match Content-Range ${range.start}-${range.end}`,
      );
    }
  }

  function maxBytesFor(offset: number): number | undefined {
    return config.maxBlobBytes > 0 ? config.maxBlobBytes - offset : undefined;
  }

  /** Refuses, before reading a byte, a chunk whose declared size passes the limit. */
  function checkLimit(session: UploadSession, chunk: ChunkInput): void {
    const max = maxBytesFor(session.offset);
    const declared = chunk.range !== undefined ? chunk.range.end - chunk.range.start + 1 : chunk.length;
    if (max !== undefined && declared !== undefined && declared > max) {
      throw new RegistryError('BLOB_TOO_LARGE', `the blob would be larger than the ${config.maxBlobBytes}-byte limit`);
    }
  }

  /**
   * Streams one chunk into the session's file and advances the offset. A
   * blob past the size limit can never complete, so its session is discarded.
   */
  async function writeChunk(session: UploadSession, chunk: ChunkInput): Promise<UploadSession> {
    checkRange(session, chunk);
    try {
      checkLimit(session, chunk);
      return await appendChunk(session, chunk);
    } catch (err) {
      if (isRegistryError(err, 'BLOB_TOO_LARGE')) await discard(session.id);
      throw err;
    }
  }

  /** The write itself: hash, copy, commit, then compare-and-set the offset. */
  async function appendChunk(session: UploadSession, chunk: ChunkInput): Promise<UploadSession> {
    const algorithm = session.algorithm as DigestAlgorithm;
    let state = live.get(session.id);
    if (state !== undefined && state.offset !== session.offset) {
      forget(session.id);
      state = undefined;
    }
    // Without the hash of every earlier byte, this chunk's hash would be of no use: finish() re-reads them all.
    const hash = state !== undefined ? state.hash.copy() : session.offset === 0 ? digesters(algorithm) : undefined;
    let writer: StorageWriter;
    try {
      // Resume exactly at the recorded offset: bytes a crashed chunk left past it are dropped.
      // deferSync: a chunk survives a crash of berth at once, and the blob is
      // made durable by one sync when finish() moves it into place.
      writer = await storage.writer(
        uploadDataPath(session.id),
        session.offset > 0 ? { append: true, expectedSize: session.offset, deferSync: true } : { append: false, deferSync: true },
      );
    } catch (err) {
      hash?.discard();
      if (!(err instanceof StorageSizeMismatchError)) throw err;
      await discard(session.id);
      throw new RegistryError('BLOB_UPLOAD_UNKNOWN', 'the upload data is incomplete; restart the upload');
    }
    let bytes: number;
    try {
      const options: Parameters<typeof copyVerified>[2] = { algorithms: [], hashers: hash === undefined ? [] : [hash] };
      const max = maxBytesFor(session.offset);
      if (max !== undefined) options.maxBytes = max;
      if (chunk.signal !== undefined) options.signal = chunk.signal;
      ({ bytes } = await copyVerified(chunk.body, writer, options));
      const expected = chunk.range !== undefined ? chunk.range.end - chunk.range.start + 1 : chunk.length;
      if (expected !== undefined && bytes !== expected) {
        throw new RegistryError('SIZE_INVALID', `expected ${expected} bytes, received ${bytes}`);
      }
      await writer.commit();
    } catch (err) {
      hash?.discard();
      await writer.cancel();
      throw err;
    }
    const next = { offset: session.offset + bytes, updatedAt: deps.clock() };
    if (!(await metadata.updateUpload(session.id, session.offset, next))) {
      hash?.discard();
      throw rangeError(session, 'another request advanced this upload at the same time');
    }
    state?.hash.discard();
    if (hash !== undefined) live.set(session.id, { offset: next.offset, hash });
    return { ...session, ...next };
  }

  /** Refuses a blob that would pass a storage quota; its session is discarded (issue 5, quotas). */
  async function checkQuota(repo: string, session: UploadSession, digest: string): Promise<void> {
    try {
      await deps.quota?.check(repo, { digest, size: session.offset });
    } catch (err) {
      await discard(session.id);
      throw err;
    }
  }

  /** Drops a session's live hash state. */
  function forget(id: string): void {
    live.get(id)?.hash.discard();
    live.delete(id);
  }

  async function discard(id: string): Promise<void> {
    forget(id);
    await metadata.deleteUpload(id);
    await storage.delete(uploadDir(id));
  }

  /** Digest of the session's bytes, from the live hasher or (without one, or if it was lost) by re-reading them. */
  async function digestOf(session: UploadSession, algorithm: DigestAlgorithm): Promise<string> {
    const state = live.get(session.id);
    if (state !== undefined && state.offset === session.offset && algorithm === session.algorithm) {
      try {
        return `${algorithm}:${await state.hash.copy().digest()}`;
      } catch (err) {
        // A hashing thread that stopped took the state with it; the bytes are still stored.
        deps.logger.warn({ err, upload: session.id }, 'live upload hash lost; re-reading the upload to digest it');
        forget(session.id);
      }
    }
    const hash = digesters(algorithm, session.offset);
    try {
      if (session.offset > 0) {
        for await (const chunk of await storage.reader(uploadDataPath(session.id))) await hash.update(chunk as Uint8Array);
      }
    } catch (err) {
      hash.discard();
      throw err;
    }
    return `${algorithm}:${await hash.digest()}`;
  }

  async function finish(repo: string, session: UploadSession, digestText: string): Promise<BlobInfo> {
    const digest = parseDigest(digestText);
    const dataPath = uploadDataPath(session.id);
    const target = blobPath(digest);
    const data = session.offset > 0 ? await storage.stat(dataPath) : undefined;
    if (session.offset > 0 && data === undefined) {
      // A crash after the move and before the link: the bytes are in place.
      const placed = await storage.stat(target);
      if (placed === undefined || placed.size !== session.offset) {
        await discard(session.id);
        throw new RegistryError('BLOB_UPLOAD_UNKNOWN', 'the upload data is gone; restart the upload');
      }
    } else {
      const actual = await digestOf(session, digest.algorithm);
      if (actual !== digest.value) {
        await discard(session.id);
        throw new RegistryError('DIGEST_INVALID', { expected: digest.value, actual });
      }
      await checkQuota(repo, session, digest.value);
      if ((await storage.stat(target)) !== undefined) {
        await storage.delete(dataPath); // same bytes already stored once
      } else if (session.offset === 0) {
        await storage.putContent(target, new Uint8Array(0));
      } else {
        await storage.move(dataPath, target);
      }
    }
    const blob = { digest: digest.value, size: session.offset, createdAt: deps.clock() };
    const events = deps.events.eventsFor({ action: 'push', repo, target: { digest: digest.value, size: blob.size } });
    await metadata.linkBlob(repo, blob, events);
    await discard(session.id);
    return { digest: digest.value, size: blob.size };
  }

  /**
   * A session's whole blob in its closing request (a monolithic push): the
   * bytes stream through one hasher into a temporary file that is committed
   * straight to the blob's content address, skipping the session's data
   * file, the fsyncs of its directories and the move.
   */
  async function storeWhole(repo: string, session: UploadSession, digestText: string, chunk: ChunkInput): Promise<BlobInfo> {
    const digest = parseDigest(digestText);
    checkRange(session, chunk);
    const writer = await storage.writer(blobPath(digest), { append: false });
    let bytes: number;
    let unusable = false;
    try {
      checkLimit(session, chunk);
      const options: Parameters<typeof copyVerified>[2] = { algorithms: [digest.algorithm], digesters };
      if (chunk.length !== undefined) options.expectedBytes = chunk.length;
      const max = maxBytesFor(0);
      if (max !== undefined) options.maxBytes = max;
      if (chunk.signal !== undefined) options.signal = chunk.signal;
      const copied = await copyVerified(chunk.body, writer, options);
      bytes = copied.bytes;
      const expected = chunk.range !== undefined ? chunk.range.end - chunk.range.start + 1 : chunk.length;
      if (expected !== undefined && bytes !== expected) {
        throw new RegistryError('SIZE_INVALID', `expected ${expected} bytes, received ${bytes}`);
      }
      const actual = copied.digests[digest.algorithm] ?? '';
      unusable = actual !== digest.value;
      if (unusable) throw new RegistryError('DIGEST_INVALID', { expected: digest.value, actual });
      unusable = true; // past a quota refusal too, the session can never complete (issue 5, quotas)
      await deps.quota?.check(repo, { digest: digest.value, size: bytes });
      unusable = false;
      // Recorded before the bytes are placed or reused: GC keeps a blob that an
      // open session of its size may be about to link (gc/blob-reclaimer.ts).
      if (!(await metadata.updateUpload(session.id, 0, { offset: bytes, updatedAt: deps.clock() }))) {
        throw rangeError(session, 'another request advanced this upload at the same time');
      }
      if ((await storage.stat(blobPath(digest))) === undefined) await writer.commit();
      else await writer.cancel(); // same bytes already stored once
    } catch (err) {
      await writer.cancel();
      // As in writeChunk and finish: a blob past the size limit, with the wrong digest or over quota can never complete.
      if (unusable || isRegistryError(err, 'BLOB_TOO_LARGE')) await discard(session.id);
      throw err;
    }
    const blob = { digest: digest.value, size: bytes, createdAt: deps.clock() };
    const events = deps.events.eventsFor({ action: 'push', repo, target: { digest: digest.value, size: bytes } });
    await metadata.linkBlob(repo, blob, events);
    await discard(session.id);
    return { digest: digest.value, size: bytes };
  }

  const service: UploadService = {
    async start(repo, algorithm = 'sha256') {
      if (!isDigestAlgorithm(algorithm)) {
        throw new RegistryError('DIGEST_INVALID', `unsupported digest algorithm "${algorithm.slice(0, 40)}"`);
      }
      await deps.quota?.checkOpen(repo);
      const now = deps.clock();
      const session: UploadSession = {
        id: deps.ids(),
        repo,
        algorithm,
        offset: 0,
        createdAt: now,
        updatedAt: now,
        driverState: null,
      };
      await metadata.createUpload(session);
      return session;
    },

    status: load,

    append(repo, id, chunk) {
      return lock(id, async () => writeChunk(await load(repo, id), chunk));
    },

    complete(repo, id, digestText, chunk) {
      const digest = parseDigest(digestText);
      return lock(id, async () => {
        let session = await load(repo, id);
        if (chunk !== undefined && session.offset === 0) return storeWhole(repo, session, digest.value, chunk);
        if (chunk !== undefined) session = await writeChunk(session, chunk);
        return finish(repo, session, digest.value);
      });
    },

    async putMonolithic(repo, digestText, chunk) {
      const digest = parseDigest(digestText);
      const session = await service.start(repo, digest.algorithm);
      try {
        return await service.complete(repo, session.id, digest.value, chunk);
      } catch (err) {
        await lock(session.id, () => discard(session.id));
        throw err;
      }
    },

    cancel(repo, id) {
      return lock(id, async () => {
        await load(repo, id);
        await discard(id);
      });
    },

    async expireStale() {
      const before = deps.clock() - config.uploadTtlSeconds * 1000;
      let removed = 0;
      for (;;) {
        const stale = await metadata.listStaleUploads(before, 100);
        for (const s of stale) {
          await lock(s.id, () => discard(s.id));
          removed++;
        }
        if (stale.length < 100) return removed;
      }
    },
  };
  return service;
}
