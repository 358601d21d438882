/**
 * Repositories and blobs of the SQL metadata store.
 *
 * A repository exists while it holds any manifest or blob link (tags always
 * point at a held manifest), as in CNCF distribution. Its row is kept after
 * its last content goes, but it is then neither "existing" nor listed.
 */
import type { BlobRecord, MetadataStore, Page, PageRequest } from './store.js';
import type { SqlDb } from './sql-db.js';
import { Where, emptyPage, ensureRepository, fetchColumnPage, fetchPage, insertEvents, num, placeholders } from './sql-store-support.js';

type RepositoryAndBlobMethods = Pick<
  MetadataStore,
  | 'repositoryExists'
  | 'listRepositories'
  | 'listRepositoriesWithTypes'
  | 'getBlob'
  | 'getRepositoryBlob'
  | 'linkBlob'
  | 'unlinkBlob'
  | 'blobReferenceCount'
  | 'deleteBlobRecord'
  | 'listBlobs'
>;

interface BlobRow {
  digest: string;
  size: number | string;
  created_at: number | string;
}

const decodeBlob = (row: BlobRow): BlobRecord => ({
  digest: row.digest,
  size: num(row.size),
  createdAt: num(row.created_at),
});

const HAS_CONTENT = `(EXISTS (SELECT 1 FROM manifests m WHERE m.repo = r.name)
  OR EXISTS (SELECT 1 FROM repository_blobs b WHERE b.repo = r.name))`;

/** Repository and blob methods over `db`. */
export function sqlRepositoryAndBlobMethods(db: SqlDb): RepositoryAndBlobMethods {
  return {
    async repositoryExists(repo: string): Promise<boolean> {
      const row = await db.get(`SELECT 1 AS one FROM repositories r WHERE r.name = ? AND ${HAS_CONTENT}`, [repo]);
      return row !== undefined;
    },

    listRepositories(page: PageRequest): Promise<Page<string>> {
      const where = new Where().and(HAS_CONTENT);
      return fetchColumnPage(db, 'SELECT r.name FROM repositories r', where, 'r.name', page);
    },

    listRepositoriesWithTypes(artifactTypes: string[], page: PageRequest): Promise<Page<string>> {
      if (artifactTypes.length === 0) return emptyPage(page);
      const where = new Where().and(`artifact_type IN (${placeholders(artifactTypes.length)})`, ...artifactTypes);
      return fetchColumnPage(db, 'SELECT DISTINCT repo FROM manifests', where, 'repo', page);
    },

    async getBlob(digest: string): Promise<BlobRecord | undefined> {
      const row = await db.get<BlobRow>('SELECT digest, size, created_at FROM blobs WHERE digest = ?', [digest]);
      return row === undefined ? undefined : decodeBlob(row);
    },

    async getRepositoryBlob(repo: string, digest: string): Promise<BlobRecord | undefined> {
      const row = await db.get<BlobRow>(
        `SELECT b.digest, b.size, b.created_at FROM repository_blobs l
         JOIN blobs b ON b.digest = l.digest WHERE l.repo = ? AND l.digest = ?`,
        [repo, digest],
      );
      return row === undefined ? undefined : decodeBlob(row);
    },

    linkBlob(repo, blob, events): Promise<boolean> {
      return db.transaction(async (tx) => {
        await ensureRepository(tx, repo, blob.createdAt);
        await tx.run('INSERT INTO blobs (digest, size, created_at) VALUES (?, ?, ?) ON CONFLICT (digest) DO NOTHING', [
          blob.digest,
          blob.size,
          blob.createdAt,
        ]);
        const linked = await tx.run(
          'INSERT INTO repository_blobs (repo, digest, created_at) VALUES (?, ?, ?) ON CONFLICT (repo, digest) DO NOTHING',
          [repo, blob.digest, blob.createdAt],
        );
        await insertEvents(tx, events);
        return linked.changes > 0;
      });
    },

    unlinkBlob(repo, digest, events): Promise<boolean> {
      return db.transaction(async (tx) => {
        const removed = await tx.run('DELETE FROM repository_blobs WHERE repo = ? AND digest = ?', [repo, digest]);
        if (removed.changes === 0) return false;
        await insertEvents(tx, events);
        return true;
      });
    },

    async blobReferenceCount(digest: string): Promise<number> {
      const row = await db.get<{ n: number | string }>(
        `SELECT (SELECT COUNT(*) FROM repository_blobs WHERE digest = ?)
              + (SELECT COUNT(*) FROM manifest_refs WHERE child = ?)
              + (SELECT COUNT(*) FROM manifests WHERE digest = ?) AS n`,
        [digest, digest, digest],
      );
      return row === undefined ? 0 : num(row.n);
    },

    async deleteBlobRecord(digest: string): Promise<void> {
      await db.transaction(async (tx) => {
        await tx.run('DELETE FROM repository_blobs WHERE digest = ?', [digest]);
        await tx.run('DELETE FROM blobs WHERE digest = ?', [digest]);
      });
    },

    listBlobs(page: PageRequest): Promise<Page<BlobRecord>> {
      return fetchPage(db, 'SELECT digest, size, created_at FROM blobs', new Where(), 'digest', page, decodeBlob);
    },
  };
}
