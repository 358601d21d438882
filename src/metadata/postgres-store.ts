/**
 * The distributed metadata store: the SQL store on PostgreSQL, shared by
 * every berth instance pointed at the same database.
 */
import type { MetadataStore } from './store.js';
import { createSqlMetadataStore } from './sql-store.js';
import { openPostgresDb, type PostgresDb, type PostgresDbOptions } from './postgres-db.js';

/** Options of {@link openPostgresStore}: those of the pool. */
export type PostgresStoreOptions = PostgresDbOptions;

/**
 * Strings in byte order, as the store lists them (distribution-spec: tags
 * "in lexical order"; keyset pagination compares with the same order).
 */
const BYTE_ORDER_PROBE = ['a', 'B', '_', 'Z', 'é'];
const BYTE_ORDER = 'BZ_aé';

/**
 * Opens the PostgreSQL metadata store and brings its schema up to date.
 * Several instances may do this at once on one database: the migration
 * runner claims each migration's row first, so exactly one applies it.
 *
 * The database must sort text in byte order (create it with
 * `LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0`), because the shared
 * schema declares no per-column collation; a database that does not is
 * refused here rather than listing tags out of order later.
 *
 * @throws when the server cannot be reached, the database's collation is not
 *   byte order, or a migration fails (the pool is then closed).
 * @example
 * ```ts
 * const store = await openPostgresStore({ url: 'postgresql://berth@db:5432/berth', poolSize: 20 });
 * ```
 */
export async function openPostgresStore(options: PostgresStoreOptions): Promise<MetadataStore> {
  const db = await openPostgresDb(options);
  const store = createSqlMetadataStore(db, 'postgres');
  try {
    await checkByteOrderCollation(db);
    await store.migrate();
  } catch (error) {
    await store.close();
    throw error;
  }
  return store;
}

async function checkByteOrderCollation(db: PostgresDb): Promise<void> {
  const values = BYTE_ORDER_PROBE.map(() => '(?)').join(', ');
  const row = await db.get<{ sorted: string; collation: string }>(
    `SELECT string_agg(x, '' ORDER BY x) AS sorted,
       (SELECT datcollate FROM pg_database WHERE datname = current_database()) AS collation
     FROM (VALUES ${values}) AS v (x)`,
    BYTE_ORDER_PROBE,
  );
  if (row !== undefined && row.sorted !== BYTE_ORDER) {
    throw new Error(
      `postgres: database collation ${row.collation} does not sort text in byte order (got ${row.sorted}); ` +
        "create the database with: CREATE DATABASE <name> TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'",
    );
  }
}
