/**
 * `/v2/<name>/manifests/<reference>`: GET, HEAD, PUT, DELETE
 * (distribution-spec end-3, end-7a, end-7b, end-9).
 */
import type { ManifestRecord } from '../../metadata/store.js';
import { readSmallBody } from '../body.js';
import { repoPath, type RouteContext, type V2Route } from '../v2-router.js';
import { negotiate } from '../negotiation.js';

function describe(ctx: RouteContext, record: ManifestRecord): void {
  ctx.reply
    .header('Docker-Content-Digest', record.digest)
    .header('ETag', `"${record.digest}"`)
    .type(record.mediaType);
}

async function pull(ctx: RouteContext): Promise<unknown> {
  const name = ctx.params.name as string;
  const reference = ctx.params.reference as string;
  const { registry, request, reply } = ctx;
  if (request.method === 'HEAD' && !registry.deps.config.legacyDockerConversion) {
    const record = await registry.manifests.stat(name, reference);
    describe(ctx, record);
    return reply.header('Content-Length', record.size).send();
  }
  const fetched = await registry.manifests.fetch(name, reference);
  const served = await negotiate(registry, name, reference, fetched, request.headers.accept);
  describe(ctx, served.record);
  reply.header('Content-Length', served.body.byteLength);
  return request.method === 'HEAD' ? reply.send() : reply.send(served.body);
}

async function push(ctx: RouteContext): Promise<unknown> {
  const name = ctx.params.name as string;
  const { registry, request, reply } = ctx;
  const body = await readSmallBody(request, registry.deps.config.maxManifestBytes);
  const input: Parameters<typeof registry.manifests.push>[0] = {
    repo: name,
    reference: ctx.params.reference as string,
    body,
    extraTags: ctx.query.getAll('tag'),
  };
  const contentType = request.headers['content-type'];
  if (contentType !== undefined) input.contentType = contentType;
  const result = await registry.manifests.push(input);
  reply
    .code(201)
    .header('Location', `/v2/${name}/manifests/${result.digest}`)
    .header('Docker-Content-Digest', result.digest)
    .header('Content-Length', 0);
  if (result.subject !== undefined) reply.header('OCI-Subject', result.subject);
  if (input.extraTags !== undefined && input.extraTags.length > 0) reply.header('OCI-Tag', result.tags);
  if (result.warnings.length > 0) {
    reply.header('Warning', result.warnings.map((w) => `299 - "${w.replaceAll('"', "'")}"`));
  }
  return reply.send();
}

async function remove(ctx: RouteContext): Promise<unknown> {
  await ctx.registry.manifests.delete(ctx.params.name as string, ctx.params.reference as string);
  return ctx.reply.code(202).header('Content-Length', 0).send();
}

export const manifestRoutes: V2Route = {
  id: 'manifest',
  pattern: repoPath('manifests/(?<reference>[^/]+)'),
  methods: { GET: pull, HEAD: pull, PUT: push, DELETE: remove },
};
