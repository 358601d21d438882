/**
 * Raw HTTP for tests that must send what no well-behaved client sends:
 * paths exactly as written (fetch would normalise `..` and `%2e`), broken
 * framing, stalled or truncated bodies. Every wait is bounded.
 */
import { connect, type Socket } from 'node:net';
import { request as httpRequest } from 'node:http';

export interface RawAnswer {
  /** HTTP status of the first response on the connection; undefined when the server sent none. */
  status: number | undefined;
  /** Lower-case header names of that response. */
  headers: Record<string, string>;
  body: string;
  /** True when the wait ran out before the server closed the connection (never expected). */
  timedOut: boolean;
}

/** Parses the first response out of raw bytes. */
export function parseRawResponse(raw: Buffer): Omit<RawAnswer, 'timedOut'> {
  const text = raw.toString('latin1');
  const m = /^HTTP\/1\.[01] (\d{3})[^\r\n]*\r\n/.exec(text);
  if (m === null) return { status: undefined, headers: {}, body: '' };
  const end = text.indexOf('\r\n\r\n');
  const headers: Record<string, string> = {};
  for (const line of text.slice(m[0].length, end === -1 ? undefined : end).split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { status: Number(m[1]), headers, body: end === -1 ? '' : text.slice(end + 4) };
}

export interface ExchangeOptions {
  /** Half-close after writing (a client that gives up mid-body). Default: false. */
  end?: boolean;
  /** Bound on the whole exchange. Default: 10 s. */
  timeoutMs?: number;
}

/**
 * Writes `data` on a new connection and collects everything until the
 * server closes it (send `Connection: close` to get a close after a response).
 */
export function rawExchange(baseUrl: string, data: Buffer | string, options: ExchangeOptions = {}): Promise<RawAnswer> {
  const url = new URL(baseUrl);
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let timedOut = false;
    const socket = connect(Number(url.port), url.hostname);
    const timer = setTimeout(() => {
      timedOut = true;
      socket.destroy();
    }, options.timeoutMs ?? 10_000);
    socket.on('connect', () => {
      socket.write(data);
      if (options.end === true) socket.end();
    });
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', () => undefined); // a reset is an answer too: the connection closed
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ ...parseRawResponse(Buffer.concat(chunks)), timedOut });
    });
  });
}

/** Resolves when `socket` closes; rejects after `ms`. */
export function closed(socket: Socket, ms: number): Promise<void> {
  if (socket.destroyed) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`socket still open after ${ms} ms`)), ms);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** Opens a connection and resolves once it is connected. */
export function openSocket(baseUrl: string): Promise<Socket> {
  const url = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(url.port), url.hostname, () => resolve(socket));
    socket.once('error', reject);
  });
}

/**
 * One request through node:http with the path sent exactly as given; the
 * answer as a fetch Response. A connection the server closes without an
 * answer resolves to status 0.
 */
export function rawRequest(
  baseUrl: string,
  method: string,
  path: string,
  body?: Buffer | string,
  headers: Record<string, string> = {},
): Promise<Response> {
  const url = new URL(baseUrl);
  return new Promise((resolve) => {
    const req = httpRequest({ host: url.hostname, port: url.port, method, path, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const h = new Headers();
        for (const [k, v] of Object.entries(res.headers)) {
          for (const one of Array.isArray(v) ? v : v === undefined ? [] : [v]) h.append(k, one);
        }
        const status = res.statusCode ?? 0;
        const nullBody = method === 'HEAD' || status === 204 || status === 304;
        resolve(new Response(nullBody ? null : Buffer.concat(chunks), { status, headers: h }));
      });
      res.on('error', () => resolve(Response.error()));
    });
    req.on('error', () => resolve(Response.error()));
    req.end(body);
  });
}
