/**
 * Cross-repository blob mount over HTTP (distribution-spec: "Mounting a blob
 * from another repository", end-11).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { assertError, RegistryClient } from '../helpers/client.js';
import { blob, type Blob } from '../helpers/builders.js';
import { parseDigest } from '../../src/oci/digest.js';
import { blobPath } from '../../src/storage/paths.js';

const SOURCE = 'mount/source';

function mountPath(target: string, params: Record<string, string>): string {
  return `/v2/${target}/blobs/uploads/?${new URLSearchParams(params).toString()}`;
}

describe('blob mount', () => {
  let server: TestServer;
  let client: RegistryClient;
  let layer: Blob;

  async function post(target: string, params: Record<string, string>): Promise<Response> {
    return client.request(mountPath(target, params), { method: 'POST', headers: { 'content-length': '0' } });
  }

  async function assertReadable(repo: string, b: Blob): Promise<void> {
    const res = await client.request(`/v2/${repo}/blobs/${b.digest}`);
    assert.equal(res.status, 200, await res.clone().text());
    assert.equal(res.headers.get('docker-content-digest'), b.digest);
    assert.deepEqual(Buffer.from(await res.arrayBuffer()), b.bytes);
  }

  /** Asserts a 202 that opened a normal upload session, and returns its Location. */
  async function assertSession(res: Response, target: string): Promise<string> {
    assert.equal(res.status, 202, await res.clone().text());
    const location = res.headers.get('location');
    const uuid = res.headers.get('docker-upload-uuid');
    assert.ok(location !== null && uuid !== null);
    assert.equal(location, `/v2/${target}/blobs/uploads/${uuid}`);
    assert.equal(res.headers.get('range'), '0-0');
    assert.equal(res.headers.get('oci-chunk-min-length'), null, 'no minimum chunk length configured');
    const status = await client.request(location);
    assert.equal(status.status, 204);
    return location;
  }

  before(async () => {
    server = await startTestServer();
    client = new RegistryClient(server.url);
    layer = blob(2000);
    const res = await client.pushBlob(SOURCE, layer);
    assert.equal(res.status, 201);
  });
  after(() => server.close());

  it('mount=&from= is 201 with Location and Docker-Content-Digest; the blob is readable in the target', async () => {
    await assertError(await client.request(`/v2/mount/target/blobs/${layer.digest}`), 404, 'NAME_UNKNOWN');
    const res = await post('mount/target', { mount: layer.digest, from: SOURCE });
    assert.equal(res.status, 201, await res.clone().text());
    assert.equal(res.headers.get('location'), `/v2/mount/target/blobs/${layer.digest}`);
    assert.equal(res.headers.get('docker-content-digest'), layer.digest);
    await assertReadable('mount/target', layer);
    await assertReadable(SOURCE, layer);
  });

  it('mounting a blob the target already holds is 201 again (idempotent)', async () => {
    const res = await post('mount/target', { mount: layer.digest, from: SOURCE });
    assert.equal(res.status, 201);
    await assertReadable('mount/target', layer);
  });

  it('a mounted blob stays in the target when the source deletes it', async () => {
    const b = blob(300);
    assert.equal((await client.pushBlob('mount/src-delete', b)).status, 201);
    assert.equal((await post('mount/dst-delete', { mount: b.digest, from: 'mount/src-delete' })).status, 201);
    const del = await client.request(`/v2/mount/src-delete/blobs/${b.digest}`, { method: 'DELETE' });
    assert.equal(del.status, 202);
    await assertReadable('mount/dst-delete', b);
  });

  it('mount from a repository that lacks the blob is 202 with an upload session, which completes normally', async () => {
    const other = blob(500);
    assert.equal((await client.pushBlob('mount/lacks', blob(10))).status, 201);
    const res = await post('mount/fallback', { mount: other.digest, from: 'mount/lacks' });
    const location = await assertSession(res, 'mount/fallback');
    await assertError(await client.request(`/v2/mount/fallback/blobs/${other.digest}`), 404, 'NAME_UNKNOWN');
    const put = await client.request(`${location}?digest=${other.digest}`, { method: 'PUT', body: other.bytes });
    assert.equal(put.status, 201, await put.clone().text());
    await assertReadable('mount/fallback', other);
  });

  it('a blob whose bytes are gone from storage is not mounted: 202, and the upload stores the bytes again', async () => {
    const lost = blob(700);
    assert.equal((await client.pushBlob('mount/lost-src', lost)).status, 201);
    assert.equal((await post('mount/lost-held', { mount: lost.digest, from: 'mount/lost-src' })).status, 201);
    await server.registry.deps.storage.delete(blobPath(parseDigest(lost.digest)));

    // A target without the blob gets no link (nor a repository); one that links it
    // is not told "mounted" either, so its client uploads the bytes.
    await assertSession(await post('mount/lost-new', { mount: lost.digest, from: 'mount/lost-src' }), 'mount/lost-new');
    await assertError(await client.request(`/v2/mount/lost-new/blobs/${lost.digest}`), 404, 'NAME_UNKNOWN');
    const location = await assertSession(
      await post('mount/lost-held', { mount: lost.digest, from: 'mount/lost-src' }),
      'mount/lost-held',
    );
    const put = await client.request(`${location}?digest=${lost.digest}`, { method: 'PUT', body: lost.bytes });
    assert.equal(put.status, 201, await put.clone().text());
    await assertReadable('mount/lost-held', lost);
    await assertReadable('mount/lost-src', lost);
  });

  it('mount of a blob the source holds from a repository that does not exist is 202', async () => {
    const res = await post('mount/fallback', { mount: layer.digest, from: 'mount/no-such-repo' });
    await assertSession(res, 'mount/fallback');
    await assertError(await client.request(`/v2/mount/fallback/blobs/${layer.digest}`), 404, 'BLOB_UNKNOWN');
  });

  it('mount without from of a blob the registry holds is 201 (automatic mount)', async () => {
    const res = await post('mount/auto', { mount: layer.digest });
    assert.equal(res.status, 201, await res.clone().text());
    assert.equal(res.headers.get('location'), `/v2/mount/auto/blobs/${layer.digest}`);
    assert.equal(res.headers.get('docker-content-digest'), layer.digest);
    await assertReadable('mount/auto', layer);
  });

  it('mount without from of an unknown digest is 202 with an upload session', async () => {
    const res = await post('mount/auto-unknown', { mount: blob(64).digest });
    await assertSession(res, 'mount/auto-unknown');
  });

  it('an invalid from name is 400 NAME_INVALID', async () => {
    for (const from of ['Mount/UPPER', 'mount//double', '-leading', 'a'.repeat(300) + '/x/../y']) {
      await assertError(await post('mount/target', { mount: layer.digest, from }), 400, 'NAME_INVALID');
    }
  });

  it('an invalid or unsupported mount digest is 400 DIGEST_INVALID', async () => {
    for (const mount of ['sha256:short', 'not-a-digest', `md5:${'a'.repeat(32)}`]) {
      await assertError(await post('mount/target', { mount, from: SOURCE }), 400, 'DIGEST_INVALID');
    }
  });

  it('an invalid target name is 400 NAME_INVALID', async () => {
    await assertError(await post('Mount/Target', { mount: layer.digest, from: SOURCE }), 400, 'NAME_INVALID');
  });

  it('a sha512 blob mounts by its sha512 digest', async () => {
    const { createHash } = await import('node:crypto');
    const bytes = blob(128).bytes;
    const digest = `sha512:${createHash('sha512').update(bytes).digest('hex')}`;
    const push = await client.request(`/v2/mount/sha512-src/blobs/uploads/?digest=${digest}`, {
      method: 'POST',
      body: bytes,
    });
    assert.equal(push.status, 201, await push.clone().text());
    const res = await post('mount/sha512-dst', { mount: digest, from: 'mount/sha512-src' });
    assert.equal(res.status, 201);
    assert.equal(res.headers.get('docker-content-digest'), digest);
    const got = await client.request(`/v2/mount/sha512-dst/blobs/${digest}`);
    assert.deepEqual(Buffer.from(await got.arrayBuffer()), bytes);
  });
});
