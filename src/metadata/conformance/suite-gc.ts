/**
 * Conformance: what garbage collection, retention and quotas use: link and
 * tag walks, the storage-usage aggregate and the conditional deletes.
 */
import assert from 'node:assert/strict';
import { describe } from 'node:test';
import { blob, imageManifest, indexManifest, push, upload } from './builders.js';
import { assertPagination, byteSorted, storeTest, type StoreFactory } from './suite-support.js';

export function gcTests(factory: StoreFactory): void {
  const test = storeTest(factory);

  describe('garbage collection, retention and quotas', () => {
    test('listRepositoryLinks lists one repository’s links with size and link time, by digest', async (store) => {
      const blobs = ['a', 'b', 'c', 'd'].map((label, i) => blob(label, 10 + i, 100 + i));
      for (const b of blobs) await store.linkBlob('app', b);
      await store.linkBlob('other', blob('elsewhere'));
      await store.linkBlob('app', { ...(blobs[0] ?? assert.fail()), createdAt: 999 }); // already linked: unchanged
      const expected = byteSorted(blobs.map((b) => b.digest)).map((digest) => {
        const b = blobs.find((x) => x.digest === digest) ?? assert.fail();
        return { digest, size: b.size, linkedAt: b.createdAt };
      });
      await assertPagination(
        (page) => store.listRepositoryLinks('app', page),
        expected,
        (l) => l.digest,
      );
      assert.deepEqual(await store.listRepositoryLinks('nowhere', {}), { items: [], more: false });
    });

    test('listTagRecords lists tags with their digest and last move time, by name', async (store) => {
      const one = imageManifest('app', 'one', { createdAt: 10 });
      const two = imageManifest('app', 'two', { createdAt: 20 });
      await store.putManifest(push(one, { tags: ['v1', 'latest', 'b'] }));
      await store.putManifest(push(two, { tags: ['v2', 'latest'] }));
      const expected = [
        { name: 'b', digest: one.digest, updatedAt: 10 },
        { name: 'latest', digest: two.digest, updatedAt: 20 },
        { name: 'v1', digest: one.digest, updatedAt: 10 },
        { name: 'v2', digest: two.digest, updatedAt: 20 },
      ];
      await assertPagination(
        (page) => store.listTagRecords('app', page),
        expected,
        (t) => t.name,
      );
    });

    test('storageUsage sums distinct linked blobs and manifests of the selected repositories', async (store) => {
      const shared = blob('shared', 1000);
      const onlyA = blob('only-a', 200);
      const onlyB = blob('only-b', 30);
      await store.linkBlob('team-a/x', shared);
      await store.linkBlob('team-a/y', shared);
      await store.linkBlob('team-a/x', onlyA);
      await store.linkBlob('team-b/x', onlyB);
      const m = imageManifest('team-a/y', 'm', { size: 4 });
      await store.putManifest(push(m, { blobs: [shared.digest] }));
      await store.putManifest(push({ ...m, repo: 'team-a/x' }, { blobs: [shared.digest] }));

      assert.deepEqual(await store.storageUsage({ prefix: 'team-a/' }), { bytes: 1204, objects: 3 }, 'shared once');
      assert.deepEqual(await store.storageUsage({ names: ['team-a/x'] }), { bytes: 1204, objects: 3 });
      assert.deepEqual(await store.storageUsage({ names: ['team-a/y'] }), { bytes: 1004, objects: 2 });
      assert.deepEqual(await store.storageUsage({ names: ['team-a/y', 'team-b/x'] }), { bytes: 1034, objects: 3 });
      assert.deepEqual(await store.storageUsage({ prefix: '' }), { bytes: 1234, objects: 4 });
      assert.deepEqual(await store.storageUsage({ prefix: 'team-c/' }), { bytes: 0, objects: 0 });
      assert.deepEqual(await store.storageUsage({ names: [] }), { bytes: 0, objects: 0 });
      assert.deepEqual(
        await store.storageUsage({ prefix: 'team-a/' }, { digest: shared.digest, size: shared.size }),
        { bytes: 1204, objects: 3 },
        'adding a digest already counted adds nothing',
      );
      assert.deepEqual(
        await store.storageUsage({ prefix: 'team-a/' }, { digest: onlyB.digest, size: 30 }),
        { bytes: 1234, objects: 4 },
        'adding a new digest adds its size',
      );
      assert.deepEqual(await store.storageUsage({ names: [] }, { digest: onlyB.digest, size: 30 }), {
        bytes: 30,
        objects: 1,
      });
    });

    test('deleteUnreferencedManifest deletes only untagged manifests no index lists', async (store) => {
      const tagged = imageManifest('app', 'tagged');
      const child = imageManifest('app', 'child');
      const idx = indexManifest('app', 'idx');
      const loose = imageManifest('app', 'loose');
      const layer = blob('layer');
      await store.linkBlob('app', layer);
      await store.putManifest(push(tagged, { tags: ['v1'], blobs: [layer.digest] }));
      await store.putManifest(push(child, { blobs: [layer.digest] }));
      await store.putManifest(push(idx, { manifests: [child.digest] }));
      await store.putManifest(push(loose, { blobs: [layer.digest] }));

      assert.equal(await store.deleteUnreferencedManifest('app', tagged.digest), undefined, 'tagged');
      assert.equal(await store.deleteUnreferencedManifest('app', child.digest), undefined, 'listed by an index');
      assert.equal(await store.deleteUnreferencedManifest('app', blob('unknown').digest), undefined, 'missing');
      assert.deepEqual(await store.deleteUnreferencedManifest('app', loose.digest), loose);
      assert.equal(await store.getManifest('app', loose.digest), undefined);
      assert.deepEqual(await store.getReferences('app', loose.digest), { blobs: [], manifests: [] });

      assert.deepEqual(await store.deleteUnreferencedManifest('app', idx.digest), idx, 'an untagged index');
      assert.deepEqual(await store.deleteUnreferencedManifest('app', child.digest), child, 'no longer listed');
      assert.ok(await store.getManifest('app', tagged.digest));
    });

    test('deleteUnreferencedManifest writes its events only when it deletes', async (store) => {
      const m = imageManifest('app', 'm');
      await store.putManifest(push(m, { tags: ['t'] }));
      const before = await store.countEvents(0);
      await store.deleteUnreferencedManifest('app', m.digest, [
        { id: 'evt-refused', action: 'delete', repo: 'app', payload: {}, createdAt: 1 },
      ]);
      assert.deepEqual(await store.countEvents(0), before);
      await store.deleteTag('app', 't');
      await store.deleteUnreferencedManifest('app', m.digest, [
        { id: 'evt-done', action: 'delete', repo: 'app', payload: {}, createdAt: 1 },
      ]);
      assert.equal((await store.countEvents(0)).count, before.count + 1);
    });

    test('deleteTagIfAt deletes a tag only while it points at the digest', async (store) => {
      const one = imageManifest('app', 'one');
      const two = imageManifest('app', 'two');
      await store.putManifest(push(one, { tags: ['latest'] }));
      await store.putManifest(push(two, { tags: ['latest'] }));
      assert.equal(await store.deleteTagIfAt('app', 'latest', one.digest), false, 'moved on');
      assert.equal(await store.resolveTag('app', 'latest'), two.digest);
      assert.equal(await store.deleteTagIfAt('app', 'latest', two.digest), true);
      assert.equal(await store.resolveTag('app', 'latest'), undefined);
      assert.equal(await store.deleteTagIfAt('app', 'latest', two.digest), false, 'already gone');
      assert.ok(await store.getManifest('app', two.digest), 'the manifest stays');
    });

    test('deleteBlobRecordIfUnreferenced keeps referenced records', async (store) => {
      const linked = blob('linked');
      const used = blob('used');
      const free = blob('free');
      await store.linkBlob('app', linked);
      await store.linkBlob('app', used);
      await store.linkBlob('app', free);
      await store.putManifest(push(imageManifest('app', 'm'), { blobs: [used.digest] }));
      await store.unlinkBlob('app', used.digest);
      await store.unlinkBlob('app', free.digest);
      assert.equal(await store.deleteBlobRecordIfUnreferenced(linked.digest), false, 'linked');
      assert.equal(await store.deleteBlobRecordIfUnreferenced(used.digest), false, 'referenced by a manifest');
      assert.equal(await store.deleteBlobRecordIfUnreferenced(free.digest), true);
      assert.equal(await store.deleteBlobRecordIfUnreferenced(free.digest), false, 'already gone');
      assert.equal(await store.getBlob(free.digest), undefined);
      assert.ok(await store.getBlob(linked.digest));
      assert.ok(await store.getBlob(used.digest));
    });

    test('hasUploadOfSize tells whether an open session holds exactly that many bytes', async (store) => {
      assert.equal(await store.hasUploadOfSize(0), false);
      await store.createUpload(upload('a', { offset: 0 }));
      await store.createUpload(upload('b', { offset: 4096 }));
      assert.equal(await store.hasUploadOfSize(0), true);
      assert.equal(await store.hasUploadOfSize(4096), true);
      assert.equal(await store.hasUploadOfSize(4095), false);
      await store.updateUpload('upload-b', 4096, { offset: 5000, updatedAt: 2000 });
      assert.equal(await store.hasUploadOfSize(4096), false);
      await store.deleteUpload('upload-a');
      assert.equal(await store.hasUploadOfSize(0), false);
    });
  });
}
