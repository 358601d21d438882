import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { probePostgres, serviceSkipReason, startPostgres, type PostgresService } from '../../test/services/postgres.js';
import { openPostgresDb, toPostgresSql, type PostgresDb, type PostgresDbOptions } from './postgres-db.js';

describe('toPostgresSql', () => {
  test('numbers placeholders in order', () => {
    assert.equal(
      toPostgresSql('SELECT a FROM t WHERE b = ? AND c IN (?, ?)'),
      'SELECT a FROM t WHERE b = $1 AND c IN ($2, $3)',
    );
  });

  test('leaves ? inside string literals, identifiers and comments alone', () => {
    assert.equal(
      toPostgresSql(`SELECT '?', 'it''s ?', "col?" FROM t -- why?\nWHERE a = ? /* ? /* nested ? */ ? */ AND b = ?`),
      `SELECT '?', 'it''s ?', "col?" FROM t -- why?\nWHERE a = $1 /* ? /* nested ? */ ? */ AND b = $2`,
    );
  });

  test('knows escape strings and dollar quoting', () => {
    assert.equal(toPostgresSql(String.raw`SELECT E'\' ?', ?`), String.raw`SELECT E'\' ?', $1`);
    // A plain string's backslash is no escape: the literal ends at the second quote.
    assert.equal(toPostgresSql(String.raw`SELECT '\', ?`), String.raw`SELECT '\', $1`);
    assert.equal(toPostgresSql('SELECT $$ ? $$, $tag$ ?$$? $tag$, ?'), 'SELECT $$ ? $$, $tag$ ?$$? $tag$, $1');
    // An identifier ending in e is no E'' prefix.
    assert.equal(toPostgresSql(String.raw`SELECT name'\', ?`), String.raw`SELECT name'\', $1`);
  });
});

