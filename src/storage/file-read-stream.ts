/**
 * Reading a file range into reused buffers.
 *
 * `FileHandle.createReadStream` allocates a fresh buffer for every chunk. At
 * pull speed that is hundreds of MiB a second of short-lived memory outside
 * the V8 heap, which V8 only collects after tens of MiB have piled up (a
 * major GC each time): RSS swings and CPU goes to marking. Here chunks come
 * from a small pool, and a consumer that is done with a chunk (the HTTP
 * layer, once the socket has taken its bytes) hands it back with
 * `recycle(chunk)`. Consumers that never recycle just leave chunks to GC.
 */
import { Readable } from 'node:stream';
import type { RecyclableChunks } from './driver.js';
import { asError } from './errno.js';

/**
 * Equal-sized buffers for reuse. A buffer goes back only once, and only if
 * it came from here: recycling a chunk twice, or a foreign one, is ignored.
 */
export class BufferPool {
  private readonly free: Buffer[] = [];
  private readonly lent = new WeakSet<ArrayBufferLike>();

  /**
   * @param size bytes per buffer
   * @param keep at most this many idle buffers are kept (the rest go to GC)
   */
  constructor(
    readonly size: number,
    private readonly keep: number,
  ) {}

  take(): Buffer {
    const buffer = this.free.pop() ?? Buffer.allocUnsafeSlow(this.size);
    this.lent.add(buffer.buffer);
    return buffer;
  }

  give(chunk: Uint8Array): void {
    const memory = chunk.buffer;
    if (!this.lent.delete(memory)) return;
    if (this.free.length < this.keep) this.free.push(Buffer.from(memory, 0, this.size));
  }

  /** Idle buffers held now. */
  get idle(): number {
    return this.free.length;
  }
}

/** What a {@link FileReadStream} reads from: a `FileHandle`, or a direct input (direct-io.ts). */
export interface ReadSource {
  read(into: Uint8Array, offset: number, length: number, position: number): Promise<{ bytesRead: number }>;
  close(): Promise<void>;
}

/**
 * A stream of bytes `[start, end)` of an open file, read ahead one chunk. It
 * owns its source and closes it on end, error or destroy. Ends early if the
 * file is shorter than `end`.
 */
export class FileReadStream extends Readable implements RecyclableChunks {
  private position: number;

  constructor(
    private readonly source: ReadSource,
    start: number,
    private readonly end: number,
    private readonly pool: BufferPool,
  ) {
    super({ highWaterMark: pool.size });
    this.position = start;
  }

  override _read(): void {
    const want = this.end - this.position;
    if (want <= 0) {
      this.push(null);
      return;
    }
    const buffer = this.pool.take();
    this.source.read(buffer, 0, Math.min(want, buffer.length), this.position).then(
      ({ bytesRead }) => {
        if (this.destroyed || bytesRead === 0) {
          this.pool.give(buffer);
          if (!this.destroyed) this.push(null);
          return;
        }
        this.position += bytesRead;
        this.push(buffer.subarray(0, bytesRead));
      },
      (err: unknown) => {
        this.pool.give(buffer);
        this.destroy(asError(err));
      },
    );
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    // A FileHandle's close (a direct input's too) waits for a read still in flight.
    this.source.close().then(
      () => callback(error),
      (closeError: unknown) => callback(error ?? (closeError as Error)),
    );
  }

  recycle(chunk: Uint8Array): void {
    this.pool.give(chunk);
  }
}
