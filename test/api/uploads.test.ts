/**
 * Blob uploads over HTTP (distribution-spec: "Pushing blobs", "Pushing a blob
 * monolithically", "Pushing a blob in chunks", "Cancel a blob upload"), and
 * the lifecycle of sessions: resume after a restart, expiry of abandoned ones.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { assertError, RegistryClient } from '../helpers/client.js';
import { blob } from '../helpers/builders.js';
import { uploadClient, withQuery, type Session } from '../helpers/uploads.js';

const MAX_BLOB_BYTES = 64 * 1024;
const CHUNK_MIN_LENGTH = 4096;

function sha512(data: Uint8Array): string {
  return `sha512:${createHash('sha512').update(data).digest('hex')}`;
}

/** Session ids holding bytes in storage (`uploads/<id>/…`), read through the server's storage driver. */
async function uploadDirs(server: TestServer): Promise<string[]> {
  const ids = new Set<string>();
  for await (const path of server.registry.deps.storage.list('uploads')) ids.add(path.split('/')[1] ?? '');
  return [...ids];
}

/** Stored copies of `digest`'s bytes under `blobs/`, read through the server's storage driver. */
async function storedCopies(server: TestServer, digest: string): Promise<number> {
  const [algorithm = '', encoded = ''] = digest.split(':');
  let copies = 0;
  for await (const path of server.registry.deps.storage.list(`blobs/${algorithm}`)) {
    if (path.endsWith(`/${encoded}`)) copies++;
  }
  return copies;
}

/** A body sent with chunked transfer encoding (no Content-Length). */
function streamed(...parts: Buffer[]): RequestInit {
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const part of parts) controller.enqueue(part);
      controller.close();
    },
  });
  return { body, duplex: 'half' };
}

