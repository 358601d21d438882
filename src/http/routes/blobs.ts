/**
 * `/v2/<name>/blobs/<digest>`: GET, HEAD, DELETE (distribution-spec end-2, end-10).
 */
import { byteRange } from '../headers.js';
import { sendBody } from '../send-body.js';
import { repoPath, type RouteContext, type V2Route } from '../v2-router.js';

async function pull({ registry, params, request, reply }: RouteContext): Promise<unknown> {
  const name = params.name as string;
  const info = await registry.blobs.stat(name, params.digest as string);
  const head = request.method === 'HEAD';
  reply.header('Docker-Content-Digest', info.digest).header('Accept-Ranges', 'bytes');
  reply.header('ETag', `"${info.digest}"`).header('Cache-Control', 'max-age=31536000');
  const redirect = await registry.blobs.redirectUrl(info, head ? 'HEAD' : 'GET');
  if (redirect !== undefined) return reply.code(307).header('Location', redirect).send();
  reply.type('application/octet-stream');
  if (head) return reply.header('Content-Length', info.size).send();
  const range = byteRange(request.headers.range, info.size);
  // Stops the storage read when the client goes away mid-body. Only then:
  // an abort builds an AbortError (a stack trace), measurable per request.
  const controller = new AbortController();
  reply.raw.once('close', () => {
    if (!reply.raw.writableFinished) controller.abort();
  });
  const body = await registry.blobs.open(name, info, range, controller.signal);
  if (range === undefined) {
    reply.header('Content-Length', info.size);
    return sendBody(reply, 200, body, info.size);
  }
  const length = range.end - range.start + 1;
  reply.header('Content-Length', length).header('Content-Range', `bytes ${range.start}-${range.end}/${info.size}`);
  return sendBody(reply, 206, body, length);
}

async function remove({ registry, params, reply }: RouteContext): Promise<unknown> {
  await registry.blobs.delete(params.name as string, params.digest as string);
  return reply.code(202).header('Content-Length', 0).send();
}

export const blobRoutes: V2Route = {
  id: 'blob',
  pattern: repoPath('blobs/(?<digest>[^/]+)'),
  methods: { GET: pull, HEAD: pull, DELETE: remove },
  access: { GET: 'pull', HEAD: 'pull', DELETE: 'delete' },
};
