/** Bounded concurrency: a fixed job count, or a fixed duration. */

/** Hard cap on operations per worker in timed loops, so no loop is unbounded. */
const MAX_OPS_PER_WORKER = 10_000_000;

/**
 * Runs `job(i)` for i in [0, count) with at most `concurrency` in flight.
 * Rejects with the first failure (jobs already started finish first).
 *
 * @returns elapsed milliseconds.
 */
export async function runJobs(
  count: number,
  concurrency: number,
  job: (index: number) => Promise<void>,
): Promise<number> {
  const start = performance.now();
  let next = 0;
  let failure: Error | undefined;
  const worker = async (): Promise<void> => {
    while (failure === undefined && next < count) {
      const index = next++;
      try {
        await job(index);
      } catch (err) {
        failure ??= err instanceof Error ? err : new Error(String(err));
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  if (failure !== undefined) throw failure;
  return performance.now() - start;
}

/**
 * Runs `concurrency` workers, each calling `op(worker, n)` back to back until
 * `durationMs` has passed. Operations in flight at the deadline complete and count.
 * Rejects with the first failure.
 *
 * @returns operations completed and elapsed milliseconds.
 */
export async function runFor(
  durationMs: number,
  concurrency: number,
  op: (worker: number, n: number) => Promise<void>,
): Promise<{ ops: number; ms: number }> {
  const start = performance.now();
  const deadline = start + durationMs;
  let ops = 0;
  let failure: Error | undefined;
  const worker = async (w: number): Promise<void> => {
    for (let n = 0; n < MAX_OPS_PER_WORKER && failure === undefined && performance.now() < deadline; n++) {
      try {
        await op(w, n);
        ops++;
      } catch (err) {
        failure ??= err instanceof Error ? err : new Error(String(err));
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, (_, w) => worker(w)));
  if (failure !== undefined) throw failure;
  return { ops, ms: performance.now() - start };
}

/** `list[index]`, throwing instead of returning undefined (for noUncheckedIndexedAccess). */
export function nth<T>(list: readonly T[], index: number): T {
  const item = list[index];
  if (item === undefined) throw new RangeError(`index ${index} outside a list of ${list.length}`);
  return item;
}
