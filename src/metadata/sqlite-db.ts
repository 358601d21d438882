/**
 * The SQLite engine behind the SQL metadata store (better-sqlite3).
 *
 * Two connections to one WAL database file:
 * - a write connection on which every write and every transaction runs,
 *   one at a time, behind an async mutex (`BEGIN IMMEDIATE` … `COMMIT`);
 * - a read connection (`query_only`) for `all`/`get` outside transactions,
 *   which therefore see only committed data and never wait for writers.
 *
 * Prepared statements are cached per connection by SQL text. better-sqlite3
 * is synchronous, so each call completes before its promise resolves; the
 * mutex only matters because a transaction's callback awaits in between.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import Database from 'better-sqlite3';
import type { SqlDb, SqlExecutor, SqlValue } from './sql-db.js';

/** Options of {@link openSqliteDb}. */
export interface SqliteDbOptions {
  /**
   * `FULL` (default) syncs the WAL on every commit: a commit survives power
   * loss. `NORMAL` may lose the last commits on power loss (never corrupts).
   */
  synchronous?: 'FULL' | 'NORMAL';
  /** How long to wait for another process's lock, in ms. Default 5000. */
  busyTimeoutMs?: number;
}

/** Prepared statements kept per connection; beyond this, the oldest go. */
const STATEMENT_CACHE_SIZE = 500;

/** A connection with a bounded cache of prepared statements by SQL text. */
class Connection {
  private readonly statements = new Map<string, Database.Statement>();

  constructor(readonly db: Database.Database) {}

  statement(sql: string): Database.Statement {
    let stmt = this.statements.get(sql);
    if (stmt === undefined) {
      stmt = this.db.prepare(sql);
      if (this.statements.size >= STATEMENT_CACHE_SIZE) {
        const oldest = this.statements.keys().next();
        if (oldest.done !== true) this.statements.delete(oldest.value);
      }
      this.statements.set(sql, stmt);
    }
    return stmt;
  }

  all<T>(sql: string, params: readonly SqlValue[]): T[] {
    return this.statement(sql).all(...params) as T[];
  }

  get<T>(sql: string, params: readonly SqlValue[]): T | undefined {
    return this.statement(sql).get(...params) as T | undefined;
  }

  run(sql: string, params: readonly SqlValue[]): { changes: number } {
    return { changes: this.statement(sql).run(...params).changes };
  }
}

/** Runs async critical sections one at a time, in call order. */
function createMutex(): <T>(fn: () => Promise<T>) => Promise<T> {
  let tail: Promise<void> = Promise.resolve();
  return async <T>(fn: () => Promise<T>): Promise<T> => {
    const previous = tail;
    let release: () => void = () => undefined;
    tail = new Promise<void>((resolve) => {
      release = resolve;
    });
    await previous;
    try {
      return await fn();
    } finally {
      release();
    }
  };
}

/**
 * Opens (creating if needed) a SQLite database file for the metadata store.
 *
 * `:memory:` does not work: the two connections would see two databases.
 * Tests use a file in a temporary directory.
 *
 * @throws better-sqlite3's error when the file cannot be opened.
 * @example
 * const db = openSqliteDb('/var/lib/berth/metadata.db', { synchronous: 'NORMAL' });
 */
export function openSqliteDb(path: string, options: SqliteDbOptions = {}): SqlDb {
  if (path === ':memory:' || path === '') {
    throw new Error('openSqliteDb needs a file path: an in-memory database cannot be shared by two connections');
  }
  const busyTimeout = options.busyTimeoutMs ?? 5000;
  const writeDb = new Database(path, { timeout: busyTimeout });
  let readDb: Database.Database | undefined;
  try {
    writeDb.pragma('journal_mode = WAL');
    writeDb.pragma(`synchronous = ${options.synchronous === 'NORMAL' ? 'NORMAL' : 'FULL'}`);
    writeDb.pragma('foreign_keys = ON');
    readDb = new Database(path, { timeout: busyTimeout });
    readDb.pragma('query_only = ON');
  } catch (error) {
    readDb?.close();
    writeDb.close();
    throw error;
  }
  return createSqliteDb(new Connection(writeDb), new Connection(readDb));
}

function createSqliteDb(writer: Connection, reader: Connection): SqlDb {
  const exclusive = createMutex();
  // Marks the async context of a transaction's callback, so that a call on
  // the db (instead of the tx) from inside it fails instead of deadlocking.
  const inTransaction = new AsyncLocalStorage<true>();
  let closed = false;

  function checkUsable(what: string): void {
    if (closed) throw new Error(`sqlite: ${what} after close`);
    if (inTransaction.getStore() === true) {
      throw new Error(`sqlite: db.${what} inside a transaction would deadlock; use the transaction's executor`);
    }
  }

  function write<T>(what: string, fn: () => T): Promise<T> {
    try {
      checkUsable(what);
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    return exclusive(() => Promise.resolve().then(fn));
  }

  /** Reads on the read connection; a statement that writes goes to the writer. */
  function read<T>(sql: string, fn: (c: Connection) => T): Promise<T> {
    if (closed) return Promise.reject(new Error('sqlite: read after close'));
    let readonly: boolean;
    try {
      readonly = reader.statement(sql).readonly;
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    if (!readonly) return write('run', () => fn(writer));
    return Promise.resolve().then(() => fn(reader));
  }

  return {
    dialect: 'sqlite',

    all<T>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
      return read(sql, (c) => c.all<T>(sql, params));
    },

    get<T>(sql: string, params: readonly SqlValue[] = []): Promise<T | undefined> {
      return read(sql, (c) => c.get<T>(sql, params));
    },

    run(sql: string, params: readonly SqlValue[] = []): Promise<{ changes: number }> {
      return write('run', () => writer.run(sql, params));
    },

    transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
      try {
        checkUsable('transaction');
      } catch (error) {
        return Promise.reject(error instanceof Error ? error : new Error(String(error)));
      }
      return exclusive(async () => {
        let active = true;
        const onTx = <R>(call: () => R): Promise<R> => {
          if (!active) return Promise.reject(new Error('sqlite: transaction executor used after the transaction ended'));
          try {
            return Promise.resolve(call());
          } catch (error) {
            return Promise.reject(error instanceof Error ? error : new Error(String(error)));
          }
        };
        const tx: SqlExecutor = {
          all: <R>(sql: string, params: readonly SqlValue[] = []) => onTx(() => writer.all<R>(sql, params)),
          get: <R>(sql: string, params: readonly SqlValue[] = []) => onTx(() => writer.get<R>(sql, params)),
          run: (sql: string, params: readonly SqlValue[] = []) => onTx(() => writer.run(sql, params)),
        };
        writer.run('BEGIN IMMEDIATE', []);
        try {
          const result = await inTransaction.run(true, () => fn(tx));
          active = false;
          writer.run('COMMIT', []);
          return result;
        } catch (error) {
          active = false;
          if (writer.db.inTransaction) writer.run('ROLLBACK', []);
          throw error;
        }
      });
    },

    exec(script: string): Promise<void> {
      return write('exec', () => {
        writer.db.exec(script);
      });
    },

    async close(): Promise<void> {
      if (closed) return;
      checkUsable('close');
      await exclusive(() => {
        closed = true;
        reader.db.close();
        writer.db.close();
        return Promise.resolve();
      });
    },
  };
}
