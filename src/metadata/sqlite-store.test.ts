import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { imageManifest, push } from './conformance/builders.js';
import { metadataStoreSuite, type StoreHarness } from './conformance/metadata-store-suite.js';
import { MIGRATIONS, runMigrations, splitStatements } from './migrations.js';
import { openSqliteDb } from './sqlite-db.js';
import { openSqliteStore } from './sqlite-store.js';

async function tempDir(): Promise<{ path: string; remove(): Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), 'berth-sqlite-'));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

metadataStoreSuite('sqlite', async (): Promise<StoreHarness> => {
  const dir = await tempDir();
  const store = await openSqliteStore(join(dir.path, 'metadata.db'), { checkNestedCalls: true });
  return {
    store,
    async cleanup() {
      await store.close();
      await dir.remove();
    },
  };
});

describe('sqlite metadata store', () => {
  const dirs: { remove(): Promise<void> }[] = [];
  after(async () => {
    for (const dir of dirs) await dir.remove();
  });
  async function dbFile(): Promise<string> {
    const dir = await tempDir();
    dirs.push(dir);
    return join(dir.path, 'metadata.db');
  }

  it('keeps data across reopening the file', async () => {
    const path = await dbFile();
    const m = imageManifest('app', 'kept', { annotations: { a: 'b' } });
    const first = await openSqliteStore(path, { synchronous: 'NORMAL' });
    await first.putManifest(push(m, { tags: ['latest'] }));
    await first.close();
    const second = await openSqliteStore(path);
    try {
      assert.equal(second.kind, 'sqlite');
      assert.deepEqual(await second.getManifest('app', m.digest), m);
      assert.equal(await second.resolveTag('app', 'latest'), m.digest);
    } finally {
      await second.close();
    }
  });

  it('applies each migration once, however often it runs', async () => {
    const db = openSqliteDb(await dbFile());
    try {
      await runMigrations(db);
      await runMigrations(db);
      const rows = await db.all<{ version: number; name: string }>('SELECT version, name FROM schema_migrations ORDER BY version');
      assert.deepEqual(rows, MIGRATIONS.map((m) => ({ version: m.version, name: m.name })));
      assert.deepEqual(await db.all("SELECT name, value FROM counters"), [{ name: 'event_seq', value: 0 }]);
    } finally {
      await db.close();
    }
  });

  it('rolls back a failing migration with its schema_migrations row', async () => {
    const db = openSqliteDb(await dbFile());
    try {
      const broken = { version: 99, name: 'broken', sql: 'CREATE TABLE half (x TEXT);\nCREATE TABLE half (x TEXT);\n' };
      await assert.rejects(runMigrations(db, [...MIGRATIONS, broken]));
      assert.equal(await db.get("SELECT 1 AS one FROM schema_migrations WHERE version = 99"), undefined);
      assert.equal(await db.get("SELECT 1 AS one FROM sqlite_master WHERE name = 'half'"), undefined);
      assert.ok(await db.get("SELECT 1 AS one FROM schema_migrations WHERE version = 1"), 'earlier ones stay applied');
    } finally {
      await db.close();
    }
  });

  it('splits migration scripts into statements', () => {
    assert.deepEqual(splitStatements('-- head\nCREATE TABLE a (x TEXT);\n\nINSERT INTO a VALUES (1);\n-- tail\n'), [
      '-- head\nCREATE TABLE a (x TEXT)',
      'INSERT INTO a VALUES (1)',
    ]);
  });
});

describe('sqlite db', () => {
  it('reads outside a transaction see only committed data', async () => {
    const dir = await tempDir();
    const db = openSqliteDb(join(dir.path, 'db.sqlite'));
    try {
      await db.run('CREATE TABLE t (x INTEGER)');
      let release: () => void = () => undefined;
      const gate = new Promise<void>((resolve) => {
        release = resolve;
      });
      const tx = db.transaction(async (t) => {
        await t.run('INSERT INTO t (x) VALUES (?)', [1]);
        assert.deepEqual(await t.all('SELECT x FROM t'), [{ x: 1 }], 'the transaction sees its write');
        await gate;
      });
      await new Promise((resolve) => setImmediate(resolve));
      assert.deepEqual(await db.all('SELECT x FROM t'), [], 'others do not');
      release();
      await tx;
      assert.deepEqual(await db.all('SELECT x FROM t'), [{ x: 1 }]);
    } finally {
      await db.close();
      await dir.remove();
    }
  });

  it('answers every query right while its cache of prepared statements evicts', async () => {
    const dir = await tempDir();
    const db = openSqliteDb(join(dir.path, 'db.sqlite'));
    try {
      await db.run('CREATE TABLE t (x INTEGER PRIMARY KEY)');
      await db.transaction(async (t) => {
        for (let x = 0; x < 40; x += 1) await t.run('INSERT INTO t (x) VALUES (?)', [x]);
      });
      const all = Array.from({ length: 40 }, (_, i) => i);
      // 1,200 distinct texts (more than the cache holds), with one hot statement among them.
      for (let n = 0; n < 1200; n += 1) {
        const column = await db.column<number>(`SELECT x FROM t ORDER BY x LIMIT ${String(n % 50)} OFFSET ${String(Math.floor(n / 50))}`);
        assert.deepEqual(column, all.slice(Math.floor(n / 50), Math.floor(n / 50) + (n % 50)), `query ${n}`);
        assert.deepEqual(await db.get('SELECT COUNT(*) AS n FROM t WHERE x >= ?', [n % 40]), { n: 40 - (n % 40) });
      }
    } finally {
      await db.close();
      await dir.remove();
    }
  });

  it('serializes writes, rolls back on error and refuses nested use', async () => {
    const dir = await tempDir();
    const db = openSqliteDb(join(dir.path, 'db.sqlite'), { checkNestedCalls: true });
    try {
      await db.run('CREATE TABLE t (x INTEGER)');
      await assert.rejects(
        db.transaction(async (t) => {
          await t.run('INSERT INTO t (x) VALUES (1)');
          throw new Error('boom');
        }),
        /boom/,
      );
      await assert.rejects(db.transaction(() => db.run('INSERT INTO t (x) VALUES (2)')), /deadlock/);
      await assert.rejects(db.transaction(() => db.get('SELECT COUNT(*) AS n FROM t')), /read around it/);
      assert.deepEqual(await db.all('SELECT x FROM t'), []);
      await Promise.all(Array.from({ length: 20 }, () => db.transaction(async (t) => {
        const row = await t.get<{ n: number }>('SELECT COUNT(*) AS n FROM t');
        await Promise.resolve();
        await t.run('INSERT INTO t (x) VALUES (?)', [row?.n ?? 0]);
      })));
      const xs = (await db.all<{ x: number }>('SELECT x FROM t ORDER BY x')).map((r) => r.x);
      assert.deepEqual(xs, Array.from({ length: 20 }, (_, i) => i), 'each transaction saw the previous commit');
      const bumped = await db.get<{ x: number }>('UPDATE t SET x = x + 100 WHERE x = 0 RETURNING x');
      assert.deepEqual(bumped, { x: 100 }, 'a writing statement read with get() runs on the writer');
      assert.throws(() => openSqliteDb(':memory:'), /file path/);
    } finally {
      await db.close();
      await dir.remove();
    }
  });
});
