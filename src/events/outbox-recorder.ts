/**
 * Turns changes into outbox rows: one row per change whatever the number of
 * endpoints (each endpoint filters at delivery, behind its own cursor).
 *
 * Two ways in:
 * - {@link OutboxRecorder.eventsFor}: pushes, deletes and mounts. The
 *   services store the rows in the same transaction as the change, so an
 *   acknowledged change always has its event.
 * - {@link OutboxRecorder.record}: pulls and denied pushes, which change
 *   nothing to commit with. Written with `appendEvents` after the response,
 *   never delaying it; the writes are tracked and {@link OutboxRecorder.flush}
 *   awaits them, so shutdown (which flushes before closing the store) loses
 *   none. A crash can lose one in flight: acceptable for a pull or a denial,
 *   never for a push (which is why pushes go the transactional way).
 */
import type { Logger } from 'pino';
import type { MetadataStore, OutboxEvent } from '../metadata/store.js';
import {
  buildNotificationEvent,
  type EventSource,
  type NotificationAction,
  type NotificationChange,
} from './notification.js';
import type { RequestContext, RequestContextStore } from './request-context.js';

export interface OutboxRecorderOptions {
  metadata: Pick<MetadataStore, 'appendEvents'>;
  /** Actions at least one endpoint subscribes to; others write nothing. */
  actions: ReadonlySet<NotificationAction>;
  contexts: RequestContextStore;
  source: EventSource;
  /** Event ids (UUIDs in production). */
  ids: () => string;
  /** Epoch ms. */
  clock: () => number;
  logger: Logger;
  /** External base URL for `target.url`. */
  baseUrl?: string | undefined;
}

export interface OutboxRecorder {
  /** True when some endpoint wants events of this action. */
  wants(action: NotificationAction): boolean;
  /**
   * The outbox rows for a change, to store in its transaction: one, or none
   * when no endpoint wants the action. Reads the request context.
   */
  eventsFor(change: NotificationChange): OutboxEvent[];
  /**
   * Writes the event of a change that commits nothing (pull, denied) in the
   * background. `change` may be a promise (a lookup still running); undefined
   * means "nothing to record". Never throws; failures are logged.
   */
  record(change: NotificationChange | Promise<NotificationChange | undefined>, context?: RequestContext): void;
  /** Resolves once every write started by `record` has settled. */
  flush(): Promise<void>;
}

/**
 * @example
 * const recorder = createOutboxRecorder({ metadata, actions: new Set(['push']), contexts, source, ids: randomUUID, clock: Date.now, logger });
 * const registry = createRegistry({ ...deps, events: recorder });
 */
export function createOutboxRecorder(options: OutboxRecorderOptions): OutboxRecorder {
  const pending = new Set<Promise<void>>();

  function toOutbox(change: NotificationChange, context: RequestContext | undefined): OutboxEvent {
    const id = options.ids();
    const createdAt = options.clock();
    const payload = buildNotificationEvent(change, {
      id,
      time: createdAt,
      source: options.source,
      request: context,
      baseUrl: options.baseUrl,
    });
    return { id, action: change.action, repo: change.repo, payload, createdAt };
  }

  async function write(
    change: NotificationChange | Promise<NotificationChange | undefined>,
    context: RequestContext | undefined,
  ): Promise<void> {
    try {
      const resolved = await change;
      if (resolved === undefined || !options.actions.has(resolved.action)) return;
      await options.metadata.appendEvents([toOutbox(resolved, context)]);
    } catch (err) {
      options.logger.warn({ err }, 'could not record an event outside a change');
    }
  }

  return {
    wants: (action) => options.actions.has(action),

    eventsFor(change) {
      if (!options.actions.has(change.action)) return [];
      return [toOutbox(change, options.contexts.current())];
    },

    record(change, context) {
      const job = write(change, context ?? options.contexts.current());
      pending.add(job);
      void job.finally(() => pending.delete(job));
    },

    async flush() {
      while (pending.size > 0) await Promise.all([...pending]);
    },
  };
}
