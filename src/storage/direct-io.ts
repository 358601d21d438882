/**
 * Direct I/O for the filesystem driver's writers, and for the first read of
 * what they wrote.
 *
 * A writer in direct mode copies its bytes into an aligned staging buffer and
 * writes them with `O_DIRECT`, from there to the device, instead of copying
 * them into the page cache. On the machine berth was measured on (a virtual
 * machine whose host backs guest memory lazily) filling page-cache pages not
 * in use before cost ~3 ms of CPU per MiB, 60 % of a large push's CPU;
 * `O_DIRECT` from a reused buffer writes 1.2–2.2 GB/s. (MinIO, for one,
 * writes object data with `O_DIRECT` where the drive allows it.) Only what
 * `O_DIRECT` cannot take goes through the page cache: the last partial block
 * of a writer. The price: a blob just pushed is not in memory, so its first
 * read comes from the disk. That read is direct as well (`input()`, see
 * cold-files.ts for when): reading through the page cache would fill it at
 * the same cost per MiB as writing through it.
 *
 * `O_DIRECT` wants the buffer address, the length and the file offset
 * aligned to the device's logical block size. Node offers no aligned
 * allocation, but a `WebAssembly.Memory` is page-aligned; its slots serve as
 * staging buffers. Whether a filesystem accepts it is probed once per driver
 * (a 4 KiB write to a temp file, read back); where it does not, writers and
 * readers use the page cache as before.
 */
