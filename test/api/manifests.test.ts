/**
 * Manifests over HTTP (distribution-spec: "Pulling manifests", "Pushing
 * Manifests", "Deleting Manifests", "Deleting tags"): the four manifest kinds
 * byte-exact, `?tag=` pushes, every push check, delete semantics, and the
 * optional legacy Docker conversion.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { assertError, RegistryClient } from '../helpers/client.js';
import {
  artifact,
  blob,
  descriptor,
  dockerImage,
  image,
  index,
  rawManifest,
  sha256,
  type Pushable,
} from '../helpers/builders.js';
import {
  MEDIA_TYPE_DOCKER_MANIFEST,
  MEDIA_TYPE_DOCKER_MANIFEST_LIST,
  MEDIA_TYPE_OCI_INDEX,
  MEDIA_TYPE_OCI_MANIFEST,
} from '../../src/oci/media-types.js';

/** Recursively reverses key order, so the bytes differ from any canonical form. */
function reversedKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reversedKeys);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.entries(value)
      .reverse()
      .map(([k, v]) => [k, reversedKeys(v)]),
  );
}

/** The same manifest with reversed key order, tab indents, CRLF and trailing blanks. */
function oddlyFormatted(p: Pushable): Pushable {
  const text = `  ${JSON.stringify(reversedKeys(p.json), null, '\t').replaceAll('\n', ' \r\n')}\n\n`;
  const bytes = Buffer.from(text);
  return { ...p, bytes, digest: sha256(bytes), size: bytes.byteLength };
}

/** Pushes children and blobs without the manifest itself. */
async function pushDependencies(client: RegistryClient, repo: string, item: Pushable): Promise<void> {
  for (const child of item.children ?? []) await client.push(repo, child);
  for (const b of item.blobs ?? []) assert.equal((await client.pushBlob(repo, b)).status, 201);
}

function tagsOf(res: Response): string[] {
  return (res.headers.get('oci-tag') ?? '')
    .split(',')
    .map((t) => t.trim())
    .filter((t) => t !== '')
    .sort();
}

async function assertServes(client: RegistryClient, repo: string, reference: string, m: Pushable): Promise<void> {
  const res = await client.request(`/v2/${repo}/manifests/${reference}`, { headers: { accept: m.mediaType } });
  assert.equal(res.status, 200, `GET ${reference}`);
  assert.equal(res.headers.get('content-type'), m.mediaType);
  assert.equal(res.headers.get('docker-content-digest'), m.digest);
  assert.equal(res.headers.get('content-length'), String(m.size));
  assert.deepEqual(Buffer.from(await res.arrayBuffer()), m.bytes);
  const head = await client.request(`/v2/${repo}/manifests/${reference}`, {
    method: 'HEAD',
    headers: { accept: m.mediaType },
  });
  assert.equal(head.status, 200, `HEAD ${reference}`);
  assert.equal(head.headers.get('content-type'), m.mediaType);
  assert.equal(head.headers.get('docker-content-digest'), m.digest);
  assert.equal(head.headers.get('content-length'), String(m.size));
  assert.equal(await head.text(), '');
}

async function tagList(client: RegistryClient, repo: string): Promise<string[]> {
  const { res, body } = await client.getJson<{ tags: string[] }>(`/v2/${repo}/tags/list`);
  assert.equal(res.status, 200);
  return body.tags;
}

