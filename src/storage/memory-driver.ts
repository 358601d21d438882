/**
 * An in-memory storage driver for tests: files are Buffers in a Map.
 *
 * It gives every guarantee of {@link StorageDriver} within one process
 * (durability means "until the driver is garbage collected") and runs the
 * same conformance suite as the real drivers.
 */
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
import { WriterGate } from './writer-gate.js';

interface MemoryFile {
  readonly data: Buffer;
  readonly modifiedAt: Date;
}

/** Slice size of reader streams, so a range read behaves like a real stream. */
const READ_CHUNK = 64 * 1024;

/**
 * Creates an empty in-memory driver. Each call returns an independent store.
 *
 * Stored bytes are copied on the way in and out, so callers may reuse or
 * mutate their buffers. Paths are checked with `assertStoragePath` and an
 * invalid one rejects before anything changes.
 *
 * @example
 * const driver = createMemoryDriver();
 * await driver.putContent('blobs/sha256/ab/abcd', Buffer.from('hi'));
 */
export function createMemoryDriver(): StorageDriver {
  const files = new Map<string, MemoryFile>();

  const store = (path: string, data: Buffer): void => {
    files.set(path, { data, modifiedAt: new Date() });
  };

  const lookup = (path: string): MemoryFile => {
    const file = files.get(path);
    if (file === undefined) throw new StorageNotFoundError(path);
    return file;
  };

  return {
    name: 'memory',

    // Every method is async so that an invalid path rejects instead of throwing.
    async stat(path: string): Promise<FileInfo | undefined> {
      const file = files.get(assertStoragePath(path));
      return file === undefined ? undefined : { size: file.data.length, modifiedAt: file.modifiedAt };
    },

    async reader(path: string, options: ReadOptions = {}): Promise<Readable> {
      const { data } = lookup(assertStoragePath(path));
      const start = Math.min(options.offset ?? 0, data.length);
      const end = options.length === undefined ? data.length : Math.min(start + options.length, data.length);
      const range = Buffer.from(data.subarray(start, end));
      const stream = Readable.from(slices(range), { objectMode: false });
      if (options.signal !== undefined) addAbortSignal(options.signal, stream);
      return stream;
    },

    async getContent(path: string): Promise<Buffer> {
      return Buffer.from(lookup(assertStoragePath(path)).data);
    },

    async putContent(path: string, data: Uint8Array): Promise<void> {
      store(assertStoragePath(path), Buffer.from(data));
    },

    async writer(path: string, options: WriterOptions): Promise<StorageWriter> {
      assertStoragePath(path);
      let base = options.append ? (files.get(path)?.data ?? Buffer.alloc(0)) : Buffer.alloc(0);
      const expected = options.expectedSize;
      if (options.append && expected !== undefined) {
        if (base.length < expected) throw new StorageSizeMismatchError(path, expected, base.length);
        base = base.subarray(0, expected);
      }
      return createMemoryWriter(base, (data) => store(path, data));
    },

    async move(from: string, to: string): Promise<void> {
      assertStoragePath(from);
      assertStoragePath(to);
      const file = lookup(from);
      if (from === to) return;
      files.set(to, file);
      files.delete(from);
    },

    async delete(path: string): Promise<void> {
      assertStoragePath(path);
      const below = `${path}/`;
      for (const key of [...files.keys()]) {
        if (key === path || key.startsWith(below)) files.delete(key);
      }
    },

    async *list(prefix: string): AsyncIterable<string> {
      const below = `${assertStoragePath(prefix)}/`;
      // Snapshot, so callers may delete while iterating.
      for (const key of [...files.keys()]) {
        if (key.startsWith(below)) yield key;
      }
    },
  };
}

function* slices(data: Buffer): Generator<Buffer> {
  for (let at = 0; at < data.length; at += READ_CHUNK) yield data.subarray(at, at + READ_CHUNK);
}

/** A writer that collects copies of its chunks and publishes them on commit. */
function createMemoryWriter(base: Buffer, publish: (data: Buffer) => void): StorageWriter {
  const chunks: Buffer[] = [base];
  let size = base.length;
  return new WriterGate().writer({
    size: () => size,
    copiesChunks: true,
    async write(chunk) {
      chunks.push(Buffer.from(chunk));
      size += chunk.length;
    },
    async commit() {
      publish(Buffer.concat(chunks, size));
    },
    async cancel() {
      chunks.length = 0;
    },
  });
}