import { constants } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { mkdir, open, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { asError, isCode } from './errno.js';

/** Offsets, lengths and buffers of direct writes are multiples of this (the largest common logical block size). */
const DIRECT_ALIGN = 4096;
/** Staging bytes per direct writer, in two halves: its bytes reach the device in writes of half this size. */
const STAGING_BYTES = 1024 * 1024;
const HALF = STAGING_BYTES / 2;
/** A slot's stride in the WebAssembly memory (64 KiB pages), keeping every slot page-aligned. */
const WASM_PAGE = 64 * 1024;
const SLOT_PAGES = STAGING_BYTES / WASM_PAGE;

/**
 * A driver's direct I/O: `output()` gives a writer a {@link DirectOutput}
 * and `input()` a reader a {@link DirectInput} when it can have one. The
 * first call probes the filesystem (a 4 KiB direct write to a temp file in
 * `probeDir`, read back); a refusal there, a writer starting at an unaligned
 * offset, or every staging buffer lent means undefined, and that writer or
 * reader uses the page cache.
 */
export class DirectIO {
  private readonly pool: StagingPool;
  private readonly readPool: StagingPool;
  private works: Promise<boolean> | undefined;

  /**
   * @param slots how many writers may write directly at once (a 1 MiB staging buffer each)
   * @param readSlots how many readers may read directly at once, from staging
   *   buffers of their own (so that readers never leave a writer without one:
   *   a writer through the page cache keeps every body chunk until it is written)
   */
  constructor(
    private readonly probeDir: string,
    slots: number,
    readSlots: number,
  ) {
    this.pool = new StagingPool(slots);
    this.readPool = new StagingPool(readSlots);
  }

  /**
   * A direct input for the file at `path`, beside its ordinary handle
   * `buffered` (which it closes with its own); undefined where direct reads
   * cannot be had, as for {@link output}.
   */
  async input(path: string, buffered: FileHandle): Promise<DirectInput | undefined> {
    const lent = await this.open(path, constants.O_RDONLY, this.readPool);
    return lent && new DirectInput(lent.direct, buffered, lent.staging, lent.release);
  }

  /** A direct output for the file at `path` from `offset` on, beside its ordinary handle `buffered`. */
  async output(path: string, buffered: FileHandle, offset: number): Promise<DirectOutput | undefined> {
    if (offset % DIRECT_ALIGN !== 0) return undefined;
    const lent = await this.open(path, constants.O_WRONLY, this.pool);
    return lent && new DirectOutput(lent.direct, buffered, lent.staging, offset, lent.release);
  }

  /** A direct handle on `path` (`mode`) and a staging buffer from `pool`, or undefined where either cannot be had. */
  private async open(
    path: string,
    mode: number,
    pool: StagingPool,
  ): Promise<{ direct: FileHandle; staging: Buffer; release: () => void } | undefined> {
    if (!(await this.probed())) return undefined;
    const staging = pool.take();
    if (staging === undefined) return undefined;
    const release = (): void => pool.give(staging);
    const direct = await openDirect(path, mode).catch((err: unknown) => {
      release();
      throw err;
    });
    if (direct === undefined) {
      release();
      return undefined;
    }
    return { direct, staging, release };
  }

  /** Whether the filesystem takes direct I/O, probed on first use. */
  private probed(): Promise<boolean> {
    this.works ??= mkdir(this.probeDir, { recursive: true }).then(
      () => probeDirectIO(join(this.probeDir, `direct-probe-${randomUUID()}`), this.pool),
      () => false,
    );
    return this.works;
  }
}

/**
 * A fixed set of aligned staging buffers, allocated on first use. Memory a
 * slot never touched costs no RSS. With every slot lent, `take()` answers
 * undefined.
 */
class StagingPool {
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

/** Opens `path` for direct reads or writes (`mode`); undefined where the filesystem refuses `O_DIRECT`. */
async function openDirect(path: string, mode: number): Promise<FileHandle | undefined> {
  return open(path, mode | constants.O_DIRECT).catch((err: unknown) => {
    if (isCode(err, 'EINVAL', 'EOPNOTSUPP')) return undefined;
    throw err;
  });
}

/**
 * Whether direct writes and reads work on the filesystem of `probePath` (a
 * file that must not exist; it is removed again): one aligned 4 KiB write,
 * read back.
 */
async function probeDirectIO(probePath: string, pool: StagingPool): Promise<boolean> {
  if ((constants.O_DIRECT as number | undefined) === undefined) return false; // not on this OS (macOS)
  const staging = pool.take();
  if (staging === undefined) return false;
  let handle: FileHandle | undefined;
  try {
    handle = await open(probePath, constants.O_RDWR | constants.O_CREAT | constants.O_EXCL | constants.O_DIRECT);
    const { bytesWritten } = await handle.write(staging, 0, DIRECT_ALIGN, 0);
    const { bytesRead } = await handle.read(staging, 0, DIRECT_ALIGN, 0);
    return bytesWritten === DIRECT_ALIGN && bytesRead === DIRECT_ALIGN;
  } catch {
    return false;
  } finally {
    pool.give(staging);
    await handle?.close().catch(() => undefined);
    await unlink(probePath).catch(() => undefined);
  }
}

/**
 * The output of one direct writer. Its staging buffer is two halves: `write`
 * copies bytes into the current half at once (so the caller's chunk can be
 * collected young), and a full half is written through `direct` at its offset
 * while the next fills; `write` waits only when both halves are busy. One
 * write is in flight at a time, so bytes land in order. `finish()` writes the
 * aligned part of the last half directly and its unaligned rest (less than
 * one block) through `buffered`, the writer's ordinary handle; a short direct
 * write (a full disk) continues through `buffered` too, so the error
 * surfaces there. Writes are positional: `buffered` may be an `O_APPEND`
 * handle, since its bytes always land at the end of the file. Between
 * `write` and `finish`, up to half a staging buffer waits in memory. `close()`
 * hands the staging buffer back (`release`).
 */
export class DirectOutput {
  private readonly halves: [Buffer, Buffer];
  private current: 0 | 1 = 0;
  private fill = 0;
  private inFlight: Promise<void> | undefined;
  private failure: Error | undefined;

  constructor(
    private readonly direct: FileHandle,
    private readonly buffered: FileHandle,
    staging: Buffer,
    private offset: number,
    private readonly release: () => void,
  ) {
    this.halves = [staging.subarray(0, HALF), staging.subarray(HALF, 2 * HALF)];
  }

  /** Stages `chunk`, starting the write of each half it fills. */
  async write(chunk: Uint8Array): Promise<void> {
    for (let at = 0; at < chunk.length; ) {
      const n = Math.min(chunk.length - at, HALF - this.fill);
      this.halves[this.current].set(chunk.subarray(at, at + n), this.fill);
      this.fill += n;
      at += n;
      if (this.fill === HALF) await this.submit();
    }
  }

  /** Writes everything staged; the file then holds every byte. */
  async finish(): Promise<void> {
    await this.settle();
    const half = this.halves[this.current];
    const aligned = this.fill - (this.fill % DIRECT_ALIGN);
    if (aligned > 0) await this.writeAt(half, aligned, this.offset);
    await writeFully(this.buffered, half.subarray(aligned, this.fill), this.offset + aligned);
    this.offset += this.fill;
    this.fill = 0;
  }

  /** Waits for the write in flight, closes the direct handle (the buffered one is the writer's) and releases the staging buffer. */
  async close(): Promise<void> {
    await this.inFlight;
    await this.direct.close().finally(this.release);
  }

  /** Waits until no write is in flight, rethrowing its failure. */
  private async settle(): Promise<void> {
    await this.inFlight;
    if (this.failure !== undefined) throw this.failure;
  }

  /** Starts writing the full current half once the other is written, and switches halves. */
  private async submit(): Promise<void> {
    await this.settle();
    const written = this.writeAt(this.halves[this.current], HALF, this.offset);
    this.inFlight = written.then(
      () => {
        this.inFlight = undefined;
      },
      (err: unknown) => {
        this.inFlight = undefined;
        this.failure ??= asError(err);
      },
    );
    this.offset += HALF;
    this.current = this.current === 0 ? 1 : 0;
    this.fill = 0;
  }

  private async writeAt(buffer: Buffer, length: number, offset: number): Promise<void> {
    const { bytesWritten } = await this.direct.write(buffer, 0, length, offset);
    if (bytesWritten < length) await writeFully(this.buffered, buffer.subarray(bytesWritten, length), offset + bytesWritten);
  }
}

/**
 * The input of one direct reader, read like a `FileHandle`: each `read`
 * reads the aligned blocks around the bytes asked for into the staging
 * buffer, from the device and past the page cache, and copies those bytes
 * out (at most a staging buffer's worth at a time: a short read). `close()`
 * closes both handles and hands the staging buffer back (`release`).
 */
export class DirectInput {
  constructor(
    private readonly direct: FileHandle,
    private readonly buffered: FileHandle,
    private readonly staging: Buffer,
    private readonly release: () => void,
  ) {}

  async read(into: Uint8Array, offset: number, length: number, position: number): Promise<{ bytesRead: number }> {
    const skip = position % DIRECT_ALIGN;
    const span = Math.min(this.staging.length, roundUp(skip + length));
    const { bytesRead } = await this.direct.read(this.staging, 0, span, position - skip);
    const copied = Math.max(0, Math.min(bytesRead - skip, length));
    into.set(this.staging.subarray(skip, skip + copied), offset);
    return { bytesRead: copied };
  }

  async close(): Promise<void> {
    await Promise.all([this.direct.close().finally(this.release), this.buffered.close()]);
  }
}

function roundUp(bytes: number): number {
  return Math.ceil(bytes / DIRECT_ALIGN) * DIRECT_ALIGN;
}

/** Writes all of `bytes` at `position`, looping over short writes. */
async function writeFully(handle: FileHandle, bytes: Uint8Array, position: number): Promise<void> {
  for (let done = 0; done < bytes.length; ) {
    const { bytesWritten } = await handle.write(bytes, done, bytes.length - done, position + done);
    done += bytesWritten;
  }
}
