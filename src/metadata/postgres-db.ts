/**
 * The PostgreSQL adapter of the {@link SqlDb} seam, over a `pg` pool.
 *
 * - Placeholders: `?` becomes `$1`, `$2`, … outside string literals, quoted
 *   identifiers, comments and dollar-quoted bodies ({@link toPostgresSql}).
 *   PostgreSQL's JSON operators `?`, `?|`, `?&` therefore cannot be written;
 *   use `jsonb_exists()` and friends instead.
 * - Values: BIGINT and NUMERIC (what `SUM(bigint)` returns) come back as JS
 *   numbers, booleans as 0/1, like SQLite. The parsers are set on this pool
 *   only, never on `pg.types`.
 * - Transactions run on one pooled client, READ COMMITTED by default: the
 *   SQL store takes the row locks it needs (`sql-store-manifests.ts`) and
 *   numbers events under the `counters` row lock, which a stricter level
 *   would turn into a serialization failure for every concurrent writer.
 *   A serialization failure or a deadlock rolls back and runs the whole
 *   function again, a bounded number of times with jittered exponential
 *   backoff; so `fn` must have no effects outside the database, and may run
 *   more than once. Unique and foreign-key violations are not retried: the
 *   store's upserts use `ON CONFLICT`, so those are real errors (a duplicate
 *   event id, a blob record removed by GC under a push).
 * - {@link PostgresDb.lock} serialises work across processes with a
 *   session advisory lock, for work that must run on one instance at a
 *   time. Migrations do not need it: `migrations.ts` claims each
 *   migration's `schema_migrations` row first, so a second instance waits
 *   on that row and then skips the migration.
 */
import { createHash } from 'node:crypto';
import { AsyncLocalStorage } from 'node:async_hooks';
import pg from 'pg';
import type { SqlDb, SqlExecutor, SqlValue } from './sql-db.js';

/** Options of {@link openPostgresDb}. */
export interface PostgresDbOptions {
  /** `postgresql://user:password@host:port/database?…` */
  url: string;
  /** Connections in the pool. Default 10. */
  poolSize?: number;
  /** Server-side `statement_timeout` of every connection; default: the server's. */
  statementTimeoutMs?: number;
  /** Isolation level of {@link SqlDb.transaction}. Default `read committed`. */
  isolation?: 'read committed' | 'repeatable read' | 'serializable';
  /** Retries of serialization failures and deadlocks. */
  retry?: RetryOptions;
  /**
   * Errors of idle pooled connections (the server went away); the pool drops
   * the connection and opens another on demand. Default: ignored.
   */
  onError?: (error: Error) => void;
  /** `application_name`, shown in `pg_stat_activity`. Default `berth`. */
  applicationName?: string;
}

/** How transactions are retried; time and randomness are injectable for tests. */
export interface RetryOptions {
  /** Attempts in all, the first included. Default 8. */
  attempts?: number;
  /** Backoff before attempt 2; doubles after each attempt. Default 5 ms. */
  baseDelayMs?: number;
  /** Longest backoff. Default 250 ms. */
  maxDelayMs?: number;
  /** Default: a timer. */
  sleep?: (ms: number) => Promise<void>;
  /** In [0, 1); default `Math.random`. */
  random?: () => number;
}

/** A {@link SqlDb} on PostgreSQL, with a cross-process lock. */
export interface PostgresDb extends SqlDb {
  readonly dialect: 'postgres';
  /**
   * Runs `fn` while holding the advisory lock named `name` in this database
   * (`pg_advisory_lock` on a dedicated connection, so `fn` may use the
   * pool freely). Waits for other holders, in this process or another.
   * Re-entrant: a nested `lock` with the same name inside `fn` runs directly.
   * The lock is released when `fn` settles.
   */
  lock<T>(name: string, fn: () => Promise<T>): Promise<T>;
}

/** SQLSTATEs after which a whole transaction is run again: serialization failure, deadlock. */
const RETRYABLE = new Set(['40001', '40P01']);

