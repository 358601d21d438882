/**
 * bench/raw-get.ts, the lean GET client the pull workloads use: against
 * `node:http` servers for the ordinary cases, and against raw TCP servers
 * for the framing a registry could get wrong (split heads, chunked bodies,
 * connections closed mid-body, extra bytes).
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { after, describe, it } from 'node:test';
import { createRawGetPool } from '../../bench/raw-get.js';

const servers: (Server | net.Server)[] = [];
after(() => {
  for (const server of servers) server.close();
});

async function listen<T extends Server | net.Server>(server: T): Promise<string> {
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** A raw TCP server that answers each request's bytes with `answer(socket)`. */
function rawServer(answer: (socket: net.Socket) => void): Promise<string> {
  return listen(net.createServer((socket) => socket.once('data', () => answer(socket))));
}

const sha256 = (bytes: Buffer): string => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

describe('raw GET pool (bench)', () => {
  it('hashes bodies, passes request headers, and reuses at most `size` connections', async () => {
    const blob = randomBytes(3 * 1024 * 1024 + 17);
    const connections = new Set<unknown>();
    const ranges: (string | undefined)[] = [];
    const origin = await listen(
      createServer((req, res) => {
        connections.add(req.socket);
        const value = req.headers['x-test'];
        ranges.push(typeof value === 'string' ? value : undefined);
        res.writeHead(200, { 'content-length': blob.length, 'docker-content-digest': sha256(blob) });
        res.end(blob);
      }),
    );
    const pool = createRawGetPool(origin, 3);
    try {
      const results = await Promise.all(
        Array.from({ length: 12 }, (_, i) => pool.get(`/blob/${i}`, { headers: { 'x-test': String(i) } })),
      );
      for (const res of results) {
        assert.equal(res.status, 200);
        assert.equal(res.bytes, blob.length);
        assert.equal(res.digest, sha256(blob));
        assert.equal(res.headers['docker-content-digest'], sha256(blob));
        assert.equal(res.body.length, 0, 'a 200 body is hashed, not kept');
      }
      assert.deepEqual(ranges.sort(), Array.from({ length: 12 }, (_, i) => String(i)).sort());
      assert.ok(connections.size <= 3, `${connections.size} connections for a pool of 3`);
      const plain = await pool.get('/again', { hash: false });
      assert.equal(plain.digest, undefined);
      assert.equal(plain.bytes, blob.length);
    } finally {
      pool.close();
    }
  });

  it('keeps the start of an error body and opens a new connection after Connection: close', async () => {
    const connections = new Set<unknown>();
    const origin = await listen(
      createServer((req, res) => {
        connections.add(req.socket);
        const body = JSON.stringify({ errors: [{ code: 'BLOB_UNKNOWN', message: 'blob unknown' }] });
        res.writeHead(404, {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          connection: 'close',
        });
        res.end(body);
      }),
    );
    const pool = createRawGetPool(origin, 1);
    try {
      for (let i = 0; i < 2; i++) {
        const res = await pool.get('/missing');
        assert.equal(res.status, 404);
        assert.match(res.body.toString(), /BLOB_UNKNOWN/);
      }
      assert.equal(connections.size, 2);
    } finally {
      pool.close();
    }
  });

  it('reads a head split across packets and a body that starts in the head’s packet', async () => {
    const origin = await rawServer((socket) => {
      socket.write('HTTP/1.1 200 OK\r\nContent-Le');
      setTimeout(() => socket.write('ngth: 5\r\nX-A: 1\r\nX-A: 2\r\n\r\nhe'), 20);
      setTimeout(() => socket.end('llo'), 40);
    });
    const pool = createRawGetPool(origin, 1);
    try {
      const res = await pool.get('/');
      assert.equal(res.bytes, 5);
      assert.equal(res.digest, sha256(Buffer.from('hello')));
      assert.equal(res.headers['x-a'], '1, 2');
    } finally {
      pool.close();
    }
  });

  const refusals: [string, string, RegExp][] = [
    [
      'a chunked body',
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n',
      /Transfer-Encoding/,
    ],
    ['a body without Content-Length', 'HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nhello', /Content-Length/],
    ['more bytes than Content-Length', 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhello', /more body bytes/],
    ['a connection closed mid-body', 'HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhello', /closed before/],
    ['something that is not HTTP', 'SSH-2.0-OpenSSH\r\n\r\n', /not an HTTP\/1\.x response/],
  ];
  for (const [what, answer, message] of refusals) {
    it(`refuses ${what}`, async () => {
      const origin = await rawServer((socket) => socket.end(answer));
      const pool = createRawGetPool(origin, 1);
      try {
        await assert.rejects(pool.get('/'), message);
      } finally {
        pool.close();
      }
    });
  }
});
