/**
 * What garbage collection, retention and quotas need from the SQL metadata
 * store: repository links and tag records to walk, a storage-usage
 * aggregate, and conditional deletes that re-check a reference inside the
 * deleting transaction, so a concurrent push is never undone by a decision
 * taken on older data.
 */
import type {
  BlobLink,
  ManifestRecord,
  MetadataStore,
  Page,
  PageRequest,
  RepositoryFilter,
  StorageUsage,
  TagRecord,
} from './store.js';
import type { SqlDb, SqlValue } from './sql-db.js';
import { MANIFEST_COLUMN_LIST, decodeManifest, type ManifestRow } from './sql-store-manifests.js';
import { Where, fetchPage, insertEvents, num, placeholders } from './sql-store-support.js';

type GcMethods = Pick<
  MetadataStore,
  | 'listRepositoryLinks'
  | 'listTagRecords'
  | 'storageUsage'
  | 'deleteUnreferencedManifest'
  | 'deleteTagIfAt'
  | 'deleteBlobRecordIfUnreferenced'
  | 'hasUploadOfSize'
>;


/** `column` restricted to the repositories `filter` selects, as a condition and its parameters. */
function repoCondition(column: string, filter: RepositoryFilter): { sql: string; params: SqlValue[] } {
  if ('names' in filter) {
    if (filter.names.length === 0) return { sql: '1 = 0', params: [] };
    return { sql: `${column} IN (${placeholders(filter.names.length)})`, params: [...filter.names] };
  }
  if (filter.prefix === '') return { sql: '1 = 1', params: [] };
  // Repository names are ASCII, so a JS length is a character count in both engines.
  return { sql: `substr(${column}, 1, ?) = ?`, params: [filter.prefix.length, filter.prefix] };
}

/** GC, retention and quota methods over `db`. */
export function sqlGcMethods(db: SqlDb): GcMethods {
  return {
    listRepositoryLinks(repo: string, page: PageRequest): Promise<Page<BlobLink>> {
      const where = new Where().and('l.repo = ?', repo);
      return fetchPage(
        db,
        'SELECT l.digest, b.size, l.created_at FROM repository_blobs l JOIN blobs b ON b.digest = l.digest',
        where,
        'l.digest',
        page,
        (row: { digest: string; size: number | string; created_at: number | string }) => ({
          digest: row.digest,
          size: num(row.size),
          linkedAt: num(row.created_at),
        }),
      );
    },

    listTagRecords(repo: string, page: PageRequest): Promise<Page<TagRecord>> {
      const where = new Where().and('repo = ?', repo);
      return fetchPage(
        db,
        'SELECT name, digest, updated_at FROM tags',
        where,
        'name',
        page,
        (row: { name: string; digest: string; updated_at: number | string }) => ({
          name: row.name,
          digest: row.digest,
          updatedAt: num(row.updated_at),
        }),
      );
    },

    async storageUsage(filter, adding): Promise<StorageUsage> {
      const links = repoCondition('l.repo', filter);
      const manifests = repoCondition('m.repo', filter);
      let sql = `SELECT b.digest AS digest, b.size AS size FROM repository_blobs l JOIN blobs b ON b.digest = l.digest WHERE ${links.sql}
        UNION SELECT m.digest AS digest, m.size AS size FROM manifests m WHERE ${manifests.sql}`;
      const params: SqlValue[] = [...links.params, ...manifests.params];
      if (adding !== undefined) {
        sql += ' UNION SELECT CAST(? AS TEXT) AS digest, CAST(? AS BIGINT) AS size';
        params.push(adding.digest, adding.size);
      }
      const row = await db.get<{ bytes: number | string | null; objects: number | string }>(
        `SELECT COALESCE(SUM(u.size), 0) AS bytes, COUNT(*) AS objects FROM (${sql}) u`,
        params,
      );
      return { bytes: num(row?.bytes ?? 0), objects: num(row?.objects ?? 0) };
    },

    deleteUnreferencedManifest(repo, digest, events): Promise<ManifestRecord | undefined> {
      return db.transaction(async (tx) => {
        // Lock the row first (a no-op write): a push of the same manifest
        // updates this row before it points tags at it, so it either
        // committed before (and its tags are seen below) or waits for us.
        const locked = await tx.run('UPDATE manifests SET size = size WHERE repo = ? AND digest = ?', [repo, digest]);
        if (locked.changes === 0) return undefined;
        const tagged = await tx.get('SELECT 1 AS one FROM tags WHERE repo = ? AND digest = ? LIMIT 1', [repo, digest]);
        if (tagged !== undefined) return undefined;
        const child = await tx.get(
          "SELECT 1 AS one FROM manifest_refs WHERE repo = ? AND child = ? AND kind = 'manifest' LIMIT 1",
          [repo, digest],
        );
        if (child !== undefined) return undefined;
        await tx.run('DELETE FROM manifest_refs WHERE repo = ? AND parent = ?', [repo, digest]);
        const row = await tx.get<ManifestRow>(
          `DELETE FROM manifests WHERE repo = ? AND digest = ? RETURNING ${MANIFEST_COLUMN_LIST}`,
          [repo, digest],
        );
        if (row === undefined) return undefined;
        await insertEvents(tx, events);
        return decodeManifest(row);
      });
    },

    deleteTagIfAt(repo, tag, digest, events): Promise<boolean> {
      return db.transaction(async (tx) => {
        const removed = await tx.run('DELETE FROM tags WHERE repo = ? AND name = ? AND digest = ?', [
          repo,
          tag,
          digest,
        ]);
        if (removed.changes === 0) return false;
        await insertEvents(tx, events);
        return true;
      });
    },

    deleteBlobRecordIfUnreferenced(digest: string): Promise<boolean> {
      return db.transaction(async (tx) => {
        const row = await tx.get<{ n: number | string }>(
          `SELECT (SELECT COUNT(*) FROM repository_blobs WHERE digest = ?)
                + (SELECT COUNT(*) FROM manifest_refs WHERE child = ?)
                + (SELECT COUNT(*) FROM manifests WHERE digest = ?) AS n`,
          [digest, digest, digest],
        );
        if (row !== undefined && num(row.n) > 0) return false;
        const removed = await tx.run('DELETE FROM blobs WHERE digest = ?', [digest]);
        return removed.changes > 0;
      });
    },

    async hasUploadOfSize(size: number): Promise<boolean> {
      const row = await db.get('SELECT 1 AS one FROM uploads WHERE offset_bytes = ? LIMIT 1', [size]);
      return row !== undefined;
    },
  };
}