describe('blob uploads', () => {
  let server: TestServer;
  let client: RegistryClient;
  let up: ReturnType<typeof uploadClient>;
  before(async () => {
    server = await startTestServer({
      config: { 'registry.maxBlobBytes': MAX_BLOB_BYTES, 'registry.chunkMinLength': CHUNK_MIN_LENGTH },
    });
    client = new RegistryClient(server.url);
    up = uploadClient(client);
  });
  after(() => server.close());

  describe('opening a session', () => {
    it('POST is 202 with Location, Range 0-0, Docker-Upload-UUID and OCI-Chunk-Min-Length', async () => {
      const res = await client.request('/v2/uploads/open/blobs/uploads/', {
        method: 'POST',
        headers: { 'content-length': '0' },
      });
      assert.equal(res.status, 202);
      const uuid = res.headers.get('docker-upload-uuid');
      assert.ok(uuid !== null && uuid.length > 0);
      assert.equal(res.headers.get('location'), `/v2/uploads/open/blobs/uploads/${uuid}`);
      assert.equal(res.headers.get('range'), '0-0');
      assert.equal(res.headers.get('oci-chunk-min-length'), String(CHUNK_MIN_LENGTH));
    });

    it('every POST opens a distinct session', async () => {
      const a = await up.start('uploads/open');
      const b = await up.start('uploads/open');
      assert.notEqual(a.uuid, b.uuid);
    });

    it('an unsupported ?digest-algorithm= (md5) is 400 DIGEST_INVALID', async () => {
      const res = await client.request('/v2/uploads/open/blobs/uploads/?digest-algorithm=md5', { method: 'POST' });
      await assertError(res, 400, 'DIGEST_INVALID');
    });

    it('an invalid repository name is 400 NAME_INVALID', async () => {
      await assertError(await client.request('/v2/Up/Per/blobs/uploads/', { method: 'POST' }), 400, 'NAME_INVALID');
    });
  });

  describe('monolithic push', () => {
    it('single POST ?digest= with the body is 201 with Location and Docker-Content-Digest', async () => {
      const b = blob(3000);
      const res = await client.request(withQuery('/v2/uploads/mono/blobs/uploads/', { digest: b.digest }), {
        method: 'POST',
        headers: { 'content-type': 'application/octet-stream' },
        body: b.bytes,
      });
      assert.equal(res.status, 201, await res.clone().text());
      assert.equal(res.headers.get('location'), `/v2/uploads/mono/blobs/${b.digest}`);
      assert.equal(res.headers.get('docker-content-digest'), b.digest);
      await up.assertStored('uploads/mono', b);
    });

    it('single POST ?digest= with a wrong digest is 400 DIGEST_INVALID and stores nothing', async () => {
      const b = blob(500);
      const wrong = blob(500).digest;
      const before = (await uploadDirs(server)).length;
      const res = await client.request(withQuery('/v2/uploads/mono/blobs/uploads/', { digest: wrong }), {
        method: 'POST',
        body: b.bytes,
      });
      await assertError(res, 400, 'DIGEST_INVALID');
      await up.assertUnknown('uploads/mono', wrong);
      await up.assertUnknown('uploads/mono', b.digest);
      assert.equal(await storedCopies(server, wrong), 0);
      assert.equal(await storedCopies(server, b.digest), 0);
      assert.equal((await uploadDirs(server)).length, before);
    });

    it('single POST with an invalid ?digest= is 400 DIGEST_INVALID', async () => {
      const res = await client.request('/v2/uploads/mono/blobs/uploads/?digest=sha256:123', {
        method: 'POST',
        body: 'abc',
      });
      await assertError(res, 400, 'DIGEST_INVALID');
    });

    it('POST then PUT with the whole body is 201 with Location; the session is gone', async () => {
      const b = blob(2048);
      const session = await up.start('uploads/mono');
      const res = await up.put(session.location, b.digest, b.bytes);
      assert.equal(res.status, 201, await res.clone().text());
      assert.equal(res.headers.get('location'), `/v2/uploads/mono/blobs/${b.digest}`);
      assert.equal(res.headers.get('docker-content-digest'), b.digest);
      await up.assertStored('uploads/mono', b);
      await assertError(await client.request(session.location), 404, 'BLOB_UPLOAD_UNKNOWN');
      assert.ok(!(await uploadDirs(server)).includes(session.uuid));
    });

    it('a zero-byte blob via single POST ?digest= with an empty body', async () => {
      const empty = blob('');
      const res = await client.request(withQuery('/v2/uploads/empty-a/blobs/uploads/', { digest: empty.digest }), {
        method: 'POST',
        headers: { 'content-length': '0' },
      });
      assert.equal(res.status, 201, await res.clone().text());
      assert.equal(res.headers.get('docker-content-digest'), empty.digest);
      await up.assertStored('uploads/empty-a', empty);
    });

    it('a zero-byte blob via POST then PUT without a body', async () => {
      const empty = blob('');
      const session = await up.start('uploads/empty-b');
      const res = await up.put(session.location, empty.digest);
      assert.equal(res.status, 201, await res.clone().text());
      const head = await client.request(`/v2/uploads/empty-b/blobs/${empty.digest}`, { method: 'HEAD' });
      assert.equal(head.status, 200);
      assert.equal(head.headers.get('content-length'), '0');
    });

    it('pushing a blob the repository already holds is 201 again (idempotent)', async () => {
      const b = blob(256);
      for (let i = 0; i < 2; i++) {
        const res = await client.pushBlob('uploads/again', b);
        assert.equal(res.status, 201, await res.clone().text());
      }
      await up.assertStored('uploads/again', b);
      assert.equal(await storedCopies(server, b.digest), 1);
    });

    it('the same blob pushed to two repositories is stored once', async () => {
      const b = blob(4000);
      for (const repo of ['uploads/dedup-a', 'uploads/dedup-b']) {
        const res = await client.pushBlob(repo, b);
        assert.equal(res.status, 201);
      }
      const res = await client.request(withQuery('/v2/uploads/dedup-c/blobs/uploads/', { digest: b.digest }), {
        method: 'POST',
        body: b.bytes,
      });
      assert.equal(res.status, 201);
      assert.equal(await storedCopies(server, b.digest), 1);
      for (const repo of ['uploads/dedup-a', 'uploads/dedup-b', 'uploads/dedup-c']) await up.assertStored(repo, b);
    });
  });

  describe('chunked push', () => {
    it('three PATCHes with Content-Range (202, Range, Location each), then PUT without a body: 201', async () => {
      const b = blob(3 * 1000);
      const session = await up.start('uploads/chunked');
      let location = session.location;
      for (let i = 0; i < 3; i++) {
        const start = i * 1000;
        const res = await up.patch(location, b.bytes.subarray(start, start + 1000), `${start}-${start + 999}`);
        assert.equal(res.status, 202, await res.clone().text());
        assert.equal(res.headers.get('range'), `0-${start + 999}`);
        assert.equal(res.headers.get('docker-upload-uuid'), session.uuid);
        const next = res.headers.get('location');
        assert.ok(next !== null && next.includes(session.uuid));
        location = next;
      }
      const res = await up.put(location, b.digest, undefined, { 'content-length': '0' });
      assert.equal(res.status, 201, await res.clone().text());
      assert.equal(res.headers.get('location'), `/v2/uploads/chunked/blobs/${b.digest}`);
      assert.equal(res.headers.get('docker-content-digest'), b.digest);
      await up.assertStored('uploads/chunked', b);
      assert.ok(!(await uploadDirs(server)).includes(session.uuid));
    });

    it('the closing PUT may carry the last chunk with Content-Range', async () => {
      const b = blob(1500);
      const session = await up.start('uploads/chunked');
      assert.equal((await up.patch(session.location, b.bytes.subarray(0, 1000), '0-999')).status, 202);
      const res = await up.put(session.location, b.digest, b.bytes.subarray(1000), { 'content-range': '1000-1499' });
      assert.equal(res.status, 201, await res.clone().text());
      await up.assertStored('uploads/chunked', b);
    });

    it('the closing PUT may carry the last chunk without Content-Range', async () => {
      const b = blob(1500);
      const session = await up.start('uploads/chunked');
      assert.equal((await up.patch(session.location, b.bytes.subarray(0, 700), '0-699')).status, 202);
      const res = await up.put(session.location, b.digest, b.bytes.subarray(700));
      assert.equal(res.status, 201, await res.clone().text());
      await up.assertStored('uploads/chunked', b);
    });

    it('PATCH without Content-Range streams and appends', async () => {
      const b = blob(2500);
      const session = await up.start('uploads/streamed');
      const first = await client.request(session.location, {
        method: 'PATCH',
        ...streamed(b.bytes.subarray(0, 600), b.bytes.subarray(600, 1200)),
      });
      assert.equal(first.status, 202, await first.clone().text());
      assert.equal(first.headers.get('range'), '0-1199');
      const second = await client.request(session.location, { method: 'PATCH', ...streamed(b.bytes.subarray(1200)) });
      assert.equal(second.status, 202);
      assert.equal(second.headers.get('range'), '0-2499');
      const res = await up.put(session.location, b.digest);
      assert.equal(res.status, 201, await res.clone().text());
      await up.assertStored('uploads/streamed', b);
    });

    it('a chunk that leaves a gap is 416 with a JSON body and the current Range; the upload goes on', async () => {
      const b = blob(300);
      const session = await up.start('uploads/order');
      assert.equal((await up.patch(session.location, b.bytes.subarray(0, 100), '0-99')).status, 202);
      const gap = await up.patch(session.location, b.bytes.subarray(150, 250), '150-249');
      assert.equal(gap.headers.get('range'), '0-99');
      await assertError(gap, 416, 'BLOB_UPLOAD_INVALID');
      const status = await client.request(session.location);
      assert.equal(status.status, 204);
      assert.equal(status.headers.get('range'), '0-99');
      assert.equal((await up.patch(session.location, b.bytes.subarray(100), '100-299')).status, 202);
      assert.equal((await up.put(session.location, b.digest)).status, 201);
      await up.assertStored('uploads/order', b);
    });

    it('a chunk that overlaps the bytes already received is 416 with the current Range', async () => {
      const b = blob(300);
      const session = await up.start('uploads/order');
      assert.equal((await up.patch(session.location, b.bytes.subarray(0, 100), '0-99')).status, 202);
      const overlap = await up.patch(session.location, b.bytes.subarray(50, 150), '50-149');
      assert.equal(overlap.headers.get('range'), '0-99');
      await assertError(overlap, 416, 'BLOB_UPLOAD_INVALID');
      const restart = await up.patch(session.location, b.bytes.subarray(0, 100), '0-99');
      await assertError(restart, 416, 'BLOB_UPLOAD_INVALID');
      assert.equal((await up.patch(session.location, b.bytes.subarray(100), '100-299')).status, 202);
      assert.equal((await up.put(session.location, b.digest)).status, 201);
      await up.assertStored('uploads/order', b);
    });

    it('a first chunk that does not start at 0 is 416', async () => {
      const session = await up.start('uploads/order');
      const res = await up.patch(session.location, Buffer.alloc(10), '5-14');
      assert.equal(res.headers.get('range'), '0-0');
      await assertError(res, 416, 'BLOB_UPLOAD_INVALID');
    });

    it('a last chunk out of order on the closing PUT is 416 and the session survives', async () => {
      const b = blob(200);
      const session = await up.start('uploads/order');
      assert.equal((await up.patch(session.location, b.bytes.subarray(0, 100), '0-99')).status, 202);
      const res = await up.put(session.location, b.digest, b.bytes.subarray(120), { 'content-range': '120-199' });
      assert.equal(res.headers.get('range'), '0-99');
      await assertError(res, 416, 'BLOB_UPLOAD_INVALID');
      const done = await up.put(session.location, b.digest, b.bytes.subarray(100), { 'content-range': '100-199' });
      assert.equal(done.status, 201, await done.clone().text());
      await up.assertStored('uploads/order', b);
    });

    it('a malformed Content-Range is 416', async () => {
      const session = await up.start('uploads/order');
      await assertError(await up.patch(session.location, Buffer.alloc(4), 'zero-three'), 416, 'BLOB_UPLOAD_INVALID');
    });

    it('Content-Length that disagrees with Content-Range is 400 SIZE_INVALID and writes nothing', async () => {
      const session = await up.start('uploads/size');
      const res = await up.patch(session.location, Buffer.alloc(10), '0-19');
      await assertError(res, 400, 'SIZE_INVALID');
      const status = await client.request(session.location);
      assert.equal(status.status, 204);
      assert.equal(status.headers.get('range'), '0-0');
      const last = await up.put(session.location, blob(5).digest, Buffer.alloc(5), { 'content-range': '0-9' });
      await assertError(last, 400, 'SIZE_INVALID');
    });

    it('a streamed chunk shorter than its Content-Range is 400 SIZE_INVALID; its bytes are dropped and the upload goes on', async () => {
      const b = blob(600);
      const session = await up.start('uploads/size');
      assert.equal((await up.patch(session.location, b.bytes.subarray(0, 200), '0-199')).status, 202);
      const short = await client.request(session.location, {
        method: 'PATCH',
        headers: { 'content-range': '200-599' },
        ...streamed(b.bytes.subarray(200, 300)),
      });
      await assertError(short, 400, 'SIZE_INVALID');
      const status = await client.request(session.location);
      assert.equal(status.headers.get('range'), '0-199');
      assert.equal((await up.patch(session.location, b.bytes.subarray(200), '200-599')).status, 202);
      const res = await up.put(session.location, b.digest);
      assert.equal(res.status, 201, await res.clone().text());
      await up.assertStored('uploads/size', b);
    });

    it('two PATCHes racing for the same range: one is 202, the other 416', async () => {
      const b = blob(400);
      const session = await up.start('uploads/race');
      const results = await Promise.all([
        up.patch(session.location, b.bytes.subarray(0, 200), '0-199'),
        up.patch(session.location, b.bytes.subarray(0, 200), '0-199'),
      ]);
      const statuses = results.map((r) => r.status).sort();
      assert.deepEqual(statuses, [202, 416]);
      const loser = results.find((r) => r.status === 416);
      assert.ok(loser !== undefined);
      assert.equal(loser.headers.get('range'), '0-199');
      await assertError(loser, 416, 'BLOB_UPLOAD_INVALID');
      assert.equal(
        (await up.put(session.location, b.digest, b.bytes.subarray(200), { 'content-range': '200-399' })).status,
        201,
      );
      await up.assertStored('uploads/race', b);
    });
  });

  describe('session status and cancel', () => {
    it('GET is 204 with Range and Location', async () => {
      const session = await up.start('uploads/status');
      const empty = await client.request(session.location);
      assert.equal(empty.status, 204);
      assert.equal(empty.headers.get('range'), '0-0');
      assert.equal(empty.headers.get('location'), session.location);
      await up.patch(session.location, Buffer.alloc(42), '0-41');
      const res = await client.request(session.location);
      assert.equal(res.status, 204);
      assert.equal(res.headers.get('range'), '0-41');
      assert.equal(res.headers.get('location'), session.location);
      assert.equal(res.headers.get('docker-upload-uuid'), session.uuid);
    });

    it('DELETE is 204, after which the session is 404 BLOB_UPLOAD_UNKNOWN and its bytes are gone', async () => {
      const session = await up.start('uploads/cancel');
      await up.patch(session.location, Buffer.alloc(64), '0-63');
      assert.ok((await uploadDirs(server)).includes(session.uuid));
      const res = await client.request(session.location, { method: 'DELETE', headers: { 'content-length': '0' } });
      assert.equal(res.status, 204);
      assert.ok(!(await uploadDirs(server)).includes(session.uuid));
      await assertError(await client.request(session.location), 404, 'BLOB_UPLOAD_UNKNOWN');
      await assertError(await up.patch(session.location, Buffer.alloc(1), '64-64'), 404, 'BLOB_UPLOAD_UNKNOWN');
      await assertError(await client.request(session.location, { method: 'DELETE' }), 404, 'BLOB_UPLOAD_UNKNOWN');
    });

    it('an unknown or garbage session id is 404 BLOB_UPLOAD_UNKNOWN for every method', async () => {
      for (const id of ['AAAAAAAAAAAAAAAAAAAAAA', 'garbage!', 'x'.repeat(300), '..%2F..']) {
        const location = `/v2/uploads/status/blobs/uploads/${id}`;
        await assertError(await client.request(location), 404, 'BLOB_UPLOAD_UNKNOWN');
        await assertError(await up.patch(location, Buffer.alloc(1), '0-0'), 404, 'BLOB_UPLOAD_UNKNOWN');
        await assertError(await up.put(location, blob(1).digest, Buffer.alloc(1)), 404, 'BLOB_UPLOAD_UNKNOWN');
        await assertError(await client.request(location, { method: 'DELETE' }), 404, 'BLOB_UPLOAD_UNKNOWN');
      }
    });

    it('a session used under another repository name is 404 BLOB_UPLOAD_UNKNOWN', async () => {
      const b = blob(10);
      const session = await up.start('uploads/owner');
      const elsewhere = session.location.replace('/uploads/owner/', '/uploads/intruder/');
      assert.notEqual(elsewhere, session.location);
      await assertError(await client.request(elsewhere), 404, 'BLOB_UPLOAD_UNKNOWN');
      await assertError(await up.patch(elsewhere, b.bytes, '0-9'), 404, 'BLOB_UPLOAD_UNKNOWN');
      await assertError(await up.put(elsewhere, b.digest, b.bytes), 404, 'BLOB_UPLOAD_UNKNOWN');
      await assertError(await client.request(elsewhere, { method: 'DELETE' }), 404, 'BLOB_UPLOAD_UNKNOWN');
      // The owner's session is untouched.
      const res = await up.put(session.location, b.digest, b.bytes);
      assert.equal(res.status, 201);
      await up.assertUnknown('uploads/intruder', b.digest);
    });
  });

  describe('digests', () => {
    it('a ?digest-algorithm=sha512 session completes with a sha512 digest', async () => {
      const bytes = blob(5000).bytes;
      const digest = sha512(bytes);
      const session = await up.start('uploads/sha512', '?digest-algorithm=sha512');
      assert.equal((await up.patch(session.location, bytes.subarray(0, 2000), '0-1999')).status, 202);
      const res = await up.put(session.location, digest, bytes.subarray(2000));
      assert.equal(res.status, 201, await res.clone().text());
      assert.equal(res.headers.get('docker-content-digest'), digest);
      assert.equal(res.headers.get('location'), `/v2/uploads/sha512/blobs/${digest}`);
      await up.assertStored('uploads/sha512', { digest, bytes });
      assert.equal(await storedCopies(server, digest), 1);
    });

    it('a single POST with a sha512 ?digest= is 201', async () => {
      const bytes = blob(100).bytes;
      const digest = sha512(bytes);
      const res = await client.request(withQuery('/v2/uploads/sha512/blobs/uploads/', { digest }), {
        method: 'POST',
        body: bytes,
      });
      assert.equal(res.status, 201, await res.clone().text());
      await up.assertStored('uploads/sha512', { digest, bytes });
    });

    it('a wrong digest on the closing PUT is 400 DIGEST_INVALID; the blob is unknown and the session gone', async () => {
      const b = blob(800);
      const wrong = blob(800).digest;
      const session = await up.start('uploads/wrong');
      assert.equal((await up.patch(session.location, b.bytes, '0-799')).status, 202);
      await assertError(await up.put(session.location, wrong), 400, 'DIGEST_INVALID');
      await up.assertUnknown('uploads/wrong', wrong);
      await up.assertUnknown('uploads/wrong', b.digest);
      assert.equal(await storedCopies(server, wrong), 0);
      assert.equal(await storedCopies(server, b.digest), 0);
      await assertError(await client.request(session.location), 404, 'BLOB_UPLOAD_UNKNOWN');
      assert.ok(!(await uploadDirs(server)).includes(session.uuid));
    });

    it('a closing PUT without ?digest= is 400 DIGEST_INVALID', async () => {
      const session = await up.start('uploads/wrong');
      const res = await client.request(session.location, { method: 'PUT', body: Buffer.alloc(3) });
      await assertError(res, 400, 'DIGEST_INVALID');
    });

    it('a closing PUT with an invalid or md5 ?digest= is 400 DIGEST_INVALID', async () => {
      for (const digest of ['sha256:abc', `md5:${'a'.repeat(32)}`]) {
        const session = await up.start('uploads/wrong');
        await assertError(await up.put(session.location, digest, Buffer.alloc(3)), 400, 'DIGEST_INVALID');
      }
    });
  });

  describe('registry.maxBlobBytes', () => {
    it('a single POST beyond the limit is 413 SIZE_INVALID and leaves nothing', async () => {
      const big = blob(MAX_BLOB_BYTES + 1);
      const before = (await uploadDirs(server)).length;
      const res = await client.request(withQuery('/v2/uploads/limit/blobs/uploads/', { digest: big.digest }), {
        method: 'POST',
        body: big.bytes,
      });
      await assertError(res, 413, 'SIZE_INVALID');
      await up.assertUnknown('uploads/limit', big.digest);
      assert.equal(await storedCopies(server, big.digest), 0);
      assert.equal((await uploadDirs(server)).length, before);
    });

    it('a streamed POST then PUT beyond the limit is 413 and leaves nothing', async () => {
      const big = blob(MAX_BLOB_BYTES * 2);
      const session = await up.start('uploads/limit');
      const res = await client.request(withQuery(session.location, { digest: big.digest }), {
        method: 'PUT',
        ...streamed(big.bytes.subarray(0, MAX_BLOB_BYTES), big.bytes.subarray(MAX_BLOB_BYTES)),
      });
      await assertError(res, 413, 'SIZE_INVALID');
      await up.assertUnknown('uploads/limit', big.digest);
      assert.equal(await storedCopies(server, big.digest), 0);
      await assertError(await client.request(session.location), 404, 'BLOB_UPLOAD_UNKNOWN');
      assert.ok(!(await uploadDirs(server)).includes(session.uuid));
    });

    it('chunks that together pass the limit are 413 and leave nothing', async () => {
      const big = blob(MAX_BLOB_BYTES + 100);
      const session = await up.start('uploads/limit');
      const half = MAX_BLOB_BYTES / 2;
      assert.equal((await up.patch(session.location, big.bytes.subarray(0, half), `0-${half - 1}`)).status, 202);
      const res = await up.patch(session.location, big.bytes.subarray(half), `${half}-${big.size - 1}`);
      await assertError(res, 413, 'SIZE_INVALID');
      await assertError(await client.request(session.location), 404, 'BLOB_UPLOAD_UNKNOWN');
      assert.ok(!(await uploadDirs(server)).includes(session.uuid));
      await up.assertUnknown('uploads/limit', big.digest);
    });

    it('a blob of exactly the limit is accepted', async () => {
      const exact = blob(MAX_BLOB_BYTES);
      const res = await client.pushBlob('uploads/limit', exact);
      assert.equal(res.status, 201, await res.clone().text());
    });
  });
});

