/**
 * Conformance: immutable tags. `putManifest` refuses to move a tag named in
 * `immutableTags`, and `deleteManifest` with a guard refuses to remove a
 * protected tag, both inside their transaction (nothing is written), so the
 * refusal holds when pushes race.
 */
import assert from 'node:assert/strict';
import { describe } from 'node:test';
import { ImmutableTagError } from '../immutable-tag-error.js';
import { event, imageManifest, push } from './builders.js';
import { storeTest, type StoreFactory } from './suite-support.js';

/** Asserts `err` is the store's refusal for `tag`, which still points at `digest`. */
function isRefusal(tag: string, digest: string, change: 'move' | 'delete') {
  return (err: unknown): boolean => {
    assert.ok(err instanceof ImmutableTagError, `expected ImmutableTagError, got ${String(err)}`);
    assert.deepEqual([err.tag, err.digest, err.change], [tag, digest, change]);
    return true;
  };
}

export function immutableTagTests(factory: StoreFactory): void {
  const test = storeTest(factory);

  describe('immutable tags', () => {
    test('an immutable tag is created, re-pointed at its digest, and not moved', async (store) => {
      const m1 = imageManifest('rel', 'm1');
      const m2 = imageManifest('rel', 'm2');
      assert.deepEqual(await store.putManifest(push(m1, { tags: ['v1'], immutableTags: ['v1'] })), {
        created: true,
        movedTags: [],
      });
      assert.deepEqual(await store.putManifest(push(m1, { tags: ['v1'], immutableTags: ['v1'] })), {
        created: false,
        movedTags: [],
      });
      await assert.rejects(
        store.putManifest(push(m2, { tags: ['latest', 'v1'], immutableTags: ['v1'], events: [event('move')] })),
        isRefusal('v1', m1.digest, 'move'),
      );
      assert.equal(await store.resolveTag('rel', 'v1'), m1.digest);
      assert.equal(await store.getManifest('rel', m2.digest), undefined, 'the refused push wrote nothing');
      assert.equal(await store.resolveTag('rel', 'latest'), undefined);
      assert.deepEqual(await store.readEvents(0, 10), []);
    });

    test('only the tags named immutable are held; others in the same push move', async (store) => {
      const m1 = imageManifest('rel', 'm1');
      const m2 = imageManifest('rel', 'm2');
      await store.putManifest(push(m1, { tags: ['latest', 'v1'], immutableTags: ['v1'] }));
      const result = await store.putManifest(push(m2, { tags: ['latest', 'v2'], immutableTags: ['v2'] }));
      assert.deepEqual(result, { created: true, movedTags: [{ tag: 'latest', from: m1.digest }] });
      // Immutability is the caller's decision per push: unnamed, v1 may move.
      await store.putManifest(push(m2, { tags: ['v1'] }));
      assert.equal(await store.resolveTag('rel', 'v1'), m2.digest);
      assert.equal(await store.resolveTag('other', 'v1'), undefined);
    });

    test('deleteManifest with a guard refuses while a protected tag points at the manifest', async (store) => {
      const m = imageManifest('rel', 'm');
      const loose = imageManifest('rel', 'loose');
      await store.putManifest(push(m, { tags: ['dev', 'v1'], immutableTags: ['v1'] }));
      await store.putManifest(push(loose, { tags: ['dev-2'] }));
      const guard = { protectedTag: (tag: string) => tag.startsWith('v') };
      await assert.rejects(store.deleteManifest('rel', m.digest, [event('del')], guard), isRefusal('v1', m.digest, 'delete'));
      assert.deepEqual(await store.getManifest('rel', m.digest), m);
      assert.deepEqual(await store.tagsOf('rel', m.digest), ['dev', 'v1'], 'no tag removed');
      assert.deepEqual(await store.readEvents(0, 10), []);
      assert.deepEqual(await store.deleteManifest('rel', loose.digest, undefined, guard), loose, 'unprotected tags go');
      assert.equal(await store.resolveTag('rel', 'dev-2'), undefined);
      assert.equal(await store.deleteManifest('rel', loose.digest, undefined, guard), undefined);
      assert.deepEqual(await store.deleteManifest('rel', m.digest), m, 'without a guard nothing is protected');
    });

    test('20 concurrent pushes of different digests to one immutable tag: exactly one wins', async (store) => {
      const manifests = Array.from({ length: 20 }, (_, i) => imageManifest('race', `m${i}`));
      const settled = await Promise.allSettled(
        manifests.map((m, i) =>
          store.putManifest(push(m, { tags: ['v1', `own-${i}`], immutableTags: ['v1'], events: [event(`race-${i}`)] })),
        ),
      );
      const winners = settled.flatMap((s, i) => (s.status === 'fulfilled' ? [i] : []));
      assert.equal(winners.length, 1, `one push wins, got ${winners.length}`);
      const winner = manifests[winners[0]!]!;
      assert.equal(await store.resolveTag('race', 'v1'), winner.digest);
      for (const [i, s] of settled.entries()) {
        if (s.status === 'fulfilled') continue;
        isRefusal('v1', winner.digest, 'move')(s.reason);
        assert.equal(await store.getManifest('race', manifests[i]!.digest), undefined);
      }
      assert.deepEqual((await store.listTags('race', {})).items, [`own-${winners[0]!}`, 'v1']);
      assert.deepEqual((await store.readEvents(0, 100)).map((e) => e.id), [`evt-race-${winners[0]!}`]);
    });

    test('a guarded delete racing pushes that tag the manifest never removes a committed immutable tag', async (store) => {
      const m = imageManifest('race', 'm');
      await store.putManifest(push(m));
      const guard = { protectedTag: (tag: string) => tag === 'v1' };
      const [pushed, deleted] = await Promise.allSettled([
        store.putManifest(push(m, { tags: ['v1'], immutableTags: ['v1'] })),
        store.deleteManifest('race', m.digest, undefined, guard),
      ]);
      assert.equal(pushed.status, 'fulfilled', 'the push succeeds either way (it re-creates a deleted manifest)');
      // Either the delete ran first (and the push re-created the manifest),
      // or it saw the tag and refused: in both cases the tag stands.
      if (deleted.status === 'rejected') isRefusal('v1', m.digest, 'delete')(deleted.reason);
      assert.equal(await store.resolveTag('race', 'v1'), m.digest);
      assert.ok((await store.getManifest('race', m.digest)) !== undefined);
    });
  });
}
