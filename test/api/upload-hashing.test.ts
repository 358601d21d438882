/**
 * Uploads hashed on worker threads (`registry.hashThreads`, storage/hash-workers.ts)
 * and on the event loop (`0`): the same answers over HTTP either way, for
 * monolithic, streamed and chunked pushes, wrong digests, sha512, concurrent
 * pushes and a session resumed after a restart.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { assertError, RegistryClient } from '../helpers/client.js';
import { blob } from '../helpers/builders.js';
import { streamedBody, uploadClient, withQuery } from '../helpers/uploads.js';
import { HashWorkers } from '../../src/storage/hash-workers.js';

const MiB = 1024 * 1024;

/** Threads of this process (the test server runs in it). */
function threadCount(): number {
  return readdirSync('/proc/self/task').length;
}

function withDigest(location: string, digest: string): string {
  return withQuery(location, { digest });
}

async function startSession(client: RegistryClient, repo: string, query = ''): Promise<string> {
  return (await uploadClient(client).start(repo, query)).location;
}

/** PATCHes `bytes` at `start`, asserts 202, and returns the next Location. */
async function patch(client: RegistryClient, location: string, bytes: Buffer, start: number): Promise<string> {
  const res = await uploadClient(client).patch(location, bytes, `${start}-${start + bytes.length - 1}`);
  assert.equal(res.status, 202, await res.text());
  return res.headers.get('location') ?? '';
}

function assertStored(client: RegistryClient, repo: string, b: { digest: string; bytes: Buffer }): Promise<void> {
  return uploadClient(client).assertStored(repo, b);
}

/**
 * Closes two sessions with `right`'s digest: the one holding `right`'s bytes
 * is 201 and stores them, the one holding other bytes is 400 DIGEST_INVALID.
 */
async function completeBoth(
  client: RegistryClient,
  repo: string,
  right: { digest: string; bytes: Buffer },
  rightLocation: string,
  wrongLocation: string,
): Promise<void> {
  const done = await client.request(withDigest(rightLocation, right.digest), { method: 'PUT' });
  assert.equal(done.status, 201, await done.text());
  await assertStored(client, repo, right);
  const refused = await client.request(withDigest(wrongLocation, right.digest), { method: 'PUT' });
  await assertError(refused, 400, 'DIGEST_INVALID');
}

