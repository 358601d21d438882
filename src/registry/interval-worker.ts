/**
 * A background worker that runs a task every interval: never overlapping
 * itself, logging failures instead of crashing the process, and awaited by
 * `stop()` so shutdown never cuts a run in half.
 */
import type { Logger } from 'pino';

export interface Worker {
  readonly name: string;
  start(): void;
  /** Stops scheduling and waits for a run in progress. */
  stop(): Promise<void>;
  /** Runs once now (tests, CLI), waiting for a run already in progress first. */
  runOnce(): Promise<void>;
}

export interface IntervalWorkerOptions {
  name: string;
  intervalMs: number;
  logger: Logger;
  /** One run; what it resolves with is logged when defined. */
  run: () => Promise<Record<string, unknown> | undefined>;
}

/**
 * @example
 * const w = createIntervalWorker({ name: 'upload-expiry', intervalMs: 600_000, logger, run });
 * w.start(); … await w.stop();
 */
export function createIntervalWorker(options: IntervalWorkerOptions): Worker {
  let timer: NodeJS.Timeout | undefined;
  let current: Promise<void> = Promise.resolve();

  function runNow(): Promise<void> {
    current = current.then(async () => {
      try {
        const result = await options.run();
        if (result !== undefined) options.logger.info(result, `${options.name} run`);
      } catch (err) {
        options.logger.error({ err }, `${options.name} failed; will retry next interval`);
      }
    });
    return current;
  }

  return {
    name: options.name,
    start() {
      if (timer !== undefined || options.intervalMs <= 0) return;
      timer = setInterval(() => void runNow(), options.intervalMs);
      timer.unref();
    },
    async stop() {
      if (timer !== undefined) clearInterval(timer);
      timer = undefined;
      await current;
    },
    runOnce: runNow,
  };
}
