/**
 * Per-client rate limiting (issue 7, "Hardening"): a token bucket per client,
 * refused with 429 `TOOMANYREQUESTS`, a `Retry-After` in seconds and the JSON
 * error body.
 *
 * The check runs first thing (onRequest), before any work and before
 * authentication, so it also slows down password guessing. The client is the
 * user when the request's `Authorization` header is one already seen to
 * authenticate that user (remembered as a hash, for a few minutes), else the
 * client address (`request.ip`, which honours `http.trustProxy`). So a user's
 * pushes are not counted against everyone behind the same NAT, and made-up
 * credentials are always counted against the address they come from.
 */
import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { RegistryError } from '../oci/errors.js';
import { createTokenBuckets, type TokenBuckets } from './token-bucket.js';
import { userOf } from './client-key.js';
import { rawPath } from './raw-path.js';

export interface RateLimitOptions {
  requestsPerSecond: number;
  burst: number;
  /** Most clients tracked at once (see token-bucket.ts). */
  maxClients: number;
  clock: () => number;
  /** Paths never limited: health probes and metrics scrapes. */
  exempt?: readonly string[];
}

/** How long a credential that authenticated a user keeps counting as that user. */
const CREDENTIAL_TTL_MS = 10 * 60 * 1000;
const MAX_CREDENTIALS = 10_000;

function digestOf(authorization: string): string {
  return createHash('sha256').update(authorization).digest('base64url');
}

/** Hashes of `Authorization` values that authenticated a user, oldest first. */
function createCredentialCache(clock: () => number): {
  userOf(authorization: string | undefined): string | undefined;
  remember(authorization: string, user: string): void;
} {
  const known = new Map<string, { user: string; until: number }>();
  return {
    userOf(authorization) {
      if (authorization === undefined) return undefined;
      const entry = known.get(digestOf(authorization));
      return entry !== undefined && entry.until > clock() ? entry.user : undefined;
    },
    remember(authorization, user) {
      const key = digestOf(authorization);
      known.delete(key);
      known.set(key, { user, until: clock() + CREDENTIAL_TTL_MS });
      for (const [oldest] of known) {
        if (known.size <= MAX_CREDENTIALS) break;
        known.delete(oldest);
      }
    },
  };
}

/**
 * Adds the limit to every request of `app` (except `exempt` paths).
 *
 * @example
 * registerRateLimit(app, { requestsPerSecond: 20, burst: 200, maxClients: 100000, clock: Date.now });
 */
export function registerRateLimit(app: FastifyInstance, options: RateLimitOptions): TokenBuckets {
  const buckets = createTokenBuckets({
    requestsPerSecond: options.requestsPerSecond,
    burst: options.burst,
    maxKeys: options.maxClients,
    clock: options.clock,
  });
  const credentials = createCredentialCache(options.clock);
  const exempt = new Set(options.exempt ?? []);

  app.addHook('onRequest', async (request) => {
    if (exempt.has(rawPath(request))) return;
    const user = credentials.userOf(request.headers.authorization);
    const key = user === undefined ? `ip:${request.ip}` : `user:${user}`;
    const decision = buckets.take(key);
    if (decision.allowed) return;
    const who = user === undefined ? 'this client address' : `user ${user}`;
    throw new RegistryError(
      'TOOMANYREQUESTS',
      `more than ${options.requestsPerSecond} requests per second (burst ${options.burst}) from ${who}; ` +
        `retry after ${decision.retryAfterSeconds} s and send fewer requests at once`,
      { headers: { 'Retry-After': String(decision.retryAfterSeconds) } },
    );
  });
  app.addHook('onResponse', async (request) => {
    const authorization = request.headers.authorization;
    const user = userOf(request);
    if (user !== undefined && authorization !== undefined) credentials.remember(authorization, user);
  });
  return buckets;
}
