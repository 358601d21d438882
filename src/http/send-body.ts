/**
 * Sending a blob's bytes. Written out here rather than piped by fastify, so
 * that each chunk goes back to the storage driver's buffer pool once the
 * socket has taken it (`recycle`, storage/driver.ts), and so that a body
 * that ends short of its Content-Length closes the connection instead of
 * leaving the client waiting for bytes that never come.
 */
import type { ServerResponse } from 'node:http';
import type { FastifyReply } from 'fastify';
import type { BlobBody } from '../registry/blob-service.js';

/**
 * Sends the headers set on `reply` with `status`, then `body`, which must
 * hold exactly `length` bytes. onResponse hooks still run (fastify sets
 * them up before the handler). Never rejects: a failing read is logged and
 * the connection closed, since the status line is already out.
 */
export async function sendBody(reply: FastifyReply, status: number, body: BlobBody, length: number): Promise<void> {
  reply.hijack();
  const res = reply.raw;
  for (const [name, value] of Object.entries(reply.getHeaders())) {
    if (value !== undefined) res.setHeader(name, value);
  }
  res.statusCode = status;
  const recycle = body.recycle?.bind(body);
  let sent = 0;
  try {
    for await (const chunk of body as AsyncIterable<Buffer>) {
      if (res.destroyed) break;
      sent += chunk.length;
      const flowing = recycle === undefined ? res.write(chunk) : res.write(chunk, () => recycle(chunk));
      if (!flowing) await drainedOrClosed(res);
    }
  } catch (err) {
    if (!res.destroyed) reply.log.warn({ err }, 'blob read failed mid-response; closing the connection');
    res.destroy();
    return;
  }
  if (res.destroyed) return; // leaving the loop early destroyed the body
  if (sent !== length) {
    reply.log.error({ expected: length, sent }, 'blob in storage is shorter than its record; closing the connection');
    res.destroy();
    return;
  }
  res.end();
}

/** Resolves on the response's next `drain` or `close` (plain listeners: an aborted `once` builds an AbortError per call). */
function drainedOrClosed(res: ServerResponse): Promise<void> {
  if (res.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}
