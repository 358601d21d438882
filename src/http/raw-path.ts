/**
 * The request path exactly as the client sent it (not percent-decoded, no
 * query), which is what the `/v2/` grammar is judged on, and the two `/v2/`
 * paths that hooks outside the router (events, audit) read names from.
 */
import type { FastifyRequest } from 'fastify';

/** `/v2/<name>/manifests/<reference>` (raw path). */
export const MANIFEST_PATH = /^\/v2\/(?<name>.+)\/manifests\/(?<reference>[^/]+)$/;
/** `/v2/<name>/blobs/<digest>` (raw path). */
export const BLOB_PATH = /^\/v2\/(?<name>.+)\/blobs\/(?<digest>[^/]+)$/;

/**
 * @example
 * rawPath(request); // '/v2/a%2Fb/tags/list' for GET /v2/a%2Fb/tags/list?n=10
 */
export function rawPath(request: FastifyRequest): string {
  const url = request.raw.url ?? '/';
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}
