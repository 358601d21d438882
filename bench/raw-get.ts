/**
 * GET requests over raw keep-alive sockets, for the blob pulls.
 *
 * `node:http`'s client hands every socket read to the response stream in a
 * freshly allocated buffer. Pulling 1 MiB blobs at concurrency 8, the bench
 * spent ~1.0 ms of its own CPU per MiB that way (sha256 alone is ~0.5), more
 * than berth spent serving them, so on a 2-core machine the pull workloads
 * measured the bench's one thread. Here each connection reads into one
 * reused buffer (`net.connect`'s `onread`) and the body is hashed straight
 * from it: ~0.63 ms per MiB.
 *
 * Scope, checked on every response: HTTP/1.x, a body framed by
 * `Content-Length` (no chunked transfer coding), one request in flight per
 * connection, no redirects followed. Anything else fails the request.
 */
import { createHash, type Hash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import net from 'node:net';
import { IDLE_TIMEOUT_MS, type HttpResult } from './http-client.js';

/** Each connection's read buffer. */
const READ_BUFFER = 256 * 1024;
/** A response head larger than this is refused. */
const MAX_HEAD = 64 * 1024;
/** Bytes of a non-2xx body kept, for the error message. */
const KEPT_ERROR_BODY = 4096;
const HEAD_END = Buffer.from('\r\n\r\n');
const EMPTY = Buffer.alloc(0);

export interface RawGetPool {
  /**
   * GETs `target` (a path with query) and hashes the body as it arrives
   * (unless `hash` is false: then `digest` is undefined). The result's
   * `body` holds the start of a non-2xx body only.
   */
  get(target: string, options?: { headers?: Record<string, string>; hash?: boolean }): Promise<HttpResult>;
  /** Closes idle connections. */
  close(): void;
}

/** A response being received: its head parsed, its body still arriving. */
interface Incoming {
  status: number;
  headers: IncomingHttpHeaders;
  /** Body bytes still to come. */
  left: number;
  bytes: number;
  hash: Hash | undefined;
  kept: Buffer[];
  keepAlive: boolean;
}

interface Pending {
  resolve(result: HttpResult): void;
  reject(err: Error): void;
  hash: boolean;
  response: Incoming | undefined;
}

/** One keep-alive connection with at most one request in flight. */
class Connection {
  private readonly socket: net.Socket;
  private pending: Pending | undefined;
  private head: Buffer = EMPTY;
  /** False once the socket closed or a response said so. */
  reusable = true;

  constructor(host: string, port: number) {
    const buffer = Buffer.allocUnsafe(READ_BUFFER);
    this.socket = net.connect({
      host,
      port,
      noDelay: true,
      onread: {
        buffer,
        callback: (length: number): boolean => {
          this.receive(buffer.subarray(0, length));
          return true;
        },
      },
    });
    this.socket.setTimeout(IDLE_TIMEOUT_MS, () => this.socket.destroy(new Error('idle timeout')));
    this.socket.on('error', (err) => this.fail(err));
    this.socket.on('close', () => this.fail(new Error('connection closed before the response was complete')));
  }

  request(head: string, hash: boolean): Promise<HttpResult> {
    return new Promise<HttpResult>((resolve, reject) => {
      this.pending = { resolve, reject, hash, response: undefined };
      this.socket.write(head);
    });
  }

  destroy(): void {
    this.reusable = false;
    this.socket.destroy();
  }

  /** `chunk` is the connection's read buffer: used before returning, never kept. */
  private receive(chunk: Buffer): void {
    const pending = this.pending;
    if (pending === undefined) {
      this.fail(new Error('bytes arrived with no request in flight'));
      return;
    }
    let body = chunk;
    if (pending.response === undefined) {
      const head = this.head.length === 0 ? chunk : Buffer.concat([this.head, chunk]);
      const end = head.indexOf(HEAD_END);
      if (end < 0) {
        if (head.length > MAX_HEAD) this.fail(new Error(`response head longer than ${MAX_HEAD} bytes`));
        else this.head = Buffer.from(head);
        return;
      }
      this.head = EMPTY;
      try {
        pending.response = parseHead(head.toString('latin1', 0, end), pending.hash);
      } catch (err) {
        this.fail(err as Error);
        return;
      }
      body = head.subarray(end + HEAD_END.length);
    }
    const response = pending.response;
    if (body.length > response.left) {
      this.fail(new Error(`more body bytes than Content-Length (${response.bytes + response.left})`));
      return;
    }
    response.hash?.update(body);
    if (response.status >= 300 && response.bytes < KEPT_ERROR_BODY) response.kept.push(Buffer.from(body));
    response.bytes += body.length;
    response.left -= body.length;
    if (response.left > 0) return;
    this.pending = undefined;
    if (!response.keepAlive) this.destroy();
    pending.resolve({
      status: response.status,
      headers: response.headers,
      body: Buffer.concat(response.kept).subarray(0, KEPT_ERROR_BODY),
      digest: response.hash === undefined ? undefined : `sha256:${response.hash.digest('hex')}`,
      bytes: response.bytes,
    });
  }

  /** Rejects the request in flight, if any; the connection is not used again. */
  private fail(err: Error): void {
    this.reusable = false;
    const pending = this.pending;
    this.pending = undefined;
    if (!this.socket.destroyed) this.socket.destroy();
    pending?.reject(err);
  }
}

/** Parses a status line and headers (without the blank line). */
function parseHead(text: string, hash: boolean): Incoming {
  const lines = text.split('\r\n');
  const statusLine = /^HTTP\/1\.([01]) (\d{3})/.exec(lines[0] ?? '');
  if (statusLine === null) throw new Error(`not an HTTP/1.x response: ${JSON.stringify(lines[0])}`);
  const headers: IncomingHttpHeaders = {};
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon <= 0) throw new Error(`malformed header line ${JSON.stringify(line)}`);
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    const previous = headers[name];
    headers[name] = previous === undefined ? value : `${String(previous)}, ${value}`;
  }
  const status = Number(statusLine[2]);
  if (headers['transfer-encoding'] !== undefined) {
    throw new Error(`Transfer-Encoding ${String(headers['transfer-encoding'])}: only Content-Length bodies are read`);
  }
  const length = headers['content-length'];
  const noBody = status === 204 || status === 304;
  if (!noBody && (length === undefined || !/^\d+$/.test(length))) {
    throw new Error(`status ${status} without a usable Content-Length (${String(length)})`);
  }
  const connection = String(headers.connection ?? '').toLowerCase();
  const keepAlive = statusLine[1] === '1' ? connection !== 'close' : connection === 'keep-alive';
  return {
    status,
    headers,
    left: noBody ? 0 : Number(length),
    bytes: 0,
    hash: hash ? createHash('sha256') : undefined,
    kept: [],
    keepAlive,
  };
}

