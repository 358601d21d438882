/**
 * The embedded metadata store: the SQL store on a SQLite file.
 */
import type { MetadataStore } from './store.js';
import { createSqlMetadataStore } from './sql-store.js';
import { openSqliteDb, type SqliteDbOptions } from './sqlite-db.js';

/**
 * Opens (creating if needed) the SQLite metadata store at `path` and brings
 * its schema up to date.
 *
 * @throws when the file cannot be opened or a migration fails (the file is then closed).
 * @example
 * const store = await openSqliteStore('/var/lib/berth/metadata.db');
 */
export async function openSqliteStore(path: string, options: SqliteDbOptions = {}): Promise<MetadataStore> {
  const store = createSqlMetadataStore(openSqliteDb(path, options), 'sqlite');
  try {
    await store.migrate();
  } catch (error) {
    await store.close();
    throw error;
  }
  return store;
}
