/**
 * `GET /v2/_berth/webhooks`: each configured endpoint's delivery state
 * (backlog after its cursor, last success, last failure and its message,
 * consecutive failures). Secrets and header values are never shown.
 */
import type { EndpointStatus } from '../../events/delivery-worker.js';
import type { RouteContext, V2Route } from '../v2-router.js';

/**
 * Must come before the catch-all `berth-unknown` route in `extraRoutes`.
 *
 * @example
 * createHttpApp({ …, extraRoutes: [createWebhookRoutes(() => worker.status()), ...berthApiRoutes] });
 */
export function createWebhookRoutes(status: () => Promise<EndpointStatus[]>): V2Route {
  async function list(ctx: RouteContext): Promise<unknown> {
    return ctx.reply.header('Cache-Control', 'no-store').send({ endpoints: await status() });
  }
  // Endpoint names, hosts, backlogs and errors are for operators (auth.admins).
  return { id: 'berth-webhooks', pattern: /^\/v2\/_berth\/webhooks$/, methods: { GET: list }, access: { GET: 'admin' } };
}
