/**
 * The filesystem storage driver: files under one root directory.
 *
 * New content is written to `<root>/_tmp/<random>` (same filesystem), fsynced
 * and renamed into place, then the parent directory is fsynced, so a crash
 * leaves the old file or the new one, never a prefix. `_tmp` is reserved:
 * storage paths whose first segment is `_tmp` are rejected.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, open, opendir, readdir, rename, rm, stat, unlink, type FileHandle } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { Readable, addAbortSignal } from 'node:stream';
import {
  StorageNotFoundError,
  StorageSizeMismatchError,
  assertStoragePath,
  type FileInfo,
  type ReadOptions,
  type StorageDriver,
  type StorageWriter,
  type WriterOptions,
} from './driver.js';
import { ColdFiles } from './cold-files.js';
import { DirectIO, type DirectOutput } from './direct-io.js';
import { isCode } from './errno.js';
import { BufferPool, FileReadStream } from './file-read-stream.js';
import { IO_CHUNK, createFileWriter } from './file-writer.js';

export interface FilesystemDriverOptions {
  /** Directory that holds every file. Created on first write. */
  root: string;
  /** fsync files and directories so a commit survives a crash. Default true; turn off only for tests. */
  fsync?: boolean;
  /**
   * Write blob bytes with `O_DIRECT` where the filesystem allows it, and read
   * a file of 8 MiB or more written so directly the first time (see
   * direct-io.ts and cold-files.ts). Default true.
   */
  directWrites?: boolean;
}

const TMP_DIR = '_tmp';
/** Reads go in chunks of this size, into pooled buffers (file-read-stream.ts). */
const READ_CHUNK = IO_CHUNK;
/** Idle read buffers kept for reuse (each READ_CHUNK): 8 MiB at most. */
const READ_BUFFERS_KEPT = 8;
/** Writers that may write directly at once (each holds a 1 MiB staging buffer); more use the page cache. */
const DIRECT_WRITERS = 8;
/** Readers that may read directly at once (a 1 MiB staging buffer each, apart from the writers'). */
const DIRECT_READERS = 2;
/**
 * Files written directly are remembered as cold (cold-files.ts), and so read
 * directly the first time, from this size on. Smaller ones go through the
 * page cache: measured on 1 MiB blobs, a direct read saved no CPU and, with
 * its disk round trip per GET, was no faster.
 */
const DIRECT_READ_MIN = 8 * IO_CHUNK;
/** Files written directly that are remembered as not yet read (cold-files.ts). */
const COLD_FILES_KEPT = 10_000;
/** Temp files older than this are leftovers of a crashed process. */
const STALE_TMP_MS = 60 * 60 * 1000;

/**
 * Creates a driver storing files under `options.root`.
 *
 * Guarantees those of {@link StorageDriver}, with one exception that follows
 * from appending in place: an `append: true` writer writes straight to the
 * committed file (an upload's own data file), so readers of that path may see
 * appended bytes before `commit()`; `cancel()` truncates them away again.
 * Starts a best-effort sweep of `_tmp` files older than an hour; `close()`
 * waits for it.
 *
 * @throws Error from every method, for an invalid or reserved path.
 * @example
 * const driver = createFilesystemDriver({ root: '/var/lib/berth/storage' });
 */
