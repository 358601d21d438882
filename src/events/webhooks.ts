/**
 * Builds the webhook pieces from `webhooks` config: the sinks, the outbox
 * recorder the registry services use, the request-context store the HTTP
 * layer fills, and the delivery worker. With no endpoint configured there is
 * no recorder (no outbox rows, no AsyncLocalStorage), only an idle worker
 * whose status is an empty list.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Registry as MetricsRegistry } from 'prom-client';
import { isValidRepositoryGlob } from '../oci/repository-glob.js';
import { WEBHOOK_ACTIONS, type WebhooksConfig } from '../config/schema.js';
import type { MetadataStore } from '../metadata/store.js';
import {
  createDeliveryWorker,
  type DeliveryWorker,
  type DeliveryWorkerOptions,
  type Sleep,
} from './delivery-worker.js';
import type { EventSource, NotificationAction } from './notification.js';
import { createOutboxRecorder, type OutboxRecorder } from './outbox-recorder.js';
import { createRequestContextStore, type RequestContextStore } from './request-context.js';
import { createWebhookSink, type WebhookEndpoint } from './webhook-sink.js';

/** A `webhooks` setting that cannot work; the message names the field. */
export class WebhookConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WebhookConfigError';
  }
}

export interface WebhooksOptions {
  config: WebhooksConfig;
  metadata: MetadataStore;
  logger: Logger;
  clock: () => number;
  sleep?: Sleep | undefined;
  metrics?: MetricsRegistry | undefined;
  /** `publicUrl`, for absolute `target.url`s. */
  publicUrl?: string | undefined;
  /** Event ids; random UUIDs by default. */
  ids?: (() => string) | undefined;
  /**
   * This instance's id: delivery then runs under the metadata store lease
   * `webhook-delivery`, on one instance at a time.
   */
  leaseHolder?: string | undefined;
}

/** Name of the delivery lease in the metadata store. */
export const DELIVERY_LEASE = 'webhook-delivery';

/**
 * Lease lifetime: renewed every pass and before every POST, so it must
 * outlast one POST (its timeout) and one poll interval with room to spare.
 */
function leaseTtlMs(config: WebhooksConfig): number {
  const longestTimeout = Math.max(0, ...config.endpoints.map((e) => e.timeoutSeconds)) * 1000;
  return Math.max(30_000, 3 * config.pollIntervalMs, 3 * longestTimeout);
}

export interface Webhooks {
  /** Undefined when no endpoint is configured. */
  recorder: OutboxRecorder | undefined;
  contexts: RequestContextStore;
  worker: DeliveryWorker;
  /** This instance as events name it; set `addr` once the port is bound. */
  source: EventSource;
}

/**
 * Checks what the schema cannot: unique names, usable globs.
 *
 * @throws WebhookConfigError naming the field.
 */
export function checkWebhooksConfig(config: WebhooksConfig): void {
  const seen = new Set<string>();
  config.endpoints.forEach((endpoint, i) => {
    const where = `webhooks.endpoints[${i}]`;
    if (seen.has(endpoint.name))
      throw new WebhookConfigError(`${where}.name: "${endpoint.name}" is used by another endpoint`);
    seen.add(endpoint.name);
    for (const glob of endpoint.repositories ?? []) {
      if (!isValidRepositoryGlob(glob)) {
        throw new WebhookConfigError(
          `${where}.repositories: "${glob}" is not a repository glob ('*' in a segment, '**' across)`,
        );
      }
    }
  });
}

function toEndpoint(config: WebhooksConfig['endpoints'][number]): WebhookEndpoint {
  const endpoint: WebhookEndpoint = {
    name: config.name,
    url: config.url,
    timeoutSeconds: config.timeoutSeconds,
    format: config.format,
    batchSize: config.batchSize,
    maxBackoffSeconds: config.maxBackoffSeconds,
  };
  if (config.actions !== undefined) endpoint.actions = config.actions;
  if (config.repositories !== undefined) endpoint.repositories = config.repositories;
  if (config.artifactTypes !== undefined) endpoint.artifactTypes = config.artifactTypes;
  if (config.headers !== undefined) endpoint.headers = config.headers;
  if (config.secret !== undefined) endpoint.secret = config.secret;
  return endpoint;
}

/**
 * @throws WebhookConfigError (see {@link checkWebhooksConfig}).
 * @example
 * const webhooks = createWebhooks({ config: config.webhooks, metadata, logger, clock: Date.now });
 * await webhooks.worker.init(); // before accepting requests
 */
export function createWebhooks(options: WebhooksOptions): Webhooks {
  checkWebhooksConfig(options.config);
  const endpoints = options.config.endpoints.map(toEndpoint);
  const sinks = endpoints.map((e) => createWebhookSink(e));
  const actions = new Set<NotificationAction>(endpoints.flatMap((e) => e.actions ?? WEBHOOK_ACTIONS));
  const contexts = createRequestContextStore();
  const source: EventSource = { addr: '', instanceID: randomUUID() };
  const recorder =
    endpoints.length === 0
      ? undefined
      : createOutboxRecorder({
          metadata: options.metadata,
          actions,
          contexts,
          source,
          ids: options.ids ?? randomUUID,
          clock: options.clock,
          logger: options.logger,
          baseUrl: options.publicUrl,
        });
  const workerOptions: DeliveryWorkerOptions = {
    metadata: options.metadata,
    sinks,
    logger: options.logger,
    clock: options.clock,
    pollIntervalMs: options.config.pollIntervalMs,
  };
  if (options.sleep !== undefined) workerOptions.sleep = options.sleep;
  if (options.metrics !== undefined) workerOptions.metrics = options.metrics;
  const holder = options.leaseHolder;
  if (holder !== undefined) {
    const ttl = leaseTtlMs(options.config);
    workerOptions.lease = {
      acquire: () => options.metadata.acquireLease(DELIVERY_LEASE, holder, ttl, options.clock()),
      release: () => options.metadata.releaseLease(DELIVERY_LEASE, holder),
    };
  }
  for (const sink of sinks)
    options.logger.info({ endpoint: sink.describe() }, `webhook endpoint ${sink.endpoint.name} configured`);
  return { recorder, contexts, worker: createDeliveryWorker(workerOptions), source };
}
