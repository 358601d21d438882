/**
 * Online garbage collection over the real server: what it frees, what it
 * must never touch (content pushed during the run, open uploads, content
 * within the grace period), dry runs, untagged manifests and referrers.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { TestServer } from '../helpers/server.js';
import type { RegistryClient } from '../helpers/client.js';
import { artifact, blob, image, index, sha256, type Blob, type Pushable } from '../helpers/builders.js';
import { blobPath, uploadDataPath } from '../../src/storage/paths.js';
import { parseDigest } from '../../src/oci/digest.js';
import {
  DAY,
  HOUR,
  assertBlob,
  assertGone,
  assertManifest,
  assertPullable,
  del,
  useGcServer,
  runGc,
  type TestClock,
} from './helpers.js';

const SIGNATURE = 'application/vnd.dev.cosign.artifact.sig.v1+json';

describe('gc: what it frees and what it keeps', () => {
  let clock: TestClock;
  let server: TestServer;
  let client: RegistryClient;
  useGcServer((s) => ({ clock, server, client } = s));

  it('frees an unlinked blob only once it is older than the grace period', async () => {
    const kept = blob(300);
    const dropped = blob(200);
    await client.pushBlob('gc/grace', kept);
    await client.pushBlob('gc/grace', dropped);
    await del(client, `/v2/gc/grace/blobs/${dropped.digest}`);

    const early = await runGc(server, { gracePeriodMs: HOUR });
    assert.equal(
      early.freedBlobs.some((b) => b.digest === dropped.digest),
      false,
      'within grace',
    );
    assert.ok(early.keptYoung >= 1);

    clock.advance(2 * HOUR);
    const late = await runGc(server, { gracePeriodMs: HOUR });
    assert.deepEqual(
      late.freedBlobs.filter((b) => b.digest === dropped.digest),
      [{ digest: dropped.digest, size: 200 }],
    );
    assert.ok(late.deletedRecords.includes(dropped.digest), 'its record goes too');
    assert.equal(await server.registry.deps.storage.stat(blobPath(parseDigest(dropped.digest))), undefined);
    await assertBlob(client, 'gc/grace', kept);
    // The blob can be pushed again afterwards.
    assert.equal((await client.pushBlob('gc/grace', dropped)).status, 201);
    await assertBlob(client, 'gc/grace', dropped);
  });

  it('keeps every blob a tagged or untagged manifest, index or link holds, and the manifests’ own bytes', async () => {
    const img = image({ layers: 2 });
    const idx = index([image(), image()]);
    await client.push('gc/held', img, 'v1');
    await client.push('gc/held', idx, 'multi');
    const untagged = image();
    await client.push('gc/held', untagged);
    const linkedOnly = blob(128);
    await client.pushBlob('gc/held', linkedOnly);
    clock.advance(2 * HOUR);
    await runGc(server, { gracePeriodMs: 0 });
    await assertPullable(client, 'gc/held', img);
    await assertPullable(client, 'gc/held', idx);
    await assertPullable(client, 'gc/held', untagged);
    await assertBlob(client, 'gc/held', linkedOnly);
  });

  it('a deleted manifest’s bytes go with its record; GC keeps the layers it shared', async () => {
    const shared = blob(512);
    const a = addLayers(image(), [shared]);
    const b = addLayers(image(), [shared]);
    await client.push('gc/shared', a, 'a');
    await client.push('gc/shared', b, 'b');
    await del(client, `/v2/gc/shared/manifests/${b.digest}`);
    clock.advance(2 * HOUR);
    const report = await runGc(server, { gracePeriodMs: HOUR });
    // The manifest's own bytes live with its record, so they went with it.
    await assertGone(client, `/v2/gc/shared/blobs/${b.digest}`);
    assert.equal(
      report.freedBlobs.some((f) => f.digest === shared.digest),
      false,
      'the shared layer',
    );
    await assertPullable(client, 'gc/shared', a);
  });

  it('removes upload directories without a session after the grace period, never an open upload’s', async () => {
    clock.now = Date.now(); // earlier tests moved it on; files written now must look young
    const storage = server.registry.deps.storage;
    const stray = 'strayStrayStrayStray01';
    await storage.putContent(uploadDataPath(stray), Buffer.from('left behind by a crash'));
    const open = await client.request('/v2/gc/uploads/blobs/uploads/', { method: 'POST' });
    const location = open.headers.get('location') ?? assert.fail('no location');
    const data = blob(100);
    const patch = await client.request(location, {
      method: 'PATCH',
      headers: { 'content-type': 'application/octet-stream' },
      body: data.bytes,
    });
    assert.equal(patch.status, 202);

    const young = await runGc(server, { gracePeriodMs: HOUR });
    assert.equal(
      young.removedUploads.some((u) => u.id === stray),
      false,
    );
    clock.advance(2 * HOUR);
    const old = await runGc(server, { gracePeriodMs: HOUR });
    assert.deepEqual(
      old.removedUploads.filter((u) => u.id === stray),
      [{ id: stray, bytes: 22 }],
    );
    assert.equal(await storage.stat(uploadDataPath(stray)), undefined);

    const sep = location.includes('?') ? '&' : '?';
    const put = await client.request(`${location}${sep}digest=${data.digest}`, { method: 'PUT' });
    assert.equal(put.status, 201, 'the open upload survived and completes');
    await assertBlob(client, 'gc/uploads', data);
  });
});

describe('gc: content pushed while it runs (grace period 0)', () => {
  let server: TestServer;
  let client: RegistryClient;
  // Ahead of the file clocks, so with a zero grace period every unreferenced file is fair game at once.
  useGcServer((s) => ({ server, client } = s), { start: Date.now() + HOUR });

  it('keeps bytes still in an open upload, and the upload completes after GC', async () => {
    const data = blob(4096);
    const start = await client.request('/v2/race/window/blobs/uploads/', { method: 'POST' });
    const location = start.headers.get('location') ?? assert.fail('no location');
    const patch = await client.request(location, {
      method: 'PATCH',
      body: data.bytes,
      headers: { 'content-type': 'application/octet-stream' },
    });
    assert.equal(patch.status, 202);
    await runGc(server, { gracePeriodMs: 0 });
    const sep = location.includes('?') ? '&' : '?';
    assert.equal((await client.request(`${location}${sep}digest=${data.digest}`, { method: 'PUT' })).status, 201);
    await assertBlob(client, 'race/window', data);
  });

  it('keeps bytes moved into place but not yet linked while their upload is open', async () => {
    // The window between an upload's move to blobs/… and its link: simulated by
    // placing the bytes ourselves while the session (holding that many bytes) is open.
    const data = blob(3000);
    const start = await client.request('/v2/race/moved/blobs/uploads/', { method: 'POST' });
    const location = start.headers.get('location') ?? assert.fail('no location');
    await client.request(location, {
      method: 'PATCH',
      body: data.bytes,
      headers: { 'content-type': 'application/octet-stream' },
    });
    await server.registry.deps.storage.putContent(blobPath(parseDigest(data.digest)), data.bytes);
    const report = await runGc(server, { gracePeriodMs: 0 });
    assert.equal(
      report.freedBlobs.some((b) => b.digest === data.digest),
      false,
    );
    assert.ok(report.keptInUse >= 1, 'kept at the last check');
    const sep = location.includes('?') ? '&' : '?';
    assert.equal((await client.request(`${location}${sep}digest=${data.digest}`, { method: 'PUT' })).status, 201);
    await assertBlob(client, 'race/moved', data);
  });

  it('keeps bytes written before their link within the grace period, and frees them after it', async () => {
    const data = blob(1500);
    await server.registry.deps.storage.putContent(blobPath(parseDigest(data.digest)), data.bytes);
    const within = await runGc(server, { gracePeriodMs: 2 * HOUR });
    assert.equal(
      within.freedBlobs.some((b) => b.digest === data.digest),
      false,
      'protected by the grace period',
    );
    const beyond = await runGc(server, { gracePeriodMs: 0 });
    assert.ok(
      beyond.freedBlobs.some((b) => b.digest === data.digest),
      'never linked: garbage once old',
    );
  });

  it('loses no acknowledged blob or manifest while pushes, deletes and re-pushes of the same content race many GC runs', async () => {
    const base = [blob(2048), blob(1024)];
    const acknowledged = new Map<string, Pushable>();
    let pushing = true;
    let runs = 0;
    let freed = 0;

    const withBase = (): Pushable => addLayers(image({ layers: 1 }), base);

    async function pusher(worker: number): Promise<void> {
      const repo = `race/r${worker}`;
      for (let i = 0; i < 6; i++) {
        const img = withBase();
        await client.push(repo, img, `v${i}`);
        acknowledged.set(`${repo}@${img.digest}`, img);
        // Make garbage of it, then push the very same content again while GC may be reclaiming it.
        await del(client, `/v2/${repo}/manifests/${img.digest}`);
        acknowledged.delete(`${repo}@${img.digest}`);
        for (const b of img.blobs ?? []) {
          if (!base.includes(b)) await del(client, `/v2/${repo}/blobs/${b.digest}`);
        }
        await client.push(repo, img, `again${i}`);
        acknowledged.set(`${repo}@${img.digest}`, img);
        // Garbage nothing brings back (manifest bytes go with their records, so
        // without it a run may find no garbage in the short re-push window).
        const junk = blob(512);
        assert.equal((await client.pushBlob(repo, junk)).status, 201);
        await del(client, `/v2/${repo}/blobs/${junk.digest}`);
        // Mount a layer another worker pushed (falls back to an upload when GC got there first).
        const other = `race/r${(worker + 1) % 4}`;
        const layer = img.blobs?.[1] ?? assert.fail();
        const mount = await client.request(`/v2/${other}/blobs/uploads/?mount=${layer.digest}&from=${repo}`, {
          method: 'POST',
        });
        await mount.arrayBuffer();
        if (mount.status !== 201) assert.equal((await client.pushBlob(other, layer)).status, 201);
        await assertBlob(client, other, layer);
      }
    }

    async function collector(): Promise<void> {
      while (pushing) {
        const report = await runGc(server, { gracePeriodMs: 0 });
        runs++;
        freed += report.freedBlobs.length;
      }
    }

    const gc = collector();
    try {
      await Promise.all([0, 1, 2, 3].map(pusher));
    } finally {
      pushing = false;
      await gc;
    }
    await runGc(server, { gracePeriodMs: 0 });

    assert.ok(runs >= 3, `GC ran ${runs} times during the pushes`);
    assert.ok(freed > 0, 'GC freed garbage during the run, so it really raced the pushes');
    for (const [key, img] of acknowledged) {
      const repo = key.slice(0, key.indexOf('@'));
      await assertPullable(client, repo, img);
    }
    assert.equal(acknowledged.size, 24);
  });
});

describe('gc: dry run', () => {
  let clock: TestClock;
  let server: TestServer;
  let client: RegistryClient;
  useGcServer((s) => ({ clock, server, client } = s));

  it('reports exactly what the real run then frees', async () => {
    const kept = image({ layers: 2 });
    await client.push('dry/app', kept, 'v1');
    await client.push('dry/app', image({ layers: 2 })); // untagged
    const retagged = image();
    await client.push('dry/app', retagged, 'gone');
    await del(client, '/v2/dry/app/manifests/gone');
    const deleted = image();
    await client.push('dry/app', deleted, 'x');
    await del(client, `/v2/dry/app/manifests/${deleted.digest}`);
    const unlinked = blob(700);
    await client.pushBlob('dry/app', unlinked);
    await del(client, `/v2/dry/app/blobs/${unlinked.digest}`);
    await server.registry.deps.storage.putContent(uploadDataPath('dryDryDryDryDryDry01'), Buffer.from('stray'));
    await server.registry.deps.storage.putContent(blobPath(parseDigest(blob(64).digest)), Buffer.alloc(64));
    clock.advance(2 * DAY);

    const options = { gracePeriodMs: HOUR, untaggedOlderThanMs: DAY };
    const dry = await runGc(server, options, { dryRun: true });
    const real = await runGc(server, options);
    const decided = (r: typeof dry): unknown => ({
      deletedManifests: r.deletedManifests,
      unlinkedBlobs: r.unlinkedBlobs,
      freedBlobs: r.freedBlobs,
      freedBytes: r.freedBytes,
      deletedRecords: r.deletedRecords,
      removedUploads: r.removedUploads,
      keptYoung: r.keptYoung,
    });
    assert.deepEqual(decided(dry), decided(real));
    assert.equal(dry.dryRun, true);
    assert.equal(dry.deletedManifests.length, 2, 'the untagged image and the one whose tag was deleted');
    assert.ok(dry.freedBlobs.length >= 7, `freed ${dry.freedBlobs.length}`);
    assert.equal(real.keptInUse, 0);

    await assertPullable(client, 'dry/app', kept);
    await assertGone(client, `/v2/dry/app/manifests/${retagged.digest}`);
    await assertGone(client, `/v2/dry/app/blobs/${unlinked.digest}`);
    const again = await runGc(server, options, { dryRun: true });
    assert.equal(
      again.freedBlobs.length +
        again.deletedManifests.length +
        again.deletedRecords.length +
        again.removedUploads.length,
      0,
      'nothing left',
    );
  });
});

describe('gc: untagged manifests and referrers', () => {
  let clock: TestClock;
  let server: TestServer;
  let client: RegistryClient;
  useGcServer((s) => ({ clock, server, client } = s));

  it('deletes untagged manifests only once older than olderThan, and never what a kept index or subject holds', async () => {
    const loose = image();
    const children = [image(), image()];
    const tagged = index(children);
    const orphanIndex = index([image()]);
    const subject = image();
    const signature = artifact(SIGNATURE, { subject });
    await client.push('untagged/app', loose);
    await client.push('untagged/app', tagged, 'multi');
    await client.push('untagged/app', orphanIndex);
    await client.push('untagged/app', subject, 'signed');
    await client.push('untagged/app', signature);
    const options = { gracePeriodMs: HOUR, untaggedOlderThanMs: DAY };

    clock.advance(HOUR / 2);
    const young = await runGc(server, options);
    assert.deepEqual(young.deletedManifests, [], 'nothing is old enough yet');

    clock.advance(2 * DAY);
    const old = await runGc(server, options);
    const deletedDigests = old.deletedManifests.map((d) => d.digest).sort();
    assert.deepEqual(
      deletedDigests,
      [loose.digest, orphanIndex.digest, ...(orphanIndex.children ?? []).map((c) => c.digest)].sort(),
    );
    assert.equal(old.deletedManifests[0]?.reason, 'untagged');
    await assertGone(client, `/v2/untagged/app/manifests/${loose.digest}`);
    await assertGone(client, `/v2/untagged/app/manifests/${orphanIndex.digest}`);
    await assertPullable(client, 'untagged/app', tagged);
    await assertPullable(client, 'untagged/app', subject);
    await assertPullable(client, 'untagged/app', signature);
  });

  it('keeps orphaned referrers unless gc.deleteOrphanReferrers, then deletes them recursively', async () => {
    const subject = image();
    const sbom = artifact('application/spdx+json', { subject });
    const sigOfSbom = artifact(SIGNATURE, { subject: sbom });
    await client.push('orphans/app', subject, 'v1');
    await client.push('orphans/app', sbom);
    await client.push('orphans/app', sigOfSbom);
    await del(client, `/v2/orphans/app/manifests/${subject.digest}`);
    await assertManifest(client, 'orphans/app', sbom);
    clock.advance(2 * HOUR);

    const without = await runGc(server, { gracePeriodMs: HOUR });
    assert.equal(without.deletedManifests.length, 0);
    await assertManifest(client, 'orphans/app', sigOfSbom);

    const withOrphans = await runGc(server, { gracePeriodMs: HOUR, deleteOrphanReferrers: true });
    assert.deepEqual(
      withOrphans.deletedManifests.map((d) => `${d.reason} ${d.digest}`).sort(),
      [`orphan-referrer ${sbom.digest}`, `orphan-referrer ${sigOfSbom.digest}`].sort(),
    );
    await assertGone(client, `/v2/orphans/app/manifests/${sbom.digest}`);
    await assertGone(client, `/v2/orphans/app/manifests/${sigOfSbom.digest}`);
  });

  it('keeps a young orphan referrer (it may have been pushed before its subject)', async () => {
    const subject = image();
    const early = artifact(SIGNATURE, { subject });
    await client.push('orphans/early', image(), 'other');
    await client.push('orphans/early', early);
    const report = await runGc(server, { gracePeriodMs: HOUR, deleteOrphanReferrers: true });
    assert.equal(
      report.deletedManifests.some((d) => d.digest === early.digest),
      false,
    );
    await client.push('orphans/early', subject, 'now');
    await assertManifest(client, 'orphans/early', early);
  });
});

describe('gc: deleting a subject with registry.deleteReferrersWithSubject', () => {
  let client: RegistryClient;
  useGcServer((s) => ({ client } = s), { config: { 'registry.deleteReferrersWithSubject': true } });

  it('deletes its referrers, recursively, and leaves other manifests alone', async () => {
    const subject = image();
    const other = image();
    const sbom = artifact('application/spdx+json', { subject });
    const sig = artifact(SIGNATURE, { subject: sbom });
    const otherSig = artifact(SIGNATURE, { subject: other });
    for (const m of [subject, other]) await client.push('cascade/app', m, m === subject ? 'v1' : 'v2');
    for (const m of [sbom, sig, otherSig]) await client.push('cascade/app', m);
    await del(client, `/v2/cascade/app/manifests/${subject.digest}`);
    await assertGone(client, `/v2/cascade/app/manifests/${sbom.digest}`);
    await assertGone(client, `/v2/cascade/app/manifests/${sig.digest}`);
    const listing = await client.getJson<{ manifests: unknown[] }>(`/v2/cascade/app/referrers/${subject.digest}`);
    assert.deepEqual(listing.body.manifests, []);
    await assertPullable(client, 'cascade/app', other);
    await assertPullable(client, 'cascade/app', otherSig);
  });
});

describe('gc: scheduled worker and metrics', () => {
  let clock: TestClock;
  let server: TestServer;
  let client: RegistryClient;
  useGcServer((s) => ({ clock, server, client } = s), { config: { 'gc.gracePeriodSeconds': 60 } });

  async function counter(name: string, labels = ''): Promise<number> {
    const text = await (await client.request('/metrics')).text();
    const line = text.split('\n').find((l) => l.startsWith(`${name}${labels} `));
    return Number(line?.split(' ')[1] ?? 'NaN');
  }

  it('counts runs and bytes freed', async () => {
    assert.equal(await counter('berth_gc_runs_total', '{result="success"}'), 0);
    assert.equal(await counter('berth_gc_bytes_freed_total'), 0);
    const garbage = blob(1000);
    await client.pushBlob('metrics/app', garbage);
    await del(client, `/v2/metrics/app/blobs/${garbage.digest}`);
    clock.advance(HOUR);
    await server.gc.runOnce();
    assert.equal(await counter('berth_gc_runs_total', '{result="success"}'), 1);
    assert.equal(await counter('berth_gc_bytes_freed_total'), 1000);
    await assertGone(client, `/v2/metrics/app/blobs/${garbage.digest}`);
  });
});

/** `img` with `layers` appended (a new manifest, so a new digest). */
function addLayers(img: Pushable, layers: Blob[]): Pushable {
  const json = {
    ...img.json,
    layers: [
      ...(img.json.layers as unknown[]),
      ...layers.map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.size })),
    ],
  };
  const bytes = Buffer.from(JSON.stringify(json));
  const digest = sha256(bytes);
  return { ...img, json, bytes, digest, size: bytes.byteLength, blobs: [...(img.blobs ?? []), ...layers] };
}
