/**
 * The metadata-store conformance suite: every {@link MetadataStore}
 * implementation runs it (SQLite in `sqlite-store.test.ts`, PostgreSQL in
 * its own test file).
 *
 * Each test gets a fresh, migrated, empty store from the factory and calls
 * its `cleanup()` afterwards, pass or fail. Tests assume nothing about seq
 * values except that they are positive and increasing.
 */
import { describe } from 'node:test';
import assert from 'node:assert/strict';
import type { MetadataStore } from '../store.js';
import { blobTests } from './suite-blobs.js';
import { gcTests } from './suite-gc.js';
import { immutableTagTests } from './suite-immutable-tags.js';
import { leaseTests } from './suite-leases.js';
import { listingTests } from './suite-listings.js';
import { manifestTests } from './suite-manifests.js';
import { repositoryTests } from './suite-repositories.js';
import { storeTest, type StoreFactory } from './suite-support.js';
import { transactionTests } from './suite-transactions.js';
import { uploadAndEventTests } from './suite-uploads-events.js';

/** A store under test and how to dispose of it (close it, drop its data). */
export interface StoreHarness {
  store: MetadataStore;
  cleanup(): Promise<void>;
}

/**
 * Declares the conformance tests (node:test) for one implementation.
 *
 * @param name shown as the top-level `describe`.
 * @param factory returns a fresh, migrated, empty store for each test.
 * @example
 * metadataStoreSuite('sqlite', async () => {
 *   const dir = await mkdtemp(join(tmpdir(), 'berth-'));
 *   const store = await openSqliteStore(join(dir, 'metadata.db'));
 *   return { store, cleanup: async () => { await store.close(); await rm(dir, { recursive: true }); } };
 * });
 */
export function metadataStoreSuite(name: string, factory: () => Promise<StoreHarness>): void {
  const fresh: StoreFactory = factory;
  describe(`metadata store conformance: ${name}`, () => {
    describe('lifecycle', () => {
      const test = storeTest(fresh);
      test('ping answers and migrate is idempotent', async (store) => {
        await store.ping();
        await store.migrate();
        await store.migrate();
        assert.equal(typeof store.kind, 'string');
        assert.notEqual(store.kind, '');
      });
    });
    repositoryTests(fresh);
    blobTests(fresh);
    manifestTests(fresh);
    listingTests(fresh);
    uploadAndEventTests(fresh);
    transactionTests(fresh);
    leaseTests(fresh);
    gcTests(fresh);
    immutableTagTests(fresh);
  });
}
