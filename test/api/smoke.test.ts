import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { RegistryClient } from '../helpers/client.js';
import { artifact, image } from '../helpers/builders.js';

describe('push and pull an image end to end', () => {
  let server: TestServer;
  let client: RegistryClient;
  before(async () => {
    server = await startTestServer();
    client = new RegistryClient(server.url);
  });
  after(() => server.close());

  it('pushes an image by tag, pulls it byte-exact, lists the tag and its referrer', async () => {
    const img = image({ layers: 2 });
    const pushed = await client.push('library/smoke', img, 'v1');
    assert.equal(pushed.headers.get('docker-content-digest'), img.digest);
    const res = await client.request('/v2/library/smoke/manifests/v1', { headers: { accept: img.mediaType } });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), img.mediaType);
    assert.deepEqual(Buffer.from(await res.arrayBuffer()), img.bytes);
    const blobRes = await client.request(`/v2/library/smoke/blobs/${img.blobs?.[1]?.digest}`);
    assert.deepEqual(Buffer.from(await blobRes.arrayBuffer()), img.blobs?.[1]?.bytes);
    const { body: tags } = await client.getJson<{ tags: string[] }>('/v2/library/smoke/tags/list');
    assert.deepEqual(tags.tags, ['v1']);
    const sig = artifact('application/vnd.example.sig.v1', { subject: img });
    const sigRes = await client.push('library/smoke', sig);
    assert.equal(sigRes.headers.get('oci-subject'), img.digest);
    const { body: refs } = await client.getJson<{ manifests: { digest: string; artifactType: string }[] }>(
      `/v2/library/smoke/referrers/${img.digest}`,
    );
    assert.deepEqual(refs.manifests.map((m) => [m.digest, m.artifactType]), [[sig.digest, 'application/vnd.example.sig.v1']]);
  });
});
