/**
 * Repository names and error responses over HTTP (distribution-spec:
 * "Pulling manifests" name grammar, "Error Codes"): valid multi-component
 * names work, invalid ones are NAME_INVALID before anything touches storage,
 * and unknown endpoints and methods answer with the JSON error body.
 *
 * Paths are sent with node:http, not fetch: fetch would normalise `..` and
 * `//` away before the server could see them.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { assertError, RegistryClient } from '../helpers/client.js';
import { artifact, image, sha256 } from '../helpers/builders.js';
import { rawRequest } from '../helpers/raw-http.js';

/** Every path under `root`, relative and sorted. */
function listTree(root: string): string[] {
  const out: string[] = [];
  const visit = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      out.push(relative(root, path));
      if (entry.isDirectory()) visit(path);
    }
  };
  visit(root);
  return out.sort();
}

const INVALID_NAMES = [
  'Upper',
  'a/Upper',
  '..',
  '../x',
  'a/..',
  'a/../b',
  'a/./b',
  '.',
  '%2e%2e/x',
  'a/%2e%2e/b',
  '%2E%2E',
  'a%2Fb',
  'a%2fb',
  'a%5Cb',
  'a\\b',
  'a%00b',
  '/a',
  'a/',
  'a//b',
  '-a',
  'a-',
  '_a',
  'a_',
  'a.',
  '.a',
  'a___b',
  'a..b',
  'a._b',
  'a/-b',
  'a%20b',
  '%C3%A9',
  '%',
  '%zz/a',
  'a'.repeat(256),
  'a'.repeat(2000),
  `${'a/'.repeat(127)}aa`,
];

