/** Conformance: atomicity of writes and consistency under concurrency. */
import assert from 'node:assert/strict';
import { describe } from 'node:test';
import { blob, event, imageManifest, push } from './builders.js';
import { byteSorted, storeTest, type StoreFactory } from './suite-support.js';

export function transactionTests(factory: StoreFactory): void {
  const test = storeTest(factory);

  describe('transactions', () => {
    test('a putManifest that fails midway leaves nothing behind', async (store) => {
      await store.appendEvents([event('taken')]);
      const m = imageManifest('atomic', 'm');
      await assert.rejects(
        store.putManifest(push(m, { tags: ['latest'], blobs: [blob('l').digest], events: [event('fresh'), event('taken')] })),
      );
      assert.equal(await store.getManifest('atomic', m.digest), undefined);
      assert.equal(await store.resolveTag('atomic', 'latest'), undefined);
      assert.deepEqual(await store.getReferences('atomic', m.digest), { blobs: [], manifests: [] });
      assert.equal(await store.repositoryExists('atomic'), false);
      assert.deepEqual((await store.listRepositories({})).items, []);
      assert.deepEqual((await store.readEvents(0, 10)).map((e) => e.id), ['evt-taken']);
      assert.equal(await store.blobReferenceCount(blob('l').digest), 0);
    });

    test('a failed tag move keeps the tag where it was', async (store) => {
      const m1 = imageManifest('app', 'm1');
      const m2 = imageManifest('app', 'm2');
      await store.putManifest(push(m1, { tags: ['latest'], events: [event('first')] }));
      await assert.rejects(store.putManifest(push(m2, { tags: ['latest'], events: [event('dup'), event('dup')] })));
      assert.equal(await store.resolveTag('app', 'latest'), m1.digest);
      assert.equal(await store.getManifest('app', m2.digest), undefined);
      assert.deepEqual((await store.readEvents(0, 10)).map((e) => e.id), ['evt-first']);
    });

    test('failed deletes and links change nothing', async (store) => {
      const m = imageManifest('app', 'm');
      const b = blob('b');
      await store.putManifest(push(m, { tags: ['latest'], events: [event('taken')] }));
      await store.linkBlob('app', b);
      await assert.rejects(store.deleteManifest('app', m.digest, [event('taken')]));
      await assert.rejects(store.deleteTag('app', 'latest', [event('taken')]));
      await assert.rejects(store.unlinkBlob('app', b.digest, [event('taken')]));
      await assert.rejects(store.linkBlob('new', blob('new'), [event('taken')]));
      assert.deepEqual(await store.getManifest('app', m.digest), m);
      assert.equal(await store.resolveTag('app', 'latest'), m.digest);
      assert.deepEqual(await store.getRepositoryBlob('app', b.digest), b);
      assert.equal(await store.getBlob(blob('new').digest), undefined);
      assert.equal(await store.repositoryExists('new'), false);
    });

    test('50 concurrent pushes moving one tag leave a consistent tag and a gapless move chain', async (store) => {
      const manifests = Array.from({ length: 50 }, (_, i) => imageManifest('race', `m${i}`));
      const results = await Promise.all(
        manifests.map((m, i) => store.putManifest(push(m, { tags: ['latest', `own-${i}`], events: [event(`race-${i}`)] }))),
      );
      assert.ok(results.every((r) => r.created));
      const final = (await store.resolveTag('race', 'latest')) ?? assert.fail('latest is missing');
      assert.ok((await store.tagsOf('race', final)).includes('latest'));
      const moves = results.flatMap((r) => r.movedTags);
      assert.ok(moves.every((move) => move.tag === 'latest'), 'only latest moved');
      // Every push but the first moved `latest` away from its predecessor:
      // each digest but the final holder was moved away from exactly once.
      const all = manifests.map((m) => m.digest);
      assert.deepEqual(byteSorted(moves.map((move) => move.from)), byteSorted(all.filter((d) => d !== final)));
      assert.equal((await store.listTags('race', {})).items.length, 51);
      assert.equal((await store.readEvents(0, 100)).length, 50);
    });

    test('concurrent pushes of one manifest create it once', async (store) => {
      const m = imageManifest('race', 'same');
      const results = await Promise.all(Array.from({ length: 20 }, () => store.putManifest(push(m, { tags: ['latest'] }))));
      assert.equal(results.filter((r) => r.created).length, 1);
      assert.ok(results.every((r) => r.movedTags.length === 0));
    });
  });
}