describe('upload sessions survive a restart and resume', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'berth-upload-restart-'));
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  it('PATCH, restart on the same data directory, GET status, PATCH the rest, PUT: 201 and the right bytes', async () => {
    const b = blob(10_000);
    const first = await startTestServer({ dataDir });
    let session: Session;
    try {
      session = await uploadClient(new RegistryClient(first.url)).start('restart/repo');
      const res = await uploadClient(new RegistryClient(first.url)).patch(
        session.location,
        b.bytes.subarray(0, 4000),
        '0-3999',
      );
      assert.equal(res.status, 202);
    } finally {
      await first.close();
    }

    const second = await startTestServer({ dataDir });
    try {
      const client = new RegistryClient(second.url);
      const up = uploadClient(client);
      const status = await client.request(session.location);
      assert.equal(status.status, 204);
      assert.equal(status.headers.get('range'), '0-3999');
      const rest = await up.patch(session.location, b.bytes.subarray(4000), '4000-9999');
      assert.equal(rest.status, 202, await rest.clone().text());
      assert.equal(rest.headers.get('range'), '0-9999');
      const done = await up.put(session.location, b.digest);
      assert.equal(done.status, 201, await done.clone().text());
      await up.assertStored('restart/repo', b);
    } finally {
      await second.close();
    }
  });

  it('a session resumed after a restart still rejects a wrong digest', async () => {
    const b = blob(3000);
    const first = await startTestServer({ dataDir });
    let session: Session;
    try {
      const up = uploadClient(new RegistryClient(first.url));
      session = await up.start('restart/wrong');
      assert.equal((await up.patch(session.location, b.bytes, '0-2999')).status, 202);
    } finally {
      await first.close();
    }
    const second = await startTestServer({ dataDir });
    try {
      const up = uploadClient(new RegistryClient(second.url));
      await assertError(await up.put(session.location, blob(3000).digest), 400, 'DIGEST_INVALID');
      await up.assertUnknown('restart/wrong', b.digest);
    } finally {
      await second.close();
    }
  });
});

