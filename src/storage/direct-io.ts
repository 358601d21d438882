/**
 * Direct I/O for the filesystem driver's writers.
 *
 * A writer in direct mode copies its bytes into an aligned staging buffer and
 * writes them with `O_DIRECT`, from there to the device, instead of copying
 * them into the page cache. On the machines berth was measured on (virtual
 * machines whose host backs guest memory lazily) filling fresh page-cache
 * pages cost ~3 ms of CPU per MiB, three quarters of a large push's CPU;
 * `O_DIRECT` from a reused buffer writes 1.2–2.2 GB/s. Object stores such as
 * MinIO write large objects the same way. What goes through the page cache
 * is what `O_DIRECT` cannot take: the last partial block of a writer (and, so
 * a later reader finds them cached, nothing else).
 *
 * `O_DIRECT` wants the buffer address, the length and the file offset
 * aligned to the device's logical block size. Node offers no aligned
 * allocation, but a `WebAssembly.Memory` is page-aligned; its slots serve as
 * staging buffers. Whether a filesystem accepts it is probed once per driver
 * (a 4 KiB write to a temp file); where it does not, writers use the page
 * cache as before.
 */
import { constants } from 'node:fs';
import { open, unlink, type FileHandle } from 'node:fs/promises';
import { isCode } from './errno.js';

/** Offsets, lengths and buffers of direct writes are multiples of this (the largest common logical block size). */
export const DIRECT_ALIGN = 4096;
/** Staging bytes per direct writer: its bytes reach the device in writes of up to this size. */
const STAGING_BYTES = 1024 * 1024;
/** A slot's stride in the WebAssembly memory (64 KiB pages), keeping every slot page-aligned. */
const WASM_PAGE = 64 * 1024;
const SLOT_PAGES = STAGING_BYTES / WASM_PAGE;

/**
 * A fixed set of aligned staging buffers, allocated on first use. Memory a
 * slot never touched costs no RSS. With every slot lent, `take()` answers
 * undefined and the writer goes through the page cache.
 */
export class StagingPool {
  private free: Buffer[] | undefined;

  constructor(private readonly slots: number) {}

  take(): Buffer | undefined {
    this.free ??= allocateSlots(this.slots);
    return this.free.pop();
  }

  give(buffer: Buffer): void {
    this.free?.push(buffer);
  }
}

/** The part of the WebAssembly global used here (TypeScript's lib without DOM types lacks it). */
interface WasmMemoryConstructor {
  new (descriptor: { initial: number; maximum: number }): { readonly buffer: ArrayBuffer };
}

function allocateSlots(slots: number): Buffer[] {
  try {
    const { WebAssembly } = globalThis as unknown as { WebAssembly: { Memory: WasmMemoryConstructor } };
    const memory = new WebAssembly.Memory({ initial: slots * SLOT_PAGES, maximum: slots * SLOT_PAGES });
    return Array.from({ length: slots }, (_, i) => Buffer.from(memory.buffer, i * STAGING_BYTES, STAGING_BYTES));
  } catch {
    return []; // WebAssembly off (--jitless): no direct I/O
  }
}

/** Opens `path` for direct writes; undefined where the filesystem refuses `O_DIRECT`. */
export async function openDirect(path: string): Promise<FileHandle | undefined> {
  return open(path, constants.O_WRONLY | constants.O_DIRECT).catch((err: unknown) => {
    if (isCode(err, 'EINVAL', 'EOPNOTSUPP')) return undefined;
    throw err;
  });
}

/**
 * Whether direct writes work on the filesystem of `probePath` (a file that
 * must not exist; it is removed again): one aligned 4 KiB write.
 */
export async function probeDirectIO(probePath: string, pool: StagingPool): Promise<boolean> {
  const staging = pool.take();
  if (staging === undefined) return false;
  let handle: FileHandle | undefined;
  try {
    handle = await open(probePath, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_DIRECT);
    const { bytesWritten } = await handle.write(staging, 0, DIRECT_ALIGN, 0);
    return bytesWritten === DIRECT_ALIGN;
  } catch {
    return false;
  } finally {
    pool.give(staging);
    await handle?.close().catch(() => undefined);
    await unlink(probePath).catch(() => undefined);
  }
}

/**
 * The output of one direct writer: bytes are copied into `staging` and every
 * aligned stretch is written through `direct` at its offset; the unaligned
 * rest waits for more bytes, or for `finish()`, which writes it through
 * `buffered` (the writer's ordinary handle). A short direct write (a full
 * disk) continues through `buffered` too, so the error surfaces there.
 * Writes are positional: `buffered` may be an `O_APPEND` handle, since
 * bytes always land at the end of the file.
 */
export class DirectOutput {
  private fill = 0;

  constructor(
    private readonly direct: FileHandle,
    private readonly buffered: FileHandle,
    private readonly staging: Buffer,
    private offset: number,
  ) {}

  /** Copies `buffers` in order, writing each full staging buffer and, at the end, the aligned part of the rest. */
  async write(buffers: Uint8Array[]): Promise<void> {
    for (const buffer of buffers) {
      for (let at = 0; at < buffer.length; ) {
        const n = Math.min(buffer.length - at, STAGING_BYTES - this.fill);
        this.staging.set(buffer.subarray(at, at + n), this.fill);
        this.fill += n;
        at += n;
        if (this.fill === STAGING_BYTES) await this.writeAligned();
      }
    }
    await this.writeAligned();
  }

  /** Writes what is left (less than one block) through the page cache. */
  async finish(): Promise<void> {
    await this.writeAligned();
    await this.writeBuffered(this.fill);
  }

  /** Closes the direct handle (the buffered one is the writer's). */
  async close(): Promise<void> {
    await this.direct.close();
  }

  private async writeAligned(): Promise<void> {
    const aligned = this.fill - (this.fill % DIRECT_ALIGN);
    if (aligned === 0) return;
    const { bytesWritten } = await this.direct.write(this.staging, 0, aligned, this.offset);
    if (bytesWritten !== aligned) {
      await this.writeBuffered(this.fill);
      return;
    }
    this.offset += aligned;
    this.staging.copyWithin(0, aligned, this.fill);
    this.fill -= aligned;
  }

  /** Writes the first `length` staged bytes through the buffered handle (the staging buffer may be partly written). */
  private async writeBuffered(length: number): Promise<void> {
    let done = 0;
    while (done < length) {
      const { bytesWritten } = await this.buffered.write(this.staging, done, length - done, this.offset + done);
      done += bytesWritten;
    }
    this.offset += length;
    this.staging.copyWithin(0, length, this.fill);
    this.fill -= length;
  }
}
