/**
 * Storage quotas over HTTP: refusal (403 DENIED with used/limit and what to
 * do) and acceptance, for blob uploads, manifest pushes, mounts and new
 * uploads into a repository already over its quota.
 */
import { after, before, describe, it } from 'node:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { RegistryClient, assertError } from '../helpers/client.js';
import { artifact, blob, emptyConfig, image } from '../helpers/builders.js';
import { assertBlob, assertPullable, del } from './helpers.js';

interface QuotaDetail {
  repository: string;
  quota: string;
  usedBytes: number;
  limitBytes: number;
  requiredBytes: number;
  hint: string;
}

async function refused(res: Response): Promise<QuotaDetail> {
  const body = await assertError(res, 403, 'DENIED');
  assert.equal(body.errors[0]?.message, 'repository storage quota exceeded');
  return body.errors[0]?.detail as QuotaDetail;
}

describe('quotas', () => {
  let server: TestServer;
  let client: RegistryClient;
  const QUOTAS = [
    { repositories: 'team-a/**', maxBytes: 10_000 },
    { repositories: 'proj-*/cache', maxBytes: 3000 },
  ];
  before(async () => {
    server = await startTestServer({ config: { quotas: QUOTAS } });
    client = new RegistryClient(server.url);
  });
  after(() => server.close());

  it('accepts blobs within the quota and refuses the one that would pass it, saying used, limit and what to do', async () => {
    const big = blob(6000);
    assert.equal((await client.pushBlob('team-a/x', big)).status, 201);
    const tooMuch = blob(5000);
    const detail = await refused(await client.pushBlob('team-a/y', tooMuch));
    assert.deepEqual(
      { ...detail, hint: undefined },
      {
        repository: 'team-a/y',
        quota: 'team-a/**',
        usedBytes: 6000,
        limitBytes: 10_000,
        requiredBytes: 5000,
        hint: undefined,
      },
    );
    assert.match(detail.hint, /delete/);
    assert.match(detail.hint, /berth gc/);
    await client.request(`/v2/team-a/y/blobs/${tooMuch.digest}`).then(async (res) => {
      await res.arrayBuffer();
      assert.equal(res.status, 404, 'nothing of the refused blob was kept');
    });
  });

  it('counts content the repositories already hold once: pushing it again passes even when full', async () => {
    const filler = blob(3900);
    assert.equal((await client.pushBlob('team-a/x', filler)).status, 201); // 9900 of 10000
    assert.equal((await client.pushBlob('team-a/y', filler)).status, 201, 'same digest, shared layer');
    await assertBlob(client, 'team-a/y', filler);
  });

  it('refuses a mount into a full repository, and a manifest whose own bytes would pass the quota', async () => {
    const img = image();
    await client.push('team-b/app', img, 'v1'); // team-b has no quota
    const layer = img.blobs?.[1] ?? assert.fail();
    const mount = await refused(
      await client.request(`/v2/team-a/z/blobs/uploads/?mount=${layer.digest}&from=team-b/app`, { method: 'POST' }),
    );
    assert.equal(mount.requiredBytes, layer.size);

    // Its blobs fit (the empty config is 2 bytes; the layer is held already), the manifest itself does not.
    const config = emptyConfig();
    assert.equal((await client.pushBlob('team-a/x', config)).status, 201);
    const filler = (await server.registry.deps.metadata.listRepositoryLinks('team-a/x', {})).items.find(
      (l) => l.size === 3900,
    );
    const m = artifact('application/vnd.example.thing.v1+json', {
      config,
      layers: [{ ...(filler ?? assert.fail()), bytes: Buffer.alloc(0), mediaType: 'application/octet-stream' }],
      annotations: { padding: 'x'.repeat(300) },
    });
    const detail = await refused(await client.pushManifest('team-a/x', 'v1', m));
    assert.equal(detail.requiredBytes, m.size);
    assert.equal(detail.usedBytes, 9902);
  });

  it('a glob with wildcards inside sums every matching repository together', async () => {
    assert.equal((await client.pushBlob('proj-a/cache', blob(2000))).status, 201);
    const detail = await refused(await client.pushBlob('proj-b/cache', blob(2000)));
    assert.equal(detail.quota, 'proj-*/cache');
    assert.equal(detail.usedBytes, 2000);
    assert.equal((await client.pushBlob('proj-b/other', blob(2000))).status, 201, 'not matched by the glob');
  });

  it('deleting frees room', async () => {
    const fresh = blob(3000);
    await refused(await client.pushBlob('team-a/w', fresh));
    // 6000 (team-a/x) is also held by no other team-a repository: unlink it.
    const big = await server.registry.deps.metadata.listRepositoryLinks('team-a/x', {});
    const sixK = big.items.find((l) => l.size === 6000) ?? assert.fail('the 6000-byte blob');
    await del(client, `/v2/team-a/x/blobs/${sixK.digest}`);
    assert.equal((await client.pushBlob('team-a/w', fresh)).status, 201);
  });
});

describe('quotas: a repository already over its quota (quota lowered)', () => {
  it('refuses to open an upload, and still serves and deletes what it holds', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'berth-quota-'));
    const first = await startTestServer({
      dataDir,
      config: { quotas: [{ repositories: 'lowered/**', maxBytes: 100_000 }] },
    });
    const img = image({ layers: 1, layerSize: 4000 });
    try {
      await new RegistryClient(first.url).push('lowered/app', img, 'v1');
    } finally {
      await first.close();
    }
    const second = await startTestServer({
      dataDir,
      config: { quotas: [{ repositories: 'lowered/**', maxBytes: 1000 }] },
    });
    try {
      const client = new RegistryClient(second.url);
      const detail = await refused(await client.request('/v2/lowered/app/blobs/uploads/', { method: 'POST' }));
      assert.ok(detail.usedBytes > 1000);
      assert.equal(detail.limitBytes, 1000);
      await assertPullable(client, 'lowered/app', img);
      assert.equal((await client.pushManifest('lowered/app', 'again', img)).status, 201, 'retagging adds no bytes');
      await del(client, `/v2/lowered/app/manifests/${img.digest}`);
    } finally {
      await second.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
