/**
 * Upload-body chunks freed once stored (http/free-chunk.ts): through the
 * server, every chunk of a monolithic, streamed or chunked push is freed
 * (emptied) as soon as a writer that copies chunks has taken it, and none
 * while a writer holds on to them (page-cache writers); the stored bytes are
 * right either way.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { RegistryClient } from '../helpers/client.js';
import { blob } from '../helpers/builders.js';
import { testBackend } from '../helpers/backend.js';
import { streamedBody, uploadClient, withQuery } from '../helpers/uploads.js';
import { chunkFreer } from '../../src/http/free-chunk.js';

const MiB = 1024 * 1024;

const cases =
  testBackend() === 'filesystem'
    ? [
        {
          name: 'filesystem storage with O_DIRECT writers (they copy chunks)',
          config: { 'storage.directWrites': true },
          frees: true,
        },
        {
          name: 'filesystem storage through the page cache (writers keep chunks)',
          config: { 'storage.directWrites': false },
          frees: false,
        },
      ]
    : [{ name: 'S3 storage (writers copy chunks into parts)', config: {}, frees: true }];

for (const { name, config, frees } of cases) {
  describe(`upload-body chunks, ${name}`, () => {
    let server: TestServer;
    let client: RegistryClient;
    /** Bytes of the chunks handed to freeChunk, and of those it emptied. */
    const handed = { bytes: 0, emptied: 0 };
    before(async () => {
      const free = chunkFreer();
      assert.ok(free !== undefined, `node ${process.version} can detach ArrayBuffers`);
      server = await startTestServer({
        config,
        freeChunk: (chunk) => {
          const length = chunk.byteLength;
          free(chunk);
          handed.bytes += length;
          if (chunk.byteLength === 0) handed.emptied += length;
        },
      });
      client = new RegistryClient(server.url);
    });
    after(() => server.close());

    it(`monolithic, streamed and chunked pushes store the right bytes and ${frees ? 'free every chunk' : 'free none'}`, async () => {
      const up = uploadClient(client);
      const mono = blob(3 * MiB + 5);
      await up.pushWhole('free/chunks', mono);

      const streamed = blob(2 * MiB + 1);
      const body = streamedBody(streamed.bytes);
      const session = await up.start('free/chunks');
      const put = await client.request(withQuery(session.location, { digest: streamed.digest }), {
        method: 'PUT',
        body,
        duplex: 'half',
      });
      assert.equal(put.status, 201, await put.text());

      // Chunks at block-aligned offsets, so every PATCH's writer may write directly.
      const chunked = blob(2 * MiB + 100_001);
      let location = (await up.start('free/chunks')).location;
      for (const start of [0, MiB]) {
        const patch = await up.patch(
          location,
          chunked.bytes.subarray(start, start + MiB),
          `${start}-${start + MiB - 1}`,
        );
        assert.equal(patch.status, 202, await patch.text());
        location = patch.headers.get('location') ?? '';
      }
      const last = await up.put(location, chunked.digest, chunked.bytes.subarray(2 * MiB), {
        'content-range': `${2 * MiB}-${chunked.bytes.length - 1}`,
      });
      assert.equal(last.status, 201, await last.text());

      for (const b of [mono, streamed, chunked]) await up.assertStored('free/chunks', b);
      const total = mono.bytes.length + streamed.bytes.length + chunked.bytes.length;
      assert.deepEqual(handed, frees ? { bytes: total, emptied: total } : { bytes: 0, emptied: 0 });
    });
  });
}