/**
 * Creates a pool of at most `size` connections to `origin` (`http://host:port`).
 *
 * @example
 * const pool = createRawGetPool('http://127.0.0.1:5000', 8);
 * const res = await pool.get('/v2/a/blobs/sha256:...');
 */
export function createRawGetPool(origin: string, size: number): RawGetPool {
  const base = new URL(origin);
  if (base.protocol !== 'http:') throw new Error(`raw GETs speak plain HTTP only, not ${base.protocol}`);
  const port = Number(base.port === '' ? 80 : base.port);
  const idle: Connection[] = [];
  const waiting: (() => void)[] = [];
  let active = 0;

  async function get(
    target: string,
    { headers = {}, hash = true }: { headers?: Record<string, string>; hash?: boolean } = {},
  ): Promise<HttpResult> {
    // A finished request hands its slot straight to the next waiter.
    if (active < size) active++;
    else await new Promise<void>((resolve) => waiting.push(resolve));
    try {
      let connection = idle.pop();
      while (connection !== undefined && !connection.reusable) connection = idle.pop();
      connection ??= new Connection(base.hostname, port);
      const extra = Object.entries(headers)
        .map(([name, value]) => `${name}: ${value}\r\n`)
        .join('');
      const result = await connection.request(`GET ${target} HTTP/1.1\r\nHost: ${base.host}\r\n${extra}\r\n`, hash);
      if (connection.reusable) idle.push(connection);
      return result;
    } finally {
      const next = waiting.shift();
      if (next !== undefined) next();
      else active--;
    }
  }

  return {
    get,
    close: () => {
      for (const connection of idle.splice(0)) connection.destroy();
    },
  };
}
