/**
 * Parsing request headers and query parameters the API uses, and building
 * `Link` headers. Every parser throws a RegistryError with a detail naming
 * the header, never a bare 500.
 */
import { RegistryError } from '../oci/errors.js';
import type { ByteRange } from '../registry/blob-service.js';
import type { ChunkRange } from '../registry/upload-service.js';

/** A query parameter that must appear at most once. */
export function singleParam(query: URLSearchParams, name: string): string | undefined {
  const values = query.getAll(name);
  if (values.length > 1) throw new RegistryError('BAD_PARAMETER', `query parameter "${name}" given more than once`);
  return values[0];
}

/** `n` for pagination. */
export function pageNumber(query: URLSearchParams): number | undefined {
  const n = singleParam(query, 'n');
  if (n === undefined) return undefined;
  if (!/^\d{1,9}$/.test(n)) throw new RegistryError('PAGINATION_NUMBER_INVALID', { n: n.slice(0, 20) });
  return Number(n);
}

/** `Content-Length`, when present. */
export function contentLength(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d{1,16}$/.test(value)) throw new RegistryError('SIZE_INVALID', 'Content-Length is not a number');
  return Number(value);
}

/**
 * `Content-Range` of an upload chunk: `<start>-<end>` (the spec's form), also
 * accepting the `bytes <start>-<end>/<total>` form some clients send.
 */
export function chunkRange(value: string | undefined): ChunkRange | undefined {
  if (value === undefined) return undefined;
  const m = /^(?:bytes[ =])?(\d{1,16})-(\d{1,16})(?:\/(?:\d{1,16}|\*))?$/.exec(value.trim());
  if (m === null) {
    throw new RegistryError('RANGE_INVALID', `Content-Range "${value.slice(0, 60)}" must be <start>-<end>`);
  }
  return { start: Number(m[1]), end: Number(m[2]) };
}

/**
 * A blob `Range` request (RFC 9110 §14). Returns undefined to serve the whole
 * blob (no header, or a form we do not serve such as multiple ranges).
 *
 * @throws RegistryError `RANGE_INVALID` (416) when no byte can satisfy it.
 */
export function byteRange(value: string | undefined, size: number): ByteRange | undefined {
  if (value === undefined) return undefined;
  const m = /^bytes=(\d{0,16})-(\d{0,16})$/.exec(value.trim());
  if (m === null) return undefined; // multi-range or other units: ignore, send 200
  const [, a = '', b = ''] = m;
  let start: number;
  let end: number;
  if (a === '' && b === '') return undefined;
  if (a === '') {
    const suffix = Number(b);
    if (suffix === 0) throw unsatisfiable(size);
    start = Math.max(size - suffix, 0);
    end = size - 1;
  } else {
    start = Number(a);
    end = b === '' ? size - 1 : Math.min(Number(b), size - 1);
    if (b !== '' && Number(b) < start) return undefined; // invalid: ignore
  }
  if (start >= size || size === 0) throw unsatisfiable(size);
  return { start, end };
}

function unsatisfiable(size: number): RegistryError {
  return new RegistryError('RANGE_INVALID', `the blob has ${size} bytes`, {
    headers: { 'Content-Range': `bytes */${size}` },
  });
}

/** `Link: <url>; rel="next"` (RFC 5988), with the query rebuilt from `params`. */
export function nextLink(path: string, params: Record<string, string | number | undefined>): string {
  const query = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined) query.set(k, String(v));
  return `<${path}?${query.toString()}>; rel="next"`;
}
