/**
 * `/v2/<name>/tags/list` (distribution-spec end-8a, end-8b).
 */
import { nextLink, pageNumber, singleParam } from '../headers.js';
import { repoPath, type RouteContext, type V2Route } from '../v2-router.js';
import { RegistryError } from '../../oci/errors.js';

async function list(ctx: RouteContext): Promise<unknown> {
  const name = ctx.params.name as string;
  const n = pageNumber(ctx.query);
  const last = singleParam(ctx.query, 'last');
  if (n === 0) {
    // "When n is zero, this endpoint MUST return an empty list" (but 404 for an unknown repo).
    await ctx.registry.listings.tags(name, { n: 1 }).catch((err: unknown) => {
      if (err instanceof RegistryError && err.code === 'NAME_UNKNOWN') throw err;
    });
    return ctx.reply.send({ name, tags: [] });
  }
  const request: { n?: number; last?: string } = {};
  if (n !== undefined) request.n = n;
  if (last !== undefined) request.last = last;
  const page = await ctx.registry.listings.tags(name, request);
  const tags = page.items;
  if (page.more && tags.length > 0) {
    ctx.reply.header('Link', nextLink(ctx.path, { n: n ?? tags.length, last: tags[tags.length - 1] }));
  }
  return ctx.reply.send({ name, tags });
}

export const tagRoutes: V2Route = {
  id: 'tags',
  pattern: repoPath('tags/list'),
  methods: { GET: list },
  access: { GET: 'pull' },
};
