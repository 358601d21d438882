/**
 * `GET /v2/` (distribution-spec end-1): 200 says "this is a registry".
 */
import type { RouteContext, V2Route } from '../v2-router.js';

function ping(ctx: RouteContext): Promise<unknown> {
  return Promise.resolve(ctx.reply.type('application/json').send('{}'));
}

export const baseRoutes: V2Route = {
  id: 'base',
  pattern: /^\/v2\/?$/,
  methods: { GET: ping, HEAD: ping },
  access: { GET: 'ping', HEAD: 'ping' },
};
