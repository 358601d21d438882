/**
 * Open upload sessions per client (issue 7, "Limits"): a client (its user
 * when authenticated, else its address) may hold at most
 * `registry.maxUploadsPerClient` sessions; one more start is refused with 429
 * `TOOMANYREQUESTS`, a `Retry-After` and a detail saying what to do.
 *
 * Sessions are counted in this process as they open and close. A session can
 * also end where this process does not see it (expiry, a digest mismatch,
 * another instance), so a client at the limit has its sessions checked
 * against the metadata store before it is refused. With several instances,
 * each counts the sessions opened through it.
 */
import { RegistryError } from '../oci/errors.js';
import { clientKey } from './client-key.js';
import type { RouteContext, RouteHandler, V2Route } from './v2-router.js';

export interface UploadLimitOptions {
  maxPerClient: number;
  /** Whether a session still exists. */
  exists(repo: string, id: string): Promise<boolean>;
  /** Sessions not seen for this long are forgotten (the upload TTL: they expire). */
  idleMs: number;
  clock: () => number;
  /** Retry-After sent with a refusal. */
  retryAfterSeconds?: number;
}

interface Tracked {
  client: string;
  repo: string;
  seen: number;
}

export interface UploadLimiter {
  /**
   * Reserves a place for one more session of `client`, to be given back with
   * {@link UploadLimiter.release} once the start has answered (and
   * {@link UploadLimiter.opened} called if it opened one).
   *
   * @throws RegistryError `TOOMANYREQUESTS` when `client` holds `maxPerClient` live sessions.
   */
  reserve(client: string): Promise<void>;
  release(client: string): void;
  opened(client: string, repo: string, id: string): void;
  /** A chunk arrived: the session is alive. */
  touched(id: string): void;
  closed(id: string): void;
  /** Sessions counted for `client`. */
  count(client: string): number;
}

/**
 * @example
 * const limiter = createUploadLimiter({ maxPerClient: 100, exists, idleMs: 86_400_000, clock: Date.now });
 * await limiter.reserve('ip:10.0.0.7'); // throws TOOMANYREQUESTS at the limit
 * limiter.opened('ip:10.0.0.7', 'app', sessionId);
 * limiter.release('ip:10.0.0.7');
 */
export function createUploadLimiter(options: UploadLimitOptions): UploadLimiter {
  const { maxPerClient, idleMs, clock } = options;
  /** Insertion order is recency order, so idle sessions are found at the front. */
  const sessions = new Map<string, Tracked>();
  const byClient = new Map<string, Set<string>>();
  /** Starts in flight per client, so parallel starts cannot pass the limit together. */
  const pending = new Map<string, number>();
  const held = (client: string): number => (byClient.get(client)?.size ?? 0) + (pending.get(client) ?? 0);

  function forget(id: string): void {
    const tracked = sessions.get(id);
    if (tracked === undefined) return;
    sessions.delete(id);
    const ids = byClient.get(tracked.client);
    ids?.delete(id);
    if (ids?.size === 0) byClient.delete(tracked.client);
  }

  function forgetIdle(): void {
    const before = clock() - idleMs;
    for (const [id, tracked] of sessions) {
      if (tracked.seen > before) return;
      forget(id);
    }
  }

  return {
    async reserve(client) {
      forgetIdle();
      if (held(client) >= maxPerClient) {
        for (const id of [...(byClient.get(client) ?? [])]) {
          const tracked = sessions.get(id);
          if (tracked !== undefined && !(await options.exists(tracked.repo, id))) forget(id);
        }
      }
      const open = held(client);
      if (open < maxPerClient) {
        pending.set(client, (pending.get(client) ?? 0) + 1);
        return;
      }
      const retryAfter = options.retryAfterSeconds ?? 60;
      throw new RegistryError(
        'TOOMANYREQUESTS',
        `${open} upload sessions are open for this client (limit ${maxPerClient}); finish them (PUT) or cancel them ` +
          '(DELETE) before starting more, or push fewer blobs at once',
        { headers: { 'Retry-After': String(retryAfter) } },
      );
    },
    release(client) {
      const left = (pending.get(client) ?? 0) - 1;
      if (left > 0) pending.set(client, left);
      else pending.delete(client);
    },
    opened(client, repo, id) {
      sessions.set(id, { client, repo, seen: clock() });
      let ids = byClient.get(client);
      if (ids === undefined) byClient.set(client, (ids = new Set()));
      ids.add(id);
    },
    touched(id) {
      const tracked = sessions.get(id);
      if (tracked === undefined) return;
      sessions.delete(id);
      sessions.set(id, { ...tracked, seen: clock() });
    },
    closed: forget,
    count(client) {
      return byClient.get(client)?.size ?? 0;
    },
  };
}

function header(ctx: RouteContext, name: string): string | undefined {
  const value = ctx.reply.getHeader(name);
  return typeof value === 'string' ? value : undefined;
}

/**
 * Wraps the upload routes (`upload`: POST start; `upload-session`: PATCH,
 * PUT, DELETE) so sessions are counted per client; other routes pass through.
 * The wrapped handlers run after authorization, so the client is the user
 * when there is one.
 */
export function limitUploads(routes: readonly V2Route[], limiter: UploadLimiter): V2Route[] {
  return routes.map((route) => {
    if (route.id === 'upload' && route.methods.POST !== undefined) {
      const start = route.methods.POST;
      const POST: RouteHandler = async (ctx) => {
        const client = clientKey(ctx.request);
        // A monolithic upload (?digest=) holds its session only for the request.
        if (ctx.query.has('digest')) return start(ctx);
        await limiter.reserve(client);
        try {
          const result = await start(ctx);
          const id = header(ctx, 'Docker-Upload-UUID');
          if (ctx.reply.statusCode === 202 && id !== undefined) limiter.opened(client, ctx.params.name ?? '', id);
          return result;
        } finally {
          limiter.release(client);
        }
      };
      return { ...route, methods: { ...route.methods, POST } };
    }
    if (route.id === 'upload-session') {
      const methods = { ...route.methods };
      for (const method of ['PATCH', 'PUT', 'DELETE'] as const) {
        const inner = route.methods[method];
        if (inner === undefined) continue;
        methods[method] = async (ctx) => {
          // Only a success says for sure what became of the session: after an
          // error it may be gone or not (another repository's name gives 404
          // too), which `reserve` finds out from the store when it matters.
          const result = await inner(ctx);
          const id = ctx.params.uuid ?? '';
          if (method === 'PATCH') limiter.touched(id);
          else limiter.closed(id);
          return result;
        };
      }
      return { ...route, methods };
    }
    return route;
  });
}
