/**
 * The one SQL implementation of {@link MetadataStore}, for every engine
 * behind the {@link SqlDb} seam (SQLite, PostgreSQL).
 *
 * Semantics the interface leaves open, decided here and checked by
 * `conformance/metadata-store-suite.ts`:
 * - A repository exists (and is listed) while it holds any manifest or blob
 *   link; tags always point at a held manifest.
 * - Lists are in byte order of their key; `limit: 0` returns no items and
 *   `more` tells whether any exist after `last`. An empty `artifactTypes`
 *   filter matches nothing.
 * - `putManifest` on a digest the repository already holds refreshes its
 *   descriptive fields and references but keeps its first `createdAt`.
 * - Deletes that find nothing (unlinkBlob, deleteManifest, deleteTag) write
 *   no events; other writes always write the events they are given.
 * - `blobReferenceCount` counts repository links, manifest references (in
 *   any repository) and manifest rows with that digest: the bytes may be
 *   deleted only at zero.
 * - `deleteBlobRecord` also removes the blob's repository links.
 * - `countByArtifactType` is ordered null first, then by type.
 * - `getReferences` lists each digest once, in byte order.
 * - A lease expires at `expiresAt <= now`; `releaseLease` deletes the row.
 * - `storageUsage` counts each distinct digest once across the selected
 *   repositories' links and manifests; an empty `names` list selects none.
 */
import type { MetadataStore } from './store.js';
import type { SqlDb } from './sql-db.js';
import { runMigrations } from './migrations.js';
import { sqlRepositoryAndBlobMethods } from './sql-store-blobs.js';
import { sqlListingMethods } from './sql-store-listings.js';
import { sqlManifestMethods } from './sql-store-manifests.js';
import { sqlUploadAndEventMethods } from './sql-store-uploads-events.js';
import { sqlLeaseMethods } from './sql-store-leases.js';
import { sqlGcMethods } from './sql-store-gc.js';

/**
 * Builds the metadata store over an engine. Call `migrate()` before use.
 * `close()` closes `db`.
 *
 * @param kind `sqlite` or `postgres`, reported by `store.kind`.
 * @example
 * const store = createSqlMetadataStore(openSqliteDb(path), 'sqlite');
 * await store.migrate();
 */
export function createSqlMetadataStore(db: SqlDb, kind: string): MetadataStore {
  return {
    kind,
    migrate: () => runMigrations(db),
    async ping(): Promise<void> {
      await db.get('SELECT 1 AS one');
    },
    close: () => db.close(),
    ...sqlRepositoryAndBlobMethods(db),
    ...sqlManifestMethods(db),
    ...sqlListingMethods(db),
    ...sqlUploadAndEventMethods(db),
    ...sqlLeaseMethods(db),
    ...sqlGcMethods(db),
  };
}
