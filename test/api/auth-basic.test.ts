/**
 * Basic authentication with ordered access rules, over HTTP (issue 7,
 * "Authorization"): every action × rule outcome, first match wins, no match
 * means no access, uploads, referrers, mounts and the catalog.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { assertError, RegistryClient } from '../helpers/client.js';
import { artifact, blob, image, type Pushable } from '../helpers/builders.js';
import { basic, writeHtpasswd, type UserName } from '../helpers/auth.js';

const RULES = [
  { repositories: 'team-a/locked/**', allow: { alice: ['pull', 'push'] } },
  { repositories: 'team-a/**', allow: { alice: ['pull', 'push', 'delete'], '@devs': ['pull', 'push'], $authenticated: ['pull'] } },
  { repositories: ['public/*'], allow: { $anonymous: ['pull'], alice: ['push', 'delete'] } },
];

describe('basic auth and access rules', () => {
  let dir: string;
  let server: TestServer;
  let anonymous: RegistryClient;
  const as: Partial<Record<UserName, RegistryClient>> = {};
  const client = (user: UserName): RegistryClient => as[user] as RegistryClient;
  let appImage: Pushable;
  let publicImage: Pushable;
  let lockedImage: Pushable;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'berth-auth-basic-'));
    server = await startTestServer({
      config: {
        'auth.mode': 'basic',
        'auth.htpasswd': writeHtpasswd(dir),
        'auth.groups': { devs: ['bob'], ops: ['dave'] },
        'auth.rules': RULES,
        'auth.admins': ['alice', '@ops'],
      },
    });
    anonymous = new RegistryClient(server.url);
    for (const user of ['alice', 'bob', 'carol', 'dave'] as const) as[user] = new RegistryClient(server.url, basic(user));
    appImage = image();
    publicImage = image();
    lockedImage = image();
    await client('alice').push('team-a/app', appImage, 'v1');
    await client('alice').push('public/app', publicImage, 'v1');
    await client('alice').push('team-a/locked/src', lockedImage, 'v1');
  });
  after(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function assertChallenge(res: Response): Promise<void> {
    assert.equal(res.headers.get('www-authenticate'), 'Basic realm="berth", charset="UTF-8"');
    await assertError(res, 401, 'UNAUTHORIZED');
  }

  it('/v2/ answers anonymous callers (some repositories are public) and refuses wrong credentials', async () => {
    assert.equal((await anonymous.request('/v2/')).status, 200);
    assert.equal((await client('carol').request('/v2/')).status, 200);
    const wrong = new RegistryClient(server.url, { authorization: `Basic ${Buffer.from('alice:nope').toString('base64')}` });
    await assertChallenge(await wrong.request('/v2/'));
    const unknown = new RegistryClient(server.url, { authorization: `Basic ${Buffer.from('mallory:x').toString('base64')}` });
    await assertChallenge(await unknown.request('/v2/public/app/manifests/v1'));
    await assertChallenge(await anonymous.request('/v2/', { headers: { authorization: 'Bearer abc.def.ghi' } }));
  });

  it('operator endpoints (/metrics, /v2/_berth/webhooks) answer admins only: 401 anonymous or wrong, 403 other users', async () => {
    for (const path of ['/metrics', '/v2/_berth/webhooks']) {
      await assertChallenge(await anonymous.request(path));
      const wrong = new RegistryClient(server.url, { authorization: `Basic ${Buffer.from('alice:nope').toString('base64')}` });
      await assertChallenge(await wrong.request(path));
      await assertError(await client('bob').request(path), 403, 'DENIED');
      await assertError(await client('carol').request(path), 403, 'DENIED');
      for (const admin of ['alice', 'dave'] as const) {
        const res = await client(admin).request(path);
        assert.equal(res.status, 200, `${admin} (by name or @ops) reads ${path}`);
        await res.arrayBuffer();
      }
    }
    const metrics = await (await client('alice').request('/metrics')).text();
    assert.match(metrics, /berth_http_requests_total/);
  });

  it('anonymous: pull allowed by $anonymous; everything else is a 401 challenge', async () => {
    assert.equal((await anonymous.request('/v2/public/app/manifests/v1')).status, 200);
    assert.equal((await anonymous.request(`/v2/public/app/blobs/${publicImage.blobs?.[0]?.digest}`)).status, 200);
    await assertChallenge(await anonymous.request('/v2/team-a/app/manifests/v1'));
    await assertChallenge(await anonymous.request('/v2/team-a/app/tags/list'));
    await assertChallenge(await anonymous.request('/v2/public/app/blobs/uploads/', { method: 'POST' }));
    await assertChallenge(await anonymous.pushManifest('public/app', 'v2', publicImage));
    await assertChallenge(await anonymous.request(`/v2/public/app/manifests/${publicImage.digest}`, { method: 'DELETE' }));
  });

  it('authenticated without a grant: pull via $authenticated, push and delete denied with 403', async () => {
    assert.equal((await client('carol').request('/v2/team-a/app/manifests/v1')).status, 200);
    const tags = await client('carol').getJson<{ tags: string[] }>('/v2/team-a/app/tags/list');
    assert.deepEqual(tags.body.tags, ['v1']);
    await assertError(await client('carol').request('/v2/team-a/app/blobs/uploads/', { method: 'POST' }), 403, 'DENIED');
    await assertError(await client('carol').pushManifest('team-a/app', 'v2', appImage), 403, 'DENIED');
    await assertError(await client('carol').request(`/v2/team-a/app/manifests/${appImage.digest}`, { method: 'DELETE' }), 403, 'DENIED');
    await assertError(await client('carol').request(`/v2/team-a/app/blobs/${appImage.blobs?.[0]?.digest}`, { method: 'DELETE' }), 403, 'DENIED');
  });

  it('a group grant allows push but not delete', async () => {
    const img = image();
    await client('bob').push('team-a/bob', img, 'v1');
    assert.equal((await client('bob').request('/v2/team-a/bob/manifests/v1')).status, 200);
    await assertError(await client('bob').request(`/v2/team-a/bob/manifests/${img.digest}`, { method: 'DELETE' }), 403, 'DENIED');
  });

  it('the first matching rule decides, even when a later rule would grant more', async () => {
    await assertError(await client('bob').request('/v2/team-a/locked/src/manifests/v1'), 403, 'DENIED');
    await assertError(await client('carol').request('/v2/team-a/locked/src/manifests/v1'), 403, 'DENIED');
    assert.equal((await client('alice').request('/v2/team-a/locked/src/manifests/v1')).status, 200);
    await assertError(
      await client('alice').request(`/v2/team-a/locked/src/manifests/${lockedImage.digest}`, { method: 'DELETE' }),
      403,
      'DENIED',
    );
  });

  it('a user granted delete deletes manifests and blobs', async () => {
    const img = image();
    await client('alice').push('team-a/scratch', img, 'v1');
    assert.equal((await client('alice').request(`/v2/team-a/scratch/blobs/${img.blobs?.[1]?.digest}`, { method: 'DELETE' })).status, 202);
    assert.equal((await client('alice').request(`/v2/team-a/scratch/manifests/${img.digest}`, { method: 'DELETE' })).status, 202);
  });

  it('no matching rule: nobody may do anything', async () => {
    await assertError(await client('alice').request('/v2/elsewhere/app/manifests/v1'), 403, 'DENIED');
    await assertError(await client('alice').request('/v2/elsewhere/app/blobs/uploads/', { method: 'POST' }), 403, 'DENIED');
    await assertChallenge(await anonymous.request('/v2/elsewhere/app/tags/list'));
  });

  it('upload sessions need push for every step, status and cancel included', async () => {
    const start = await client('bob').request('/v2/team-a/app/blobs/uploads/', { method: 'POST' });
    assert.equal(start.status, 202);
    const location = start.headers.get('location') ?? '';
    await assertError(await client('carol').request(location), 403, 'DENIED');
    await assertError(await client('carol').request(location, { method: 'DELETE' }), 403, 'DENIED');
    await assertError(await client('carol').request(location, { method: 'PATCH', body: 'x' }), 403, 'DENIED');
    assert.equal((await client('bob').request(location)).status, 204);
    assert.equal((await client('bob').request(location, { method: 'DELETE' })).status, 204);
  });

  it('referrers are listed only to callers who may pull the repository', async () => {
    const sig = artifact('application/vnd.example.sig', { subject: appImage });
    await client('alice').push('team-a/app', sig);
    const { res, body } = await client('carol').getJson<{ manifests: { digest: string }[] }>(`/v2/team-a/app/referrers/${appImage.digest}`);
    assert.equal(res.status, 200);
    assert.deepEqual(body.manifests.map((m) => m.digest), [sig.digest]);
    await assertChallenge(await anonymous.request(`/v2/team-a/app/referrers/${appImage.digest}`));
    await assertError(await client('bob').request(`/v2/team-a/locked/src/referrers/${appImage.digest}`), 403, 'DENIED');
  });

  describe('cross-repository mount', () => {
    const mount = (user: UserName, to: string, digest: string, from?: string): Promise<Response> =>
      client(user).request(`/v2/${to}/blobs/uploads/?mount=${digest}${from === undefined ? '' : `&from=${from}`}`, { method: 'POST' });

    it('mounts when the caller may pull the source and push the target (201)', async () => {
      const layer = appImage.blobs?.[1]?.digest ?? '';
      const res = await mount('bob', 'team-a/bob-mounted', layer, 'team-a/app');
      assert.equal(res.status, 201);
      assert.equal(res.headers.get('docker-content-digest'), layer);
      assert.equal((await client('bob').request(`/v2/team-a/bob-mounted/blobs/${layer}`, { method: 'HEAD' })).status, 200);
    });

    it('without pull on the source falls back to an upload session (202), the same answer as for an unknown blob', async () => {
      const hidden = lockedImage.blobs?.[1]?.digest ?? '';
      const res = await mount('bob', 'team-a/bob-fallback', hidden, 'team-a/locked/src');
      assert.equal(res.status, 202);
      assert.match(res.headers.get('location') ?? '', /^\/v2\/team-a\/bob-fallback\/blobs\/uploads\/[A-Za-z0-9_-]+$/);
      const unknown = await mount('bob', 'team-a/bob-fallback', blob(10).digest, 'team-a/app');
      assert.equal(unknown.status, 202);
      assert.deepEqual([...res.headers.keys()].sort(), [...unknown.headers.keys()].sort());
      assert.equal((await client('bob').request(`/v2/team-a/bob-fallback/blobs/${hidden}`, { method: 'HEAD' })).status, 404);
      // The owner of both repositories mounts the same blob.
      assert.equal((await mount('alice', 'team-a/alice-mounted', hidden, 'team-a/locked/src')).status, 201);
    });

    it('a mount without `from` never searches other repositories when access is restricted', async () => {
      const hidden = lockedImage.blobs?.[1]?.digest ?? '';
      assert.equal((await mount('bob', 'team-a/bob-nofrom', hidden)).status, 202);
    });

    it('needs push on the target', async () => {
      await assertError(await mount('carol', 'team-a/carol', appImage.blobs?.[1]?.digest ?? '', 'team-a/app'), 403, 'DENIED');
    });
  });

  describe('catalog', () => {
    async function all(c: RegistryClient, n?: number): Promise<{ names: string[]; pages: number }> {
      const names: string[] = [];
      let next: string | undefined = `/v2/_catalog${n === undefined ? '' : `?n=${n}`}`;
      let pages = 0;
      while (next !== undefined) {
        const { res, body }: { res: Response; body: { repositories: string[] } } = await c.getJson(next);
        assert.equal(res.status, 200);
        names.push(...body.repositories);
        pages += 1;
        next = /<([^>]+)>; rel="next"/.exec(res.headers.get('link') ?? '')?.[1];
      }
      return { names, pages };
    }

    it('lists only repositories the caller may pull', async () => {
      assert.deepEqual((await all(anonymous)).names, ['public/app']);
      const carol = (await all(client('carol'))).names;
      assert.ok(carol.includes('team-a/app') && carol.includes('public/app'));
      assert.ok(!carol.some((r) => r.startsWith('team-a/locked/')), carol.join(','));
      assert.ok((await all(client('alice'))).names.includes('team-a/locked/src'));
    });

    it('paginates over the filtered list without empty pages', async () => {
      const whole = (await all(client('carol'))).names;
      const paged = await all(client('carol'), 1);
      assert.deepEqual(paged.names, whole);
      assert.equal(paged.pages, whole.length);
    });
  });
});
