/**
 * Who a request comes from, for limits and the audit log: the authenticated
 * user when there is one, else the client address (`request.ip`, which
 * honours `http.trustProxy`).
 */
import type { FastifyRequest } from 'fastify';

/**
 * The authenticated user of a request, once authentication has run (the
 * auth guard sets `request.user`). Read without depending on the auth
 * module's declaration of that field.
 */
export function userOf(request: FastifyRequest): string | undefined {
  const user = (request as { user?: unknown }).user;
  return typeof user === 'string' ? user : undefined;
}

/**
 * The key a request's client is counted under once authentication has run.
 *
 * @example
 * clientKey(request); // 'user:alice', or 'ip:10.0.0.7' for an anonymous caller
 */
export function clientKey(request: FastifyRequest): string {
  const user = userOf(request);
  return user !== undefined ? `user:${user}` : `ip:${request.ip}`;
}