export function createFilesystemDriver(options: FilesystemDriverOptions): StorageDriver {
  const root = resolve(options.root);
  const under = root.endsWith(sep) ? root : root + sep;
  const tmpRoot = join(root, TMP_DIR);
  const durable = options.fsync ?? true;

  /** The absolute path of a validated storage path, checked to stay under root. */
  const full = (path: string): string => {
    assertStoragePath(path);
    if (path === TMP_DIR || path.startsWith(`${TMP_DIR}/`)) {
      throw new Error(`invalid storage path: ${JSON.stringify(path)} is reserved`);
    }
    const abs = resolve(root, path);
    if (!abs.startsWith(under)) throw new Error(`invalid storage path: ${JSON.stringify(path)} escapes root`);
    return abs;
  };

  const syncDir = async (dir: string): Promise<void> => {
    if (durable) await withHandle(dir, 'r', (handle) => handle.sync());
  };

  /** mkdir -p, fsyncing the parents of every directory it created. */
  const ensureDir = async (dir: string): Promise<void> => {
    const first = await mkdir(dir, { recursive: true });
    if (first === undefined || !durable) return;
    for (let at = dir; at !== dirname(first); at = dirname(at)) await syncDir(dirname(at));
  };

  /**
   * Renames into place and makes the new directory entry durable. The rename
   * is tried first: the target directory usually exists, and a missing one
   * costs one failed rename (each call is a trip through the thread pool).
   */
  const publish = async (from: string, to: string): Promise<void> => {
    await rename(from, to).catch(async (err: unknown) => {
      if (!isCode(err, 'ENOENT')) throw err;
      await ensureDir(dirname(to));
      await rename(from, to);
    });
    await syncDir(dirname(to));
  };

  /**
   * Opens a file to append to. A file that must hold committed bytes (an
   * upload's next chunk) is opened as it is: one call instead of three,
   * and a missing one is a size mismatch, not a new file. Otherwise 'ax'
   * first tells a new file (removed by cancel) from an existing one
   * (truncated back).
   */
  const openForAppend = async (
    path: string,
    abs: string,
    expected: number,
  ): Promise<{ handle: FileHandle; created: boolean }> => {
    if (expected > 0) {
      const handle = await open(abs, 'a').catch((err: unknown) => {
        throw isMissing(err) ? new StorageSizeMismatchError(path, expected, 0) : err;
      });
      return { handle, created: false };
    }
    await ensureDir(dirname(abs));
    return open(abs, 'ax').then(
      (handle) => ({ handle, created: true }),
      async (err: unknown) => {
        if (!isCode(err, 'EEXIST')) throw err;
        return { handle: await open(abs, 'a'), created: false };
      },
    );
  };

  /** Opens a new temp file, creating `_tmp` only when it is missing. */
  const openTemp = async (): Promise<{ path: string; handle: FileHandle }> => {
    const path = join(tmpRoot, randomUUID());
    const handle = await open(path, 'wx').catch(async (err: unknown) => {
      if (!isCode(err, 'ENOENT')) throw err;
      await mkdir(tmpRoot, { recursive: true });
      return open(path, 'wx');
    });
    return { path, handle };
  };
  /** Closes and removes a temp file that will not be published. */
  const discardTemp = async (temp: { path: string; handle: FileHandle }): Promise<void> => {
    await temp.handle.close().catch(ignore);
    await unlink(temp.path).catch(ignore);
  };

  const sweeping = sweepStaleTemp(tmpRoot);
  const readBuffers = new BufferPool(READ_CHUNK, READ_BUFFERS_KEPT);
  const directIO = options.directWrites === false ? undefined : new DirectIO(tmpRoot, DIRECT_WRITERS, DIRECT_READERS);
  const cold = new ColdFiles(COLD_FILES_KEPT);
  /** After a commit to `path`: a large file written past the page cache is cold; one rewritten through it is not. */
  const committed = (path: string, direct: DirectOutput | undefined, append: boolean, size: number): void => {
    if (direct !== undefined && size >= DIRECT_READ_MIN) cold.mark(path);
    else if (!append) cold.forget(path);
  };

  return {
    name: 'filesystem',

    async stat(path: string): Promise<FileInfo | undefined> {
      const info = await stat(full(path)).catch(orUndefinedIfMissing);
      return info?.isFile() ? { size: info.size, modifiedAt: info.mtime } : undefined;
    },

    async reader(path: string, readOptions: ReadOptions = {}): Promise<Readable> {
      const abs = full(path);
      readOptions.signal?.throwIfAborted();
      const { handle, size } = await openFile(path, abs, readOptions.size);
      const start = Math.min(readOptions.offset ?? 0, size);
      const end = readOptions.length === undefined ? size : Math.min(size, start + readOptions.length);
      if (end <= start) {
        await handle.close();
        return Readable.from([]);
      }
      // The first read of a file written directly is direct too (cold-files.ts).
      const direct = cold.take(path) ? await directIO?.input(abs, handle).catch(() => undefined) : undefined;
      // The stream owns the handle (and the direct input, which closes it) and closes it on end, error or destroy.
      const stream = new FileReadStream(direct ?? handle, start, end, readBuffers);
      if (readOptions.signal !== undefined) addAbortSignal(readOptions.signal, stream);
      return stream;
    },

    async getContent(path: string): Promise<Buffer> {
      const { handle } = await openFile(path, full(path));
      return handle.readFile().finally(() => handle.close());
    },

    async putContent(path: string, data: Uint8Array): Promise<void> {
      const abs = full(path);
      const temp = await openTemp();
      try {
        await temp.handle.writeFile(data);
        if (durable) await temp.handle.sync();
        await temp.handle.close();
        await publish(temp.path, abs);
        cold.forget(path);
      } catch (err) {
        await discardTemp(temp);
        throw err;
      }
    },

    async writer(path: string, writerOptions: WriterOptions): Promise<StorageWriter> {
      const abs = full(path);
      if (writerOptions.append) {
        const { handle, created } = await openForAppend(path, abs, writerOptions.expectedSize ?? 0);
        let initial: number;
        let direct: DirectOutput | undefined;
        try {
          initial = (await handle.stat()).size;
          const expected = writerOptions.expectedSize;
          if (expected !== undefined && initial < expected) throw new StorageSizeMismatchError(path, expected, initial);
          if (expected !== undefined && initial > expected) {
            await handle.truncate(expected); // a crashed writer's uncommitted tail
            if (durable) await handle.sync();
            initial = expected;
          }
          direct = await directIO?.output(abs, handle, initial);
        } catch (err) {
          await handle.close();
          throw err;
        }
        return createFileWriter(handle, initial, durable, writerOptions.deferSync !== true, direct, {
          commit: async (size) => {
            if (created) await syncDir(dirname(abs));
            committed(path, direct, true, size);
          },
          cancel: async () => {
            if (created) await unlink(abs).catch(ignore);
            else await withHandle(abs, 'r+', (handle) => handle.truncate(initial));
          },
        });
      }
      const temp = await openTemp();
      const direct = await directIO?.output(temp.path, temp.handle, 0).catch(async (err: unknown) => {
        await discardTemp(temp);
        throw err;
      });
      return createFileWriter(temp.handle, 0, durable, writerOptions.deferSync !== true, direct, {
        commit: async (size) => {
          await publish(temp.path, abs);
          committed(path, direct, false, size);
        },
        cancel: () => unlink(temp.path).catch(ignore),
      });
    },

    async move(from: string, to: string): Promise<void> {
      const source = full(from);
      const target = full(to);
      const info = await stat(source).catch(orUndefinedIfMissing);
      if (!info?.isFile()) throw new StorageNotFoundError(from);
      // Its bytes may have been committed with deferSync: one sync for them all.
      if (durable) await withHandle(source, 'r', (handle) => handle.sync());
      await publish(source, target).catch((err: unknown) => {
        throw isMissing(err) ? new StorageNotFoundError(from) : err;
      });
      if (dirname(source) !== dirname(target)) await syncDir(dirname(source));
      cold.moved(from, to);
    },

    async delete(path: string): Promise<void> {
      cold.forget(path);
      await rm(full(path), { recursive: true, force: true }).catch(orUndefinedIfMissing);
    },

    async *list(prefix: string): AsyncIterable<string> {
      const base = full(prefix);
      for await (const file of walk(base)) yield `${prefix}/${relative(base, file).split(sep).join('/')}`;
    },

    async close(): Promise<void> {
      await sweeping;
    },
  };
}

