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
 *
 * Durability (`synchronous: 'FULL'`, the default): SQLite's own FULL mode
 * fsyncs the WAL inside COMMIT, which better-sqlite3 runs on the event loop,
 * so every commit stalled all requests for a disk flush. Instead the
 * connection runs with `synchronous = NORMAL` (WAL frames are written at
 * COMMIT, checkpoints still fsync) and a write's promise resolves only after
 * berth has `fdatasync`ed the WAL file in the thread pool. Commits that land
 * while a sync is running share the next one (group commit). So a write is
 * still durable across power loss once its promise resolves; the difference
 * is that the read connection may see a commit during those few
 * milliseconds before it is durable (a crash of berth alone loses nothing:
 * the frames are in the OS page cache).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { open, type FileHandle } from 'node:fs/promises';
import Database from 'better-sqlite3';
import type { SqlDb, SqlExecutor, SqlValue } from './sql-db.js';

/** Options of {@link openSqliteDb}. */
export interface SqliteDbOptions {
  /**
   * `FULL` (default): every write resolves only after the WAL is synced, so
   * an acknowledged commit survives power loss (the sync runs in the thread
   * pool and is shared by concurrent commits). `NORMAL`: writes resolve at
   * COMMIT; still durable across a crash of berth (kill -9), may lose the
   * last commits on power loss, never corrupts.
   */
  synchronous?: 'FULL' | 'NORMAL';
  /** How long to wait for another process's lock, in ms. Default 5000. */
  busyTimeoutMs?: number;
  /**
   * Throw when code inside a transaction's callback calls the db instead of
   * the transaction's executor: a write there would wait for the transaction
   * forever, a read (on the read connection) would not see its writes. Default false: the check
   * follows the callback with AsyncLocalStorage, which turns on Node's
   * promise hooks for every promise in the process (4–12 % more server CPU
   * for manifest pushes, manifest GETs and mounts, measured A/B). The test
   * suite runs with it on, so store code that nests is caught there.
   */
  checkNestedCalls?: boolean;
}

/** Prepared statements kept per connection; beyond this, the least recently used go. */
const STATEMENT_CACHE_SIZE = 500;

/** A connection with a bounded cache of prepared statements by SQL text. */
class Connection {
  private readonly statements = new Map<string, Database.Statement>();

  constructor(readonly db: Database.Database) {}

  /** The prepared statement for `sql`; with `pluck`, one that returns the first column only. */
  statement(sql: string, pluck = false): Database.Statement {
    const key = pluck ? `\u0000pluck ${sql}` : sql;
    let stmt = this.statements.get(key);
    if (stmt !== undefined) {
      // Most recently used last, so a burst of one-off statements (page
      // sizes a client picks, IN lists of every length) evicts those first.
      this.statements.delete(key);
      this.statements.set(key, stmt);
    } else {
      stmt = this.db.prepare(sql);
      if (pluck) stmt.pluck(true);
      if (this.statements.size >= STATEMENT_CACHE_SIZE) {
        const oldest = this.statements.keys().next();
        if (oldest.done !== true) this.statements.delete(oldest.value);
      }
      this.statements.set(key, stmt);
    }
    return stmt;
  }

  all<T>(sql: string, params: readonly SqlValue[]): T[] {
    return this.statement(sql).all(...params) as T[];
  }

  column<T>(sql: string, params: readonly SqlValue[]): T[] {
    return this.statement(sql, true).all(...params) as T[];
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
    // FULL is provided by syncing the WAL off the event loop (see the module comment).
    writeDb.pragma('synchronous = NORMAL');
    writeDb.pragma('foreign_keys = ON');
    readDb = new Database(path, { timeout: busyTimeout });
    readDb.pragma('query_only = ON');
  } catch (error) {
    readDb?.close();
    writeDb.close();
    throw error;
  }
  const durable = options.synchronous !== 'NORMAL' ? createWalSync(`${path}-wal`) : NO_WAL_SYNC;
  return createSqliteDb(new Connection(writeDb), new Connection(readDb), durable, options.checkNestedCalls === true);
}

/**
 * Returns a function that resolves once everything committed before the call
 * is on disk: it `fdatasync`s `walPath` in the thread pool, one sync at a
 * time, each covering every commit made before it started. A missing WAL
 * (checkpointed into the database file and removed at close) has nothing left
 * to sync. Rejects with the sync's error; the next call tries again.
 *
 * The WAL stays open between syncs (one thread-pool call per sync instead of
 * three). That handle keeps naming the live WAL: SQLite deletes the WAL only
 * when the last connection to the database closes, and this process holds
 * two until `close`, which closes the handle too; a checkpoint rewinds the
 * WAL in place (same file).
 */
