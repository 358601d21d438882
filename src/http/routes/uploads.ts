/**
 * Blob uploads (distribution-spec end-4a/4b/4c, end-5, end-6, end-11,
 * end-13, end-14): `/v2/<name>/blobs/uploads/` and `…/uploads/<uuid>`.
 */
import { RegistryError } from '../../oci/errors.js';
import { assertName } from '../../oci/names.js';
import { parseDigest } from '../../oci/digest.js';
import type { UploadSession } from '../../metadata/store.js';
import type { ChunkInput } from '../../registry/upload-service.js';
import { bodyStream, hasBody } from '../body.js';
import { chunkRange, contentLength, singleParam } from '../headers.js';
import { repoPath, type RouteContext, type V2Route } from '../v2-router.js';

function uploadLocation(name: string, id: string): string {
  return `/v2/${name}/blobs/uploads/${id}`;
}

function rangeHeader(offset: number): string {
  return `0-${Math.max(offset - 1, 0)}`;
}

function sessionReply(ctx: RouteContext, session: UploadSession, status: 202 | 204): unknown {
  return ctx.reply
    .code(status)
    .header('Location', uploadLocation(session.repo, session.id))
    .header('Range', rangeHeader(session.offset))
    .header('Docker-Upload-UUID', session.id)
    .header('Content-Length', 0)
    .send();
}

function created(ctx: RouteContext, name: string, digest: string): unknown {
  return ctx.reply
    .code(201)
    .header('Location', `/v2/${name}/blobs/${digest}`)
    .header('Docker-Content-Digest', digest)
    .header('Content-Length', 0)
    .send();
}

function chunkOf(ctx: RouteContext, withRange: boolean): ChunkInput {
  const controller = new AbortController();
  ctx.request.raw.once('close', () => {
    if (!ctx.request.raw.complete) controller.abort();
  });
  const chunk: ChunkInput = { body: bodyStream(ctx.request, ctx.freeChunk), signal: controller.signal };
  const length = contentLength(ctx.request.headers['content-length']);
  if (length !== undefined) chunk.length = length;
  const range = withRange ? chunkRange(ctx.request.headers['content-range']) : undefined;
  if (range !== undefined) chunk.range = range;
  return chunk;
}

async function start(ctx: RouteContext): Promise<unknown> {
  const { registry, query } = ctx;
  const name = ctx.params.name as string;
  const mount = singleParam(query, 'mount');
  if (mount !== undefined) {
    const digest = parseDigest(mount);
    const from = singleParam(query, 'from');
    if (from !== undefined) assertName(from);
    // issue 7: a mount needs pull on its source (a mount without `from` may
    // search every repository, so only when nothing is restricted). Without
    // it the request is a plain upload, saying nothing about the blob.
    const readable = from === undefined ? ctx.permissions.unrestricted : ctx.permissions.permits(from, 'pull');
    const result = readable ? await registry.blobs.mount(name, digest, from) : { mounted: false };
    if (result.mounted) return created(ctx, name, digest.value);
  }
  const digest = singleParam(query, 'digest');
  if (digest !== undefined) {
    const blob = await registry.uploads.putMonolithic(name, digest, chunkOf(ctx, false));
    return created(ctx, name, blob.digest);
  }
  const algorithm = singleParam(query, 'digest-algorithm');
  const session = await registry.uploads.start(name, algorithm);
  const min = registry.deps.config.chunkMinLength;
  if (min > 0) ctx.reply.header('OCI-Chunk-Min-Length', min);
  return sessionReply(ctx, session, 202);
}

async function patch(ctx: RouteContext): Promise<unknown> {
  const session = await ctx.registry.uploads.append(ctx.params.name as string, ctx.params.uuid as string, chunkOf(ctx, true));
  return sessionReply(ctx, session, 202);
}

async function put(ctx: RouteContext): Promise<unknown> {
  const name = ctx.params.name as string;
  const digest = singleParam(ctx.query, 'digest');
  if (digest === undefined) {
    throw new RegistryError('DIGEST_INVALID', 'the closing PUT needs ?digest=<digest of the whole blob>');
  }
  const chunk = hasBody(ctx.request) ? chunkOf(ctx, true) : undefined;
  const blob = await ctx.registry.uploads.complete(name, ctx.params.uuid as string, digest, chunk);
  return created(ctx, name, blob.digest);
}

async function status(ctx: RouteContext): Promise<unknown> {
  const session = await ctx.registry.uploads.status(ctx.params.name as string, ctx.params.uuid as string);
  return sessionReply(ctx, session, 204);
}

async function cancel(ctx: RouteContext): Promise<unknown> {
  await ctx.registry.uploads.cancel(ctx.params.name as string, ctx.params.uuid as string);
  return ctx.reply.code(204).send();
}

export const uploadStartRoutes: V2Route = {
  id: 'upload',
  pattern: repoPath('blobs/uploads/?'),
  methods: { POST: start },
  access: { POST: 'push' },
};

export const uploadSessionRoutes: V2Route = {
  id: 'upload-session',
  pattern: repoPath('blobs/uploads/(?<uuid>[^/]+)'),
  methods: { PATCH: patch, PUT: put, GET: status, DELETE: cancel },
  // An upload session belongs to a push: reading its status or cancelling it needs push, not pull or delete.
  access: { PATCH: 'push', PUT: 'push', GET: 'push', DELETE: 'push' },
};
