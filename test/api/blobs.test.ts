/**
 * Blob reads and deletes over HTTP (distribution-spec: "Pulling blobs",
 * "Checking if content exists in the registry", "Deleting Blobs"; RFC 9110
 * §14 for ranges).
 */
import { after, before, describe, it } from 'node:test';
import http from 'node:http';
import { readdirSync } from 'node:fs';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { assertError, RegistryClient } from '../helpers/client.js';
import { blob, type Blob } from '../helpers/builders.js';
import { openFilesUnder } from '../helpers/open-files.js';
import { parseDigest } from '../../src/oci/digest.js';
import { blobPath } from '../../src/storage/paths.js';

const REPO = 'blobs/read';
const UNKNOWN_DIGEST = `sha256:${'0'.repeat(64)}`;

async function pushed(client: RegistryClient, repo: string, b: Blob): Promise<Blob> {
  const res = await client.pushBlob(repo, b);
  assert.equal(res.status, 201, await res.text());
  return b;
}

/** This process's open descriptors on files under `dir` opened for reading with `O_DIRECT`. */
function directReadsOpen(dir: string): number {
  return openFilesUnder(dir).filter((file) => file.direct && file.readOnly).length;
}

async function bytesOf(res: Response): Promise<Buffer> {
  return Buffer.from(await res.arrayBuffer());
}

