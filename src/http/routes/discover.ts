/**
 * `GET /v2/_oci/ext/discover` (distribution-spec extensions-_oci.md): the
 * extensions this registry serves. Route modules register what they add.
 */
import type { RouteContext, V2Route } from '../v2-router.js';

/** One entry of the `extensions` array. */
export interface ExtensionInfo {
  name: string;
  url: string;
  description: string;
  endpoints: string[];
}

export function createDiscoverRoutes(extensions: readonly ExtensionInfo[]): V2Route {
  const body = JSON.stringify({ extensions });
  return {
    id: 'discover',
    pattern: /^\/v2\/_oci\/ext\/discover$/,
    methods: {
      GET: (ctx: RouteContext) => Promise.resolve(ctx.reply.type('application/json').send(body)),
    },
  };
}
