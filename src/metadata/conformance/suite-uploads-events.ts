/** Conformance: upload sessions and the event outbox. */
import assert from 'node:assert/strict';
import { describe } from 'node:test';
import type { OutboxEvent, StoredEvent } from '../store.js';
import { blob, event, imageManifest, push, upload } from './builders.js';
import { storeTest, type StoreFactory } from './suite-support.js';

function assertIncreasing(events: StoredEvent[]): void {
  for (let i = 1; i < events.length; i += 1) {
    assert.ok((events[i]?.seq ?? 0) > (events[i - 1]?.seq ?? 0), `seq increases at ${i}`);
  }
}

export function uploadAndEventTests(factory: StoreFactory): void {
  const test = storeTest(factory);

  describe('upload sessions', () => {
    test('createUpload and getUpload round-trip; ids are unique', async (store) => {
      const session = upload('a', { repo: 'app', algorithm: 'sha512', createdAt: 5, updatedAt: 6 });
      await store.createUpload(session);
      assert.deepEqual(await store.getUpload(session.id), session);
      assert.equal(await store.getUpload('upload-missing'), undefined);
      await assert.rejects(store.createUpload(upload('a')));
      assert.deepEqual(await store.getUpload(session.id), session);
    });

    test('updateUpload is a compare-and-set on the offset', async (store) => {
      const session = upload('cas', { driverState: '{"part":1}' });
      await store.createUpload(session);
      assert.equal(await store.updateUpload(session.id, 0, { offset: 100, updatedAt: 2000 }), true);
      assert.equal(await store.updateUpload(session.id, 0, { offset: 50, updatedAt: 3000 }), false, 'stale offset');
      assert.deepEqual(await store.getUpload(session.id), { ...session, offset: 100, updatedAt: 2000 }, 'driverState kept');
      assert.equal(await store.updateUpload(session.id, 100, { offset: 300, updatedAt: 4000, driverState: '{"part":2}' }), true);
      assert.equal((await store.getUpload(session.id))?.driverState, '{"part":2}');
      assert.equal(await store.updateUpload(session.id, 300, { offset: 300, updatedAt: 5000, driverState: null }), true);
      assert.deepEqual(await store.getUpload(session.id), { ...session, offset: 300, updatedAt: 5000, driverState: null });
      assert.equal(await store.updateUpload('upload-missing', 0, { offset: 1, updatedAt: 1 }), false);
    });

    test('concurrent updates from one offset: exactly one wins', async (store) => {
      await store.createUpload(upload('race'));
      const results = await Promise.all(
        Array.from({ length: 10 }, (_, i) => store.updateUpload('upload-race', 0, { offset: 10 + i, updatedAt: 2 })),
      );
      assert.equal(results.filter(Boolean).length, 1);
    });

    test('deleteUpload reports whether the session existed', async (store) => {
      await store.createUpload(upload('d'));
      assert.equal(await store.deleteUpload('upload-d'), true);
      assert.equal(await store.deleteUpload('upload-d'), false);
      assert.equal(await store.getUpload('upload-d'), undefined);
    });

    test('listStaleUploads returns sessions idle before a time, oldest first', async (store) => {
      for (const [label, updatedAt] of [['c', 30], ['a', 10], ['d', 40], ['b', 20]] as const) {
        await store.createUpload(upload(label, { createdAt: 1, updatedAt }));
      }
      const ids = async (before: number, limit: number) => (await store.listStaleUploads(before, limit)).map((s) => s.id);
      assert.deepEqual(await ids(30, 10), ['upload-a', 'upload-b']);
      assert.deepEqual(await ids(1000, 3), ['upload-a', 'upload-b', 'upload-c']);
      assert.deepEqual(await ids(10, 10), [], 'strictly before');
      await store.updateUpload('upload-a', 0, { offset: 5, updatedAt: 50 });
      assert.deepEqual(await ids(45, 10), ['upload-b', 'upload-c', 'upload-d']);
      assert.deepEqual(await store.listStaleUploads(25, 10), [upload('b', { createdAt: 1, updatedAt: 20 })], 'whole sessions');
    });
  });

  describe('events', () => {
    test('appendEvents stores events in order with payloads', async (store) => {
      const payloads = [{ target: { digest: 'sha256:x', tags: ['a'] } }, ['list', 1], 'text', null];
      await store.appendEvents(payloads.map((payload, i) => event(`p${i}`, 'app', 'pull', payload)));
      await store.appendEvents([]);
      const events = await store.readEvents(0, 100);
      assert.deepEqual(
        events.map(({ seq: _seq, ...rest }) => rest),
        payloads.map((payload, i) => event(`p${i}`, 'app', 'pull', payload)),
      );
      assertIncreasing(events);
      assert.ok((events[0]?.seq ?? 0) > 0, 'seq starts above the initial cursor 0');
      const first = events[0]?.seq ?? assert.fail();
      assert.deepEqual((await store.readEvents(first, 100)).map((e) => e.id), ['evt-p1', 'evt-p2', 'evt-p3']);
      assert.deepEqual((await store.readEvents(first, 2)).map((e) => e.id), ['evt-p1', 'evt-p2']);
      assert.deepEqual(await store.readEvents(events.at(-1)?.seq ?? 0, 10), []);
      assert.deepEqual(await store.readEvents(0, 0), []);
      for (const bad of [-1, 1.5, Number.NaN]) await assert.rejects(store.readEvents(0, bad), RangeError, `limit ${bad}`);
    });

    test('changes write their events in commit order; deletes that find nothing write none', async (store) => {
      const b = blob('b');
      const m = imageManifest('app', 'm');
      await store.linkBlob('app', b, [event('link', 'app', 'push')]);
      await store.putManifest(push(m, { tags: ['t'], events: [event('put-1'), event('put-2')] }));
      await store.deleteTag('app', 't', [event('tag-delete', 'app', 'delete')]);
      await store.deleteTag('app', 't', [event('tag-delete-again', 'app', 'delete')]);
      await store.deleteManifest('app', m.digest, [event('manifest-delete', 'app', 'delete')]);
      await store.deleteManifest('app', m.digest, [event('manifest-delete-again', 'app', 'delete')]);
      await store.unlinkBlob('app', b.digest, [event('unlink', 'app', 'delete')]);
      await store.unlinkBlob('app', b.digest, [event('unlink-again', 'app', 'delete')]);
      const events = await store.readEvents(0, 100);
      assert.deepEqual(
        events.map((e) => e.id),
        ['evt-link', 'evt-put-1', 'evt-put-2', 'evt-tag-delete', 'evt-manifest-delete', 'evt-unlink'],
      );
      assertIncreasing(events);
    });

    test('concurrent appends get unique, increasing seqs, each batch contiguous', async (store) => {
      await Promise.all(
        Array.from({ length: 20 }, (_, batch) =>
          store.appendEvents([0, 1, 2].map((i) => event(`b${batch}-${i}`))),
        ),
      );
      const events = await store.readEvents(0, 1000);
      assert.equal(events.length, 60);
      assertIncreasing(events);
      for (let i = 0; i < events.length; i += 3) {
        const ids = events.slice(i, i + 3).map((e) => e.id);
        const batch = /^evt-(b\d+)-0$/.exec(ids[0] ?? '')?.[1] ?? assert.fail(`batch start at ${i}: ${String(ids[0])}`);
        assert.deepEqual(ids, [0, 1, 2].map((n) => `evt-${batch}-${n}`));
      }
    });

    test('cursors start at 0 and are kept per sink', async (store) => {
      assert.equal(await store.getCursor('webhook-a'), 0);
      await store.setCursor('webhook-a', 5);
      await store.setCursor('webhook-b', 2);
      await store.setCursor('webhook-a', 7);
      assert.equal(await store.getCursor('webhook-a'), 7);
      assert.equal(await store.getCursor('webhook-b'), 2);
    });

    test('listCursors names only sinks that stored a cursor, even a cursor of 0', async (store) => {
      assert.deepEqual(await store.listCursors(), {});
      await store.getCursor('never-stored');
      await store.setCursor('webhook-b', 0);
      await store.setCursor('webhook-a', 3);
      assert.deepEqual(await store.listCursors(), { 'webhook-a': 3, 'webhook-b': 0 });
    });

    test('pruneEvents deletes delivered events older than a time; seqs and lastSeq go on', async (store) => {
      const at = (label: string, createdAt: number): OutboxEvent => ({ ...event(label), createdAt });
      await store.appendEvents([at('a', 100), at('b', 200), at('c', 300)]);
      const [first, second, third] = (await store.readEvents(0, 10)).map((e) => e.seq);
      assert.equal(await store.pruneEvents(second ?? assert.fail(), 150), 1, 'only events before the time');
      assert.deepEqual((await store.readEvents(0, 10)).map((e) => e.seq), [second, third]);
      assert.equal(await store.pruneEvents(second ?? assert.fail(), 1000), 1, 'only up to the seq');
      assert.deepEqual((await store.readEvents(0, 10)).map((e) => e.seq), [third]);
      assert.equal(await store.pruneEvents(third ?? assert.fail(), 1000), 1);
      assert.deepEqual(await store.countEvents(0), { count: 0, lastSeq: third }, 'the last seq survives pruning');
      await store.appendEvents([at('d', 400)]);
      const [next] = (await store.readEvents(0, 10)).map((e) => e.seq);
      assert.ok((next ?? 0) > (third ?? 0) && (first ?? 0) < (second ?? 0), 'seqs are never reused');
    });

    test('countEvents counts the backlog after a seq and reports the last seq', async (store) => {
      assert.deepEqual(await store.countEvents(0), { count: 0, lastSeq: 0 });
      await store.appendEvents([event('c1'), event('c2'), event('c3')]);
      const events = await store.readEvents(0, 10);
      const [first, , last] = events.map((e) => e.seq);
      assert.deepEqual(await store.countEvents(0), { count: 3, lastSeq: last });
      assert.deepEqual(await store.countEvents(first ?? assert.fail()), { count: 2, lastSeq: last });
      assert.deepEqual(await store.countEvents(last ?? assert.fail()), { count: 0, lastSeq: last });
    });
  });
}
