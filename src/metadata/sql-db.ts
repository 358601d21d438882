/**
 * The seam between the one SQL metadata store and a database engine.
 *
 * `sql-store.ts` writes every query once, in the SQL both engines accept,
 * with `?` placeholders. An adapter (`sqlite-db.ts`, `postgres-db.ts`) runs
 * them: it rewrites placeholders for its engine (`$1`, `$2`, … for
 * PostgreSQL), never inside string literals.
 *
 * Dialect tokens: the shared schema (`migrations.ts`) and queries avoid
 * engine-specific words: no AUTOINCREMENT/SERIAL (event seqs come from a
 * counter row), `ON CONFLICT … DO NOTHING/UPDATE` instead of `INSERT OR …`,
 * `RETURNING`, no booleans or arrays in results. Where one is unavoidable it
 * is written `{{name}}` in the shared SQL and rewritten by
 * {@link rewriteDialect}; the only one is `{{bytes}}`, the binary column type
 * (SQLite `BLOB`, PostgreSQL `BYTEA`), used in migrations.
 *
 * What the store relies on from every adapter:
 * - TEXT compares and sorts in byte order (SQLite's BINARY default; a
 *   PostgreSQL database created with `LC_COLLATE 'C'`).
 * - Transactions behave at least like READ COMMITTED with row locks: the
 *   store locks a tag row (a no-op UPDATE) before reading it and numbers
 *   events under the `counters` row lock. An adapter running a stricter
 *   level must retry serialization failures, running `fn` again.
 * - Unique and foreign-key violations reject (the store uses them: a
 *   duplicate event id fails the whole change).
 *
 * Values: numbers (safe integers; BIGINT columns come back as numbers),
 * strings, bytes (a binary column comes back as a Buffer), null. Booleans are
 * stored as 0/1.
 */
export type SqlValue = string | number | Uint8Array | null;

/** Runs statements. Inside a transaction, on that transaction. */
export interface SqlExecutor {
  /** Every row. */
  all<T>(sql: string, params?: readonly SqlValue[]): Promise<T[]>;
  /**
   * The first column of every row, without a row object each (a list of
   * thousands of tags costs a third). Values as the engine returns them: use
   * it for text columns (BIGINT may come back as a string on PostgreSQL).
   */
  column<T>(sql: string, params?: readonly SqlValue[]): Promise<T[]>;
  /** The first row, or undefined. */
  get<T>(sql: string, params?: readonly SqlValue[]): Promise<T | undefined>;
  /** A statement without rows; `changes` is the number of rows it touched. */
  run(sql: string, params?: readonly SqlValue[]): Promise<{ changes: number }>;
}

export type SqlDialect = 'sqlite' | 'postgres';

export interface SqlDb extends SqlExecutor {
  readonly dialect: SqlDialect;

  /**
   * Runs `fn` in one serializable-enough transaction: commits when it
   * resolves, rolls back when it rejects (and rethrows). Reads outside a
   * transaction see only committed data. Write transactions never
   * interleave on one engine connection.
   */
  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T>;

  /**
   * Runs a migration script (several statements). Dialect words in the
   * script are rewritten as for queries.
   */
  exec(script: string): Promise<void>;

  /** Closes the connections. Idempotent: a second call resolves when the first is done. */
  close(): Promise<void>;
}

const DIALECT_WORDS: Record<string, Record<SqlDialect, string>> = {
  bytes: { sqlite: 'BLOB', postgres: 'BYTEA' },
};

/**
 * Rewrites the `{{name}}` dialect tokens of shared SQL for one engine.
 *
 * @throws Error for an unknown token (a typo must not reach the engine).
 * @example
 * rewriteDialect('ALTER TABLE t ADD COLUMN b {{bytes}}', 'postgres') // '… b BYTEA'
 */
export function rewriteDialect(sql: string, dialect: SqlDialect): string {
  return sql.replace(/\{\{(\w+)\}\}/g, (_, name: string) => {
    const word = DIALECT_WORDS[name];
    if (word === undefined) throw new Error(`unknown SQL dialect token {{${name}}}`);
    return word[dialect];
  });
}
