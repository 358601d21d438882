/**
 * Delivers the outbox to webhook endpoints: at least once, in order per
 * endpoint, surviving restarts, never in a push's way.
 *
 * Each endpoint has its own cursor in the metadata store (`webhook:<name>`),
 * the seq of the last event it has been given or has filtered out. A pass
 * reads the events after the cursor, skips those the endpoint's filters
 * reject, POSTs the next batch and only on 2xx moves the cursor past it.
 * A failure leaves the cursor where it was and holds the endpoint back
 * 1 s, 2 s, 4 s, … up to its `maxBackoffSeconds` (later events wait behind
 * the failed one: order over liveness). A crash between a 2xx and the cursor
 * write redelivers that batch, hence "at least once": receivers deduplicate
 * on the event id.
 *
 * A newly configured endpoint starts at the current end of the log: its
 * cursor is stored on first sight ({@link DeliveryWorker.init}, which the
 * server runs before it accepts requests), so history is never replayed.
 *
 * After each pass, events every configured endpoint has passed and older
 * than {@link EVENT_RETENTION_MS} are deleted, so the outbox does not grow
 * forever (the day of slack covers an instance of a rolling update that
 * configures another endpoint).
 *
 * Time and waiting are injected (`clock`, `sleep`) so tests never wait.
 * With several berth instances on one store, give it a `lease` so one
 * instance delivers at a time (without one, each would deliver: duplicates,
 * and order only per instance).
 */
import { setTimeout as delay } from 'node:timers/promises';
import type { Logger } from 'pino';
import { Counter, Gauge, type Registry as MetricsRegistry } from 'prom-client';
import type { MetadataStore, StoredEvent } from '../metadata/store.js';
import type { WebhookDescription, WebhookSink } from './webhook-sink.js';

/** Waits `ms` (or until `signal` aborts); never rejects. */
export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

/** How long a delivered event stays in the outbox before it is pruned. */
export const EVENT_RETENTION_MS = 24 * 60 * 60 * 1000;
/** Pruning is a write (a sync on SQLite): not on every poll. */
const PRUNE_EVERY_MS = 10 * 60 * 1000;

/** The platform timer, unref'd so it never keeps a process alive. */
export const realSleep: Sleep = (ms, signal) =>
  delay(ms, undefined, signal === undefined ? { ref: false } : { ref: false, signal }).catch(() => undefined);

/** What `GET /v2/_berth/webhooks` shows of one endpoint. */
export interface EndpointStatus extends WebhookDescription {
  /** Seq of the last event delivered or filtered out. */
  cursor: number;
  /** Events after the cursor (before filtering: some may never be sent to this endpoint). */
  backlog: number;
  lastSuccessAt: string | null;
  lastFailureAt: string | null;
  lastError: string | null;
  consecutiveFailures: number;
  /** When the next attempt may happen while backing off, else null. */
  retryAt: string | null;
}

export interface DeliveryWorkerOptions {
  metadata: Pick<MetadataStore, 'readEvents' | 'getCursor' | 'setCursor' | 'listCursors' | 'countEvents' | 'pruneEvents'>;
  sinks: readonly WebhookSink[];
  logger: Logger;
  /** Epoch ms. */
  clock?: () => number;
  sleep?: Sleep;
  /** Background poll interval; 0: no background loop (call `runOnce`/`drain`). */
  pollIntervalMs: number;
  /** Where `berth_webhook_*` metrics are registered, when given. */
  metrics?: MetricsRegistry;
  /**
   * Deliver only while holding this lease (several instances on one
   * metadata store): `acquire` takes or renews it (each pass and before each
   * POST, so make its TTL a few request timeouts), `release` gives it up.
   */
  lease?: { acquire(): Promise<boolean>; release(): Promise<void> };
}

export interface DeliveryWorker {
  readonly name: string;
  /** Stores the cursor of every endpoint seen for the first time (at the end of the log). Idempotent. */
  init(): Promise<void>;
  /** Starts the background loop (unless `pollIntervalMs` is 0 or no endpoint is configured). */
  start(): void;
  /** Stops the loop and waits for a delivery in progress (bounded by the endpoint's timeout). */
  stop(): Promise<void>;
  /** One pass over every endpoint not backing off; serialised with the loop. */
  runOnce(): Promise<void>;
  /**
   * Passes until every endpoint has caught up, sleeping (the injected sleep)
   * until the next retry is due in between. For tests and the CLI.
   *
   * @throws Error when endpoints still fail after `maxRounds` passes.
   */
  drain(options?: { maxRounds?: number }): Promise<void>;
  status(): Promise<EndpointStatus[]>;
}

