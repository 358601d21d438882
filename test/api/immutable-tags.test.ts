/**
 * Immutable tags over HTTP (`registry.immutableTags`, issue 7): an existing
 * immutable tag cannot be moved, deleted, or removed with its manifest (403
 * DENIED with a detail); pushing the same digest again is fine; racing
 * pushes to a new immutable tag leave exactly one winner. Retention leaves
 * immutable tags alone. The server runs with `auth: none`: immutability
 * does not depend on authentication.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { RegistryClient, assertError, type ErrorBody } from '../helpers/client.js';
import { artifact, image, type Pushable } from '../helpers/builders.js';
import { loadConfig } from '../../src/config/load.js';
import { applyRetention } from '../../src/registry/gc/retention.js';
import { compileRetentionRules } from '../../src/registry/gc/retention-rules.js';
import { compileImmutableTagRules } from '../../src/registry/immutable-tags.js';

const RULES = [
  // First match decides: releases/legacy/* has no immutable tags.
  { repositories: 'releases/legacy/*', tags: [] },
  { repositories: ['releases/**', 'pinned'], tags: ['v*', 'latest-*'], except: ['*-rc*'] },
];

interface DeniedDetail {
  repository: string;
  tag: string;
  digest: string;
  rule: string;
  hint: string;
}

describe('immutable tags', () => {
  let server: TestServer;
  let client: RegistryClient;
  before(async () => {
    server = await startTestServer({
      config: { auth: 'none', 'registry.immutableTags': RULES, 'registry.deleteReferrersWithSubject': true },
    });
    client = new RegistryClient(server.url);
  });
  after(() => server.close());

  async function digestOf(repo: string, tag: string): Promise<string | null> {
    const res = await client.request(`/v2/${repo}/manifests/${tag}`, { method: 'HEAD' });
    return res.status === 200 ? res.headers.get('docker-content-digest') : null;
  }

  async function denied(res: Response, tag: string, digest: string): Promise<DeniedDetail> {
    const body: ErrorBody = await assertError(res, 403, 'DENIED');
    const detail = body.errors[0]?.detail as DeniedDetail;
    assert.equal(detail.tag, tag);
    assert.equal(detail.digest, digest);
    assert.match(detail.rule, /^registry\.immutableTags\[1\] \(repositories: releases\/\*\*, pinned; tags: v\*, latest-\*\)$/);
    assert.match(detail.hint, /new tag/);
    return detail;
  }

  function deleteManifest(repo: string, reference: string): Promise<Response> {
    return client.request(`/v2/${repo}/manifests/${reference}`, { method: 'DELETE' });
  }

  it('creates an immutable tag, accepts the same digest again, refuses to move it', async () => {
    const repo = 'releases/app';
    const first = image();
    const second = image();
    await client.push(repo, first, 'v1.0.0');
    await client.push(repo, first, 'v1.0.0'); // idempotent: 201 again
    await client.push(repo, second); // by digest: fine
    const detail = await denied(await client.pushManifest(repo, 'v1.0.0', second), 'v1.0.0', first.digest);
    assert.equal(detail.repository, repo);
    assert.match(detail.hint, /v1\.0\.0/);
    // ?tag= on a push by digest goes through the same check.
    await denied(await client.pushManifest(repo, second.digest, second, '?tag=v1.0.0&tag=v2.0.0'), 'v1.0.0', first.digest);
    assert.equal(await digestOf(repo, 'v1.0.0'), first.digest);
    assert.equal(await digestOf(repo, 'v2.0.0'), null, 'the refused push created none of its tags');
    const latest = image();
    await client.push(repo, latest, 'latest-stable');
    await denied(await client.pushManifest(repo, 'latest-stable', first), 'latest-stable', latest.digest);
  });

  it('refuses DELETE of an immutable tag and of a manifest an immutable tag points at', async () => {
    const repo = 'releases/del';
    const m = image();
    await client.push(repo, m, 'v1');
    await client.push(repo, m, 'dev');
    await denied(await deleteManifest(repo, 'v1'), 'v1', m.digest);
    await denied(await deleteManifest(repo, m.digest), 'v1', m.digest);
    assert.equal(await digestOf(repo, 'v1'), m.digest);
    assert.equal(await digestOf(repo, 'dev'), m.digest, 'the refused delete removed no tag');
    assert.equal((await deleteManifest(repo, 'dev')).status, 202, 'a mutable tag of it may go');
    await assertError(await deleteManifest(repo, 'v9'), 404, 'MANIFEST_UNKNOWN');
  });

  it('leaves tags no rule makes immutable movable and deletable', async () => {
    const repo = 'releases/loose';
    const [a, b] = [image(), image()];
    for (const tag of ['latest', 'v2.0.0-rc1', 'nightly']) {
      await client.push(repo, a, tag);
      await client.push(repo, b, tag);
      assert.equal(await digestOf(repo, tag), b.digest, tag);
    }
    assert.equal((await deleteManifest(repo, 'latest')).status, 202);
    assert.equal((await deleteManifest(repo, b.digest)).status, 202, 'only mutable tags pointed at it');
    assert.equal(await digestOf(repo, 'nightly'), null);
  });

  it('does not touch other repositories, and the first matching rule decides', async () => {
    const [a, b] = [image(), image()];
    for (const repo of ['scratch/app', 'releases/legacy/app', 'pinned/sub']) {
      await client.push(repo, a, 'v1');
      await client.push(repo, b, 'v1');
      assert.equal(await digestOf(repo, 'v1'), b.digest, repo);
      assert.equal((await deleteManifest(repo, 'v1')).status, 202, repo);
    }
    await client.push('pinned', a, 'v1');
    await client.push('pinned', b);
    await denied(await client.pushManifest('pinned', 'v1', b), 'v1', a.digest);
  });

  it('concurrent pushes of different manifests to one new immutable tag: one 201, the rest 403', async () => {
    const repo = 'releases/race';
    const images = Array.from({ length: 12 }, () => image());
    for (const m of images) await client.push(repo, m); // blobs and manifests by digest first
    const responses = await Promise.all(images.map((m) => client.pushManifest(repo, 'v1', m)));
    const created = responses.flatMap((res, i) => (res.status === 201 ? [images[i]!] : []));
    assert.equal(created.length, 1, `statuses: ${responses.map((r) => r.status).join(', ')}`);
    const winner = created[0]!;
    assert.equal(await digestOf(repo, 'v1'), winner.digest);
    for (const res of responses) {
      if (res.status === 201) await res.arrayBuffer();
      else await denied(res, 'v1', winner.digest);
    }
  });

  it('keeps a referrer an immutable tag points at when its subject is deleted with its referrers', async () => {
    const repo = 'releases/signed';
    const subject = image();
    const kept = artifact('application/vnd.example.signature.v1', { subject });
    const dropped = artifact('application/vnd.example.signature.v1', { subject });
    await client.push(repo, subject, 'dev');
    await client.push(repo, kept, 'v1-signature');
    await client.push(repo, dropped);
    assert.equal((await deleteManifest(repo, subject.digest)).status, 202);
    assert.equal(await digestOf(repo, 'v1-signature'), kept.digest);
    const gone = await client.request(`/v2/${repo}/manifests/${dropped.digest}`, { method: 'HEAD' });
    assert.equal(gone.status, 404);
  });

  it('retention neither deletes nor counts immutable tags', async () => {
    const repo = 'releases/retained';
    const pushed: [string, Pushable][] = [
      ['v1', image()],
      ['build-1', image()],
      ['v2', image()],
      ['build-2', image()],
      ['build-3', image()],
    ];
    for (const [tag, m] of pushed) await client.push(repo, m, tag);
    const { deps } = server.registry;
    const report = await applyRetention(deps, compileRetentionRules([{ repositories: repo, keepLast: 1 }], deps.types), {
      graceMs: 0,
      immutableTags: compileImmutableTagRules(server.config.registry.immutableTags),
    });
    assert.deepEqual(report.deletedTags.map((t) => t.tag).sort(), ['build-1', 'build-2']);
    const { body } = await client.getJson<{ tags: string[] }>(`/v2/${repo}/tags/list`);
    assert.deepEqual(body.tags, ['build-3', 'v1', 'v2']);
  });
});

describe('immutable tags config', () => {
  const load = (rules: unknown): unknown => loadConfig({ overrides: { 'registry.immutableTags': rules } });

  it('names the bad field at start-up', () => {
    assert.throws(() => load([{ repositories: 'a/**', tags: ['v/1'] }]), /registry\.immutableTags\[0\]\.tags\[0\]: "v\/1" is not a tag glob/);
    assert.throws(() => load([{ repositories: 'a/**', tags: ['v*'], except: ['ok', 'no pe'] }]), /registry\.immutableTags\[0\]\.except\[1\]/);
    assert.throws(() => load([{ tags: ['v*'], repositories: ['ok', 'Bad'] }]), /registry\.immutableTags\[0\]\.repositories\[1\]: "Bad"/);
    assert.throws(() => load([{ repositories: 'a', tags: ['v*'], tag: 'x' }]), /registry\.immutableTags\.0\.tag: unknown option/);
    assert.throws(() => load([{ repositories: 'a' }]), /registry\.immutableTags\.0\.tags: is required/);
  });

  it('defaults to no immutable tags', () => {
    assert.deepEqual(loadConfig({}).registry.immutableTags, []);
  });
});