describe('openPostgresDb', { skip: serviceSkipReason(probePostgres) }, () => {
  let service: PostgresService;
  const opened: PostgresDb[] = [];

  before(async () => {
    service = await startPostgres();
  });
  after(async () => {
    await Promise.all(opened.map((db) => db.close()));
    await service.stop();
  });

  const open = async (options: Partial<PostgresDbOptions> = {}): Promise<PostgresDb> => {
    const db = await openPostgresDb({ url: await service.createDatabase(), ...options });
    opened.push(db);
    return db;
  };

  test('runs statements with parameters, ? inside literals untouched', async () => {
    const db = await open();
    await db.exec(`CREATE TABLE t (k TEXT PRIMARY KEY, v BIGINT NOT NULL); INSERT INTO t VALUES ('a?', 1);`);
    assert.deepEqual(await db.run('INSERT INTO t (k, v) VALUES (?, ?), (?, ?)', ['b', 2, 'c', 3]), { changes: 2 });
    assert.deepEqual(await db.get("SELECT k, v FROM t WHERE k = 'a?' AND v = ?", [1]), { k: 'a?', v: 1 });
    assert.deepEqual(await db.all('SELECT k FROM t WHERE v > ? ORDER BY k', [1]), [{ k: 'b' }, { k: 'c' }]);
    assert.equal(await db.get('SELECT k FROM t WHERE k = ?', ['zzz']), undefined);
    assert.deepEqual(await db.run('UPDATE t SET v = v + 1 WHERE v >= ?', [2]), { changes: 2 });
  });

  test('BIGINT, SUM and COUNT come back as numbers, booleans as 0/1, on this pool only', async () => {
    const db = await open();
    const row = await db.get<Record<string, unknown>>(
      `SELECT ?::bigint AS big, COUNT(*) AS n, SUM(x) AS total, 1 < 2 AS yes, 1 > 2 AS no
       FROM (VALUES (1::bigint), (2::bigint)) AS v (x)`,
      [Number.MAX_SAFE_INTEGER],
    );
    assert.deepEqual(row, { big: Number.MAX_SAFE_INTEGER, n: 2, total: 3, yes: 1, no: 0 });
    await assert.rejects(db.get('SELECT 9007199254740993::bigint AS big'), RangeError);
    // Global parsers untouched: a plain client still gets strings.
    const client = new pg.Client({ connectionString: service.url });
    await client.connect();
    try {
      assert.deepEqual((await client.query('SELECT 1::bigint AS one')).rows, [{ one: '1' }]);
    } finally {
      await client.end();
    }
  });

  test('a transaction commits when fn resolves and rolls back when it rejects', async () => {
    const db = await open();
    await db.exec('CREATE TABLE t (k TEXT PRIMARY KEY)');
    assert.equal(
      await db.transaction(async (tx) => {
        await tx.run('INSERT INTO t VALUES (?)', ['kept']);
        return (await tx.get<{ n: number }>('SELECT COUNT(*) AS n FROM t'))?.n;
      }),
      1,
    );
    const boom = new Error('boom');
    await assert.rejects(
      db.transaction(async (tx) => {
        await tx.run('INSERT INTO t VALUES (?)', ['dropped']);
        throw boom;
      }),
      (error) => error === boom,
    );
    assert.deepEqual(await db.all('SELECT k FROM t'), [{ k: 'kept' }]);
  });

  test('transactions are READ COMMITTED unless asked otherwise', async () => {
    const level = "SELECT current_setting('transaction_isolation') AS level";
    const db = await open();
    assert.deepEqual(await db.transaction((tx) => tx.get(level)), { level: 'read committed' });
    const strict = await open({ isolation: 'serializable' });
    assert.deepEqual(await strict.transaction((tx) => tx.get(level)), { level: 'serializable' });
  });

  test('refuses db calls inside a transaction and tx calls after it', async () => {
    const db = await open();
    let leaked: { get(sql: string): Promise<unknown> } | undefined;
    await assert.rejects(
      db.transaction(async (tx) => {
        leaked = tx;
        await db.get('SELECT 1 AS one');
      }),
      /inside a transaction would deadlock/,
    );
    await assert.rejects(
      db.transaction(() => db.transaction(async () => 1)),
      /inside a transaction/,
    );
    await assert.rejects(async () => leaked?.get('SELECT 1 AS one'), /after its transaction ended/);
    assert.deepEqual(await db.get('SELECT 1 AS one'), { one: 1 });
  });

  test('survives the server ending a connection in the middle of a transaction', async () => {
    const db = await open({ poolSize: 1 });
    await assert.rejects(
      db.transaction(async (tx) => {
        await tx.get('SELECT pg_terminate_backend(pg_backend_pid())');
      }),
    );
    // The broken client was dropped; the pool of one connects afresh.
    assert.deepEqual(await db.transaction((tx) => tx.get('SELECT 2 AS two')), { two: 2 });
  });

  test('retries a serialization failure with backoff, bounded', async () => {
    const delays: number[] = [];
    const db = await open({ retry: { attempts: 3, sleep: async (ms) => void delays.push(ms), random: () => 0.5 } });
    const conflict = Object.assign(new Error('could not serialize access'), { code: '40001' });
    let calls = 0;
    assert.equal(
      await db.transaction(async () => {
        if (++calls < 3) throw conflict;
        return 'done';
      }),
      'done',
    );
    assert.equal(calls, 3);
    assert.deepEqual(delays, [3.75, 7.5]);

    calls = 0;
    await assert.rejects(
      db.transaction(async () => {
        calls++;
        throw conflict;
      }),
      (error) => error === conflict,
    );
    assert.equal(calls, 3);

    calls = 0;
    await assert.rejects(
      db.transaction(async () => {
        calls++;
        throw Object.assign(new Error('syntax'), { code: '42601' });
      }),
    );
    assert.equal(calls, 1, 'other errors are not retried');
  });

  test('two conflicting serializable transactions both end committed, in some serial order', async () => {
    const db = await open({ isolation: 'serializable', retry: { sleep: async () => undefined } });
    await db.exec('CREATE TABLE ledger (n BIGINT PRIMARY KEY)');
    // Each reads the highest n and inserts the next one: write skew that only
    // SERIALIZABLE catches. Both first attempts read before either writes.
    let arrived = 0;
    let release!: () => void;
    const bothRead = new Promise<void>((resolve) => (release = resolve));
    const attempts = [0, 0];
    const append = (who: 0 | 1) =>
      db.transaction(async (tx) => {
        attempts[who] = (attempts[who] ?? 0) + 1;
        const top = (await tx.get<{ top: number | null }>('SELECT MAX(n) AS top FROM ledger'))?.top ?? 0;
        if (attempts[who] === 1) {
          if (++arrived === 2) release();
          await bothRead;
        }
        await tx.run('INSERT INTO ledger (n) VALUES (?)', [top + 1]);
      });
    await Promise.all([append(0), append(1)]);
    assert.deepEqual(await db.all('SELECT n FROM ledger ORDER BY n'), [{ n: 1 }, { n: 2 }]);
    assert.ok((attempts[0] ?? 0) + (attempts[1] ?? 0) >= 3, 'one of them was retried');
  });

  test('exec runs a multi-statement script atomically', async () => {
    const db = await open();
    await db.exec(`CREATE TABLE a (x TEXT); INSERT INTO a VALUES ('?;'); CREATE TABLE b (y TEXT);`);
    assert.deepEqual(await db.all('SELECT x FROM a'), [{ x: '?;' }]);
    await assert.rejects(db.exec('CREATE TABLE c (z TEXT); SELECT nope;'));
    assert.equal(await db.get("SELECT 1 AS one FROM pg_tables WHERE tablename = 'c'"), undefined);
  });

  test('lock serialises holders across pools and is re-entrant', async () => {
    const url = await service.createDatabase();
    const first = await openPostgresDb({ url });
    const second = await openPostgresDb({ url });
    opened.push(first, second);
    const log: string[] = [];
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let entered!: () => void;
    const firstIn = new Promise<void>((resolve) => (entered = resolve));
    const one = first.lock('migrate', async () => {
      log.push('first in');
      entered();
      await held;
      // Re-entrant: the same name inside runs at once instead of deadlocking.
      await first.lock('migrate', async () => void log.push('first nested'));
      log.push('first out');
    });
    await firstIn;
    const two = second.lock('migrate', async () => void log.push('second in'));
    const other = second.lock('gc', async () => void log.push('other name'));
    await other;
    release();
    await Promise.all([one, two]);
    assert.deepEqual(log, ['first in', 'other name', 'first nested', 'first out', 'second in']);
  });

  test('fails fast on an unreachable server', async () => {
    await assert.rejects(openPostgresDb({ url: 'postgresql://postgres@127.0.0.1:1/nope' }));
  });
});
