/**
 * The filesystem driver's writer: write-behind over an open file handle, or
 * through a direct output (direct-io.ts). fs-driver.ts opens the file and
 * supplies what commit and cancel do with it.
 */
import type { FileHandle } from 'node:fs/promises';
import type { StorageWriter } from './driver.js';
import type { DirectOutput } from './direct-io.js';
import { asError } from './errno.js';
import { WriterGate } from './writer-gate.js';

/** Writers collect at least this much before a write syscall. */
export const IO_CHUNK = 1024 * 1024;
/** A writer's queued bytes past which `write()` waits for the disk (backpressure). */
const MAX_QUEUED = 4 * IO_CHUNK;
/** Bytes written between two background `fdatasync`s of a durable writer. */
const SYNC_EVERY = 32 * IO_CHUNK;

export interface FinishHooks {
  /** Runs after the handle is flushed, fsynced and closed; `size` is the file's size now. */
  commit(size: number): Promise<void>;
  /** Runs after the handle is closed, to discard this writer's bytes. */
  cancel(): Promise<void>;
}

/**
 * A write-behind writer over an open handle; see {@link StorageWriter}.
 *
 * Chunks are queued without copying and written with one `writev` per
 * {@link IO_CHUNK} or more, in the background: `write()` resolves at once
 * unless {@link MAX_QUEUED} bytes are waiting, so the next chunk is read from
 * the socket (and hashed) while the previous ones reach the page cache. One
 * write is in flight at a time, so bytes land in order (also with `O_APPEND`);
 * when it finishes, what queued meanwhile (a MiB or more) is written at once.
 * When durable, every {@link SYNC_EVERY} bytes an `fdatasync` is started in
 * the background, so the disk writes while the upload continues and the
 * commit's `fsync` has only the tail left to flush. The writer holds on to
 * the chunks it is given until they are written: callers must not reuse them
 * (`copiesChunks` is false).
 * Without `syncOnCommit` (deferSync), the commit leaves the tail to a later sync.
 * With a `direct` output, chunks go to it instead of the queue: it copies
 * them at once (`copiesChunks` is true) and writes past the page cache (so no
 * background syncs: nothing is left dirty in the page cache but the last
 * partial block).
 */
export function createFileWriter(
  handle: FileHandle,
  initial: number,
  durable: boolean,
  syncOnCommit: boolean,
  direct: DirectOutput | undefined,
  hooks: FinishHooks,
): StorageWriter {
  let queue: Uint8Array[] = [];
  let queued = 0;
  let size = initial;
  let inFlight: Promise<void> | undefined;
  let syncing: Promise<void> | undefined;
  let unsynced = 0;
  let failure: Error | undefined;
  const gate = new WriterGate();
  let closed = false;

  const writeAll = async (buffers: Uint8Array[]): Promise<void> => {
    let rest = buffers;
    while (rest.length > 0) {
      const { bytesWritten } = await handle.writev(rest);
      rest = remainder(rest, bytesWritten);
    }
  };
  /** Starts writing the queue in the background; the caller made sure nothing is in flight. */
  const startWrite = (): void => {
    const buffers = queue;
    const bytes = queued;
    queue = [];
    queued = 0;
    inFlight = writeAll(buffers).then(
      () => {
        inFlight = undefined;
        unsynced += bytes;
        if (durable && syncing === undefined && unsynced >= SYNC_EVERY) {
          unsynced = 0;
          syncing = handle.datasync().then(
            () => {
              syncing = undefined;
            },
            (err: unknown) => {
              syncing = undefined;
              failure ??= asError(err);
            },
          );
        }
        // Keep the disk busy: what queued meanwhile goes out now, not when the
        // next chunk arrives (a client that pauses would leave it in memory).
        if (queued >= IO_CHUNK && failure === undefined && gate.state !== 'cancelled') startWrite();
      },
      (err: unknown) => {
        inFlight = undefined;
        failure ??= asError(err);
      },
    );
  };
  /** Waits until no write is in flight (one may chain the next), rethrowing a background failure. */
  const settle = async (): Promise<void> => {
    while (inFlight !== undefined) await inFlight;
    if (failure !== undefined) throw failure;
  };
  const flush = async (): Promise<void> => {
    await settle();
    if (queued > 0) {
      startWrite();
      await settle();
    }
    await direct?.finish();
    if (syncing !== undefined) await syncing;
    if (failure !== undefined) throw failure;
  };
  const closeHandle = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    while (inFlight !== undefined) await inFlight;
    await syncing;
    // Both at once: each close is a thread-pool round trip, and a failing one must not leak the other.
    await Promise.all([direct?.close(), handle.close()]);
  };
  return gate.writer({
    size: () => size,
    copiesChunks: direct !== undefined,
    async write(chunk) {
      if (failure !== undefined) throw failure;
      if (chunk.length === 0) return;
      size += chunk.length;
      if (direct !== undefined) return direct.write(chunk);
      queue.push(chunk);
      queued += chunk.length;
      if (queued < IO_CHUNK) return;
      if (inFlight !== undefined) {
        if (queued < MAX_QUEUED) return;
        await settle(); // backpressure: the disk is behind
      }
      if (queued >= IO_CHUNK) startWrite(); // (settle may have written it already)
    },
    async commit() {
      await flush();
      if (durable && syncOnCommit) await handle.sync();
      await closeHandle();
      await hooks.commit(size);
    },
    async cancel() {
      queue = [];
      queued = 0;
      await closeHandle().catch(ignore);
      await hooks.cancel();
    },
  });
}

/** `buffers` without their first `written` bytes (after a short `writev`). */
function remainder(buffers: Uint8Array[], written: number): Uint8Array[] {
  let skip = written;
  let i = 0;
  while (i < buffers.length && skip >= (buffers[i]?.length ?? 0)) {
    skip -= buffers[i]?.length ?? 0;
    i++;
  }
  const rest = buffers.slice(i);
  const first = rest[0];
  if (first !== undefined && skip > 0) rest[0] = first.subarray(skip);
  return rest;
}

function ignore(): void {}
