/**
 * The HTTP application: Fastify with no body parsing (handlers stream the
 * raw request), one error handler, the `/v2/` router, and health endpoints.
 * The only module that knows the HTTP framework.
 */
import { randomUUID } from 'node:crypto';
import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify';
import type { Logger } from 'pino';
import { RegistryError } from '../oci/errors.js';
import type { Registry } from '../registry/registry.js';
import { sendError } from './errors.js';
import { dispatch, type V2Route } from './v2-router.js';
import { baseRoutes } from './routes/base.js';
import { blobRoutes } from './routes/blobs.js';
import { uploadSessionRoutes, uploadStartRoutes } from './routes/uploads.js';
import { manifestRoutes } from './routes/manifests.js';
import { tagRoutes } from './routes/tags.js';
import { catalogRoutes } from './routes/catalog.js';
import { referrerRoutes } from './routes/referrers.js';
import { createDiscoverRoutes, type ExtensionInfo } from './routes/discover.js';
import type { Auth } from '../auth/auth.js';
import { createAdminGuard, createAuthGuard } from './auth-hook.js';
import { registerTokenRoutes } from './routes/token.js';
import { registerHttpMetrics, type MetricsRegistry } from './metrics.js';
import { registerEventHooks, type EventHooksOptions } from './event-hooks.js';
import { createClientErrorHandler } from './client-errors.js';
import { redactUrl } from './redact-url.js';
import { registerHardening, type HardeningOptions } from './hardening.js';
import { httpsServerFactory, type TlsPair } from './tls.js';
import type { FreeChunk } from './free-chunk.js';

export interface HttpAppOptions {
  registry: Registry;
  logger: Logger;
  /** Extra `/v2/_…` routes (berth's own API), tried before the OCI routes. */
  extraRoutes?: V2Route[];
  extensions?: ExtensionInfo[];
  /** Log one line per request. */
  logRequests?: boolean;
  maxHeaderBytes?: number;
  trustProxy?: boolean;
  /** Readiness probe: resolves when storage and metadata answer. */
  ready?: () => Promise<void>;
  /** Who may do what under `/v2/`, and `/token` in token mode; absent: no checks. */
  auth?: Auth;
  /** External base URL; the default token realm is `<publicUrl>/token`. */
  publicUrl?: string;
  /** Request metrics and `GET /metrics` on this Registry (see metrics.ts). */
  metrics?: MetricsRegistry;
  /** Request context and pull/denied events, when webhooks are configured (see event-hooks.ts). */
  events?: Omit<EventHooksOptions, 'registry'>;
  /** Serve HTTPS with this certificate and key (see tls.ts for reloading). */
  tls?: TlsPair;
  /** Rate limit, body idle timeout, upload session limit, audit log (see hardening.ts). */
  hardening?: HardeningOptions;
  /** Frees each upload-body chunk once it is stored (free-chunk.ts); absent, the garbage collector does. */
  freeChunk?: FreeChunk;
}

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

/** Header names whose values never reach logs. */
export const REDACTED_HEADERS = ['authorization', 'cookie', 'proxy-authorization', 'x-registry-auth'];

/**
 * @example
 * const app = createHttpApp({ registry, logger });
 * await app.listen({ host: '127.0.0.1', port: 5000 });
 */