for (const threads of [0, 2]) {
  describe(`uploads with registry.hashThreads: ${threads}`, () => {
    let server: TestServer;
    let client: RegistryClient;
    /** Threads of this process before any upload big enough to be hashed on a thread. */
    let baseline: number;
    before(async () => {
      server = await startTestServer({ config: { 'registry.hashThreads': threads } });
      client = new RegistryClient(server.url);
      // Every thread the server starts without hashing exists after one small push.
      const warm = blob(100);
      const res = await client.request(`/v2/hash/warm/blobs/uploads/?digest=${warm.digest}`, {
        method: 'POST',
        body: warm.bytes,
      });
      assert.equal(res.status, 201, await res.text());
      baseline = threadCount();
    });
    after(() => server.close());

    it(`monolithic and streamed pushes of MiBs, one after the other, are 201 with the right bytes`, async () => {
      const single = blob(3 * MiB + 5);
      await uploadClient(client).pushWhole('hash/mono', single);
      const streamed = blob(2 * MiB + 1);
      const location = await startSession(client, 'hash/mono');
      const body = streamedBody(streamed.bytes);
      const put = await client.request(withDigest(location, streamed.digest), { method: 'PUT', body, duplex: 'half' });
      assert.equal(put.status, 201, await put.text());
      assert.equal(threadCount() - baseline, Math.min(threads, 1), 'one push at a time hashes on one thread');
      await assertStored(client, 'hash/mono', single);
      await assertStored(client, 'hash/mono', streamed);
    });

    for (const algorithm of ['sha256', 'sha512'] as const) {
      it(`a ${algorithm} chunked push (PATCH, PATCH, PUT with the last chunk) is 201 with the right bytes`, async () => {
        const bytes = blob(2 * MiB + 700_001).bytes;
        const digest = `${algorithm}:${createHash(algorithm).update(bytes).digest('hex')}`;
        let location = await startSession(
          client,
          'hash/chunked',
          algorithm === 'sha512' ? '?digest-algorithm=sha512' : '',
        );
        location = await patch(client, location, bytes.subarray(0, 700_001), 0);
        location = await patch(client, location, bytes.subarray(700_001, 700_001 + MiB), 700_001);
        const rest = bytes.subarray(700_001 + MiB);
        const put = await client.request(withDigest(location, digest), {
          method: 'PUT',
          headers: {
            'content-type': 'application/octet-stream',
            'content-range': `${700_001 + MiB}-${bytes.length - 1}`,
          },
          body: rest,
        });
        assert.equal(put.status, 201, await put.text());
        await assertStored(client, 'hash/chunked', { digest, bytes });
      });
    }

    it('wrong digests are 400 DIGEST_INVALID and store nothing, monolithic or chunked', async () => {
      const b = blob(MiB + 3);
      const claimed = blob(10).digest;
      const mono = await client.request(`/v2/hash/wrong/blobs/uploads/?digest=${claimed}`, {
        method: 'POST',
        body: b.bytes,
      });
      await assertError(mono, 400, 'DIGEST_INVALID');
      let location = await startSession(client, 'hash/wrong');
      location = await patch(client, location, b.bytes, 0);
      await assertError(await client.request(withDigest(location, claimed), { method: 'PUT' }), 400, 'DIGEST_INVALID');
      await assertError(await client.request(location), 404, 'BLOB_UPLOAD_UNKNOWN');
      for (const digest of [b.digest, claimed]) {
        assert.equal((await client.request(`/v2/hash/wrong/blobs/${digest}`, { method: 'HEAD' })).status, 404);
      }
    });

    it('eight concurrent pushes of MiB blobs, during a chunked upload, each store their own bytes', async () => {
      // The open session keeps its hash state between PATCHes: the pushes overlap with it.
      const chunked = blob(MiB);
      const location = await patch(
        client,
        await startSession(client, 'hash/many'),
        chunked.bytes.subarray(0, 300_000),
        0,
      );
      const blobs = Array.from({ length: 8 }, (_, i) => blob(MiB + i * 65_537));
      const statuses = await Promise.all(
        blobs.map(async (b) => {
          const res = await client.request(`/v2/hash/many/blobs/uploads/?digest=${b.digest}`, {
            method: 'POST',
            body: b.bytes,
          });
          await res.arrayBuffer();
          return res.status;
        }),
      );
      assert.deepEqual(
        statuses,
        blobs.map(() => 201),
      );
      assert.equal(threadCount() - baseline, threads, 'overlapping uploads use every hashing thread');
      const rest = await patch(client, location, chunked.bytes.subarray(300_000), 300_000);
      const done = await client.request(withDigest(rest, chunked.digest), { method: 'PUT' });
      assert.equal(done.status, 201, await done.text());
      for (const b of [chunked, ...blobs]) await assertStored(client, 'hash/many', b);
    });
  });

  describe(`a chunked upload resumed after a restart, registry.hashThreads: ${threads}`, () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'berth-hash-restart-'));
    after(() => rmSync(dataDir, { recursive: true, force: true }));

    it('re-reads the bytes received before the restart to check the digest: right is 201, wrong is 400', async () => {
      const config = { 'registry.hashThreads': threads };
      const right = blob(MiB + 100_000);
      const wrong = blob(MiB);
      const first = await startTestServer({ dataDir, config });
      const locations: string[] = [];
      try {
        const client = new RegistryClient(first.url);
        for (const b of [right, wrong]) {
          locations.push(
            await patch(client, await startSession(client, 'hash/restart'), b.bytes.subarray(0, 600_000), 0),
          );
        }
      } finally {
        await first.close();
      }
      const second = await startTestServer({ dataDir, config });
      try {
        const client = new RegistryClient(second.url);
        const [forRight = '', forWrong = ''] = locations;
        const rest = await patch(client, forRight, right.bytes.subarray(600_000), 600_000);
        await completeBoth(client, 'hash/restart', right, rest, forWrong);
      } finally {
        await second.close();
      }
    });
  });
}

describe('a chunked upload whose hashing thread stopped', () => {
  it('completes from the stored bytes: 201 for the right digest, and the session of a wrong one is 400', async () => {
    const hashing = new HashWorkers({ threads: 1 });
    const server = await startTestServer({ hashing });
    try {
      const client = new RegistryClient(server.url);
      const [right, wrong] = [blob(MiB + 12_345), blob(MiB)];
      const locations = [];
      for (const b of [right, wrong])
        locations.push(await patch(client, await startSession(client, 'hash/lost'), b.bytes, 0));
      // The live hash state of both sessions lived on that thread.
      await hashing.close();
      const [forRight = '', forWrong = ''] = locations;
      await completeBoth(client, 'hash/lost', right, forRight, forWrong);
    } finally {
      await server.close();
    }
  });
});
