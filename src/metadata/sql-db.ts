/**
 * The seam between the one SQL metadata store and a database engine.
 *
 * `sql-store.ts` writes every query once, in the SQL both engines accept,
 * with `?` placeholders. An adapter (`sqlite-db.ts`, `postgres-db.ts`) runs
 * them: it rewrites placeholders for its engine (`$1`, `$2`, … for
 * PostgreSQL) and the few dialect words listed in {@link SqlDialect}.
 *
 * Values: numbers (safe integers; BIGINT columns come back as numbers),
 * strings, null. Booleans are stored as 0/1.
 */
export type SqlValue = string | number | null;

/** Runs statements. Inside a transaction, on that transaction. */
export interface SqlExecutor {
  /** Every row. */
  all<T>(sql: string, params?: readonly SqlValue[]): Promise<T[]>;
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

  close(): Promise<void>;
}
