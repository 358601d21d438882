/**
 * The HTTP side of events, registered only when webhooks are configured:
 *
 * - every request runs inside its {@link RequestContext} (AsyncLocalStorage),
 *   so events recorded by the services carry distribution's `request` record
 *   without the services knowing HTTP;
 * - a manifest or blob GET answered 200 (or a blob redirect, 307) records a
 *   `pull` when some endpoint wants pulls; a manifest PUT refused with
 *   `DENIED` (type governance, quota or authorization) records `denied`.
 *
 * Pull and denied events commit nothing, so they are written after the
 * response has been sent (onResponse), never delaying it; see
 * `events/outbox-recorder.ts` for what that means on a crash.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { RegistryError } from '../oci/errors.js';
import type { Registry } from '../registry/registry.js';
import type { NotificationChange } from '../events/notification.js';
import type { OutboxRecorder } from '../events/outbox-recorder.js';
import type { RequestContext, RequestContextStore } from '../events/request-context.js';
import { BLOB_PATH, MANIFEST_PATH, rawPath } from './raw-path.js';

export interface EventHooksOptions {
  registry: Registry;
  recorder: OutboxRecorder;
  contexts: RequestContextStore;
}

function header(reply: FastifyReply, name: string): string | undefined {
  const value = reply.getHeader(name);
  return typeof value === 'string' ? value : typeof value === 'number' ? String(value) : undefined;
}

function contextOf(request: FastifyRequest): RequestContext {
  const socket = request.raw.socket;
  const addr =
    request.ip === socket.remoteAddress && socket.remotePort !== undefined
      ? `${request.ip}:${socket.remotePort}`
      : request.ip;
  return {
    requestId: request.id,
    addr,
    host: request.host,
    method: request.method,
    userAgent: request.headers['user-agent'] ?? '',
    // Read when an event is built: authentication sets `request.user` after this hook.
    get actor() {
      const user = (request as { user?: unknown }).user;
      return typeof user === 'string' ? user : undefined;
    },
  };
}

/** The type a DENIED from the type hooks names in its detail (`{ artifactType, type }`). */
function deniedType(err: RegistryError): { artifactType?: string; artifactTypeName?: string } {
  const detail = err.detail as { artifactType?: unknown; type?: unknown } | undefined;
  const out: { artifactType?: string; artifactTypeName?: string } = {};
  if (typeof detail?.artifactType === 'string') out.artifactType = detail.artifactType;
  if (typeof detail?.type === 'string') out.artifactTypeName = detail.type;
  return out;
}

function deniedChange(request: FastifyRequest, err: RegistryError): NotificationChange | undefined {
  const m = MANIFEST_PATH.exec(rawPath(request));
  if (m?.groups === undefined) return undefined;
  const reference = m.groups.reference ?? '';
  const target: NotificationChange['target'] = { ...deniedType(err) };
  if (reference.includes(':')) target.digest = reference;
  else target.tag = reference;
  const mediaType = request.headers['content-type'];
  if (mediaType !== undefined) target.mediaType = mediaType;
  return { action: 'denied', repo: m.groups.name ?? '', target };
}

async function manifestPull(
  registry: Registry,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<NotificationChange | undefined> {
  const m = MANIFEST_PATH.exec(rawPath(request));
  const digest = header(reply, 'docker-content-digest');
  if (m?.groups === undefined || digest === undefined) return undefined;
  const repo = m.groups.name ?? '';
  const target: NotificationChange['target'] = { digest };
  const mediaType = header(reply, 'content-type');
  if (mediaType !== undefined) target.mediaType = mediaType;
  const size = Number(header(reply, 'content-length'));
  if (Number.isSafeInteger(size)) target.size = size;
  const reference = m.groups.reference ?? '';
  if (!reference.includes(':')) target.tag = reference;
  const record = await registry.manifests.stat(repo, digest).catch(() => undefined);
  if (record?.artifactType != null) {
    target.artifactType = record.artifactType;
    target.artifactTypeName = registry.deps.types.resolve(record.artifactType)?.name ?? null;
  }
  return { action: 'pull', repo, target };
}

function blobPull(request: FastifyRequest, reply: FastifyReply): NotificationChange | undefined {
  const m = BLOB_PATH.exec(rawPath(request));
  const digest = header(reply, 'docker-content-digest');
  if (m?.groups === undefined || digest === undefined) return undefined;
  const target: NotificationChange['target'] = { digest };
  const size = Number(header(reply, 'content-length'));
  if (reply.statusCode === 200 && Number.isSafeInteger(size)) target.size = size;
  return { action: 'pull', repo: m.groups.name ?? '', target };
}

/**
 * @example
 * registerEventHooks(app, { registry, recorder, contexts });
 */
export function registerEventHooks(app: FastifyInstance, options: EventHooksOptions): void {
  const { recorder, contexts, registry } = options;
  const contextByRequest = new WeakMap<FastifyRequest, RequestContext>();
  const denied = new WeakMap<FastifyRequest, RegistryError>();

  app.addHook('onRequest', (request, _reply, done) => {
    const context = contextOf(request);
    contextByRequest.set(request, context);
    contexts.run(context, done);
  });

  app.addHook('onError', (request, _reply, error, done) => {
    if (error instanceof RegistryError && error.toJSON().code === 'DENIED' && request.method === 'PUT')
      denied.set(request, error);
    done();
  });

  app.addHook('onResponse', (request, reply, done) => {
    const context = contextByRequest.get(request);
    const refusal = denied.get(request);
    if (refusal !== undefined) {
      const change = deniedChange(request, refusal);
      if (change !== undefined && recorder.wants('denied')) recorder.record(change, context);
    } else if (request.method === 'GET' && recorder.wants('pull')) {
      if (request.routeId === 'manifest' && reply.statusCode === 200) {
        recorder.record(manifestPull(registry, request, reply), context);
      } else if (request.routeId === 'blob' && (reply.statusCode === 200 || reply.statusCode === 307)) {
        const change = blobPull(request, reply);
        if (change !== undefined) recorder.record(change, context);
      }
    }
    done();
  });
}
