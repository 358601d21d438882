/**
 * A minimal HTTP/1.1 client on `node:http` with a keep-alive agent.
 *
 * Why not `fetch`/undici: the bench wants predictable socket reuse (one agent,
 * `maxSockets` = the workload's concurrency) and streaming request bodies
 * with back-pressure. Response bodies are buffered (capped); blob pulls, whose
 * bodies are hashed as they arrive, go through raw-get.ts instead. Every byte
 * goes to a loopback address.
 */
import http from 'node:http';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/** A request body: bytes in memory, or a (possibly lazy) sequence of chunks. */
export type Body = Buffer | Iterable<Buffer> | AsyncIterable<Buffer>;

export interface RequestOptions {
  method: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** A path with query (`/v2/...`) or an absolute URL on the same origin. */
  target: string;
  headers?: Record<string, string | number>;
  body?: Body;
}

export interface HttpResult {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** The body (capped at {@link MAX_BUFFERED}; raw-get.ts keeps only the start of an error body). */
  body: Buffer;
  /** `sha256:<hex>` of the body, when a raw GET (raw-get.ts) hashed it. */
  digest: string | undefined;
  /** Bytes received in the body. */
  bytes: number;
}

/** Bodies larger than this are never buffered (a registry answering with a huge error page). */
export const MAX_BUFFERED = 64 * 1024 * 1024;
/** A request that stays idle this long is abandoned. */
export const IDLE_TIMEOUT_MS = 120_000;

export interface HttpClient {
  readonly origin: string;
  request(options: RequestOptions): Promise<HttpResult>;
  /** Resolves a Location header (relative or absolute) against the origin. */
  resolve(location: string): URL;
  /** Closes idle keep-alive sockets. */
  close(): void;
}

/**
 * Creates a client bound to one origin.
 *
 * @example
 * const c = createHttpClient('http://127.0.0.1:5000', 8);
 * const r = await c.request({ method: 'GET', target: '/v2/' });
 */
export function createHttpClient(origin: string, concurrency: number): HttpClient {
  const base = new URL(origin);
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency, maxFreeSockets: concurrency });

  function resolve(location: string): URL {
    const url = new URL(location, base);
    if (url.host !== base.host) throw new Error(`refusing to follow ${location}: not on ${base.host}`);
    return url;
  }

  function request(options: RequestOptions): Promise<HttpResult> {
    const url = resolve(options.target);
    const headers: Record<string, string | number> = { ...options.headers };
    const body = options.body;
    if (body === undefined && needsZeroLength(options.method)) headers['content-length'] ??= 0;
    if (Buffer.isBuffer(body)) headers['content-length'] ??= body.length;

    return new Promise<HttpResult>((resolvePromise, reject) => {
      const req = http.request(
        {
          agent,
          method: options.method,
          hostname: url.hostname,
          port: url.port,
          path: url.pathname + url.search,
          headers,
        },
        (res) => {
          readBody(res).then(
            ({ body: bytes, digest, count }) =>
              resolvePromise({ status: res.statusCode ?? 0, headers: res.headers, body: bytes, digest, bytes: count }),
            reject,
          );
        },
      );
      req.setTimeout(IDLE_TIMEOUT_MS, () => req.destroy(new Error(`${options.method} ${url.pathname}: idle timeout`)));
      req.on('error', reject);
      if (body === undefined) req.end();
      else if (Buffer.isBuffer(body)) req.end(body);
      else {
        // A server that answers early (an error) and closes makes the pipeline fail;
        // the response handler has already settled the promise then.
        pipeline(Readable.from(body, { objectMode: false }), req).catch((err: unknown) => {
          req.destroy(err instanceof Error ? err : new Error(String(err)));
        });
      }
    });
  }

  return { origin: base.origin, request, resolve, close: () => agent.destroy() };
}

function needsZeroLength(method: string): boolean {
  return method === 'POST' || method === 'PUT' || method === 'PATCH';
}

/** Reads a response body with 'data' events (cheaper per chunk than async iteration). */
function readBody(res: http.IncomingMessage): Promise<{ body: Buffer; digest: undefined; count: number }> {
  return new Promise((resolve, reject) => {
    let count = 0;
    const parts: Buffer[] = [];
    res.on('data', (chunk: Buffer) => {
      count += chunk.length;
      if (count <= MAX_BUFFERED) parts.push(chunk);
    });
    res.on('end', () => {
      resolve({ body: Buffer.concat(parts), digest: undefined, count });
    });
    res.on('error', reject);
    // A connection dropped mid-body closes the response without 'end'.
    res.on('close', () => {
      if (!res.complete) reject(new Error('connection closed before the response was complete'));
    });
  });
}