/** Events read per query; the batch is cut from them. */
const READ_PAGE = 100;
/** Batches per endpoint per pass, so one busy endpoint cannot hold a pass forever. */
const MAX_BATCHES_PER_PASS = 50;
const BASE_BACKOFF_MS = 1000;

interface EndpointState {
  sink: WebhookSink;
  key: string;
  consecutiveFailures: number;
  lastSuccessAt?: number;
  lastFailureAt?: number;
  lastError?: string;
  nextAttemptAt: number;
  caughtUp: boolean;
}

/** Retry delay after `failures` consecutive failures: 1 s doubling, capped. */
export function backoffMs(failures: number, maxBackoffSeconds: number): number {
  return Math.min(BASE_BACKOFF_MS * 2 ** Math.max(failures - 1, 0), maxBackoffSeconds * 1000);
}

function iso(ms: number | undefined): string | null {
  return ms === undefined ? null : new Date(ms).toISOString();
}

/**
 * @example
 * const worker = createDeliveryWorker({ metadata, sinks, logger, pollIntervalMs: 1000 });
 * await worker.init(); worker.start(); … await worker.stop();
 */
export function createDeliveryWorker(options: DeliveryWorkerOptions): DeliveryWorker {
  const { metadata, logger } = options;
  const clock = options.clock ?? Date.now;
  const sleep = options.sleep ?? realSleep;
  const states: EndpointState[] = options.sinks.map((sink) => ({
    sink,
    key: `webhook:${sink.endpoint.name}`,
    consecutiveFailures: 0,
    nextAttemptAt: 0,
    caughtUp: false,
  }));
  let initialized = false;
  let stopped = false;
  let current: Promise<void> = Promise.resolve();
  let loop: Promise<void> | undefined;
  const abort = new AbortController();

  const deliveries =
    options.metrics === undefined
      ? undefined
      : new Counter({
          name: 'berth_webhook_deliveries_total',
          help: 'Webhook POSTs by endpoint and result (success: 2xx; failure: anything else, retried).',
          labelNames: ['endpoint', 'result'] as const,
          registers: [options.metrics],
        });

  async function init(): Promise<void> {
    if (initialized) return;
    const cursors = await metadata.listCursors();
    let end: number | undefined;
    for (const s of states) {
      if (Object.hasOwn(cursors, s.key)) continue;
      end ??= (await metadata.countEvents(0)).lastSeq;
      await metadata.setCursor(s.key, end);
      logger.info(
        { endpoint: s.sink.endpoint.name, cursor: end },
        'new webhook endpoint starts at the end of the event log',
      );
    }
    initialized = true;
  }

  function failed(s: EndpointState, error: string): void {
    s.consecutiveFailures++;
    s.lastFailureAt = clock();
    s.lastError = error;
    const wait = backoffMs(s.consecutiveFailures, s.sink.endpoint.maxBackoffSeconds);
    s.nextAttemptAt = clock() + wait;
    s.caughtUp = false;
    deliveries?.inc({ endpoint: s.sink.endpoint.name, result: 'failure' });
    logger.warn(
      { endpoint: s.sink.endpoint.name, error, consecutiveFailures: s.consecutiveFailures, retryInMs: wait },
      'webhook delivery failed; will retry',
    );
  }

  function succeeded(s: EndpointState, count: number): void {
    if (s.consecutiveFailures > 0) logger.info({ endpoint: s.sink.endpoint.name }, 'webhook endpoint recovered');
    s.consecutiveFailures = 0;
    s.lastSuccessAt = clock();
    s.nextAttemptAt = 0;
    deliveries?.inc({ endpoint: s.sink.endpoint.name, result: 'success' });
    logger.debug({ endpoint: s.sink.endpoint.name, events: count }, 'webhook batch delivered');
  }

  /** Next batch after `cursor`: accepted events (at most batchSize) and the seq the cursor may move to. */
  function cut(
    s: EndpointState,
    events: readonly StoredEvent[],
    cursor: number,
  ): { batch: StoredEvent[]; upTo: number } {
    const batch: StoredEvent[] = [];
    let upTo = cursor;
    for (const event of events) {
      if (s.sink.accepts(event)) {
        if (batch.length === s.sink.endpoint.batchSize) break;
        batch.push(event);
      }
      upTo = event.seq;
    }
    return { batch, upTo };
  }

  async function deliver(s: EndpointState): Promise<void> {
    if (clock() < s.nextAttemptAt) return;
    let cursor = await metadata.getCursor(s.key);
    for (let n = 0; n < MAX_BATCHES_PER_PASS && !stopped; n++) {
      const events = await metadata.readEvents(cursor, Math.max(READ_PAGE, s.sink.endpoint.batchSize));
      if (events.length === 0) {
        s.caughtUp = true;
        return;
      }
      s.caughtUp = false;
      const { batch, upTo } = cut(s, events, cursor);
      if (batch.length > 0) {
        // Renewed before every POST, so a lease outlives any pass, however long.
        if (!(await holdsLease())) return;
        const result = await s.sink.send(batch);
        if (!result.ok) return failed(s, result.error);
        succeeded(s, batch.length);
      }
      await metadata.setCursor(s.key, upTo);
      cursor = upTo;
    }
  }

  let leaseHeld = false;

  async function holdsLease(): Promise<boolean> {
    if (options.lease === undefined) return true;
    const held = await options.lease.acquire();
    if (held !== leaseHeld) {
      logger.info(
        { held },
        held ? 'took the webhook delivery lease; delivering here' : 'webhook delivery lease held elsewhere',
      );
    }
    leaseHeld = held;
    return held;
  }

  async function releaseLease(): Promise<void> {
    if (options.lease === undefined || !leaseHeld) return;
    leaseHeld = false;
    try {
      await options.lease.release();
    } catch (err) {
      logger.warn({ err }, 'could not release the webhook delivery lease; it expires on its own');
    }
  }

  async function pass(): Promise<void> {
    await init();
    if (!(await holdsLease())) return;
    await Promise.all(states.map(deliver));
    await prune();
  }

  let prunedAt: number | undefined;

  /** Deletes what every endpoint has passed, once it is old enough (at most every {@link PRUNE_EVERY_MS}). */
  async function prune(): Promise<void> {
    if (states.length === 0 || stopped) return;
    if (prunedAt !== undefined && clock() - prunedAt < PRUNE_EVERY_MS) return;
    prunedAt = clock();
    const cursors = await Promise.all(states.map((s) => metadata.getCursor(s.key)));
    const pruned = await metadata.pruneEvents(Math.min(...cursors), clock() - EVENT_RETENTION_MS);
    if (pruned > 0) logger.info({ pruned }, 'pruned delivered webhook events');
  }

  function runOnce(): Promise<void> {
    const run = current.then(pass);
    current = run.catch(() => undefined);
    return run;
  }

  async function background(): Promise<void> {
    while (!stopped) {
      try {
        await runOnce();
      } catch (err) {
        logger.error({ err }, 'webhook delivery pass failed; will retry');
      }
      if (!stopped) await sleep(options.pollIntervalMs, abort.signal);
    }
  }

  async function status(): Promise<EndpointStatus[]> {
    return Promise.all(
      states.map(async (s) => {
        const cursor = await metadata.getCursor(s.key);
        const { count } = await metadata.countEvents(cursor);
        return {
          ...s.sink.describe(),
          cursor,
          backlog: count,
          lastSuccessAt: iso(s.lastSuccessAt),
          lastFailureAt: iso(s.lastFailureAt),
          lastError: s.lastError ?? null,
          consecutiveFailures: s.consecutiveFailures,
          retryAt: s.consecutiveFailures > 0 ? iso(s.nextAttemptAt) : null,
        };
      }),
    );
  }

  if (options.metrics !== undefined) {
    new Gauge({
      name: 'berth_webhook_backlog',
      help: 'Events after the endpoint cursor, not yet delivered or filtered out.',
      labelNames: ['endpoint'] as const,
      registers: [options.metrics],
      async collect() {
        try {
          for (const s of await status()) this.set({ endpoint: s.name }, s.backlog);
        } catch (err) {
          logger.warn({ err }, 'cannot read the webhook backlog for metrics');
        }
      },
    });
  }

  return {
    name: 'webhook-delivery',
    init,
    start() {
      if (loop !== undefined || stopped || options.pollIntervalMs <= 0 || states.length === 0) return;
      loop = background();
    },
    async stop() {
      stopped = true;
      abort.abort();
      await loop;
      await current;
      await releaseLease();
    },
    runOnce,
    async drain({ maxRounds = 50 } = {}) {
      for (let round = 1; ; round++) {
        await runOnce();
        const behind = states.filter((s) => !s.caughtUp);
        if (behind.length === 0) return;
        if (round >= maxRounds) {
          throw new Error(
            `webhook endpoints still behind after ${round} passes: ${behind.map((s) => s.sink.endpoint.name).join(', ')}`,
          );
        }
        const wait = Math.min(...behind.map((s) => s.nextAttemptAt)) - clock();
        if (wait > 0) await sleep(wait);
      }
    },
    status,
  };
}
