/** Conformance: manifests and tags (records, tag moves, deletes, references). */
import assert from 'node:assert/strict';
import { describe } from 'node:test';
import { MEDIA_TYPES, blob, imageManifest, indexManifest, push } from './builders.js';
import { assertPagination, storeTest, type StoreFactory } from './suite-support.js';

export function manifestTests(factory: StoreFactory): void {
  const test = storeTest(factory);

  describe('manifests', () => {
    test('putManifest records a manifest that getManifest returns exactly', async (store) => {
      const image = imageManifest('app', 'img', { annotations: { 'org.opencontainers.image.title': 'app', empty: '' } });
      const idx = indexManifest('app', 'idx');
      assert.deepEqual(await store.putManifest(push(image)), { created: true, movedTags: [] });
      assert.deepEqual(await store.putManifest(push(idx)), { created: true, movedTags: [] });
      assert.deepEqual(await store.getManifest('app', image.digest), image);
      assert.deepEqual(await store.getManifest('app', idx.digest), idx);
      assert.equal((await store.getManifest('app', idx.digest))?.annotations, null);
      assert.equal(await store.getManifest('other', image.digest), undefined);
      assert.equal(await store.getManifest('app', imageManifest('app', 'unknown').digest), undefined);
    });

    test('pushing a held manifest again is not a creation and keeps its push time', async (store) => {
      const first = imageManifest('app', 'm', { createdAt: 100 });
      await store.putManifest(push(first));
      const again = { ...first, annotations: { note: 'second' }, createdAt: 200 };
      assert.deepEqual(await store.putManifest(push(again)), { created: false, movedTags: [] });
      assert.deepEqual(await store.getManifest('app', first.digest), { ...again, createdAt: 100 });
      assert.deepEqual(await store.putManifest(push({ ...first, repo: 'copy' })), { created: true, movedTags: [] });
    });

    test('the bytes given with a manifest come back exactly, per repository, and survive a re-record without them', async (store) => {
      const m = imageManifest('app', 'bytes');
      // Every byte value, a NUL and bytes that are not UTF-8: stored as binary, not text.
      const body = Buffer.concat([Buffer.from('{"schemaVersion":2}\u0000'), Buffer.from(Array.from({ length: 256 }, (_, i) => i))]);
      await store.putManifest({ ...push(m), body });
      assert.deepEqual(await store.getManifestBody('app', m.digest), body);
      assert.equal(await store.getManifestBody('other', m.digest), undefined);
      assert.equal(await store.getManifestBody('app', imageManifest('app', 'unknown').digest), undefined);
      await store.putManifest(push({ ...m, artifactType: 'application/vnd.example.reclassified' }));
      assert.deepEqual(await store.getManifestBody('app', m.digest), body, 'a re-record without bytes keeps them');
      const bare = imageManifest('app', 'bare');
      await store.putManifest(push(bare));
      assert.equal(await store.getManifestBody('app', bare.digest), undefined, 'recorded without bytes');
      await store.putManifest({ ...push(bare), body: Buffer.from('late') });
      assert.deepEqual(await store.getManifestBody('app', bare.digest), Buffer.from('late'));
      await store.deleteManifest('app', m.digest);
      assert.equal(await store.getManifestBody('app', m.digest), undefined, 'deleted with its record');
    });

    test('tags point at a manifest; tagsOf is sorted', async (store) => {
      const m = imageManifest('app', 'm');
      await store.putManifest(push(m, { tags: ['v1', 'latest', 'V1', 'v1'] }));
      assert.deepEqual(await store.tagsOf('app', m.digest), ['V1', 'latest', 'v1']);
      assert.equal(await store.resolveTag('app', 'latest'), m.digest);
      assert.equal(await store.resolveTag('app', 'missing'), undefined);
      assert.equal(await store.resolveTag('other', 'latest'), undefined);
      assert.deepEqual(await store.tagsOf('app', imageManifest('app', 'x').digest), []);
      assert.deepEqual(await store.getTaggedManifest('app', 'latest'), m);
      assert.deepEqual(await store.getTaggedManifest('app', 'latest'), await store.getManifest('app', m.digest));
      assert.equal(await store.getTaggedManifest('app', 'missing'), undefined);
      assert.equal(await store.getTaggedManifest('other', 'latest'), undefined);
    });

    test('putManifest reports tags moved from another digest', async (store) => {
      const m1 = imageManifest('app', 'm1');
      const m2 = imageManifest('app', 'm2');
      await store.putManifest(push(m1, { tags: ['latest', 'stable', 'v1'] }));
      const result = await store.putManifest(push(m2, { tags: ['v2', 'stable', 'latest'] }));
      assert.equal(result.created, true);
      assert.deepEqual(
        [...result.movedTags].sort((a, b) => a.tag.localeCompare(b.tag)),
        [
          { tag: 'latest', from: m1.digest },
          { tag: 'stable', from: m1.digest },
        ],
      );
      assert.deepEqual(await store.putManifest(push(m2, { tags: ['latest'] })), { created: false, movedTags: [] });
      assert.deepEqual(await store.tagsOf('app', m1.digest), ['v1']);
      assert.deepEqual(await store.tagsOf('app', m2.digest), ['latest', 'stable', 'v2']);
      await store.putManifest(push(imageManifest('elsewhere', 'm1'), { tags: ['latest'] }));
      assert.equal(await store.resolveTag('app', 'latest'), m2.digest, 'tags are per repository');
      assert.deepEqual(await store.getTaggedManifest('app', 'latest'), m2, 'a moved tag answers its new manifest');
      assert.deepEqual(await store.getTaggedManifest('elsewhere', 'latest'), imageManifest('elsewhere', 'm1'));
    });

    test('deleteManifest removes the manifest, its tags and its references', async (store) => {
      const layer = blob('layer');
      const doomed = imageManifest('app', 'doomed');
      const kept = imageManifest('app', 'kept');
      await store.putManifest(push(doomed, { tags: ['a', 'b'], blobs: [layer.digest] }));
      await store.putManifest(push(kept, { tags: ['c'] }));
      assert.deepEqual(await store.deleteManifest('app', doomed.digest), doomed);
      assert.equal(await store.getManifest('app', doomed.digest), undefined);
      assert.equal(await store.resolveTag('app', 'a'), undefined);
      assert.equal(await store.getTaggedManifest('app', 'a'), undefined, 'gone with its manifest');
      assert.deepEqual(await store.listTags('app', {}), { items: ['c'], more: false });
      assert.deepEqual(await store.getReferences('app', doomed.digest), { blobs: [], manifests: [] });
      assert.equal(await store.deleteManifest('app', doomed.digest), undefined);
      assert.equal(await store.deleteManifest('other', kept.digest), undefined);
      assert.deepEqual(await store.getManifest('app', kept.digest), kept);
      await store.putManifest(push(doomed));
      assert.deepEqual(await store.tagsOf('app', doomed.digest), [], 'pushing it again brings no tag back');
    });

    test('deleteTag removes one tag and returns its digest', async (store) => {
      const m = imageManifest('app', 'm');
      await store.putManifest(push(m, { tags: ['latest', 'v1'] }));
      assert.equal(await store.deleteTag('app', 'latest'), m.digest);
      assert.equal(await store.deleteTag('app', 'latest'), undefined);
      assert.equal(await store.deleteTag('other', 'v1'), undefined);
      assert.deepEqual(await store.tagsOf('app', m.digest), ['v1']);
      assert.deepEqual(await store.getManifest('app', m.digest), m, 'the manifest stays');
    });

    test('lists tags in byte order with n/last pagination', async (store) => {
      const tags = ['a_b', 'a.b', 'v10', 'a-b', 'a', 'B', 'A', '_x', '0', 'v1.0', 'v1.0.1', 'v1.0-rc'];
      const one = imageManifest('app', 'one');
      const two = imageManifest('app', 'two');
      await store.putManifest(push(one, { tags: tags.slice(0, 6) }));
      await store.putManifest(push(two, { tags: tags.slice(6) }));
      const expected = ['0', 'A', 'B', '_x', 'a', 'a-b', 'a.b', 'a_b', 'v1.0', 'v1.0-rc', 'v1.0.1', 'v10'];
      await assertPagination((page) => store.listTags('app', page), expected, (tag) => tag);
      assert.deepEqual(await store.listTags('empty', {}), { items: [], more: false });
      assert.deepEqual(await store.listTags('app', { last: 'Z', limit: 2 }), { items: ['_x', 'a'], more: true });
    });

    test('getReferences returns what the manifest points at, replaced on each push', async (store) => {
      const [l1, l2, l3] = [blob('l1'), blob('l2'), blob('l3')];
      const child = imageManifest('app', 'child');
      const idx = indexManifest('app', 'idx', { artifactType: MEDIA_TYPES.bundle });
      await store.putManifest(push(idx, { manifests: [child.digest, child.digest], blobs: [l3.digest, l1.digest] }));
      const refs = await store.getReferences('app', idx.digest);
      assert.deepEqual(refs.manifests, [child.digest]);
      assert.deepEqual(refs.blobs, [l1.digest, l3.digest].sort());
      await store.putManifest(push(idx, { blobs: [l2.digest] }));
      assert.deepEqual(await store.getReferences('app', idx.digest), { blobs: [l2.digest], manifests: [] });
      assert.deepEqual(await store.getReferences('app', child.digest), { blobs: [], manifests: [] });
      assert.deepEqual(await store.getReferences('other', idx.digest), { blobs: [], manifests: [] });
    });
  });
}
