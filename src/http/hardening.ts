/**
 * Wires berth's request hardening into the HTTP app (issue 7, "Hardening"):
 * per-client rate limiting, the body idle timeout, the upload session limit
 * and the audit log. Each lives in its own module; this one only decides
 * which are on.
 */
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { isRegistryError } from '../oci/errors.js';
import type { Registry } from '../registry/registry.js';
import { registerAuditLog } from './audit-log.js';
import { registerBodyIdleTimeout } from './body-timeout.js';
import { registerRateLimit } from './rate-limit.js';
import { createUploadLimiter, limitUploads, type UploadLimiter } from './upload-limit.js';
import type { V2Route } from './v2-router.js';

export interface HardeningOptions {
  /** `http.rateLimit`; off when absent or `requestsPerSecond` is 0. */
  rateLimit?: { requestsPerSecond: number; burst: number; maxClients: number };
  /** `http.bodyIdleTimeoutSeconds`; 0 or absent: off. */
  bodyIdleTimeoutSeconds?: number;
  /** `registry.maxUploadsPerClient`; 0 or absent: no limit. */
  maxUploadsPerClient?: number;
  /** Where audit records go; absent: no audit log. */
  audit?: Logger;
  /** Epoch milliseconds (rate limiting, upload bookkeeping). */
  clock?: () => number;
}

export interface Hardening {
  /** The `/v2/` routes with the per-client upload limit applied. */
  routes(routes: readonly V2Route[]): V2Route[];
  readonly uploads?: UploadLimiter;
}

/** Paths the rate limit never applies to. */
const UNLIMITED_PATHS = ['/healthz', '/readyz', '/metrics'];

/**
 * Registers the hooks that are on; call after the request-context hooks and
 * before routes are added.
 *
 * @example
 * const hardening = registerHardening(app, registry, logger, { rateLimit: { requestsPerSecond: 20, burst: 200, maxClients: 100000 } });
 * const routes = hardening.routes([...]);
 */
export function registerHardening(app: FastifyInstance, registry: Registry, logger: Logger, options: HardeningOptions): Hardening {
  const clock = options.clock ?? Date.now;
  const rate = options.rateLimit;
  if (rate !== undefined && rate.requestsPerSecond > 0) {
    registerRateLimit(app, { ...rate, clock, exempt: UNLIMITED_PATHS });
  }
  const idleSeconds = options.bodyIdleTimeoutSeconds ?? 0;
  if (idleSeconds > 0) registerBodyIdleTimeout(app, { idleMs: idleSeconds * 1000, logger });
  if (options.audit !== undefined) registerAuditLog(app, options.audit);

  const max = options.maxUploadsPerClient ?? 0;
  if (max <= 0) return { routes: (routes) => [...routes] };
  const uploads = createUploadLimiter({
    maxPerClient: max,
    clock,
    idleMs: registry.deps.config.uploadTtlSeconds * 1000,
    exists: async (repo, id) => {
      try {
        await registry.uploads.status(repo, id);
        return true;
      } catch (err) {
        if (isRegistryError(err, 'BLOB_UPLOAD_UNKNOWN')) return false;
        throw err;
      }
    },
  });
  return { routes: (routes) => limitUploads(routes, uploads), uploads };
}
