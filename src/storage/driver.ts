/**
 * The storage driver contract: where bytes live.
 *
 * A driver stores opaque files under slash-separated relative paths (see
 * `paths.ts` for the layout). It knows nothing of digests, repositories or
 * HTTP. Every implementation (filesystem, memory, s3) runs the one
 * conformance suite in `conformance/storage-driver-suite.ts`.
 *
 * Guarantees every driver gives:
 * - `putContent` and `writer(...).commit()` are durable when they resolve and
 *   atomic: a reader sees the old content or the new, never a prefix (a
 *   writer opened with `deferSync` is the one exception, see there).
 * - `move` is atomic, replaces an existing destination, and the moved file's
 *   bytes are durable when it resolves.
 * - Missing paths: `stat` resolves undefined; `reader`/`getContent` reject
 *   with {@link StorageNotFoundError}; `delete` of a missing path resolves.
 * - Paths are validated with `assertStoragePath` before any I/O.
 */
import type { Readable } from 'node:stream';

export interface FileInfo {
  /** Size in bytes. */
  size: number;
  /** Last modification time. */
  modifiedAt: Date;
}

export interface ReadOptions {
  /** First byte to read. Default 0. */
  offset?: number;
  /** Number of bytes to read from `offset`. Default: to the end. */
  length?: number;
  /** Aborting destroys the stream. */
  signal?: AbortSignal;
  /**
   * The object's size, when the caller knows it (a blob's record): a driver
   * may trust it instead of asking storage (the filesystem driver skips an
   * `fstat`, one thread-pool round trip). It must be the true size of a
   * file (with it, a directory at `path` may fail only while streaming).
   */
  size?: number;
}

/**
 * What a stream of chunks may offer: a consumer done with a chunk (its bytes
 * copied or written out, e.g. once a socket write's callback ran) hands it
 * back, for reuse (a `reader()` stream's buffer pool) or to be freed (an
 * upload body, `copyVerified`). The consumer must not touch it afterwards.
 * Optional for producers and consumers alike.
 */
export interface RecyclableChunks {
  recycle(chunk: Uint8Array): void;
}

export interface WriterOptions {
  /**
   * Continue a file written by an earlier writer (a resumed upload). The
   * writer's `size` starts at the bytes already committed. When false, an
   * existing file at the path is replaced.
   */
  append: boolean;
  /**
   * With `append`, the size the caller knows was committed (an upload's
   * recorded offset). Bytes past it, left by a writer that crashed before
   * its commit, are discarded first. Fewer bytes than this means committed
   * data is gone: the writer rejects with {@link StorageSizeMismatchError}.
   */
  expectedSize?: number;
  /**
   * `commit()` puts the bytes in the file (readable, and they survive a crash
   * of the process) without waiting for the disk; a later `move` of the file
   * makes them durable. For the chunks of an upload in progress: only the
   * completed blob must survive power loss, and one sync at the end replaces
   * one per chunk. After a power loss the file may be shorter than committed
   * ({@link StorageSizeMismatchError} on the next append).
   */
  deferSync?: boolean;
}

/**
 * Appends bytes to one file. Bytes are visible to readers only after
 * `commit()` resolves; `cancel()` discards what this writer wrote (and, for a
 * new file, the file). Exactly one of commit/cancel is called.
 */
export interface StorageWriter {
  /** Total bytes in the file, committed plus written by this writer. */
  readonly size: number;
  /**
   * True when `write()` has copied its chunk by the time it resolves, so the
   * caller may reuse or free the chunk then; false when the writer holds on
   * to its chunks until they reach storage (the caller must leave them be).
   */
  readonly copiesChunks: boolean;
  /** Appends a chunk. Resolves when the driver can take more (backpressure). */
  write(chunk: Uint8Array): Promise<void>;
  /** Flushes and makes every byte durable. */
  commit(): Promise<void>;
  /** Discards this writer's bytes. Idempotent. */
  cancel(): Promise<void>;
}

export interface RedirectOptions {
  method: 'GET' | 'HEAD';
  /** Seconds the URL stays valid. */
  expiresIn: number;
}

export interface StorageDriver {
  /** Short name for logs and metrics: `filesystem`, `memory`, `s3`. */
  readonly name: string;

  /** Size and mtime of a file, or undefined when there is none. */
  stat(path: string): Promise<FileInfo | undefined>;

  /** A stream of the file's bytes (or the requested range); it may offer {@link RecyclableChunks}. */
  reader(path: string, options?: ReadOptions): Promise<Readable & Partial<RecyclableChunks>>;

  /** A small file's whole content (manifests). */
  getContent(path: string): Promise<Buffer>;

  /** Writes a small file atomically and durably, replacing any old one. */
  putContent(path: string, data: Uint8Array): Promise<void>;

  /** Opens a writer; see {@link StorageWriter}. */
  writer(path: string, options: WriterOptions): Promise<StorageWriter>;

  /** Moves a file atomically, replacing the destination. */
  move(from: string, to: string): Promise<void>;

  /** Deletes a file, or every file under a directory prefix. Missing is fine. */
  delete(path: string): Promise<void>;

  /**
   * Every file path below `prefix` (recursively), in no particular order.
   * A missing prefix yields nothing.
   */
  list(prefix: string): AsyncIterable<string>;

  /** A URL the client can fetch directly, when the driver supports it. */
  redirectUrl?(path: string, options: RedirectOptions): Promise<string | undefined>;

  /** Releases resources (sockets, handles). */
  close?(): Promise<void>;
}

/** Raised by `reader` and `getContent` for a path that holds no file. */
export class StorageNotFoundError extends Error {
  readonly path: string;
  constructor(path: string) {
    super(`storage path not found: ${path}`);
    this.name = 'StorageNotFoundError';
    this.path = path;
  }
}

/** Raised by `writer` when an appended file is shorter than `expectedSize`. */
export class StorageSizeMismatchError extends Error {
  constructor(path: string, expected: number, actual: number) {
    super(`storage path ${path} holds ${actual} bytes, expected at least ${expected}`);
    this.name = 'StorageSizeMismatchError';
  }
}

/** True when `err` says the path holds no file. */
export function isStorageNotFound(err: unknown): err is StorageNotFoundError {
  return err instanceof StorageNotFoundError;
}

const SEGMENT = /^[A-Za-z0-9._-]+$/;

/**
 * Rejects any path that could escape the storage root: empty, absolute,
 * `.`/`..` segments, backslashes, NUL or characters outside [A-Za-z0-9._-/].
 * Registry code only builds paths from validated names and digests; this is
 * the second wall.
 *
 * @throws Error (a programming error, never a client's).
 */
export function assertStoragePath(path: string): string {
  const segments = path.split('/');
  if (
    path.length === 0 ||
    path.length > 1024 ||
    segments.some((s) => s === '' || s === '.' || s === '..' || !SEGMENT.test(s))
  ) {
    throw new Error(`invalid storage path: ${JSON.stringify(path.slice(0, 200))}`);
  }
  return path;
}
