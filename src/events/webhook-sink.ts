/**
 * One webhook endpoint: which events it wants (actions, repository globs,
 * artifact types) and how a batch is POSTed to it (format, headers, HMAC
 * signature, timeout). Delivery order, cursors and retries are the delivery
 * worker's (`delivery-worker.ts`).
 *
 * Secrets never leave this module except as the signature header; the
 * sink's public description ({@link WebhookSink.describe}) omits them.
 */
import { createHmac } from 'node:crypto';
import { compileRepositoryGlob } from '../oci/repository-glob.js';
import type { StoredEvent } from '../metadata/store.js';
import { encodeBatch, type NotificationAction, type NotificationEvent } from './notification.js';

/** An endpoint as configured (`webhooks.endpoints[]`). */
export interface WebhookEndpoint {
  name: string;
  url: string;
  actions?: NotificationAction[];
  repositories?: string[];
  artifactTypes?: string[];
  headers?: Record<string, string>;
  timeoutSeconds: number;
  secret?: string;
  format: 'distribution' | 'cloudevents';
  batchSize: number;
  maxBackoffSeconds: number;
}

/** Outcome of one POST. */
export type SendResult = { ok: true; status: number } | { ok: false; error: string };

/** What `GET /v2/_berth/webhooks` may show of an endpoint: no secret, no header values. */
export interface WebhookDescription {
  name: string;
  /**
   * Scheme and host only: chat and CI webhook URLs carry their secret in the
   * path (`/services/T…/B…/<token>`) or the query, so neither is shown.
   */
  url: string;
  format: 'distribution' | 'cloudevents';
  actions: NotificationAction[] | 'all';
  repositories: string[] | 'all';
  artifactTypes: string[] | 'all';
  headerNames: string[];
  signed: boolean;
}

export interface WebhookSink {
  readonly endpoint: WebhookEndpoint;
  /** True when the endpoint's filters accept the event. */
  accepts(event: StoredEvent): boolean;
  /** POSTs one batch; resolves (never rejects) with the outcome, within the timeout. */
  send(events: readonly StoredEvent[]): Promise<SendResult>;
  describe(): WebhookDescription;
}

/** Header carrying the body's HMAC-SHA256: `sha256=<hex>`. */
export const SIGNATURE_HEADER = 'X-Berth-Signature';

/**
 * The signature header's value for a body: `sha256=` and the hex HMAC-SHA256
 * of the raw bytes under the secret. Receivers recompute it over the bytes
 * they received (before any JSON parsing) and compare in constant time.
 *
 * @example
 * signBody('s3cret', Buffer.from('{"events":[]}')); // 'sha256=…'
 */
export function signBody(secret: string, body: Buffer): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

export interface WebhookSinkOptions {
  /** HTTP client; the platform `fetch` unless a test injects one. */
  fetch?: typeof fetch;
  userAgent?: string;
}

function payloadOf(event: StoredEvent): Partial<NotificationEvent> {
  return typeof event.payload === 'object' && event.payload !== null ? event.payload : {};
}

function describeError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  if (err.name === 'TimeoutError') return 'timed out';
  const cause = (err as Error & { cause?: { code?: unknown; message?: unknown } }).cause;
  const detail =
    typeof cause?.code === 'string' ? cause.code : typeof cause?.message === 'string' ? cause.message : undefined;
  return detail === undefined ? err.message : `${err.message}: ${detail}`;
}

/**
 * @throws Error when a repository glob is invalid (config checks come first).
 * @example
 * const sink = createWebhookSink({ name: 'ci', url: 'https://ci.example/hook', timeoutSeconds: 10, format: 'distribution', batchSize: 10, maxBackoffSeconds: 300 });
 */
export function createWebhookSink(endpoint: WebhookEndpoint, options: WebhookSinkOptions = {}): WebhookSink {
  const send = options.fetch ?? fetch;
  const actions = endpoint.actions === undefined ? undefined : new Set<string>(endpoint.actions);
  const globs = endpoint.repositories?.map(compileRepositoryGlob);
  const types = endpoint.artifactTypes === undefined ? undefined : new Set(endpoint.artifactTypes);

  return {
    endpoint,

    accepts(event) {
      if (actions !== undefined && !actions.has(event.action)) return false;
      if (globs !== undefined && !globs.some((matches) => matches(event.repo))) return false;
      if (types !== undefined) {
        const target = payloadOf(event).target;
        const named = [target?.artifactType, target?.artifactTypeName].filter((v): v is string => v !== undefined);
        if (!named.some((v) => types.has(v))) return false;
      }
      return true;
    },

    async send(events) {
      const { contentType, body } = encodeBatch(
        events.map((e) => e.payload as NotificationEvent),
        endpoint.format,
      );
      const headers: Record<string, string> = {
        ...endpoint.headers,
        'Content-Type': contentType,
        'User-Agent': options.userAgent ?? 'berth-webhooks',
      };
      if (endpoint.secret !== undefined) headers[SIGNATURE_HEADER] = signBody(endpoint.secret, body);
      try {
        // No redirects: a 3xx is a failure (a redirect would turn POST into GET, and could point anywhere).
        const res = await send(endpoint.url, {
          method: 'POST',
          headers,
          body,
          redirect: 'manual',
          signal: AbortSignal.timeout(endpoint.timeoutSeconds * 1000),
        });
        await res.body?.cancel();
        if (res.status >= 200 && res.status < 300) return { ok: true, status: res.status };
        return { ok: false, error: `HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''}` };
      } catch (err) {
        return { ok: false, error: describeError(err) };
      }
    },

    describe() {
      const url = new URL(endpoint.url);
      return {
        name: endpoint.name,
        url: `${url.protocol}//${url.host}`,
        format: endpoint.format,
        actions: endpoint.actions ?? 'all',
        repositories: endpoint.repositories ?? 'all',
        artifactTypes: endpoint.artifactTypes ?? 'all',
        headerNames: Object.keys(endpoint.headers ?? {}),
        signed: endpoint.secret !== undefined,
      };
    },
  };
}
