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

/** distribution-spec "Warnings": at most 4096 bytes of warning data across all headers. */
const MAX_WARNING_BYTES = 4096;
/** Room kept for the closing "N more warnings" value. */
const SUMMARY_BYTES = 64;

/** `299 - "<text>"` (RFC 7234 §5.5) with only visible ASCII, so the header is always valid. */
function warningValue(text: string): string {
  return `299 - "${text.replace(/[^\x20-\x7e]|["\\]/g, '?')}"`;
}

/** The `Warning` values to send: in order, within the byte limit, then a count of the rest. */
function warningHeaders(warnings: readonly string[]): string[] {
  const out: string[] = [];
  let used = 0;
  for (const [i, warning] of warnings.entries()) {
    const value = warningValue(warning);
    const reserve = i === warnings.length - 1 ? 0 : SUMMARY_BYTES;
    if (used + value.length + reserve > MAX_WARNING_BYTES) {
      out.push(warningValue(`${warnings.length - i} more warning(s) not shown`));
      break;
    }
    out.push(value);
    used += value.length;
  }
  return out;
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
  if (result.warnings.length > 0) reply.header('Warning', warningHeaders(result.warnings));
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
  access: { GET: 'pull', HEAD: 'pull', PUT: 'push', DELETE: 'delete' },
};