function createWalSync(walPath: string): WalSync {
  let requested = 0;
  let synced = 0;
  let running: Promise<void> | undefined;
  let handle: FileHandle | undefined;

  const syncOnce = async (): Promise<void> => {
    handle ??= await open(walPath, 'r').catch((err: unknown) => {
      if ((err as { code?: unknown }).code === 'ENOENT') return undefined;
      throw err;
    });
    await handle?.datasync();
  };
  const pump = (): Promise<void> => {
    running ??= (async () => {
      try {
        while (synced < requested) {
          const covers = requested;
          await syncOnce();
          synced = covers;
        }
      } finally {
        running = undefined;
      }
    })();
    return running;
  };
  return {
    async sync() {
      const mine = ++requested;
      while (synced < mine) await pump();
    },
    async close() {
      await running?.catch(() => undefined);
      await handle?.close();
      handle = undefined;
    },
  };
}

interface WalSync {
  /** Resolves once everything committed before the call is on disk. */
  sync(): Promise<void>;
  /** Closes the WAL handle (after a sync in progress). */
  close(): Promise<void>;
}

const NO_WAL_SYNC: WalSync = { sync: () => Promise.resolve(), close: () => Promise.resolve() };

function createSqliteDb(writer: Connection, reader: Connection, durable: WalSync, checkNestedCalls: boolean): SqlDb {
  const exclusive = createMutex();
  // With checkNestedCalls: marks the async context of a transaction's
  // callback, so that a call on the db (instead of the tx) from inside it
  // fails instead of deadlocking.
  const inTransaction = checkNestedCalls ? new AsyncLocalStorage<true>() : undefined;
  let closed = false;

  function checkUsable(what: string): void {
    if (closed) throw new Error(`sqlite: ${what} after close`);
    if (inTransaction?.getStore() === true) {
      // A write there would deadlock; a read would not see the transaction's writes.
      throw new Error(`sqlite: db.${what} inside a transaction would deadlock or read around it; use the transaction's executor`);
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

  /** A write that resolves once it is durable. */
  async function writeDurably<T>(what: string, fn: () => T): Promise<T> {
    const result = await write(what, fn);
    await durable.sync();
    return result;
  }

  /** Reads on the read connection; a statement that writes goes to the writer. */
  function read<T>(what: string, sql: string, fn: (c: Connection) => T): Promise<T> {
    let readonly: boolean;
    try {
      checkUsable(what);
      readonly = reader.statement(sql).readonly;
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    if (!readonly) return writeDurably('run', () => fn(writer));
    return Promise.resolve().then(() => fn(reader));
  }

  return {
    dialect: 'sqlite',

    all<T>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
      return read('all', sql, (c) => c.all<T>(sql, params));
    },

    get<T>(sql: string, params: readonly SqlValue[] = []): Promise<T | undefined> {
      return read('get', sql, (c) => c.get<T>(sql, params));
    },

    column<T>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
      return read('column', sql, (c) => c.column<T>(sql, params));
    },

    run(sql: string, params: readonly SqlValue[] = []): Promise<{ changes: number }> {
      return writeDurably('run', () => writer.run(sql, params));
    },

    transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
      try {
        checkUsable('transaction');
      } catch (error) {
        return Promise.reject(error instanceof Error ? error : new Error(String(error)));
      }
      const committed = exclusive(async () => {
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
          column: <R>(sql: string, params: readonly SqlValue[] = []) => onTx(() => writer.column<R>(sql, params)),
          run: (sql: string, params: readonly SqlValue[] = []) => onTx(() => writer.run(sql, params)),
        };
        writer.run('BEGIN IMMEDIATE', []);
        try {
          const result = await (inTransaction === undefined ? fn(tx) : inTransaction.run(true, () => fn(tx)));
          active = false;
          writer.run('COMMIT', []);
          return result;
        } catch (error) {
          active = false;
          if (writer.db.inTransaction) writer.run('ROLLBACK', []);
          throw error;
        }
      });
      // Outside the mutex: the next transaction runs while this one's WAL frames reach the disk.
      return committed.then(async (result) => {
        await durable.sync();
        return result;
      });
    },

    exec(script: string): Promise<void> {
      return writeDurably('exec', () => {
        writer.db.exec(script);
      });
    },

    async close(): Promise<void> {
      if (closed) return;
      checkUsable('close');
      await exclusive(async () => {
        closed = true;
        await durable.close();
        reader.db.close();
        writer.db.close();
      });
    },
  };
}
