/**
 * The life cycle every StorageWriter shares: one operation at a time; a
 * failed operation leaves the writer able only to cancel; a cancel that lands
 * mid-operation wins (the state stays cancelled); commit and cancel are final.
 * A driver writes the bare operations and gets the StorageWriter from
 * {@link WriterGate.writer}.
 */
import type { StorageWriter } from './driver.js';

/** What a driver's writer does; {@link WriterGate.writer} adds the life cycle. */
export interface WriterOps {
  /** Total bytes in the file, committed plus written. */
  size(): number;
  /** See {@link StorageWriter.copiesChunks}. */
  copiesChunks: boolean;
  write(chunk: Uint8Array): Promise<void>;
  commit(): Promise<void>;
  /** Discards the writer's bytes; runs at most once, possibly while a write or commit is in flight. */
  cancel(): Promise<void>;
  /** Runs when a write or commit fails, before its error propagates (only cancel may follow). */
  failed?(): Promise<void>;
}

export type WriterState = 'open' | 'busy' | 'committed' | 'cancelled' | 'failed';

export class WriterGate {
  private current: WriterState = 'open';
  /** The operation in flight, if any (a driver's cancel may wait for it to settle). */
  running: Promise<void> | undefined;

  get state(): WriterState {
    return this.current;
  }

  /**
   * Runs `op` as the writer's one operation, then moves to `after`; on failure
   * runs `ops.failed` first.
   * @throws Error naming `what` when the writer is not open; whatever `op` throws.
   */
  private async run(what: string, after: 'open' | 'committed', ops: WriterOps, op: () => Promise<void>): Promise<void> {
    if (this.current !== 'open') throw new Error(`cannot ${what}: storage writer is ${this.current}`);
    this.current = 'busy';
    this.running = op();
    try {
      await this.running;
      if (this.current === 'busy') this.current = after;
    } catch (err) {
      if (this.current === 'busy') {
        this.current = 'failed';
        await ops.failed?.();
      }
      throw err;
    } finally {
      this.running = undefined;
    }
  }

  /** The StorageWriter over `ops`: write and commit go through {@link run}, cancel through {@link cancel}. */
  writer(ops: WriterOps): StorageWriter {
    return {
      get size() {
        return ops.size();
      },
      copiesChunks: ops.copiesChunks,
      write: (chunk) => this.run('write', 'open', ops, () => ops.write(chunk)),
      commit: () => this.run('commit', 'committed', ops, () => ops.commit()),
      cancel: async () => {
        if (this.cancel()) await ops.cancel();
      },
    };
  }

  /** Marks the writer cancelled; false when it was already committed or cancelled (nothing left to do). */
  private cancel(): boolean {
    if (this.current === 'committed' || this.current === 'cancelled') return false;
    this.current = 'cancelled';
    return true;
  }
}