describe('names and errors', () => {
  let server: TestServer;
  let client: RegistryClient;
  let sandbox: string;
  before(async () => {
    // The data dir sits two levels inside a sandbox, so anything escaping it shows up there.
    sandbox = mkdtempSync(join(tmpdir(), 'berth-names-'));
    const dataDir = join(sandbox, 'outer', 'data');
    mkdirSync(dataDir, { recursive: true });
    server = await startTestServer({ dataDir });
    client = new RegistryClient(server.url);
  });
  after(async () => {
    await server.close();
    rmSync(sandbox, { recursive: true, force: true });
  });

  it('valid multi-component names work end to end', async () => {
    const names = [
      'a',
      'a/b/c',
      'a.b-c_d/e__f',
      'a--b/c---d',
      '0/1/2/3/4/5/6/7/8/9',
      `${'a'.repeat(200)}/b`,
      'x'.repeat(255),
    ];
    for (const name of names) {
      const img = image();
      await client.push(name, img, 'v1');
      const res = await client.request(`/v2/${name}/manifests/v1`);
      assert.equal(res.status, 200, name);
      assert.deepEqual(Buffer.from(await res.arrayBuffer()), img.bytes);
      const { body } = await client.getJson<{ name: string; tags: string[] }>(`/v2/${name}/tags/list`);
      assert.deepEqual(body, { name, tags: ['v1'] });
      const refs = await client.request(`/v2/${name}/referrers/${img.digest}`);
      assert.equal(refs.status, 200);
      await refs.arrayBuffer();
    }
    const { body } = await client.getJson<{ repositories: string[] }>('/v2/_catalog');
    for (const name of names) assert.ok(body.repositories.includes(name), name);
  });

  it('invalid names are NAME_INVALID on every route and create nothing on disk', async () => {
    const img = image();
    await client.push('seed/repo', img, 'v1');
    const before = listTree(sandbox);
    const digest = img.digest;
    const manifest = artifact('application/vnd.example.x.v1').bytes;
    for (const name of INVALID_NAMES) {
      const routes: [string, string, Buffer?][] = [
        ['GET', `/v2/${name}/manifests/v1`],
        ['HEAD', `/v2/${name}/manifests/${digest}`],
        ['PUT', `/v2/${name}/manifests/v1`, manifest],
        ['DELETE', `/v2/${name}/manifests/${digest}`],
        ['GET', `/v2/${name}/blobs/${digest}`],
        ['DELETE', `/v2/${name}/blobs/${digest}`],
        ['POST', `/v2/${name}/blobs/uploads/`],
        ['POST', `/v2/${name}/blobs/uploads/?digest=${sha256('hi')}`, Buffer.from('hi')],
        ['POST', `/v2/${name}/blobs/uploads/?mount=${digest}&from=seed/repo`],
        ['GET', `/v2/${name}/tags/list`],
        ['GET', `/v2/${name}/referrers/${digest}`],
      ];
      for (const [method, path, body] of routes) {
        const headers: Record<string, string> =
          body === undefined ? {} : { 'content-type': 'application/vnd.oci.image.manifest.v1+json' };
        const res = await rawRequest(server.url, method, path, body, headers);
        if (method === 'HEAD') assert.equal(res.status, 400, `${method} ${path}`);
        else
          await assertError(res, 400, 'NAME_INVALID').catch((err: unknown) =>
            assert.fail(`${method} ${path}: ${String(err)}`),
          );
      }
    }
    // A valid repository asked to mount from an invalid one: NAME_INVALID too.
    for (const from of ['..', 'a/../b', 'Upper', '%2e%2e']) {
      const res = await rawRequest(server.url, 'POST', `/v2/seed/other/blobs/uploads/?mount=${digest}&from=${from}`);
      await assertError(res, 400, 'NAME_INVALID');
    }
    assert.deepEqual(listTree(sandbox), before);
    const { body } = await client.getJson<{ repositories: string[] }>('/v2/_catalog');
    assert.ok(
      body.repositories.every((r) => !r.includes('..') && !r.includes('%')),
      body.repositories.join(),
    );
  });

  it('GET /v2/ answers 200 with the API version header, HEAD too', async () => {
    for (const method of ['GET', 'HEAD']) {
      const res = await client.request('/v2/', { method });
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('docker-distribution-api-version'), 'registry/2.0');
      await res.arrayBuffer();
    }
  });

  it('an unknown endpoint under /v2 is 404 with a JSON error body', async () => {
    const paths = [
      '/v2/a/b/unknown',
      '/v2/a/manifests',
      '/v2/a/tags',
      '/v2/a/tags/list/extra',
      '/v2/a/referrers',
      '/v2/_nothing',
      '/v2/a/blobs/',
      '/v2//',
    ];
    for (const path of paths) {
      const res = await rawRequest(server.url, 'GET', path);
      await assertError(res, 404, 'UNSUPPORTED').catch((err: unknown) => assert.fail(`${path}: ${String(err)}`));
    }
  });

  it('a wrong method on a route is 405 with a JSON error body and Allow', async () => {
    await client.push('methods/repo', image(), 'v1');
    const cases: [string, string][] = [
      ['POST', '/v2/methods/repo/manifests/v1'],
      ['PATCH', '/v2/methods/repo/manifests/v1'],
      ['DELETE', '/v2/methods/repo/tags/list'],
      ['PUT', '/v2/methods/repo/tags/list'],
      ['POST', `/v2/methods/repo/referrers/${sha256('x')}`],
      ['DELETE', '/v2/'],
      ['POST', '/v2/_catalog'],
      ['PUT', `/v2/methods/repo/blobs/${sha256('x')}`],
      ['GET', '/v2/methods/repo/blobs/uploads/'],
    ];
    for (const [method, path] of cases) {
      const res = await client.request(path, { method });
      assert.ok(res.headers.get('allow'), `${method} ${path}: Allow`);
      await assertError(res, 405, 'UNSUPPORTED').catch((err: unknown) =>
        assert.fail(`${method} ${path}: ${String(err)}`),
      );
    }
  });

  it('NAME_UNKNOWN and MANIFEST_UNKNOWN as the spec uses them', async () => {
    await client.push('errors/known', image(), 'v1');
    await assertError(await client.request('/v2/errors/unknown/manifests/v1'), 404, 'NAME_UNKNOWN');
    await assertError(await client.request('/v2/errors/unknown/tags/list'), 404, 'NAME_UNKNOWN');
    await assertError(await client.request('/v2/errors/known/manifests/v2'), 404, 'MANIFEST_UNKNOWN');
    await assertError(await client.request(`/v2/errors/known/manifests/${sha256('x')}`), 404, 'MANIFEST_UNKNOWN');
  });

  it('error bodies carry code, message and detail; no client input is a 500', async () => {
    const res = await client.request('/v2/errors/known/manifests/-nope');
    const body = await assertError(res, 400, 'TAG_INVALID');
    const [first] = body.errors;
    assert.equal(typeof first?.message, 'string');
    assert.ok(first?.detail !== undefined);
    // Paths the framework's router cannot decode still meet the grammar.
    const undecodable: [string, string, string][] = [
      ['GET', '/v2/a/manifests/%', 'TAG_INVALID'],
      ['PUT', '/v2/a/manifests/%zz', 'TAG_INVALID'],
      ['GET', '/v2/%/tags/list', 'NAME_INVALID'],
      ['GET', '/v2/a/referrers/%ff', 'DIGEST_INVALID'],
      ['GET', '/v2/a/blobs/%', 'DIGEST_INVALID'],
      ['GET', '/v2/%', 'UNSUPPORTED'],
    ];
    for (const [method, path, code] of undecodable) {
      const r = await rawRequest(server.url, method, path);
      await assertError(r, code === 'UNSUPPORTED' ? 404 : 400, code).catch((err: unknown) =>
        assert.fail(`${method} ${path}: ${String(err)}`),
      );
    }
    const odd: [string, string][] = [
      ['GET', '/v2/a/tags/list?n=%'],
      ['GET', `/v2/a/referrers/${sha256('x')}?artifactType=%`],
      ['GET', '/v2/a/tags/list?n=1&n=2'],
      ['GET', '/v2/a/tags/list?last=%ff%fe'],
      ['GET', '/v2/_catalog?last=%ff&n=1'],
      ['PUT', '/v2/a/manifests/v1'],
      ['PUT', '/v2/a/manifests/v1?tag=%'],
      ['GET', '/%'],
    ];
    for (const [method, path] of odd) {
      const r = await rawRequest(server.url, method, path);
      assert.ok(r.status < 500, `${method} ${path}: ${r.status}`);
      if (r.status < 400) continue;
      assert.match(r.headers.get('content-type') ?? '', /application\/json/, `${method} ${path}`);
      const parsed = (await r.json()) as { errors?: { code: string }[] };
      assert.match(parsed.errors?.[0]?.code ?? '', /^[A-Z_]+$/, `${method} ${path}`);
    }
  });
});
