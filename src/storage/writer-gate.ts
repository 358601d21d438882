/**
 * The life cycle every StorageWriter shares: one operation at a time; a
 * failed operation leaves the writer able only to cancel; a cancel that lands
 * mid-operation wins (the state stays cancelled); commit and cancel are final.
 */
export type WriterState = 'open' | 'busy' | 'committed' | 'cancelled' | 'failed';

export class WriterGate {
  private current: WriterState = 'open';
  /** The operation in flight, if any (a cancel waits for it to settle). */
  running: Promise<void> | undefined;

  /** @param onFailure runs when an operation fails, before its error propagates. */
  constructor(private readonly onFailure?: () => Promise<void>) {}

  get state(): WriterState {
    return this.current;
  }

  /**
   * Runs `op` as the writer's one operation, then moves to `after`.
   * @throws Error naming `what` when the writer is not open; whatever `op` throws.
   */
  async run(what: string, op: () => Promise<void>, after: 'open' | 'committed'): Promise<void> {
    if (this.current !== 'open') throw new Error(`cannot ${what}: storage writer is ${this.current}`);
    this.current = 'busy';
    this.running = op();
    try {
      await this.running;
      if (this.current === 'busy') this.current = after;
    } catch (err) {
      if (this.current === 'busy') {
        this.current = 'failed';
        await this.onFailure?.();
      }
      throw err;
    } finally {
      this.running = undefined;
    }
  }

  /** Marks the writer cancelled; false when it was already committed or cancelled (nothing left to do). */
  cancel(): boolean {
    if (this.current === 'committed' || this.current === 'cancelled') return false;
    this.current = 'cancelled';
    return true;
  }
}
