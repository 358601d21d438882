/**
 * Retention rules over the real server: keepLast by push time, semver,
 * keepTags patterns, untagged age, artifact-type scoping, orphan
 * signatures, dry run, and GC freeing what retention released.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { TestServer } from '../helpers/server.js';
import type { RegistryClient } from '../helpers/client.js';
import { artifact, blob, image, type Pushable } from '../helpers/builders.js';
import { applyRetention, type RetentionReport } from '../../src/registry/gc/retention.js';
import { compileRetentionRules, type RetentionRule } from '../../src/registry/gc/retention-rules.js';
import { compileImmutableTagRules } from '../../src/registry/immutable-tags.js';
import { DAY, HOUR, assertGone, assertPullable, runGc, useGcServer, type TestClock } from './helpers.js';

const HELM_CONFIG = 'application/vnd.cncf.helm.config.v1+json';
const HELM_CONTENT = 'application/vnd.cncf.helm.chart.content.v1.tar+gzip';
const SIGNATURE = 'application/vnd.dev.cosign.artifact.sig.v1+json';

describe('retention', () => {
  let clock: TestClock;
  let server: TestServer;
  let client: RegistryClient;
  useGcServer((s) => ({ clock, server, client } = s));

  function retain(rules: RetentionRule[], dryRun = false): Promise<RetentionReport> {
    return applyRetention(server.registry.deps, compileRetentionRules(rules, server.registry.deps.types), {
      graceMs: HOUR,
      dryRun,
      immutableTags: compileImmutableTagRules(server.config.registry.immutableTags),
    });
  }

  async function tags(repo: string): Promise<string[]> {
    const { body } = await client.getJson<{ tags: string[] | null }>(`/v2/${repo}/tags/list`);
    return body.tags ?? [];
  }

  /** Pushes each item under its tag, one minute apart (push time orders keepLast). */
  async function pushTimed(repo: string, items: [string, Pushable][]): Promise<void> {
    for (const [tag, item] of items) {
      await client.push(repo, item, tag);
      clock.advance(60_000);
    }
  }

  it('keepLast keeps the most recently pushed tags and pinned ones; dry run equals the real run; GC then frees the bytes', async () => {
    const images = Array.from({ length: 5 }, () => image({ layers: 1 }));
    const stable = image();
    await pushTimed('apps/web', [
      ['stable', stable],
      ...images.map((img, i): [string, Pushable] => [`build-${i + 1}`, img]),
    ]);
    const rules: RetentionRule[] = [{ repositories: 'apps/**', keepLast: 2, keepTags: ['^stable$'] }];

    const dry = await retain(rules, true);
    const real = await retain(rules);
    assert.deepEqual({ ...dry, dryRun: false }, real, 'the dry run decided exactly what the real run did');
    assert.deepEqual(real.deletedTags.map((t) => t.tag).sort(), ['build-1', 'build-2', 'build-3']);
    assert.deepEqual(
      real.deletedManifests.map((m) => `${m.reason} ${m.digest}`).sort(),
      images
        .slice(0, 3)
        .map((m) => `tags-expired ${m.digest}`)
        .sort(),
    );
    assert.deepEqual(await tags('apps/web'), ['build-4', 'build-5', 'stable']);
    await assertGone(client, `/v2/apps/web/manifests/${images[0]?.digest}`);
    for (const kept of [stable, images[3], images[4]]) await assertPullable(client, 'apps/web', kept ?? assert.fail());

    // The deleted images' layers and configs were unlinked with them: GC frees them.
    clock.advance(2 * HOUR);
    const gc = await runGc(server, { gracePeriodMs: HOUR });
    const freed = new Set(gc.freedBlobs.map((b) => b.digest));
    for (const img of images.slice(0, 3)) {
      // (Manifest bytes live with their records and went with them.)
      for (const b of img.blobs ?? []) assert.ok(freed.has(b.digest), `blob ${b.digest}`);
    }
    assert.equal((await retain(rules)).deletedTags.length, 0, 'a second run has nothing to do');
  });

  it('keepLastSemver keeps the highest versions and leaves non-version tags alone', async () => {
    const versions = ['v2.0.0', '1.0.0', '2.0.0-rc.1', '1.10.0', '1.2.0']; // push order is not version order
    const latest = image();
    await pushTimed('semver/app', [['latest', latest], ...versions.map((v): [string, Pushable] => [v, image()])]);
    const report = await retain([{ repositories: 'semver/*', keepLastSemver: 2 }]);
    // Semver precedence: 2.0.0 > 2.0.0-rc.1 > 1.10.0 > 1.2.0 > 1.0.0 (not push order, not string order).
    assert.deepEqual(report.deletedTags.map((t) => t.tag).sort(), ['1.0.0', '1.10.0', '1.2.0']);
    assert.deepEqual(await tags('semver/app'), ['2.0.0-rc.1', 'latest', 'v2.0.0']);
  });

  it('a manifest keeps its other tags: only tags go, and the manifest stays', async () => {
    const shared = image();
    await pushTimed('multi/app', [
      ['old', shared],
      ['new', image()],
      ['pinned-old', shared],
    ]);
    clock.advance(HOUR);
    const report = await retain([{ repositories: 'multi/app', keepLast: 1, keepTags: ['^pinned-'] }]);
    assert.deepEqual(
      report.deletedTags.map((t) => t.tag),
      ['old'],
    );
    assert.deepEqual(report.deletedManifests, []);
    await assertPullable(client, 'multi/app', shared);
  });

  it('deleteUntaggedOlderThanSeconds honours the age', async () => {
    const untagged = image();
    const tagged = image();
    await client.push('aging/app', untagged);
    await client.push('aging/app', tagged, 'v1');
    const rules: RetentionRule[] = [{ repositories: 'aging/**', deleteUntaggedOlderThanSeconds: DAY / 1000 }];
    clock.advance(HOUR);
    assert.deepEqual((await retain(rules)).deletedManifests, []);
    clock.advance(2 * DAY);
    const report = await retain(rules);
    assert.deepEqual(report.deletedManifests, [{ repo: 'aging/app', digest: untagged.digest, reason: 'untagged' }]);
    await assertGone(client, `/v2/aging/app/manifests/${untagged.digest}`);
    await assertPullable(client, 'aging/app', tagged);
  });

  it('artifactTypes scope a rule: a Helm rule leaves images in the same repository alone', async () => {
    const chart = (): Pushable =>
      artifact(HELM_CONFIG, {
        asConfig: true,
        layers: [blob(200, HELM_CONTENT)],
        config: blob('{"name":"c","version":"1.0.0","apiVersion":"v2"}', HELM_CONFIG),
      });
    const charts = [chart(), chart()];
    const images = [image(), image()];
    await pushTimed('mixed/app', [
      ['chart-1', charts[0] ?? assert.fail()],
      ['image-1', images[0] ?? assert.fail()],
      ['chart-2', charts[1] ?? assert.fail()],
      ['image-2', images[1] ?? assert.fail()],
    ]);
    const report = await retain([{ repositories: 'mixed/**', artifactTypes: ['helm-chart'], keepLast: 1 }]);
    assert.deepEqual(
      report.deletedTags.map((t) => t.tag),
      ['chart-1'],
    );
    assert.deepEqual(await tags('mixed/app'), ['chart-2', 'image-1', 'image-2']);
  });

  it('dropOrphanSignatures deletes signatures of deleted images (referrers and cosign tags) and old orphans', async () => {
    const a = image();
    const b = image();
    const sigA = artifact(SIGNATURE, { subject: a });
    const sigB = artifact(SIGNATURE, { subject: b });
    const cosignTagA = artifact('application/vnd.dev.cosign.simplesigning.v1+json', { asConfig: true });
    const orphan = artifact(SIGNATURE, { subject: image() }); // its subject was never pushed
    await client.push('signed/app', orphan);
    await pushTimed('signed/app', [
      ['v1', a],
      ['v2', b],
    ]);
    await client.push('signed/app', sigA);
    await client.push('signed/app', sigB);
    await client.push('signed/app', cosignTagA, `${a.digest.replace(':', '-')}.sig`);
    clock.advance(2 * HOUR);

    const rules: RetentionRule[] = [
      {
        repositories: 'signed/**',
        artifactTypes: ['application/vnd.oci.image.config.v1+json'],
        keepLast: 1,
        dropOrphanSignatures: true,
      },
    ];
    const report = await retain(rules);
    assert.deepEqual(report.deletedTags.map((t) => t.tag).sort(), [`${a.digest.replace(':', '-')}.sig`, 'v1'].sort());
    assert.deepEqual(
      report.deletedManifests.map((m) => `${m.reason} ${m.digest}`).sort(),
      [
        `tags-expired ${a.digest}`,
        `orphan-signature ${sigA.digest}`,
        `orphan-signature ${cosignTagA.digest}`,
        `orphan-signature ${orphan.digest}`,
      ].sort(),
    );
    await assertPullable(client, 'signed/app', b);
    await assertPullable(client, 'signed/app', sigB);
  });

  it('without dropOrphanSignatures a deleted image’s signatures stay', async () => {
    const a = image();
    const sig = artifact(SIGNATURE, { subject: a });
    await pushTimed('keepsigs/app', [
      ['v1', a],
      ['v2', image()],
    ]);
    await client.push('keepsigs/app', sig);
    const report = await retain([{ repositories: 'keepsigs/**', keepLast: 1 }]);
    assert.deepEqual(
      report.deletedManifests.map((m) => m.digest),
      [a.digest],
    );
    await assertPullable(client, 'keepsigs/app', sig);
  });

  it('refuses a rule naming an unknown artifact type or a bad pattern, naming the field', () => {
    const types = server.registry.deps.types;
    assert.throws(
      () => compileRetentionRules([{ repositories: 'a/**', artifactTypes: ['no-such-type'] }], types),
      /retention\[0\]\.artifactTypes/,
    );
    assert.throws(
      () => compileRetentionRules([{ repositories: 'a/**', keepTags: ['('] }], types),
      /retention\[0\]\.keepTags\[0\]/,
    );
    assert.throws(() => compileRetentionRules([{ repositories: 'A//b' }], types), /retention\[0\]\.repositories/);
  });
});
