/**
 * Hashing blob bytes on worker threads.
 *
 * Every byte of a pushed blob is hashed, and in one Node process that was the
 * event loop's largest single cost: a perf profile of 256 MiB pushes put 40 %
 * of the main thread's samples in sha256, and every concurrent push hashed on
 * that one core. Here a digester copies its bytes into 256 KiB segments and
 * transfers each full segment (a move, not a copy) to a worker thread, which
 * hashes it and transfers it back for reuse. A digester stays on one worker,
 * so its bytes are hashed in order; messages to a worker are handled in the
 * order sent, so `copy()` and `digest()` see every byte added before them.
 *
 * Workers start on first use. A worker that dies (it should not: it only
 * hashes) fails the digests of its digesters, and the next digester starts a
 * new one. Inputs known to be small are hashed in process: a round trip to a
 * worker costs more than hashing a few KiB.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { DigestAlgorithm } from '../oci/digest.js';
import { inlineDigester, type Digester, type DigesterFactory } from './digester.js';

const SEGMENT_BYTES = 256 * 1024;
/** Segments a worker may hold before `update()` asks callers to wait. */
const MAX_QUEUED = 4;
/** Idle segments kept per worker for reuse. */
const SEGMENTS_KEPT = 4;
const DEFAULT_INLINE_BELOW = 256 * 1024;