describe('abandoned upload sessions expire', () => {
  const TTL_SECONDS = 60;
  let now = Date.parse('2026-01-01T00:00:00Z');
  let server: TestServer;
  let client: RegistryClient;
  before(async () => {
    server = await startTestServer({ clock: () => now, config: { 'registry.uploadTtlSeconds': TTL_SECONDS } });
    client = new RegistryClient(server.url);
  });
  after(() => server.close());

  it('a session idle past the TTL is 404 after expireStale() and its bytes are gone; an active one stays', async () => {
    const up = uploadClient(client);
    const idle = await up.start('expiry/repo');
    assert.equal((await up.patch(idle.location, Buffer.alloc(128), '0-127')).status, 202);
    assert.ok((await uploadDirs(server)).includes(idle.uuid));

    now += (TTL_SECONDS - 10) * 1000;
    const active = await up.start('expiry/repo');
    assert.equal((await up.patch(active.location, Buffer.alloc(16), '0-15')).status, 202);
    assert.equal(await server.registry.uploads.expireStale(), 0);
    assert.equal((await client.request(idle.location)).status, 204);

    now += 20 * 1000;
    assert.equal(await server.registry.uploads.expireStale(), 1);
    await assertError(await client.request(idle.location), 404, 'BLOB_UPLOAD_UNKNOWN');
    await assertError(await up.patch(idle.location, Buffer.alloc(1), '128-128'), 404, 'BLOB_UPLOAD_UNKNOWN');
    assert.ok(!(await uploadDirs(server)).includes(idle.uuid));

    const status = await client.request(active.location);
    assert.equal(status.status, 204);
    assert.equal(status.headers.get('range'), '0-15');
    assert.ok((await uploadDirs(server)).includes(active.uuid));
  });
});
