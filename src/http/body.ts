/**
 * Request bodies. Blobs are never buffered: handlers pass the raw request
 * stream on. Only manifests are read into memory, with a cap checked as the
 * bytes arrive (so an oversized body is refused before it is all read).
 */
import type { FastifyRequest } from 'fastify';
import { RegistryError } from '../oci/errors.js';
import type { ChunkInput } from '../registry/upload-service.js';
import type { FreeChunk } from './free-chunk.js';
import { contentLength } from './headers.js';

/** Tallies body bytes on the request for `berth_http_bytes_received_total` (metrics.ts). */
function count(request: FastifyRequest, bytes: number): void {
  request.bodyBytes = (request.bodyBytes ?? 0) + bytes;
}

/**
 * The request body as a byte stream (untouched by any parser), counted as it
 * is read. Its chunks are Node's own copies, referred to by nothing else once
 * read: with `free`, a consumer done with one hands it back (`recycle`) and
 * it is freed at once (free-chunk.ts).
 */
export function bodyStream(request: FastifyRequest, free?: FreeChunk): ChunkInput['body'] {
  const chunks = (async function* () {
    for await (const chunk of request.raw) {
      count(request, (chunk as Buffer).byteLength);
      yield chunk as Buffer;
    }
  })();
  return free === undefined ? chunks : Object.assign(chunks, { recycle: free });
}

/** True when the request declares or carries a body. */
export function hasBody(request: FastifyRequest): boolean {
  const length = contentLength(request.headers['content-length']);
  return (length !== undefined && length > 0) || request.headers['transfer-encoding'] !== undefined;
}

/**
 * Reads a whole small body (a manifest).
 *
 * @throws RegistryError `MANIFEST_TOO_LARGE` (413) past `maxBytes`.
 */
export async function readSmallBody(request: FastifyRequest, maxBytes: number): Promise<Buffer> {
  const declared = contentLength(request.headers['content-length']);
  const tooLarge = (): RegistryError =>
    new RegistryError('MANIFEST_TOO_LARGE', `manifest is larger than the ${maxBytes}-byte limit`);
  if (declared !== undefined && declared > maxBytes) throw tooLarge();
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of request.raw) {
    total += (chunk as Buffer).byteLength;
    count(request, (chunk as Buffer).byteLength);
    if (total > maxBytes) throw tooLarge();
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks, total);
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Request body bytes read so far, for metrics. */
    bodyBytes?: number;
  }
}
