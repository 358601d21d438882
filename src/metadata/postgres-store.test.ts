import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { probePostgres, serviceSkipReason, startPostgres, type PostgresService } from '../../test/services/postgres.js';
import { event, imageManifest, push } from './conformance/builders.js';
import { metadataStoreSuite } from './conformance/metadata-store-suite.js';
import { MIGRATIONS } from './migrations.js';
import { openPostgresDb } from './postgres-db.js';
import { openPostgresStore } from './postgres-store.js';
import { createSqlMetadataStore } from './sql-store.js';
import type { MetadataStore, PutManifestResult } from './store.js';

describe('postgres metadata store', { skip: serviceSkipReason(probePostgres) }, () => {
  let service: PostgresService;
  // Creating databases one ahead, in the background, made the suite twice as
  // slow (CREATE and DROP DATABASE contend): they are made on demand.
  const freshDatabase = (): Promise<string> => service.createDatabase();
  before(async () => {
    service = await startPostgres();
  });
  after(async () => {
    await service.stop();
  });

  metadataStoreSuite('postgres', async () => {
    const url = await freshDatabase();
    const store = await openPostgresStore({ url, poolSize: 4 });
    return {
      store,
      async cleanup() {
        await store.close();
        await service.dropDatabase(url);
      },
    };
  });

  describe('on two instances', () => {
    /** Two stores, each with its own pool, as two berth processes would have. */
    const twoInstances = async (): Promise<[MetadataStore, MetadataStore]> => {
      const url = await freshDatabase();
      const first = await openPostgresStore({ url, poolSize: 4 });
      const second = await openPostgresStore({ url, poolSize: 4 });
      return [first, second];
    };

    test('concurrent pushes to one tag end consistent on both', async () => {
      const [a, b] = await twoInstances();
      try {
        const repo = 'race/app';
        const count = 24;
        const manifests = Array.from({ length: count }, (_, i) => imageManifest(repo, `m${i}`));
        const results: PutManifestResult[] = await Promise.all(
          manifests.map((m, i) =>
            (i % 2 === 0 ? a : b).putManifest(
              // Both tags, named in either order: the store must not deadlock.
              push(m, {
                tags: i % 3 === 0 ? ['stable', 'latest'] : ['latest', 'stable'],
                events: [event(`push-${i}`, repo)],
              }),
            ),
          ),
        );

        assert.ok(results.every((r) => r.created));
        const latest = await a.resolveTag(repo, 'latest');
        assert.equal(await b.resolveTag(repo, 'latest'), latest);
        for (const tag of ['latest', 'stable']) {
          // The moves form one chain: every push but the first moved the tag
          // away from a distinct digest, and only the final one is not a source.
          const froms = results.flatMap((r) => r.movedTags.filter((t) => t.tag === tag).map((t) => t.from));
          assert.equal(froms.length, count - 1, tag);
          assert.equal(new Set(froms).size, count - 1, tag);
          const notMovedAway = manifests.map((m) => m.digest).filter((d) => !froms.includes(d));
          assert.deepEqual(notMovedAway, [await b.resolveTag(repo, tag)], tag);
        }
        assert.deepEqual(await b.listTags(repo, {}), { items: ['latest', 'stable'], more: false });
        const events = await b.readEvents(0, 100);
        assert.deepEqual(
          events.map((e) => e.seq),
          Array.from({ length: count }, (_, i) => i + 1),
          'event seqs are gapless',
        );
        assert.equal(new Set(events.map((e) => e.id)).size, count);
      } finally {
        await Promise.all([a.close(), b.close()]);
      }
    });

    test('the same manifest pushed on both at once is created once', async () => {
      const [a, b] = await twoInstances();
      try {
        const m = imageManifest('race/same', 'one');
        const results = await Promise.all([
          a.putManifest(push(m, { tags: ['v1'] })),
          b.putManifest(push(m, { tags: ['v1'] })),
          a.putManifest(push(m, { tags: ['v1'] })),
          b.putManifest(push(m, { tags: ['v1'] })),
        ]);
        assert.equal(results.filter((r) => r.created).length, 1);
        assert.ok(results.every((r) => r.movedTags.length === 0));
        assert.equal(await a.resolveTag('race/same', 'v1'), m.digest);
      } finally {
        await Promise.all([a.close(), b.close()]);
      }
    });
  });

  test('instances migrating a fresh database at once apply each migration once', async () => {
    for (let round = 0; round < 3; round++) {
      const url = await freshDatabase();
      const dbs = await Promise.all([1, 2, 3].map(() => openPostgresDb({ url, poolSize: 2 })));
      const stores = dbs.map((db) => createSqlMetadataStore(db, 'postgres'));
      try {
        await Promise.all(stores.map((store) => store.migrate()));
        const rows = await dbs[0]?.all<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version');
        assert.deepEqual(
          rows?.map((r) => r.version),
          MIGRATIONS.map((m) => m.version),
        );
        await stores[1]?.migrate(); // and again: a no-op
        await stores[2]?.putManifest(push(imageManifest('after/migrate', 'x'), { tags: ['t'] }));
        assert.equal(await stores[0]?.resolveTag('after/migrate', 't'), imageManifest('after/migrate', 'x').digest);
      } finally {
        await Promise.all(stores.map((store) => store.close()));
      }
    }
  });

  test('a database that does not sort text in byte order is refused', async () => {
    const admin = new pg.Client({ connectionString: service.url });
    await admin.connect();
    try {
      await admin.query(
        "CREATE DATABASE berth_icu TEMPLATE template0 ENCODING 'UTF8' LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C'",
      );
    } finally {
      await admin.end();
    }
    await assert.rejects(
      openPostgresStore({ url: service.url.replace(/\/postgres$/, '/berth_icu') }),
      /does not sort text in byte order/,
    );
  });
});
