/** Conformance: leases for background work (one holder at a time). */
import assert from 'node:assert/strict';
import { describe } from 'node:test';
import { storeTest, type StoreFactory } from './suite-support.js';

const TTL = 1000;

export function leaseTests(factory: StoreFactory): void {
  const test = storeTest(factory);

  describe('leases', () => {
    test('a free lease is taken; another holder is refused while it lasts', async (store) => {
      assert.equal(await store.acquireLease('gc', 'a', TTL, 10_000), true);
      assert.equal(await store.acquireLease('gc', 'b', TTL, 10_000), false);
      assert.equal(await store.acquireLease('gc', 'b', TTL, 10_999), false, 'one ms before expiry');
      assert.equal(await store.acquireLease('upload-expiry', 'b', TTL, 10_000), true, 'leases are independent');
    });

    test('holders racing for a free lease: exactly one wins', async (store) => {
      const holders = Array.from({ length: 12 }, (_, i) => `holder-${i}`);
      const results = await Promise.all(holders.map((h) => store.acquireLease('race', h, TTL, 5000)));
      assert.equal(results.filter(Boolean).length, 1, results.join());
      const winner = holders[results.indexOf(true)] ?? '';
      assert.equal(await store.acquireLease('race', winner, TTL, 5100), true, 'the winner holds it');
    });

    test('holders racing for an expired lease: exactly one wins', async (store) => {
      assert.equal(await store.acquireLease('race', 'old', TTL, 0), true);
      const holders = Array.from({ length: 12 }, (_, i) => `holder-${i}`);
      const results = await Promise.all(holders.map((h) => store.acquireLease('race', h, TTL, 5000)));
      assert.equal(results.filter(Boolean).length, 1, results.join());
      assert.equal(await store.acquireLease('race', 'old', TTL, 5000), false, 'the old holder lost it');
    });

    test('an expired lease hands over to another holder', async (store) => {
      assert.equal(await store.acquireLease('gc', 'a', TTL, 1000), true);
      assert.equal(await store.acquireLease('gc', 'b', TTL, 2000), true, 'at expiresAt the lease is free');
      assert.equal(await store.acquireLease('gc', 'a', TTL, 2500), false, 'the old holder cannot take it back');
      assert.equal(await store.acquireLease('gc', 'b', TTL, 2500), true);
    });

    test('renewing keeps the lease past the first expiry', async (store) => {
      assert.equal(await store.acquireLease('gc', 'a', TTL, 1000), true);
      assert.equal(await store.acquireLease('gc', 'a', TTL, 1800), true, 'renewed until 2800');
      assert.equal(await store.acquireLease('gc', 'b', TTL, 2500), false, 'still held after the first expiry');
      assert.equal(await store.acquireLease('gc', 'b', TTL, 2800), true, 'free once the renewal runs out');
    });

    test('release frees the lease at once; releasing what another holds changes nothing', async (store) => {
      assert.equal(await store.acquireLease('gc', 'a', TTL, 1000), true);
      await store.releaseLease('gc', 'b');
      assert.equal(await store.acquireLease('gc', 'b', TTL, 1100), false, "b's release did not free a's lease");
      await store.releaseLease('gc', 'a');
      await store.releaseLease('gc', 'a');
      await store.releaseLease('never-taken', 'a');
      assert.equal(await store.acquireLease('gc', 'b', TTL, 1100), true);
    });

    test('a bad ttl or time is refused', async (store) => {
      await assert.rejects(store.acquireLease('gc', 'a', 0, 1000), RangeError);
      await assert.rejects(store.acquireLease('gc', 'a', 1.5, 1000), RangeError);
      await assert.rejects(store.acquireLease('gc', 'a', TTL, Number.NaN), RangeError);
      assert.equal(await store.acquireLease('gc', 'b', TTL, 1000), true, 'nothing was taken');
    });
  });
}
