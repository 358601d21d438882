/**
 * `/v2/<name>/referrers/<digest>` (distribution-spec end-12a, end-12b):
 * always 200 with an OCI image index, empty when nothing refers.
 */
import { MEDIA_TYPE_OCI_INDEX } from '../../oci/media-types.js';
import { nextLink, pageNumber, singleParam } from '../headers.js';
import { repoPath, type RouteContext, type V2Route } from '../v2-router.js';

async function list(ctx: RouteContext): Promise<unknown> {
  const name = ctx.params.name as string;
  const artifactType = singleParam(ctx.query, 'artifactType');
  const request: { artifactType?: string; last?: string; n?: number } = {};
  if (artifactType !== undefined && artifactType !== '') request.artifactType = artifactType;
  const last = singleParam(ctx.query, 'last');
  if (last !== undefined) request.last = last;
  const n = pageNumber(ctx.query);
  if (n !== undefined) request.n = n;
  const page = await ctx.registry.listings.referrers(name, ctx.params.digest as string, request);
  const manifests = page.items.map((r) => {
    const d: Record<string, unknown> = { mediaType: r.mediaType, digest: r.digest, size: r.size };
    if (r.artifactType !== null) d.artifactType = r.artifactType;
    if (r.annotations !== null) d.annotations = r.annotations;
    return d;
  });
  if (request.artifactType !== undefined) ctx.reply.header('OCI-Filters-Applied', 'artifactType');
  const lastItem = page.items.at(-1);
  if (page.more && lastItem !== undefined) {
    ctx.reply.header('Link', nextLink(ctx.path, { artifactType: request.artifactType, n, last: lastItem.digest }));
  }
  // A Buffer, not a string: Fastify would append "; charset=utf-8" to a string's
  // type, and the spec requires exactly the index media type.
  return ctx.reply
    .type(MEDIA_TYPE_OCI_INDEX)
    .send(Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MEDIA_TYPE_OCI_INDEX, manifests })));
}

export const referrerRoutes: V2Route = {
  id: 'referrers',
  pattern: repoPath('referrers/(?<digest>[^/]+)'),
  methods: { GET: list },
  access: { GET: 'pull' },
};
