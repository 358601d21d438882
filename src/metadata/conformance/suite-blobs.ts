/** Conformance: blobs (registry-wide records, repository links, reference counts). */
import assert from 'node:assert/strict';
import { describe } from 'node:test';
import { blob, imageManifest, indexManifest, push } from './builders.js';
import { assertPagination, byteSorted, storeTest, type StoreFactory } from './suite-support.js';

export function blobTests(factory: StoreFactory): void {
  const test = storeTest(factory);

  describe('blobs', () => {
    test('linkBlob is idempotent and reports a new link', async (store) => {
      const b = blob('layer', 2048, 10);
      assert.equal(await store.linkBlob('app', b), true);
      assert.equal(await store.linkBlob('app', b), false);
      assert.equal(await store.linkBlob('other', { ...b, createdAt: 20 }), true, 'a new link in another repository');
      assert.deepEqual(await store.getBlob(b.digest), b, 'the first record is kept');
      assert.deepEqual((await store.listBlobs({})).items, [b], 'stored once');
    });

    test('concurrent links of one blob create one link', async (store) => {
      const b = blob('raced');
      const results = await Promise.all(Array.from({ length: 10 }, () => store.linkBlob('app', b)));
      assert.equal(results.filter(Boolean).length, 1);
    });

    test('getBlob is registry-wide, getRepositoryBlob per repository', async (store) => {
      const b = blob('isolated', 77, 5);
      await store.linkBlob('team-a/app', b);
      assert.deepEqual(await store.getBlob(b.digest), b);
      assert.deepEqual(await store.getRepositoryBlob('team-a/app', b.digest), b);
      assert.equal(await store.getRepositoryBlob('team-b/app', b.digest), undefined);
      assert.equal(await store.getBlob(blob('unknown').digest), undefined);
      assert.equal(await store.getRepositoryBlob('team-a/app', blob('unknown').digest), undefined);
    });

    test('unlinkBlob removes one link and reports whether it existed', async (store) => {
      const b = blob('layer');
      await store.linkBlob('a', b);
      await store.linkBlob('b', b);
      assert.equal(await store.unlinkBlob('a', b.digest), true);
      assert.equal(await store.unlinkBlob('a', b.digest), false);
      assert.equal(await store.unlinkBlob('nowhere', b.digest), false);
      assert.equal(await store.getRepositoryBlob('a', b.digest), undefined);
      assert.deepEqual(await store.getRepositoryBlob('b', b.digest), b);
      assert.deepEqual(await store.getBlob(b.digest), b, 'the record outlives its links');
    });

    test('blobReferenceCount counts links, manifest references and manifest rows', async (store) => {
      const layer = blob('layer');
      assert.equal(await store.blobReferenceCount(layer.digest), 0);
      await store.linkBlob('a', layer);
      await store.linkBlob('b', layer);
      assert.equal(await store.blobReferenceCount(layer.digest), 2);
      const m = imageManifest('c', 'uses-layer');
      await store.putManifest(push(m, { blobs: [layer.digest, layer.digest] }));
      assert.equal(await store.blobReferenceCount(layer.digest), 3, 'a manifest in another repository counts once');
      assert.equal(await store.blobReferenceCount(m.digest), 1, 'the manifest bytes are referenced by its row');
      const idx = indexManifest('c', 'idx');
      await store.putManifest(push(idx, { manifests: [m.digest] }));
      assert.equal(await store.blobReferenceCount(m.digest), 2, 'and by an index listing it');
      await store.unlinkBlob('a', layer.digest);
      assert.equal(await store.blobReferenceCount(layer.digest), 2);
      await store.deleteManifest('c', m.digest);
      assert.equal(await store.blobReferenceCount(layer.digest), 1);
      await store.deleteManifest('c', idx.digest);
      assert.equal(await store.blobReferenceCount(m.digest), 0);
    });

    test('deleteBlobRecord forgets the blob and its links', async (store) => {
      const gone = blob('gone');
      const kept = blob('kept');
      await store.linkBlob('app', gone);
      await store.linkBlob('app', kept);
      await store.deleteBlobRecord(gone.digest);
      await store.deleteBlobRecord(gone.digest);
      assert.equal(await store.getBlob(gone.digest), undefined);
      assert.equal(await store.getRepositoryBlob('app', gone.digest), undefined);
      assert.deepEqual((await store.listBlobs({})).items, [kept]);
      assert.equal(await store.blobReferenceCount(gone.digest), 0);
    });

    test('listBlobs pages by digest', async (store) => {
      const blobs = ['a', 'b', 'c', 'd', 'e', 'f'].map((label, i) => blob(label, 100 + i, i));
      for (const [i, b] of blobs.entries()) await store.linkBlob(i % 2 === 0 ? 'even' : 'odd', b);
      await store.linkBlob('odd', blobs[0] ?? assert.fail());
      const byDigest = byteSorted(blobs.map((b) => b.digest)).map((d) => blobs.find((b) => b.digest === d) ?? assert.fail());
      await assertPagination((page) => store.listBlobs(page), byDigest, (b) => b.digest);
    });
  });
}