describe('manifests with the default configuration', () => {
  let server: TestServer;
  let client: RegistryClient;
  before(async () => {
    server = await startTestServer();
    client = new RegistryClient(server.url);
  });
  after(() => server.close());

  it('GET /v2/ answers 200 with the API version header', async () => {
    const res = await client.request('/v2/');
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('docker-distribution-api-version'), 'registry/2.0');
    await res.arrayBuffer();
  });

  const kinds: [string, () => Pushable][] = [
    ['OCI image manifest', () => image({ layers: 2, annotations: { 'org.example.note': 'ünïcödé ✓ "quoted"' } })],
    ['OCI image index', () => index([image(), image({ platform: { architecture: 'arm64', os: 'linux' } })])],
    ['Docker schema2 manifest', () => dockerImage(2)],
    ['Docker manifest list', () => index([dockerImage(), dockerImage()], { docker: true })],
  ];
  for (const [kind, build] of kinds) {
    it(`${kind}: PUT by tag and by digest, GET and HEAD byte-exact`, async () => {
      const repo = `kinds/${kind.toLowerCase().replaceAll(' ', '-')}`;
      const byTag = oddlyFormatted(build());
      await pushDependencies(client, repo, byTag);
      const put = await client.pushManifest(repo, 'v1', byTag);
      assert.equal(put.status, 201, await put.clone().text());
      assert.equal(put.headers.get('location'), `/v2/${repo}/manifests/${byTag.digest}`);
      assert.equal(put.headers.get('docker-content-digest'), byTag.digest);
      await assertServes(client, repo, 'v1', byTag);
      await assertServes(client, repo, byTag.digest, byTag);

      const byDigest = oddlyFormatted(build());
      await pushDependencies(client, repo, byDigest);
      const put2 = await client.pushManifest(repo, byDigest.digest, byDigest);
      assert.equal(put2.status, 201, await put2.clone().text());
      assert.equal(put2.headers.get('location'), `/v2/${repo}/manifests/${byDigest.digest}`);
      assert.equal(put2.headers.get('docker-content-digest'), byDigest.digest);
      await assertServes(client, repo, byDigest.digest, byDigest);
      assert.deepEqual(await tagList(client, repo), ['v1']);
    });
  }

  it('without a mediaType field, Content-Type (parameters ignored) names the type served', async () => {
    const img = image();
    const { mediaType: _omit, ...json } = img.json;
    const bare: Pushable = { ...rawManifest(json), blobs: img.blobs ?? [] };
    await pushDependencies(client, 'push/no-mediatype', bare);
    const res = await client.request(`/v2/push/no-mediatype/manifests/${bare.digest}`, {
      method: 'PUT',
      headers: { 'content-type': `${MEDIA_TYPE_OCI_MANIFEST}; charset=utf-8` },
      body: bare.bytes,
    });
    assert.equal(res.status, 201, await res.clone().text());
    await assertServes(client, 'push/no-mediatype', bare.digest, bare);
  });

  it('a sha512 digest push is stored and served under that digest', async () => {
    const img = image();
    await pushDependencies(client, 'push/sha512', img);
    const { createHash } = await import('node:crypto');
    const digest = `sha512:${createHash('sha512').update(img.bytes).digest('hex')}`;
    const res = await client.pushManifest('push/sha512', digest, img, '?tag=v1');
    assert.equal(res.status, 201, await res.clone().text());
    assert.equal(res.headers.get('docker-content-digest'), digest);
    assert.equal(res.headers.get('location'), `/v2/push/sha512/manifests/${digest}`);
    const got = await client.request(`/v2/push/sha512/manifests/${digest}`);
    assert.equal(got.status, 200);
    assert.equal(got.headers.get('docker-content-digest'), digest);
    assert.deepEqual(Buffer.from(await got.arrayBuffer()), img.bytes);
    const bad = `sha512:${'0'.repeat(128)}`;
    await assertError(await client.pushManifest('push/sha512', bad, img), 400, 'DIGEST_INVALID');
  });

  it('pushing a tag again moves it; pushing the same bytes twice is idempotent', async () => {
    const first = image();
    const second = image();
    await client.push('push/move', first, 'latest');
    await client.push('push/move', first, 'latest');
    await client.push('push/move', second, 'latest');
    await assertServes(client, 'push/move', 'latest', second);
    await assertServes(client, 'push/move', first.digest, first);
    assert.deepEqual(await tagList(client, 'push/move'), ['latest']);
  });

  it('a PUT by a digest that does not match the body is DIGEST_INVALID', async () => {
    const img = image();
    await pushDependencies(client, 'push/mismatch', img);
    const res = await client.pushManifest('push/mismatch', sha256('something else'), img);
    await assertError(res, 400, 'DIGEST_INVALID');
    await assertError(await client.request(`/v2/push/mismatch/manifests/${img.digest}`), 404, 'MANIFEST_UNKNOWN');
  });

  it('?tag= on a digest push creates every tag and lists them in OCI-Tag', async () => {
    const img = image();
    await pushDependencies(client, 'push/tags', img);
    const res = await client.pushManifest('push/tags', img.digest, img, '?tag=a&tag=b&tag=c');
    assert.equal(res.status, 201, await res.clone().text());
    assert.deepEqual(tagsOf(res), ['a', 'b', 'c']);
    for (const tag of ['a', 'b', 'c']) await assertServes(client, 'push/tags', tag, img);
    assert.deepEqual(await tagList(client, 'push/tags'), ['a', 'b', 'c']);
  });

  it('an invalid ?tag= refuses the whole push and stores nothing', async () => {
    const img = image();
    await pushDependencies(client, 'push/badtag', img);
    const res = await client.pushManifest('push/badtag', img.digest, img, '?tag=good&tag=-bad&tag=fine');
    await assertError(res, 400, 'TAG_INVALID');
    await assertError(await client.request(`/v2/push/badtag/manifests/${img.digest}`), 404, 'MANIFEST_UNKNOWN');
    await assertError(await client.request('/v2/push/badtag/manifests/good'), 404, 'MANIFEST_UNKNOWN');
  });

  it('more than registry.maxTagsPerPush tags is 414 and stores nothing', async () => {
    const img = image();
    await pushDependencies(client, 'push/manytags', img);
    const max = server.config.registry.maxTagsPerPush;
    const query = `?${Array.from({ length: max + 1 }, (_, i) => `tag=t${i}`).join('&')}`;
    await assertError(await client.pushManifest('push/manytags', img.digest, img, query), 414, 'MANIFEST_INVALID');
    await assertError(await client.request(`/v2/push/manytags/manifests/${img.digest}`), 404, 'MANIFEST_UNKNOWN');
    const ok = await client.pushManifest('push/manytags', img.digest, img, query.replace(/&tag=t\d+$/, ''));
    assert.equal(ok.status, 201);
    assert.equal(tagsOf(ok).length, max);
  });

  it('Warning headers are 299 - "..." and stay within 4096 bytes however many there are', async () => {
    const layers = Array.from({ length: 50 }, (_, i) => blob(16, `application/x-berth-odd-${i}`));
    const noisy = artifact('application/vnd.example.noisy.v1', { layers });
    const res = await client.push('push/warnings', noisy);
    const values = (res.headers.get('warning') ?? '').split(/, (?=299 )/).filter((v) => v !== '');
    assert.ok(values.length > 1, 'x- media types draw warnings');
    for (const v of values) assert.match(v, /^299 - "[\x20-\x21\x23-\x7e]*"$/);
    assert.ok(values.join('').length <= 4096, `${values.join('').length} bytes of warnings`);
    assert.match(values.at(-1) ?? '', /more warning/);
  });

  describe('push checks', () => {
    it('invalid JSON is MANIFEST_INVALID', async () => {
      const res = await client.pushManifest('checks/json', 'v1', rawManifest('{"schemaVersion": 2,'));
      await assertError(res, 400, 'MANIFEST_INVALID');
    });

    it('malformed manifests are MANIFEST_INVALID', async () => {
      const img = image();
      await pushDependencies(client, 'checks/malformed', img);
      const json = img.json as { config: Record<string, unknown>; layers: Record<string, unknown>[] };
      const layer = json.layers[0] ?? {};
      const bodies: [string, string | Record<string, unknown>, string?][] = [
        ['empty body', ''],
        ['JSON null', 'null'],
        ['JSON array', '[]'],
        ['JSON string', '"manifest"'],
        ['no schemaVersion', { ...json, schemaVersion: undefined }],
        ['schemaVersion as a string', { ...json, schemaVersion: '2' }],
        ['no config', { ...json, config: undefined }],
        ['config digest malformed', { ...json, config: { ...json.config, digest: 'sha256:nothex' } }],
        ['negative layer size', { ...json, layers: [{ ...layer, size: -1 }] }],
        ['fractional layer size', { ...json, layers: [{ ...layer, size: 1.5 }] }],
        ['layers not an array', { ...json, layers: {} }],
        ['annotation value not a string', { ...json, annotations: { a: 1 } }],
        ['subject not a descriptor', { ...json, subject: 'sha256:abc' }],
        [
          'an index with layers',
          { schemaVersion: 2, mediaType: MEDIA_TYPE_OCI_INDEX, manifests: [], layers: [] },
          MEDIA_TYPE_OCI_INDEX,
        ],
        [
          'a manifest list child without platform',
          { schemaVersion: 2, mediaType: MEDIA_TYPE_DOCKER_MANIFEST_LIST, manifests: [descriptor(img)] },
          MEDIA_TYPE_DOCKER_MANIFEST_LIST,
        ],
        ['an unknown manifest mediaType', { ...json, mediaType: 'application/vnd.example.not-a-manifest' }],
      ];
      for (const [what, body, mediaType] of bodies) {
        const res = await client.pushManifest('checks/malformed', 'v1', rawManifest(body, mediaType));
        await assertError(res, 400, 'MANIFEST_INVALID').catch((err: unknown) => assert.fail(`${what}: ${String(err)}`));
      }
      await assertError(await client.request('/v2/checks/malformed/manifests/v1'), 404, 'MANIFEST_UNKNOWN');
    });

    it('a body mediaType contradicting Content-Type is MANIFEST_INVALID', async () => {
      const img = image();
      await pushDependencies(client, 'checks/mediatype', img);
      const res = await client.pushManifest('checks/mediatype', 'v1', {
        ...img,
        mediaType: MEDIA_TYPE_DOCKER_MANIFEST,
      });
      const body = await assertError(res, 400, 'MANIFEST_INVALID');
      assert.match(JSON.stringify(body.errors[0]?.detail), /Content-Type/);
      const asIndex = await client.pushManifest('checks/mediatype', 'v1', { ...img, mediaType: MEDIA_TYPE_OCI_INDEX });
      await assertError(asIndex, 400, 'MANIFEST_INVALID');
    });

    it('schemaVersion 1 is MANIFEST_INVALID', async () => {
      const body = { schemaVersion: 1, name: 'x', tag: 'v1', fsLayers: [], history: [] };
      const res = await client.pushManifest(
        'checks/schema1',
        'v1',
        rawManifest(body, 'application/vnd.docker.distribution.manifest.v1+json'),
      );
      await assertError(res, 400, 'MANIFEST_INVALID');
      await assertError(await client.pushManifest('checks/schema1', 'v1', rawManifest(body)), 400, 'MANIFEST_INVALID');
    });

    it('missing config and layers are MANIFEST_BLOB_UNKNOWN naming each digest', async () => {
      const img = image({ layers: 2 });
      const [config, layer0, layer1] = img.blobs ?? [];
      assert.ok(config && layer0 && layer1);
      assert.equal((await client.pushBlob('checks/blobs', layer0)).status, 201);
      const res = await client.pushManifest('checks/blobs', 'v1', img);
      const body = await assertError(res, 400, 'MANIFEST_BLOB_UNKNOWN');
      const detail = JSON.stringify(body.errors[0]?.detail);
      assert.ok(detail.includes(config.digest), detail);
      assert.ok(detail.includes(layer1.digest), detail);
      assert.ok(!detail.includes(layer0.digest), detail);
    });

    it('a blob pushed to another repository does not count', async () => {
      const img = image();
      await pushDependencies(client, 'checks/elsewhere-a', img);
      await assertError(await client.pushManifest('checks/elsewhere-b', 'v1', img), 400, 'MANIFEST_BLOB_UNKNOWN');
    });

    it('an index with a missing child is MANIFEST_BLOB_UNKNOWN', async () => {
      const present = image();
      const absent = image();
      await client.push('checks/index', present);
      const idx = index([present, absent]);
      const body = await assertError(
        await client.pushManifest('checks/index', 'v1', idx),
        400,
        'MANIFEST_BLOB_UNKNOWN',
      );
      assert.ok(JSON.stringify(body.errors[0]?.detail).includes(absent.digest));
    });

    it('the default 4 MiB cap accepts a 3 MiB manifest', async () => {
      const annotations: Record<string, string> = {};
      for (let i = 0; i < 3 * 1024; i++) annotations[`org.example.key.${i}`] = 'x'.repeat(1000);
      const big = image({ annotations });
      assert.ok(big.size > 3 * 1024 * 1024 && big.size < 4 * 1024 * 1024, String(big.size));
      await client.push('checks/big', big, 'big');
      await assertServes(client, 'checks/big', 'big', big);
    });

    it('a manifest over the default 4 MiB cap is 413 with a JSON body', async () => {
      const big = rawManifest({ schemaVersion: 2, pad: 'x'.repeat(4 * 1024 * 1024) });
      await assertError(await client.pushManifest('checks/toobig', 'v1', big), 413, 'MANIFEST_INVALID');
    });

    it('an invalid tag in the URL is 400 for PUT, GET, HEAD and DELETE', async () => {
      const img = image();
      await pushDependencies(client, 'checks/urltag', img);
      for (const tag of ['-bad', '.bad', 'a'.repeat(129), 'b%2Fc', 'caf%C3%A9']) {
        await assertError(await client.pushManifest('checks/urltag', tag, img), 400, 'TAG_INVALID');
        await assertError(await client.request(`/v2/checks/urltag/manifests/${tag}`), 400, 'TAG_INVALID');
        await assertError(
          await client.request(`/v2/checks/urltag/manifests/${tag}`, { method: 'DELETE' }),
          400,
          'TAG_INVALID',
        );
        const head = await client.request(`/v2/checks/urltag/manifests/${tag}`, { method: 'HEAD' });
        assert.equal(head.status, 400);
      }
      const ok = await client.pushManifest('checks/urltag', `_${'a'.repeat(127)}`, img);
      assert.equal(ok.status, 201);
    });

    it('an invalid digest reference is DIGEST_INVALID', async () => {
      const img = image();
      await pushDependencies(client, 'checks/urldigest', img);
      const bad = [
        'sha256:abc',
        `sha256:${'A'.repeat(64)}`,
        `md5:${'a'.repeat(32)}`,
        `sha256:${'a'.repeat(63)}g`,
        'foo:bar',
      ];
      for (const ref of bad) {
        await assertError(await client.pushManifest('checks/urldigest', ref, img), 400, 'DIGEST_INVALID');
        await assertError(await client.request(`/v2/checks/urldigest/manifests/${ref}`), 400, 'DIGEST_INVALID');
        await assertError(
          await client.request(`/v2/checks/urldigest/manifests/${ref}`, { method: 'DELETE' }),
          400,
          'DIGEST_INVALID',
        );
      }
    });

    it('unknown artifactType and unknown config media types are accepted', async () => {
      const typed = artifact('application/vnd.example.never-heard-of.v1');
      const configTyped = artifact('application/vnd.example.odd-config.v1+json', { asConfig: true });
      const odd = image();
      const oddConfig = blob('not json at all', 'application/x-berth-unknown');
      const withOddConfig: Pushable = {
        ...rawManifest({ ...odd.json, config: descriptor(oddConfig) }),
        blobs: [oddConfig, ...(odd.blobs ?? []).slice(1)],
      };
      for (const m of [typed, configTyped, withOddConfig]) {
        await client.push('checks/unknown-types', m);
        await assertServes(client, 'checks/unknown-types', m.digest, m);
      }
    });

    it('a subject that was never pushed is accepted and answered with OCI-Subject', async () => {
      const ghost = image();
      const sig = artifact('application/vnd.example.sig.v1', { subject: ghost });
      const res = await client.push('checks/subject', sig);
      assert.equal(res.headers.get('oci-subject'), ghost.digest);
      await assertServes(client, 'checks/subject', sig.digest, sig);
      const plain = await client.push('checks/subject', image());
      assert.equal(plain.headers.get('oci-subject'), null);
    });
  });

  it('a manifest is also a blob of its repository: GET, HEAD and Range by its digest; not elsewhere; gone with it', async () => {
    const img = oddlyFormatted(image());
    await client.push('manifest-as-blob/app', img, 'v1');
    const path = `/v2/manifest-as-blob/app/blobs/${img.digest}`;
    const get = await client.request(path);
    assert.equal(get.status, 200);
    assert.equal(get.headers.get('docker-content-digest'), img.digest);
    assert.deepEqual(Buffer.from(await get.arrayBuffer()), Buffer.from(img.bytes));
    const head = await client.request(path, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(head.headers.get('content-length'), String(img.bytes.byteLength));
    const range = await client.request(path, { headers: { range: 'bytes=2-9' } });
    assert.equal(range.status, 206);
    assert.equal(range.headers.get('content-range'), `bytes 2-9/${img.bytes.byteLength}`);
    assert.deepEqual(Buffer.from(await range.arrayBuffer()), Buffer.from(img.bytes).subarray(2, 10));
    await client.push('manifest-as-blob/other', image(), 'v1');
    await assertError(await client.request(`/v2/manifest-as-blob/other/blobs/${img.digest}`), 404, 'BLOB_UNKNOWN');
    assert.equal((await client.request(`/v2/manifest-as-blob/app/manifests/${img.digest}`, { method: 'DELETE' })).status, 202);
    await assertError(await client.request(path), 404, 'BLOB_UNKNOWN');
  });

  describe('not found', () => {
    it('GET and HEAD in an unknown repository are NAME_UNKNOWN', async () => {
      await assertError(await client.request('/v2/nowhere/at-all/manifests/latest'), 404, 'NAME_UNKNOWN');
      await assertError(await client.request(`/v2/nowhere/at-all/manifests/${sha256('x')}`), 404, 'NAME_UNKNOWN');
      const head = await client.request('/v2/nowhere/at-all/manifests/latest', { method: 'HEAD' });
      assert.equal(head.status, 404);
    });

    it('an unknown tag or digest in a known repository is MANIFEST_UNKNOWN', async () => {
      await client.push('known/repo', image(), 'v1');
      await assertError(await client.request('/v2/known/repo/manifests/v2'), 404, 'MANIFEST_UNKNOWN');
      await assertError(await client.request(`/v2/known/repo/manifests/${sha256('x')}`), 404, 'MANIFEST_UNKNOWN');
      const elsewhere = image();
      await client.push('known/other', elsewhere, 'v1');
      await assertError(await client.request(`/v2/known/repo/manifests/${elsewhere.digest}`), 404, 'MANIFEST_UNKNOWN');
      const head = await client.request('/v2/known/repo/manifests/v2', { method: 'HEAD' });
      assert.equal(head.status, 404);
    });
  });

  describe('delete', () => {
    it('by digest removes the manifest and every tag on it', async () => {
      const img = image();
      const other = image();
      await client.push('del/digest', img, 'a');
      await client.pushManifest('del/digest', img.digest, img, '?tag=b&tag=c');
      await client.push('del/digest', other, 'keep');
      const res = await client.request(`/v2/del/digest/manifests/${img.digest}`, { method: 'DELETE' });
      assert.equal(res.status, 202);
      assert.deepEqual(await tagList(client, 'del/digest'), ['keep']);
      await assertError(await client.request(`/v2/del/digest/manifests/${img.digest}`), 404, 'MANIFEST_UNKNOWN');
      await assertError(await client.request('/v2/del/digest/manifests/a'), 404, 'MANIFEST_UNKNOWN');
      await assertServes(client, 'del/digest', 'keep', other);
    });

    it('by tag removes only that tag', async () => {
      const img = image();
      await client.push('del/tag', img, 'a');
      await client.pushManifest('del/tag', img.digest, img, '?tag=b');
      const res = await client.request('/v2/del/tag/manifests/a', { method: 'DELETE' });
      assert.equal(res.status, 202);
      assert.deepEqual(await tagList(client, 'del/tag'), ['b']);
      await assertError(await client.request('/v2/del/tag/manifests/a'), 404, 'MANIFEST_UNKNOWN');
      await assertServes(client, 'del/tag', img.digest, img);
      await assertServes(client, 'del/tag', 'b', img);
    });

    it('an unknown manifest, tag or repository is 404', async () => {
      await client.push('del/unknown', image(), 'v1');
      await assertError(
        await client.request('/v2/del/unknown/manifests/nope', { method: 'DELETE' }),
        404,
        'MANIFEST_UNKNOWN',
      );
      await assertError(
        await client.request(`/v2/del/unknown/manifests/${sha256('x')}`, { method: 'DELETE' }),
        404,
        'MANIFEST_UNKNOWN',
      );
      await assertError(await client.request('/v2/del/never/manifests/v1', { method: 'DELETE' }), 404, 'NAME_UNKNOWN');
      await assertError(
        await client.request(`/v2/del/never/manifests/${sha256('x')}`, { method: 'DELETE' }),
        404,
        'NAME_UNKNOWN',
      );
    });
  });

  describe('legacy Docker conversion off (default)', () => {
    it('a Docker-only Accept gets the OCI manifest unchanged', async () => {
      const img = image();
      await client.push('legacy/off', img, 'v1');
      const res = await client.request('/v2/legacy/off/manifests/v1', {
        headers: { accept: MEDIA_TYPE_DOCKER_MANIFEST },
      });
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('content-type'), MEDIA_TYPE_OCI_MANIFEST);
      assert.equal(res.headers.get('docker-content-digest'), img.digest);
      assert.deepEqual(Buffer.from(await res.arrayBuffer()), img.bytes);
    });
  });
});