/** Every regular file below `dir`, depth first; a missing dir (or a file) yields nothing. */
async function* walk(dir: string): AsyncGenerator<string> {
  const entries = await readdir(dir, { withFileTypes: true }).catch((err: unknown) => {
    if (isMissing(err)) return [];
    throw err;
  });
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(path);
    else if (entry.isFile()) yield path;
  }
}

/**
 * Opens a regular file for reading; its size is `knownSize` when given, else
 * read from the file. @throws StorageNotFoundError when there is none.
 */
async function openFile(path: string, abs: string, knownSize?: number): Promise<{ handle: FileHandle; size: number }> {
  const handle = await open(abs, 'r').catch((err: unknown) => {
    throw isMissing(err) ? new StorageNotFoundError(path) : err;
  });
  if (knownSize !== undefined) return { handle, size: knownSize };
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw new StorageNotFoundError(path);
    return { handle, size: info.size };
  } catch (err) {
    await handle.close();
    throw err;
  }
}

/** Opens `path`, runs `use`, and closes the handle whatever happens. */
async function withHandle<T>(path: string, flags: string, use: (handle: FileHandle) => Promise<T>): Promise<T> {
  const handle = await open(path, flags);
  try {
    return await use(handle);
  } finally {
    await handle.close();
  }
}

/** Best effort: removes temp files a crashed process left behind. Never rejects. */
async function sweepStaleTemp(tmpRoot: string): Promise<void> {
  try {
    const dir = await opendir(tmpRoot);
    const cutoff = Date.now() - STALE_TMP_MS;
    for await (const entry of dir) {
      const path = join(tmpRoot, entry.name);
      const info = await stat(path).catch(orUndefinedIfMissing);
      if (info !== undefined && info.mtimeMs < cutoff) await rm(path, { recursive: true, force: true });
    }
  } catch {
    // A missing _tmp or a racing delete is not worth failing start-up for.
  }
}

/** ENOTDIR too: a path below a file holds nothing. */
function isMissing(err: unknown): boolean {
  return isCode(err, 'ENOENT', 'ENOTDIR');
}

function orUndefinedIfMissing(err: unknown): undefined {
  if (isMissing(err)) return undefined;
  throw err;
}

function ignore(): void {}