describe('blob GET and HEAD', () => {
  let server: TestServer;
  let client: RegistryClient;
  let hundred: Blob;
  before(async () => {
    server = await startTestServer();
    client = new RegistryClient(server.url);
    hundred = await pushed(client, REPO, blob(100));
  });
  after(() => server.close());

  it('GET answers 200 with the exact bytes and the spec headers', async () => {
    const res = await client.request(`/v2/${REPO}/blobs/${hundred.digest}`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-length'), '100');
    assert.equal(res.headers.get('docker-content-digest'), hundred.digest);
    assert.equal(res.headers.get('accept-ranges'), 'bytes');
    assert.deepEqual(await bytesOf(res), hundred.bytes);
  });

  it('a client that goes away mid-body releases the stored file; whole reads afterwards still work', async (t) => {
    if (process.platform !== 'linux') return t.skip('counts /proc/self/fd');
    const big = await pushed(client, REPO, blob(32 * 1024 * 1024));
    const openFds = (): number => readdirSync('/proc/self/fd').length;
    const before = openFds();
    for (let i = 0; i < 5; i++) {
      await new Promise<void>((resolve, reject) => {
        const req = http.get(`${server.url}/v2/${REPO}/blobs/${big.digest}`, { agent: false }, (res) => {
          assert.equal(res.statusCode, 200);
          res.once('data', () => {
            req.destroy();
            resolve();
          });
        });
        req.on('error', (err) => (req.destroyed ? undefined : reject(err)));
      });
    }
    // The server closes its side asynchronously: wait (bounded) until the descriptors are back.
    for (let i = 0; i < 200 && openFds() > before; i++) await new Promise((r) => setTimeout(r, 25));
    assert.ok(openFds() <= before, `open descriptors: ${openFds()} now, ${before} before the abandoned reads`);
    const res = await client.request(`/v2/${REPO}/blobs/${hundred.digest}`);
    assert.deepEqual(await bytesOf(res), hundred.bytes);
  });

  it('many concurrent whole and range reads of multi-chunk blobs each get exactly their own bytes', async () => {
    // Read chunks are pooled and reused (storage/file-read-stream.ts): a
    // buffer handed back before the socket took its bytes would show here.
    const blobs = await Promise.all([5, 7, 9].map(async (mib) => pushed(client, REPO, blob(mib * 1024 * 1024 + 17))));
    const reads = Array.from({ length: 24 }, async (_, i) => {
      const b = blobs[i % blobs.length] as Blob;
      if (i % 2 === 0) {
        const res = await client.request(`/v2/${REPO}/blobs/${b.digest}`);
        assert.equal(res.status, 200);
        assert.ok((await bytesOf(res)).equals(b.bytes), `whole read ${i}`);
        return;
      }
      const start = (1_000_003 * i) % (b.size - 1);
      const end = Math.min(b.size - 1, start + 3 * 1024 * 1024);
      const res = await client.request(`/v2/${REPO}/blobs/${b.digest}`, { headers: { range: `bytes=${start}-${end}` } });
      assert.equal(res.status, 206);
      assert.ok((await bytesOf(res)).equals(b.bytes.subarray(start, end + 1)), `range read ${i}`);
    });
    await Promise.all(reads);
  });

  it('a large blob read right after its push (past the page cache) and again later gives the same bytes', async (t) => {
    const big = await pushed(client, REPO, blob(40 * 1024 * 1024 + 5));
    const start = 4097; // not on a block boundary
    const end = 36 * 1024 * 1024 + 100;
    const first = await client.request(`/v2/${REPO}/blobs/${big.digest}`, { headers: { range: `bytes=${start}-${end}` } });
    assert.equal(first.status, 206);
    if (server.config.storage.driver === 'filesystem' && process.platform === 'linux') {
      // The body is larger than the socket buffers hold, so the reader is still open here.
      assert.ok(directReadsOpen(server.dataDir) > 0, 'the first read after a push is direct (storage/cold-files.ts)');
    } else {
      t.diagnostic('no direct reads on this backend: bytes checked only');
    }
    assert.ok((await bytesOf(first)).equals(big.bytes.subarray(start, end + 1)));
    const again = await client.request(`/v2/${REPO}/blobs/${big.digest}`);
    assert.equal(again.status, 200);
    assert.equal(directReadsOpen(server.dataDir), 0);
    assert.ok((await bytesOf(again)).equals(big.bytes));
  });

  it('a stored blob shorter than its record ends the connection instead of leaving the client waiting', async () => {
    const damaged = await pushed(client, REPO, blob(3 * 1024 * 1024));
    const path = blobPath(parseDigest(damaged.digest));
    await server.registry.deps.storage.putContent(path, damaged.bytes.subarray(0, 1024 * 1024));
    const res = await client.request(`/v2/${REPO}/blobs/${damaged.digest}`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-length'), String(damaged.size));
    await assert.rejects(res.arrayBuffer(), 'the body ends in an error, not a hang or a short success');
    const after = await client.request(`/v2/${REPO}/blobs/${hundred.digest}`);
    assert.deepEqual(await bytesOf(after), hundred.bytes, 'other reads go on');
  });

  it('HEAD answers 200 with the same headers and no body', async () => {
    const res = await client.request(`/v2/${REPO}/blobs/${hundred.digest}`, { method: 'HEAD' });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-length'), '100');
    assert.equal(res.headers.get('docker-content-digest'), hundred.digest);
    assert.equal(res.headers.get('accept-ranges'), 'bytes');
    assert.equal((await bytesOf(res)).byteLength, 0);
  });

  it('an unknown blob in a known repository is 404 BLOB_UNKNOWN (GET and HEAD)', async () => {
    await assertError(await client.request(`/v2/${REPO}/blobs/${UNKNOWN_DIGEST}`), 404, 'BLOB_UNKNOWN');
    const head = await client.request(`/v2/${REPO}/blobs/${UNKNOWN_DIGEST}`, { method: 'HEAD' });
    assert.equal(head.status, 404);
    assert.equal((await bytesOf(head)).byteLength, 0);
  });

  it('a blob of another repository is 404 BLOB_UNKNOWN here, not readable across repositories', async () => {
    const other = await pushed(client, 'blobs/other', blob(32));
    await assertError(await client.request(`/v2/${REPO}/blobs/${other.digest}`), 404, 'BLOB_UNKNOWN');
  });

  it('an unknown repository is 404 NAME_UNKNOWN', async () => {
    await assertError(await client.request(`/v2/blobs/never-pushed/blobs/${hundred.digest}`), 404, 'NAME_UNKNOWN');
  });

  it('an invalid digest is 400 DIGEST_INVALID', async () => {
    for (const bad of ['sha256:xyz', 'sha256:' + 'A'.repeat(64), 'not-a-digest', `sha256:${'a'.repeat(63)}`]) {
      await assertError(await client.request(`/v2/${REPO}/blobs/${bad}`), 400, 'DIGEST_INVALID');
    }
  });

  it('an unsupported algorithm is 400 DIGEST_INVALID', async () => {
    const res = await client.request(`/v2/${REPO}/blobs/md5:${'a'.repeat(32)}`);
    const body = await assertError(res, 400, 'DIGEST_INVALID');
    assert.match(JSON.stringify(body.errors[0]?.detail), /unsupported digest algorithm/);
  });

  it('an invalid repository name is 400 NAME_INVALID', async () => {
    await assertError(await client.request(`/v2/Blobs/UPPER/blobs/${hundred.digest}`), 400, 'NAME_INVALID');
  });

  describe('Range requests', () => {
    function ranged(range: string): Promise<Response> {
      return client.request(`/v2/${REPO}/blobs/${hundred.digest}`, { headers: { range } });
    }

    it('bytes=0-9 is 206 with Content-Range and the first ten bytes', async () => {
      const res = await ranged('bytes=0-9');
      assert.equal(res.status, 206);
      assert.equal(res.headers.get('content-range'), 'bytes 0-9/100');
      assert.equal(res.headers.get('content-length'), '10');
      assert.equal(res.headers.get('docker-content-digest'), hundred.digest);
      assert.deepEqual(await bytesOf(res), hundred.bytes.subarray(0, 10));
    });

    it('an open-ended range bytes=10- runs to the end', async () => {
      const res = await ranged('bytes=10-');
      assert.equal(res.status, 206);
      assert.equal(res.headers.get('content-range'), 'bytes 10-99/100');
      assert.equal(res.headers.get('content-length'), '90');
      assert.deepEqual(await bytesOf(res), hundred.bytes.subarray(10));
    });

    it('a suffix range bytes=-5 is the last five bytes', async () => {
      const res = await ranged('bytes=-5');
      assert.equal(res.status, 206);
      assert.equal(res.headers.get('content-range'), 'bytes 95-99/100');
      assert.deepEqual(await bytesOf(res), hundred.bytes.subarray(95));
    });

    it('a suffix longer than the blob is the whole blob', async () => {
      const res = await ranged('bytes=-500');
      assert.equal(res.status, 206);
      assert.equal(res.headers.get('content-range'), 'bytes 0-99/100');
      assert.deepEqual(await bytesOf(res), hundred.bytes);
    });

    it('an end past the size is clamped to the last byte', async () => {
      const res = await ranged('bytes=90-1000');
      assert.equal(res.status, 206);
      assert.equal(res.headers.get('content-range'), 'bytes 90-99/100');
      assert.equal(res.headers.get('content-length'), '10');
      assert.deepEqual(await bytesOf(res), hundred.bytes.subarray(90));
    });

    it('a start past the size is 416 with Content-Range bytes */<size> and a JSON error', async () => {
      for (const range of ['bytes=100-', 'bytes=500-600', 'bytes=-0']) {
        const res = await ranged(range);
        assert.equal(res.headers.get('content-range'), 'bytes */100', range);
        await assertError(res, 416, 'BLOB_UPLOAD_INVALID');
      }
    });

    it('a syntactically invalid or multi-part range is ignored: 200 with the whole blob', async () => {
      for (const range of ['bytes=9-3', 'bytes=0-1,5-6', 'items=0-9']) {
        const res = await ranged(range);
        assert.equal(res.status, 200, range);
        assert.deepEqual(await bytesOf(res), hundred.bytes);
      }
    });
  });

  describe('a zero-byte blob', () => {
    let empty: Blob;
    before(async () => {
      empty = await pushed(client, REPO, blob(''));
    });

    it('GET is 200 with Content-Length 0 and the empty digest', async () => {
      const res = await client.request(`/v2/${REPO}/blobs/${empty.digest}`);
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('content-length'), '0');
      assert.equal(res.headers.get('docker-content-digest'), empty.digest);
      assert.equal((await bytesOf(res)).byteLength, 0);
    });

    it('HEAD is 200 with Content-Length 0', async () => {
      const res = await client.request(`/v2/${REPO}/blobs/${empty.digest}`, { method: 'HEAD' });
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('content-length'), '0');
    });

    it('any range of it is 416 bytes */0', async () => {
      const res = await client.request(`/v2/${REPO}/blobs/${empty.digest}`, { headers: { range: 'bytes=0-' } });
      assert.equal(res.headers.get('content-range'), 'bytes */0');
      await assertError(res, 416, 'BLOB_UPLOAD_INVALID');
    });
  });

  describe('DELETE', () => {
    it('is 202, after which the blob is 404 BLOB_UNKNOWN; deleting again is 404', async () => {
      const keep = await pushed(client, 'blobs/delete', blob(16));
      const doomed = await pushed(client, 'blobs/delete', blob(64));
      const res = await client.request(`/v2/blobs/delete/blobs/${doomed.digest}`, { method: 'DELETE' });
      assert.equal(res.status, 202, await res.clone().text());
      await assertError(await client.request(`/v2/blobs/delete/blobs/${doomed.digest}`), 404, 'BLOB_UNKNOWN');
      const head = await client.request(`/v2/blobs/delete/blobs/${doomed.digest}`, { method: 'HEAD' });
      assert.equal(head.status, 404);
      await assertError(
        await client.request(`/v2/blobs/delete/blobs/${doomed.digest}`, { method: 'DELETE' }),
        404,
        'BLOB_UNKNOWN',
      );
      // The other blob of the repository is untouched.
      const kept = await client.request(`/v2/blobs/delete/blobs/${keep.digest}`);
      assert.deepEqual(await bytesOf(kept), keep.bytes);
    });

    it('unlinks the blob from one repository only', async () => {
      const shared = blob(48);
      await pushed(client, 'blobs/delete-a', shared);
      await pushed(client, 'blobs/delete-b', shared);
      const res = await client.request(`/v2/blobs/delete-a/blobs/${shared.digest}`, { method: 'DELETE' });
      assert.equal(res.status, 202);
      const still = await client.request(`/v2/blobs/delete-b/blobs/${shared.digest}`);
      assert.equal(still.status, 200);
      assert.deepEqual(await bytesOf(still), shared.bytes);
    });

    it('an unknown digest is 404 BLOB_UNKNOWN, an unknown repository 404 NAME_UNKNOWN', async () => {
      await assertError(
        await client.request(`/v2/${REPO}/blobs/${UNKNOWN_DIGEST}`, { method: 'DELETE' }),
        404,
        'BLOB_UNKNOWN',
      );
      await assertError(
        await client.request(`/v2/blobs/nowhere/blobs/${UNKNOWN_DIGEST}`, { method: 'DELETE' }),
        404,
        'NAME_UNKNOWN',
      );
    });

    it('an invalid digest is 400 DIGEST_INVALID', async () => {
      await assertError(
        await client.request(`/v2/${REPO}/blobs/sha256:nope`, { method: 'DELETE' }),
        400,
        'DIGEST_INVALID',
      );
    });
  });
});

describe('blob DELETE with registry.deleteEnabled: false', () => {
  let server: TestServer;
  let client: RegistryClient;
  before(async () => {
    server = await startTestServer({ config: { 'registry.deleteEnabled': false } });
    client = new RegistryClient(server.url);
  });
  after(() => server.close());

  it('is 405 UNSUPPORTED and the blob stays readable', async () => {
    const b = await pushed(client, REPO, blob(40));
    const res = await client.request(`/v2/${REPO}/blobs/${b.digest}`, { method: 'DELETE' });
    await assertError(res, 405, 'UNSUPPORTED');
    const still = await client.request(`/v2/${REPO}/blobs/${b.digest}`);
    assert.equal(still.status, 200);
    assert.deepEqual(await bytesOf(still), b.bytes);
  });
});
