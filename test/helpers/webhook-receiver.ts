/**
 * A webhook endpoint for tests: a plain node:http server on 127.0.0.1 that
 * records every request (path, headers, raw body) and answers with queued
 * statuses (then 200).
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { NotificationEvent } from '../../src/events/notification.js';

export interface ReceivedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** Raw bytes, exactly as received (signatures are over these). */
  body: Buffer;
  /** Status the receiver answered. */
  status: number;
}

export interface WebhookReceiver {
  /** Base URL; endpoints may add a path to tell themselves apart. */
  url: string;
  requests: ReceivedRequest[];
  /** Answers the next requests with these statuses, in order; 200 afterwards. */
  respondWith(...statuses: number[]): void;
  /** Answers every request with this status until changed (undefined: back to 200). */
  always(status: number | undefined): void;
  /** Events of the requests answered 2xx (optionally only those sent to `path`), in arrival order. */
  delivered(path?: string): NotificationEvent[];
  close(): Promise<void>;
}

/** Events in a distribution envelope body. */
export function envelopeEvents(body: Buffer): NotificationEvent[] {
  return (JSON.parse(body.toString('utf8')) as { events: NotificationEvent[] }).events;
}

/**
 * @example
 * const receiver = await startWebhookReceiver();
 * after(() => receiver.close());
 */
export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const requests: ReceivedRequest[] = [];
  const queued: number[] = [];
  let fixed: number | undefined;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const status = queued.shift() ?? fixed ?? 200;
      requests.push({
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks),
        status,
      });
      res.writeHead(status, { 'content-type': 'text/plain' }).end(status < 300 ? 'ok' : 'nope');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    respondWith: (...statuses) => queued.push(...statuses),
    always: (status) => {
      fixed = status;
    },
    delivered(path) {
      return requests
        .filter((r) => r.status < 300 && (path === undefined || r.path === path))
        .flatMap((r) => {
          const parsed = JSON.parse(r.body.toString('utf8')) as
            { events?: NotificationEvent[] } | { data: NotificationEvent }[];
          return Array.isArray(parsed) ? parsed.map((c) => c.data) : (parsed.events ?? []);
        });
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err === undefined ? resolve() : reject(err)));
      }),
  };
}