/**
 * The worker's program, evaluated as CommonJS with no loader (tests run the
 * TypeScript sources through tsx, which a worker would otherwise load too).
 */
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const hashes = new Map();
parentPort.on('message', (m) => {
  if (m.op === 'update') {
    const hash = hashes.get(m.id);
    if (hash !== undefined) {
      try { hash.update(new Uint8Array(m.buffer, 0, m.length)); } catch { hashes.delete(m.id); }
    }
    parentPort.postMessage({ op: 'returned', buffer: m.buffer }, [m.buffer]);
  } else if (m.op === 'create') {
    try { hashes.set(m.id, createHash(m.algorithm)); } catch {}
  } else if (m.op === 'copy') {
    const hash = hashes.get(m.id);
    if (hash !== undefined) hashes.set(m.to, hash.copy());
  } else if (m.op === 'digest') {
    const hash = hashes.get(m.id);
    hashes.delete(m.id);
    parentPort.postMessage({ op: 'digest', id: m.id, hex: hash === undefined ? null : hash.digest('hex') });
  } else if (m.op === 'free') {
    hashes.delete(m.id);
  }
});
`;

export interface HashWorkersOptions {
  /** Worker threads; 0 hashes everything in process. */
  threads: number;
  /** Inputs known to be smaller than this many bytes are hashed in process. Default 256 KiB. */
  inlineBelow?: number;
}

/**
 * Most threads `auto` allows. One thread hashes sha256 about twice as fast as
 * the event loop can take upload bytes in (with SHA extensions), so a second
 * helps only CPUs without them, and sha512.
 */
const AUTO_MAX_THREADS = 2;

/**
 * The thread count for config's `registry.hashThreads`: `auto` is one per CPU
 * beyond the first (the event loop's), at most 2; 0 on a single CPU.
 *
 * @example hashThreadCount('auto', 2) // 1
 */
export function hashThreadCount(setting: 'auto' | number, cpus = availableParallelism()): number {
  return setting === 'auto' ? Math.min(AUTO_MAX_THREADS, Math.max(0, cpus - 1)) : setting;
}

/**
 * A pool of hashing threads. `digester` is a {@link DigesterFactory}: a new
 * digester goes to the thread with the fewest digesters in use (the first on
 * a tie), so a thread beyond the first starts only when uploads overlap.
 * `close()` stops the threads (digesters made afterwards hash in process).
 *
 * @example
 * const hashing = new HashWorkers({ threads: 1 });
 * const d = hashing.digester('sha256');
 * await d.update(chunk);
 * const hex = await d.digest();
 * await hashing.close();
 */
export class HashWorkers {
  readonly digester: DigesterFactory;
  private readonly lanes: Lane[];
  private closed = false;

  constructor(options: HashWorkersOptions) {
    this.lanes = Array.from({ length: options.threads }, () => new Lane());
    const inlineBelow = options.inlineBelow ?? DEFAULT_INLINE_BELOW;
    this.digester = (algorithm, expectedBytes) => {
      const lane = this.leastBusy();
      if (lane === undefined || this.closed || (expectedBytes !== undefined && expectedBytes < inlineBelow)) {
        return inlineDigester(algorithm);
      }
      return lane.create(algorithm);
    };
  }

  /** Threads running now (a thread starts with the first digester that goes to it). */
  get started(): number {
    return this.lanes.filter((lane) => lane.started).length;
  }

  private leastBusy(): Lane | undefined {
    let best: Lane | undefined;
    for (const lane of this.lanes) if (best === undefined || lane.inUse < best.inUse) best = lane;
    return best;
  }

  /** Stops the threads; digests still pending reject. Idempotent. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.lanes.map((lane) => lane.close()));
  }
}

type ToWorker =
  | { op: 'create'; id: number; algorithm: DigestAlgorithm }
  | { op: 'update'; id: number; buffer: ArrayBuffer; length: number }
  | { op: 'copy'; id: number; to: number }
  | { op: 'digest'; id: number }
  | { op: 'free'; id: number };

type FromWorker = { op: 'returned'; buffer: ArrayBuffer } | { op: 'digest'; id: number; hex: string | null };

interface Pending {
  resolve(hex: string): void;
  reject(err: Error): void;
}

/** One worker thread and the state of the digesters on it. */
class Lane {
  private worker: Worker | undefined;
  /** Bumped when a worker stops: digesters of an earlier generation lost their state. */
  generation = 0;
  /** Digesters made here and not yet ended (digested, discarded or collected). */
  inUse = 0;
  private nextId = 1;
  private readonly spare: ArrayBuffer[] = [];
  private queued = 0;
  private waiters: (() => void)[] = [];
  private readonly pending = new Map<number, Pending>();
  private referenced = false;
  private closed = false;
  /** Frees the worker-side state of digesters dropped without digest() or discard(). */
  private readonly finalizer = new FinalizationRegistry<{ id: number; generation: number }>(({ id, generation }) => {
    this.inUse--;
    this.free(id, generation);
  });

  get started(): boolean {
    return this.worker !== undefined;
  }

  create(algorithm: DigestAlgorithm): Digester {
    const id = this.nextId++;
    this.post({ op: 'create', id, algorithm });
    return this.track(id);
  }

  copy(from: WorkerDigester): Digester {
    const id = this.nextId++;
    if (from.generation === this.generation) this.post({ op: 'copy', id: from.id, to: id });
    return this.track(id, from.generation);
  }

  /** A segment to fill: a spare one, else a new one. */
  segment(): ArrayBuffer {
    return this.spare.pop() ?? new ArrayBuffer(SEGMENT_BYTES);
  }

  /** Hands a filled segment to the worker. */
  update(from: WorkerDigester, buffer: ArrayBuffer, length: number): void {
    if (from.generation !== this.generation) return;
    this.queued++;
    this.post({ op: 'update', id: from.id, buffer, length }, [buffer]);
  }

  /** A promise while the worker holds too many segments, else undefined. */
  backlog(): Promise<void> | undefined {
    if (this.queued < MAX_QUEUED) return undefined;
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  digest(from: WorkerDigester): Promise<string> {
    this.end(from);
    if (from.generation !== this.generation) return Promise.reject(lost());
    return new Promise((resolve, reject) => {
      this.pending.set(from.id, { resolve, reject });
      this.post({ op: 'digest', id: from.id });
    });
  }

  discard(from: WorkerDigester, segment: ArrayBuffer | undefined): void {
    this.end(from);
    if (segment !== undefined) this.keep(segment);
    this.free(from.id, from.generation);
  }

  async close(): Promise<void> {
    this.closed = true;
    const worker = this.worker;
    this.fail(new Error('berth is shutting down'));
    await worker?.terminate();
  }

  /** A digester ended (digested or discarded): it is no longer in use, and needs no finalizer. */
  private end(from: WorkerDigester): void {
    this.finalizer.unregister(from);
    this.inUse--;
  }

  /** Drops a digester's state on the worker, if that worker still holds it. */
  private free(id: number, generation: number): void {
    if (generation === this.generation && this.worker !== undefined) this.post({ op: 'free', id });
  }

  private track(id: number, generation = this.generation): Digester {
    const digester = new WorkerDigester(this, id, generation);
    this.finalizer.register(digester, { id, generation }, digester);
    this.inUse++;
    return digester;
  }

  private post(message: ToWorker, transfer?: ArrayBuffer[]): void {
    const worker = (this.worker ??= this.start());
    if (!this.referenced && message.op !== 'free') {
      worker.ref();
      this.referenced = true;
    }
    worker.postMessage(message, transfer);
  }

  private start(): Worker {
    if (this.closed) throw new Error('berth is shutting down');
    const worker = new Worker(WORKER_SOURCE, { eval: true, execArgv: [] });
    const stopped = (err: Error): void => {
      if (this.worker === worker) this.fail(err);
    };
    // A worker being terminated may still deliver messages: they belong to state already failed.
    worker.on('message', (message: FromWorker) => {
      if (this.worker === worker) this.receive(message);
    });
    worker.on('error', stopped);
    worker.on('exit', (code) => stopped(new Error(`the hash worker exited with code ${code}`)));
    worker.unref();
    this.referenced = false;
    return worker;
  }

  private receive(message: FromWorker): void {
    if (message.op === 'returned') {
      this.queued--;
      this.keep(message.buffer);
      if (this.queued < MAX_QUEUED) this.wake();
    } else {
      const pending = this.pending.get(message.id);
      this.pending.delete(message.id);
      if (message.hex === null) pending?.reject(lost());
      else pending?.resolve(message.hex);
    }
    if (this.queued === 0 && this.pending.size === 0 && this.referenced) {
      this.worker?.unref();
      this.referenced = false;
    }
  }

  private keep(segment: ArrayBuffer): void {
    if (this.spare.length < SEGMENTS_KEPT) this.spare.push(segment);
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }

  /** The worker is gone: its digesters' state with it. */
  private fail(err: Error): void {
    this.worker = undefined;
    this.generation++;
    this.queued = 0;
    this.referenced = false;
    for (const pending of this.pending.values()) pending.reject(err);
    this.pending.clear();
    this.wake();
  }
}

function lost(): Error {
  return new Error('the hash worker lost this digest (it stopped); push the blob again');
}

/** A digester on a {@link Lane}: buffers bytes into a segment and hands full ones over. */
class WorkerDigester implements Digester {
  private segment: ArrayBuffer | undefined;
  private filled = 0;
  private ended = false;

  constructor(
    private readonly lane: Lane,
    readonly id: number,
    readonly generation: number,
  ) {}

  update(chunk: Uint8Array): Promise<void> | undefined {
    this.check();
    let at = 0;
    while (at < chunk.length) {
      const segment = (this.segment ??= this.lane.segment());
      const n = Math.min(chunk.length - at, SEGMENT_BYTES - this.filled);
      new Uint8Array(segment, this.filled, n).set(chunk.subarray(at, at + n));
      this.filled += n;
      at += n;
      if (this.filled === SEGMENT_BYTES) this.send();
    }
    return this.lane.backlog();
  }

  copy(): Digester {
    this.flush();
    return this.lane.copy(this);
  }

  flush(): void {
    this.check();
    if (this.filled > 0) this.send();
  }

  digest(): Promise<string> {
    this.flush();
    this.ended = true;
    return this.lane.digest(this);
  }

  discard(): void {
    if (this.ended) return;
    this.ended = true;
    this.lane.discard(this, this.segment);
    this.segment = undefined;
  }

  private send(): void {
    const segment = this.segment;
    if (segment === undefined) return;
    this.lane.update(this, segment, this.filled);
    this.segment = undefined;
    this.filled = 0;
  }

  private check(): void {
    if (this.ended) throw new Error('digester already ended');
  }
}