const OID = { bool: 16, int8: 20, numeric: 1700 } as const;

/**
 * Rewrites engine-neutral SQL for PostgreSQL: `?` → `$n`, leaving string
 * literals (`'…'`, `E'…'`), quoted identifiers, comments and dollar-quoted
 * bodies untouched. (The shared SQL uses no dialect words: `migrations.ts`
 * avoids AUTOINCREMENT/SERIAL and the like, so there is nothing else to
 * rewrite.)
 *
 * @example
 * ```ts
 * toPostgresSql("SELECT * FROM t WHERE a = ? AND b = '?'")
 * // "SELECT * FROM t WHERE a = $1 AND b = '?'"
 * ```
 */
export function toPostgresSql(sql: string): string {
  let out = '';
  let code = '';
  let n = 0;
  const flush = (): void => {
    out += code.replace(/\?/g, () => `$${++n}`);
    code = '';
  };
  let i = 0;
  while (i < sql.length) {
    const end = literalEnd(sql, i);
    if (end === i) {
      code += sql[i];
      i++;
    } else {
      flush();
      out += sql.slice(i, end);
      i = end;
    }
  }
  flush();
  return out;
}

const IDENT_CHAR = /[A-Za-z0-9_$]/;

/** End (exclusive) of the literal or comment starting at `i`, or `i` when none starts there. */
function literalEnd(sql: string, i: number): number {
  const c = sql[i];
  const next = sql[i + 1];
  const prev = i > 0 ? sql[i - 1] : undefined;
  if (c === "'") return quotedEnd(sql, i, "'", isEscapeStringPrefix(sql, i));
  if (c === '"') return quotedEnd(sql, i, '"', false);
  if (c === '-' && next === '-') {
    const nl = sql.indexOf('\n', i);
    return nl === -1 ? sql.length : nl;
  }
  if (c === '/' && next === '*') {
    // PostgreSQL block comments nest.
    let depth = 0;
    let j = i;
    while (j < sql.length) {
      if (sql.startsWith('/*', j)) {
        depth++;
        j += 2;
      } else if (sql.startsWith('*/', j)) {
        depth--;
        j += 2;
        if (depth === 0) return j;
      } else j++;
    }
    return sql.length;
  }
  if (c === '$' && (prev === undefined || !IDENT_CHAR.test(prev))) {
    const tag = /^\$(?:[A-Za-z_][A-Za-z0-9_]*)?\$/.exec(sql.slice(i))?.[0];
    if (tag !== undefined) {
      const close = sql.indexOf(tag, i + tag.length);
      return close === -1 ? sql.length : close + tag.length;
    }
  }
  return i;
}

/** `E'…'` (or `e'…'`) where the E is a prefix, not the end of an identifier. */
function isEscapeStringPrefix(sql: string, quote: number): boolean {
  const e = sql[quote - 1];
  const before = quote >= 2 ? sql[quote - 2] : undefined;
  return (e === 'E' || e === 'e') && (before === undefined || !IDENT_CHAR.test(before));
}

function quotedEnd(sql: string, start: number, quote: string, backslashEscapes: boolean): number {
  let j = start + 1;
  while (j < sql.length) {
    const c = sql[j];
    if (backslashEscapes && c === '\\') j += 2;
    else if (c === quote) {
      if (sql[j + 1] === quote) j += 2;
      else return j + 1;
    } else j++;
  }
  return sql.length;
}

/** Rewritten SQL by source text: the store's statements are a fixed set. */
function createRewriteCache(limit = 2000): (sql: string) => string {
  const cache = new Map<string, string>();
  return (sql) => {
    let hit = cache.get(sql);
    if (hit === undefined) {
      hit = toPostgresSql(sql);
      if (cache.size >= limit) cache.clear();
      cache.set(sql, hit);
    }
    return hit;
  };
}

