/**
 * A background worker that runs a task every interval: never overlapping
 * itself, logging failures instead of crashing the process, and awaited by
 * `stop()` so shutdown never cuts a run in half.
 *
 * With a `lease`, the worker runs on one instance at a time when several
 * berth processes share one metadata store: each run first takes or renews
 * the lease and is skipped while another holder has it; when that holder
 * dies its lease expires and the next run elsewhere takes over. Upload
 * expiry uses this; garbage collection and webhook delivery use the same
 * mechanism (a lease per worker name, `MetadataStore.acquireLease`).
 */
import type { Logger } from 'pino';
import type { MetadataStore } from '../metadata/store.js';
import type { Clock } from './deps.js';

export interface Worker {
  readonly name: string;
  start(): void;
  /** Stops scheduling, waits for a run in progress, then gives up the lease if it holds one. */
  stop(): Promise<void>;
  /** Runs once now (tests, CLI), waiting for a run already in progress first. Honours the lease. */
  runOnce(): Promise<void>;
}

/** The database lease that makes a worker run on one instance at a time. */
export interface WorkerLease {
  store: Pick<MetadataStore, 'acquireLease' | 'releaseLease'>;
  /** Lease name, shared by every instance running this worker (e.g. `upload-expiry`). */
  name: string;
  /** This instance's id, unique per process start. */
  holder: string;
  /**
   * How long a taken lease lasts without renewal. Make it a few intervals
   * (and longer than a run), so the holder renews it before it lapses and a
   * dead holder's work moves elsewhere within about this long.
   */
  ttlMs: number;
  clock: Clock;
}

export interface IntervalWorkerOptions {
  name: string;
  intervalMs: number;
  logger: Logger;
  /** One run; what it resolves with is logged when defined. */
  run: () => Promise<Record<string, unknown> | undefined>;
  /** Run only while holding this lease (several instances on one database). */
  lease?: WorkerLease;
}

/**
 * @example
 * const w = createIntervalWorker({
 *   name: 'upload-expiry', intervalMs: 600_000, logger, run,
 *   lease: { store: metadata, name: 'upload-expiry', holder: instanceId, ttlMs: 1_800_000, clock: Date.now },
 * });
 * w.start(); … await w.stop();
 */
export function createIntervalWorker(options: IntervalWorkerOptions): Worker {
  const { lease, logger } = options;
  let timer: NodeJS.Timeout | undefined;
  let current: Promise<void> = Promise.resolve();
  let holding = false;

  /** Takes or renews the lease; false when another instance holds it. Logs changes of hands. */
  async function mayRun(): Promise<boolean> {
    if (lease === undefined) return true;
    const held = await lease.store.acquireLease(lease.name, lease.holder, lease.ttlMs, lease.clock());
    if (held !== holding) {
      logger.info(
        { lease: lease.name, holder: lease.holder },
        held
          ? `${options.name}: took the lease; running here`
          : `${options.name}: lease held elsewhere; not running here`,
      );
    }
    holding = held;
    if (!held) logger.debug({ lease: lease.name }, `${options.name} skipped: another instance holds the lease`);
    return held;
  }

  function runNow(): Promise<void> {
    current = current.then(async () => {
      try {
        if (!(await mayRun())) return;
        const result = await options.run();
        if (result !== undefined) logger.info(result, `${options.name} run`);
      } catch (err) {
        logger.error({ err }, `${options.name} failed; will retry next interval`);
      }
    });
    return current;
  }

  async function release(): Promise<void> {
    if (lease === undefined || !holding) return;
    holding = false;
    try {
      await lease.store.releaseLease(lease.name, lease.holder);
    } catch (err) {
      logger.warn({ err, lease: lease.name }, `${options.name}: could not release the lease; it expires on its own`);
    }
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
      await release();
    },
    runOnce: runNow,
  };
}
