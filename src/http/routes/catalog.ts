/**
 * `/v2/_catalog`: every repository name in byte order, paginated like tags.
 */
import { nextLink, pageNumber, singleParam } from '../headers.js';
import type { RouteContext, V2Route } from '../v2-router.js';
import { filteredPage } from '../filtered-page.js';

async function list(ctx: RouteContext): Promise<unknown> {
  const n = pageNumber(ctx.query);
  const last = singleParam(ctx.query, 'last');
  if (n === 0) return ctx.reply.send({ repositories: [] });
  const request: { n?: number; last?: string } = {};
  if (n !== undefined) request.n = n;
  if (last !== undefined) request.last = last;
  const { listings, deps } = ctx.registry;
  const page = ctx.permissions.unrestricted
    ? await listings.catalog(request)
    : await filteredPage(
        (after, size) => listings.catalog(after === undefined ? { n: size } : { n: size, last: after }),
        (repository) => ctx.permissions.lists(repository),
        Math.min(n ?? deps.config.defaultPageSize, deps.config.maxPageSize),
        last,
      );
  const repositories = page.items;
  if (page.more && repositories.length > 0) {
    ctx.reply.header('Link', nextLink(ctx.path, { n: n ?? repositories.length, last: repositories.at(-1) }));
  }
  return ctx.reply.send({ repositories });
}

export const catalogRoutes: V2Route = {
  id: 'catalog',
  pattern: /^\/v2\/_catalog$/,
  methods: { GET: list },
  // Anyone who may talk to the registry; the list holds only repositories they may pull.
  access: { GET: 'catalog' },
};