/** BIGINT as a number: the seam promises safe integers, so anything larger is an error. */
function parseInt8(text: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value)) throw new RangeError(`BIGINT ${text} is beyond Number.MAX_SAFE_INTEGER`);
  return value;
}

/** Type parsers for this pool only: BIGINT/NUMERIC → number, boolean → 0/1. */
function createTypes(): pg.CustomTypesConfig {
  const getTypeParser = ((oid: number, format?: 'text' | 'binary'): unknown => {
    if (format === undefined || format === 'text') {
      if (oid === OID.int8) return parseInt8;
      if (oid === OID.numeric) return Number;
      if (oid === OID.bool) return (text: string) => (text === 't' ? 1 : 0);
    }
    return (format === undefined ? pg.types.getTypeParser(oid) : pg.types.getTypeParser(oid, format)) as unknown;
  }) as pg.CustomTypesConfig['getTypeParser'];
  return { getTypeParser };
}

/**
 * An executor over anything with `query` (the pool, or one client); `check`
 * runs before each statement and may throw (misuse guards).
 */
function createExecutor(
  queryable: pg.Pool | pg.PoolClient,
  rewrite: (sql: string) => string,
  check: (what: string) => void,
): SqlExecutor {
  const query = async (what: string, sql: string, params: readonly SqlValue[] | undefined): Promise<pg.QueryResult> => {
    check(what);
    return await queryable.query(rewrite(sql), params === undefined ? [] : [...params]);
  };
  return {
    async all<T>(sql: string, params?: readonly SqlValue[]): Promise<T[]> {
      return (await query('all', sql, params)).rows as T[];
    },
    async get<T>(sql: string, params?: readonly SqlValue[]): Promise<T | undefined> {
      return (await query('get', sql, params)).rows[0] as T | undefined;
    },
    async column<T>(sql: string, params?: readonly SqlValue[]): Promise<T[]> {
      check('column');
      const result = await queryable.query<unknown[]>({
        text: rewrite(sql),
        values: params === undefined ? [] : [...params],
        rowMode: 'array',
      });
      return result.rows.map((row) => row[0] as T);
    },
    async run(sql: string, params?: readonly SqlValue[]): Promise<{ changes: number }> {
      return { changes: (await query('run', sql, params)).rowCount ?? 0 };
    },
  };
}

/** The SQLSTATE of a database error, if it is one. */
function sqlState(error: unknown): string | undefined {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  return typeof code === 'string' ? code : undefined;
}

/** Signed 64-bit advisory lock key of a name (first 8 bytes of its SHA-256), as text for `::bigint`. */
export function advisoryLockKey(name: string): string {
  return createHash('sha256').update(`berth:${name}`).digest().readBigInt64BE(0).toString();
}

/**
 * Opens a pool on `options.url`. Connects once before returning, so a wrong
 * URL or a down server fails here.
 *
 * @example
 * ```ts
 * const db = await openPostgresDb({ url: 'postgresql://berth@db/berth', poolSize: 20 });
 * await db.transaction(async (tx) => tx.run('UPDATE tags SET digest = ? WHERE repo = ? AND name = ?', [d, r, t]));
 * ```
 * @throws the connection error when the server cannot be reached.
 */
