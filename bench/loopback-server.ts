/**
 * The loopback ceiling's server, run as a child process by limits.ts: it
 * discards every upload (201) and serves a preallocated buffer, doing no other
 * work, so what the client measures against it is the machine's and the
 * client's own limit. Prints its port on stdout, then serves until killed.
 *
 *   GET /blob?size=N   N bytes (the buffer repeated), with Content-Length
 *   GET /small         a 512-byte body (manifest-sized)
 *   PUT|POST|PATCH *   reads and drops the body, answers 201; with
 *                      `?hash=sha256` it hashes the body on its one thread
 *                      first and answers its digest in Docker-Content-Digest
 */
import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';

const BUFFER = randomBytes(16 * 1024 * 1024);
const SMALL = BUFFER.subarray(0, 512);

async function sendBlob(res: http.ServerResponse, size: number): Promise<void> {
  res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': size });
  let sent = 0;
  while (sent < size) {
    const chunk = BUFFER.subarray(0, Math.min(BUFFER.length, size - sent));
    sent += chunk.length;
    if (!res.write(chunk)) await new Promise((resolve) => res.once('drain', resolve));
  }
  res.end();
}

const server = http.createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://loopback');
  if (req.method === 'GET' && url.pathname === '/blob') {
    sendBlob(res, Number(url.searchParams.get('size') ?? 0)).catch(() => res.destroy());
  } else if (req.method === 'GET' && url.pathname === '/small') {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': SMALL.length });
    res.end(SMALL);
  } else {
    const hash = url.searchParams.get('hash') === 'sha256' ? createHash('sha256') : undefined;
    if (hash === undefined) req.resume();
    else req.on('data', (chunk: Buffer) => hash.update(chunk));
    req.on('end', () => {
      const digest = hash === undefined ? {} : { 'docker-content-digest': `sha256:${hash.digest('hex')}` };
      res.writeHead(201, { 'content-length': 0, ...digest });
      res.end();
    });
  }
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(`${typeof address === 'object' && address !== null ? address.port : 0}\n`);
});