export function createHttpApp(options: HttpAppOptions): FastifyInstance {
  // Typed as Fastify's logger so the instance has Fastify's default logger type.
  const loggerInstance: FastifyBaseLogger = options.logger;
  const app = Fastify({
    loggerInstance,
    logController: new LogController({ disableRequestLogging: true }),
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && /^[A-Za-z0-9._-]{1,64}$/.test(given) ? given : randomUUID();
    },
    trustProxy: options.trustProxy ?? false,
    return503OnClosing: true,
    ...(options.tls === undefined
      ? { http: { maxHeaderSize: options.maxHeaderBytes ?? 16384 } }
      : { serverFactory: httpsServerFactory(options.tls, { maxHeaderSize: options.maxHeaderBytes ?? 16384 }) }),
    clientErrorHandler: createClientErrorHandler(loggerInstance),
    routerOptions: { ignoreTrailingSlash: false, ignoreDuplicateSlashes: false, maxParamLength: 1024 },
    frameworkErrors: (err, request, reply) => onFrameworkError(err, request, reply),
  });

  // Bodies stay unread until a handler streams them.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_req, _payload, done) => done(null, undefined));

  app.setErrorHandler((err, request, reply) => sendError(err, request, reply));
  app.setNotFoundHandler((request, reply) =>
    sendError(new RegistryError('UNKNOWN_ENDPOINT', { path: request.url.split('?')[0]?.slice(0, 200) }), request, reply),
  );

  app.addHook('onRequest', (request, reply, done) => {
    reply.header('Docker-Distribution-API-Version', 'registry/2.0');
    reply.header('X-Request-Id', request.id);
    done();
  });
  // Before any hook that authenticates: those run inside the request context.
  if (options.events !== undefined) registerEventHooks(app, { ...options.events, registry: options.registry });
  if (options.metrics !== undefined) {
    registerHttpMetrics(app, options.metrics, options.auth === undefined ? undefined : createAdminGuard(options.auth));
  }
  const hardening = registerHardening(app, options.registry, options.logger, options.hardening ?? {});

  if (options.logRequests !== false) {
    // The access line is built only from values that hold no credentials (the
    // URL passes redactUrl, `user` is a name), so it skips pino's redaction
    // walk, which cost ~15 % of a small request's CPU.
    const accessLog = options.logger.child({}, { redact: [] });
    app.addHook('onResponse', (request: FastifyRequest, reply, done) => {
      accessLog.info(
        {
          reqId: request.id,
          method: request.method,
          url: redactUrl(request.url),
          route: request.routeId,
          repo: request.repo,
          user: request.user,
          status: reply.statusCode,
          ms: Math.round(reply.elapsedTime * 10) / 10,
          remote: request.ip,
        },
        'request',
      );
      done();
    });
  }

  const routes: V2Route[] = hardening.routes([
    baseRoutes,
    createDiscoverRoutes(options.extensions ?? []),
    catalogRoutes,
    ...(options.extraRoutes ?? []),
    uploadStartRoutes,
    uploadSessionRoutes,
    blobRoutes,
    manifestRoutes,
    tagRoutes,
    referrerRoutes,
  ]);
  const guard =
    options.auth === undefined
      ? undefined
      : createAuthGuard(options.auth, options.publicUrl === undefined ? {} : { publicUrl: options.publicUrl });
  if (options.auth?.grants !== undefined) registerTokenRoutes(app, options.auth.grants);
  const handler = (request: FastifyRequest, reply: Parameters<typeof dispatch>[3]): Promise<unknown> =>
    dispatch(routes, options.registry, request, reply, { guard, freeChunk: options.freeChunk });
  /**
   * find-my-way refuses a path it cannot percent-decode (`/v2/a/manifests/%`)
   * or whose wildcard exceeds maxParamLength, before any hook runs. Under
   * `/v2/` the raw-path router judges such a path by the grammar instead
   * (NAME_INVALID, TAG_INVALID, …); anything else gets the error format.
   */
  function onFrameworkError(err: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
    reply.header('Docker-Distribution-API-Version', 'registry/2.0').header('X-Request-Id', request.id);
    const badPath = err.code === 'FST_ERR_BAD_URL' || err.code === 'FST_ERR_MAX_PARAM_LENGTH';
    if (!badPath || !(request.raw.url ?? '').startsWith('/v2/')) {
      sendError(err, request, reply);
      return;
    }
    void handler(request, reply).catch((e: unknown) => sendError(e, request, reply));
  }
  app.route({ method: [...METHODS], url: '/v2', handler });
  app.route({ method: [...METHODS], url: '/v2/*', handler });

  app.get('/healthz', (_req, reply) => reply.send({ status: 'ok' }));
  app.get('/readyz', async (request, reply) => {
    try {
      await options.ready?.();
      return await reply.send({ status: 'ready' });
    } catch (err) {
      request.log.warn({ err }, 'not ready');
      return reply.code(503).send({ status: 'unavailable' });
    }
  });
  return app;
}
