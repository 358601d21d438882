/**
 * Prometheus metrics: one `prom-client` Registry per app (never the global
 * default, so two servers in one process, as in tests, never mix counts),
 * HTTP request metrics recorded by hooks, and `GET /metrics`.
 *
 * Other modules register their own metrics on the same Registry, which the
 * server hands them (`RunningServer.metrics`); names reserved for them:
 * `berth_webhook_backlog`, `berth_webhook_deliveries_total` (events/),
 * `berth_gc_runs_total`, `berth_gc_bytes_freed_total` (GC).
 *
 * Bytes: `berth_http_bytes_received_total` counts request body bytes as the
 * handlers read them (`body.ts` tallies them per request; headers and bodies
 * never read are not counted). `berth_http_bytes_sent_total` counts what was
 * written to the connection for the response, headers included, measured as
 * the growth of the socket's `bytesWritten` over the request, so an aborted
 * download counts what actually went out. (HTTP/1.1 pipelining, which no
 * registry client uses, would blur the split between requests, not the total.)
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Counter, Gauge, Histogram, Registry as MetricsRegistry, collectDefaultMetrics } from 'prom-client';

export { MetricsRegistry };

/**
 * A Registry with the process metrics (CPU, memory, event loop lag, GC).
 *
 * @example
 * const metrics = createMetricsRegistry();
 * createHttpApp({ registry, logger, metrics });
 */
export function createMetricsRegistry(): MetricsRegistry {
  const register = new MetricsRegistry();
  collectDefaultMetrics({ register });
  return register;
}

/** Upload requests that stream a body: POST/PATCH/PUT under `…/blobs/uploads/`. */
const UPLOAD_PATH = /^\/v2\/.+\/blobs\/uploads\//;
const UPLOAD_METHODS = new Set(['POST', 'PATCH', 'PUT']);

/** Route label: the `/v2/` route id (`manifest`, `blob`, `upload-session`, …), else the framework route, else `unmatched`. */
function routeLabel(request: FastifyRequest): string {
  if (request.routeId !== undefined) return request.routeId;
  const url = request.routeOptions.url;
  return url === undefined || url.startsWith('/v2') ? 'unmatched' : url;
}

/**
 * Adds the request metrics hooks and `GET /metrics` to an app.
 *
 * @example
 * registerHttpMetrics(app, createMetricsRegistry());
 */
export function registerHttpMetrics(
  app: FastifyInstance,
  register: MetricsRegistry,
  /** Runs before `/metrics` answers (operators only, when auth is configured). */
  guard?: (request: FastifyRequest) => Promise<void>,
): void {
  const registers = [register];
  const requests = new Counter({
    name: 'berth_http_requests_total',
    help: 'HTTP requests by route, method and status.',
    labelNames: ['route', 'method', 'status'] as const,
    registers,
  });
  const duration = new Histogram({
    name: 'berth_http_request_duration_seconds',
    help: 'Time from request received to response finished, by route and method.',
    labelNames: ['route', 'method'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
    registers,
  });
  const received = new Counter({
    name: 'berth_http_bytes_received_total',
    help: 'Request body bytes read (blob uploads, manifests).',
    registers,
  });
  const sent = new Counter({
    name: 'berth_http_bytes_sent_total',
    help: 'Response bytes written to connections, headers included.',
    registers,
  });
  const uploads = new Gauge({
    name: 'berth_uploads_in_flight',
    help: 'Blob upload requests (POST, PATCH, PUT) currently streaming.',
    registers,
  });
  const writtenAtStart = new WeakMap<FastifyRequest, number>();

  app.addHook('onRequest', (request, reply, done) => {
    writtenAtStart.set(request, request.raw.socket.bytesWritten);
    if (UPLOAD_METHODS.has(request.method) && UPLOAD_PATH.test(request.raw.url ?? '')) {
      uploads.inc();
      // 'close' fires once whether the response finished or the client went away.
      reply.raw.once('close', () => uploads.dec());
    }
    done();
  });

  app.addHook('onResponse', (request, reply, done) => {
    const route = routeLabel(request);
    requests.inc({ route, method: request.method, status: String(reply.statusCode) });
    duration.observe({ route, method: request.method }, reply.elapsedTime / 1000);
    if (request.bodyBytes !== undefined) received.inc(request.bodyBytes);
    const start = writtenAtStart.get(request);
    const written = request.raw.socket.bytesWritten;
    if (start !== undefined && written > start) sent.inc(written - start);
    done();
  });

  app.get('/metrics', guard === undefined ? {} : { preHandler: guard }, async (_request, reply) => {
    const text = await register.metrics();
    return reply.type(register.contentType).send(text);
  });
}