describe('legacy conversion on, deletes off, a 2 KiB manifest cap', () => {
  let server: TestServer;
  let client: RegistryClient;
  const dockerOnly = `${MEDIA_TYPE_DOCKER_MANIFEST}, ${MEDIA_TYPE_DOCKER_MANIFEST_LIST}`;
  before(async () => {
    server = await startTestServer({
      config: {
        'registry.legacyDockerConversion': true,
        'registry.deleteEnabled': false,
        'registry.maxManifestBytes': 2048,
      },
    });
    client = new RegistryClient(server.url);
  });
  after(() => server.close());

  it('a manifest over registry.maxManifestBytes is 413 with a JSON body', async () => {
    const annotations: Record<string, string> = { pad: 'x'.repeat(3000) };
    const img = image({ annotations });
    await pushDependencies(client, 'cap/small', img);
    await assertError(await client.pushManifest('cap/small', 'v1', img), 413, 'MANIFEST_INVALID');
    // Sent without Content-Length, the cap applies as the bytes arrive.
    const chunked = await client.request('/v2/cap/small/manifests/v1', {
      method: 'PUT',
      headers: { 'content-type': img.mediaType },
      body: new ReadableStream({
        start(controller) {
          controller.enqueue(img.bytes);
          controller.close();
        },
      }),
      duplex: 'half',
    });
    await assertError(chunked, 413, 'MANIFEST_INVALID');
    await assertError(await client.request('/v2/cap/small/manifests/v1'), 404, 'MANIFEST_UNKNOWN');
  });

  it('deletes are 405 UNSUPPORTED and change nothing', async () => {
    const img = image();
    await client.push('nodelete/repo', img, 'v1');
    await assertError(
      await client.request(`/v2/nodelete/repo/manifests/${img.digest}`, { method: 'DELETE' }),
      405,
      'UNSUPPORTED',
    );
    await assertError(await client.request('/v2/nodelete/repo/manifests/v1', { method: 'DELETE' }), 405, 'UNSUPPORTED');
    assert.deepEqual(await tagList(client, 'nodelete/repo'), ['v1']);
    assert.equal((await client.request(`/v2/nodelete/repo/manifests/${img.digest}`, { method: 'HEAD' })).status, 200);
  });

  it('an OCI image pulled by tag with a Docker-only Accept is served as Docker schema2', async () => {
    const img = image({ layers: 2 });
    await client.push('legacy/image', img, 'v1');
    const res = await client.request('/v2/legacy/image/manifests/v1', {
      headers: { accept: MEDIA_TYPE_DOCKER_MANIFEST },
    });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), MEDIA_TYPE_DOCKER_MANIFEST);
    const body = Buffer.from(await res.arrayBuffer());
    const digest = sha256(body);
    assert.equal(res.headers.get('docker-content-digest'), digest);
    assert.equal(res.headers.get('content-length'), String(body.byteLength));
    const doc = JSON.parse(body.toString()) as {
      mediaType: string;
      config: { digest: string; mediaType: string };
      layers: { digest: string }[];
    };
    assert.equal(doc.mediaType, MEDIA_TYPE_DOCKER_MANIFEST);
    assert.equal(doc.config.mediaType, 'application/vnd.docker.container.image.v1+json');
    assert.deepEqual(
      [doc.config.digest, ...doc.layers.map((l) => l.digest)],
      (img.blobs ?? []).map((b) => b.digest),
    );
    const head = await client.request('/v2/legacy/image/manifests/v1', {
      method: 'HEAD',
      headers: { accept: MEDIA_TYPE_DOCKER_MANIFEST },
    });
    assert.equal(head.headers.get('docker-content-digest'), digest);
    const byDigest = await client.request(`/v2/legacy/image/manifests/${digest}`, {
      headers: { accept: MEDIA_TYPE_DOCKER_MANIFEST },
    });
    assert.equal(byDigest.status, 200);
    assert.deepEqual(Buffer.from(await byDigest.arrayBuffer()), body);
    // An OCI-capable client still gets the pushed bytes.
    const oci = await client.request('/v2/legacy/image/manifests/v1', {
      headers: { accept: `${MEDIA_TYPE_OCI_MANIFEST}, ${MEDIA_TYPE_DOCKER_MANIFEST}` },
    });
    assert.deepEqual(Buffer.from(await oci.arrayBuffer()), img.bytes);
    // A pull by digest is never converted.
    const exact = await client.request(`/v2/legacy/image/manifests/${img.digest}`, {
      headers: { accept: MEDIA_TYPE_DOCKER_MANIFEST },
    });
    assert.equal(exact.headers.get('content-type'), MEDIA_TYPE_OCI_MANIFEST);
    await exact.arrayBuffer();
  });

  it('an OCI index pulled by tag with a Docker-only Accept is a manifest list of pullable children', async () => {
    const amd = image();
    const arm = image({ platform: { architecture: 'arm64', os: 'linux' } });
    const idx = index([amd, arm]);
    await client.push('legacy/index', idx, 'multi');
    const res = await client.request('/v2/legacy/index/manifests/multi', { headers: { accept: dockerOnly } });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), MEDIA_TYPE_DOCKER_MANIFEST_LIST);
    const body = Buffer.from(await res.arrayBuffer());
    assert.equal(res.headers.get('docker-content-digest'), sha256(body));
    const list = JSON.parse(body.toString()) as {
      mediaType: string;
      manifests: { mediaType: string; digest: string; size: number; platform: { architecture: string } }[];
    };
    assert.equal(list.mediaType, MEDIA_TYPE_DOCKER_MANIFEST_LIST);
    assert.deepEqual(
      list.manifests.map((m) => m.platform.architecture),
      ['amd64', 'arm64'],
    );
    for (const child of list.manifests) {
      assert.equal(child.mediaType, MEDIA_TYPE_DOCKER_MANIFEST);
      const got = await client.request(`/v2/legacy/index/manifests/${child.digest}`, {
        headers: { accept: dockerOnly },
      });
      assert.equal(got.status, 200);
      assert.equal(got.headers.get('content-type'), MEDIA_TYPE_DOCKER_MANIFEST);
      const bytes = Buffer.from(await got.arrayBuffer());
      assert.equal(sha256(bytes), child.digest);
      assert.equal(bytes.byteLength, child.size);
    }
    const again = await client.request(`/v2/legacy/index/manifests/${sha256(body)}`, {
      headers: { accept: dockerOnly },
    });
    assert.deepEqual(Buffer.from(await again.arrayBuffer()), body);
  });

  it('artifacts are never converted', async () => {
    const subject = image();
    await client.push('legacy/artifacts', subject, 'v1');
    const typed = artifact('application/vnd.example.sbom.v1');
    const configTyped = artifact('application/vnd.example.helm.config.v1+json', { asConfig: true });
    for (const a of [typed, configTyped]) {
      await client.push('legacy/artifacts', a, 'art');
      const res = await client.request('/v2/legacy/artifacts/manifests/art', { headers: { accept: dockerOnly } });
      assert.equal(res.headers.get('content-type'), MEDIA_TYPE_OCI_MANIFEST);
      assert.equal(res.headers.get('docker-content-digest'), a.digest);
      assert.deepEqual(Buffer.from(await res.arrayBuffer()), a.bytes);
    }
    const artIndex = index([subject], { artifactType: 'application/vnd.example.bundle.v1' });
    await client.push('legacy/artifacts', artIndex, 'bundle');
    const res = await client.request('/v2/legacy/artifacts/manifests/bundle', { headers: { accept: dockerOnly } });
    assert.equal(res.headers.get('content-type'), MEDIA_TYPE_OCI_INDEX);
    assert.deepEqual(Buffer.from(await res.arrayBuffer()), artIndex.bytes);
  });
});