export async function openPostgresDb(options: PostgresDbOptions): Promise<PostgresDb> {
  const types = createTypes();
  const clientConfig: pg.ClientConfig = {
    connectionString: options.url,
    types,
    application_name: options.applicationName ?? 'berth',
  };
  if (options.statementTimeoutMs !== undefined) clientConfig.statement_timeout = options.statementTimeoutMs;
  const pool = new pg.Pool({ ...clientConfig, max: options.poolSize ?? 10 });
  let closing: Promise<void> | undefined;
  const onError = options.onError ?? ((): void => undefined);
  pool.on('error', onError);

  const attempts = Math.max(1, options.retry?.attempts ?? 8);
  const baseDelayMs = options.retry?.baseDelayMs ?? 5;
  const maxDelayMs = options.retry?.maxDelayMs ?? 250;
  const sleep = options.retry?.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const random = options.retry?.random ?? Math.random;
  const rewrite = createRewriteCache();
  const begin = `BEGIN ISOLATION LEVEL ${(options.isolation ?? 'read committed').toUpperCase()}`;
  const heldLocks = new AsyncLocalStorage<ReadonlySet<string>>();

  // Fail fast on a bad URL or an unreachable server.
  (await pool.connect()).release();

  // Marks the async context of a transaction's callback: a call on `db`
  // itself there would wait for a second connection, and for row locks its
  // own transaction holds (a hang PostgreSQL cannot see), so it throws, as
  // the SQLite engine does.
  const inTransaction = new AsyncLocalStorage<true>();
  const outsideTransaction = (what: string): void => {
    if (inTransaction.getStore() === true) {
      throw new Error(`postgres: db.${what} inside a transaction would deadlock; use the transaction's executor`);
    }
  };

  /** One attempt: BEGIN, fn, COMMIT on one client; ROLLBACK when fn rejects. */
  const attempt = async <T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> => {
    const client = await pool.connect();
    // A checked-out client has no error listener: an unhandled 'error' event
    // (the server closed the connection) would end the process.
    let broken: Error | undefined;
    const onClientError = (error: Error): void => {
      broken = error;
    };
    client.on('error', onClientError);
    let active = true;
    const tx = createExecutor(client, rewrite, (what) => {
      if (!active) throw new Error(`postgres: tx.${what} after its transaction ended`);
    });
    // A BEGIN, COMMIT or ROLLBACK failing without a SQLSTATE means the
    // connection itself failed: do not reuse it.
    const control = async (sql: string): Promise<void> => {
      try {
        await client.query(sql);
      } catch (error) {
        if (sqlState(error) === undefined) broken ??= error instanceof Error ? error : new Error(String(error));
        throw error;
      }
    };
    try {
      await control(begin);
      let result: T;
      try {
        result = await inTransaction.run(true, () => fn(tx));
      } catch (error) {
        active = false;
        await control('ROLLBACK').catch(() => undefined);
        throw error;
      }
      active = false;
      await control('COMMIT');
      return result;
    } finally {
      active = false;
      client.removeListener('error', onClientError);
      client.release(broken);
    }
  };

  return {
    dialect: 'postgres',
    ...createExecutor(pool, rewrite, outsideTransaction),

    async transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
      outsideTransaction('transaction');
      for (let n = 1; ; n++) {
        try {
          return await attempt(fn);
        } catch (error) {
          const state = sqlState(error);
          if (n >= attempts || state === undefined || !RETRYABLE.has(state)) throw error;
          const ceiling = Math.min(maxDelayMs, baseDelayMs * 2 ** (n - 1));
          await sleep(ceiling / 2 + random() * (ceiling / 2));
        }
      }
    },

    async exec(script: string): Promise<void> {
      outsideTransaction('exec');
      // No parameters: the simple query protocol runs every statement, as one
      // implicit transaction. `?` is left alone: scripts take no parameters.
      await pool.query(script);
    },

    async lock<T>(name: string, fn: () => Promise<T>): Promise<T> {
      const held = heldLocks.getStore() ?? new Set<string>();
      if (held.has(name)) return await fn();
      const client = new pg.Client(clientConfig);
      client.on('error', onError);
      await client.connect();
      try {
        const key = advisoryLockKey(name);
        await client.query('SELECT pg_advisory_lock($1::bigint)', [key]);
        try {
          return await heldLocks.run(new Set([...held, name]), fn);
        } finally {
          await client.query('SELECT pg_advisory_unlock($1::bigint)', [key]).catch(() => undefined);
        }
      } finally {
        // Ending the session releases the lock even if the unlock failed.
        await client.end().catch(() => undefined);
      }
    },

    close(): Promise<void> {
      // pg's Pool.end() throws when called twice; shutdown may close a store a probe already saw closed.
      closing ??= pool.end();
      return closing;
    },
  };
}
