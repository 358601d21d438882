/**
 * Manifests and tags of the SQL metadata store: writes and point reads.
 * Listings live in `sql-store-listings.ts`.
 *
 * Concurrency: every write is one transaction. On PostgreSQL (READ
 * COMMITTED) a tag is locked before its current digest is read, so
 * concurrent pushes moving one tag each see the previous holder and report
 * a move chain without gaps; tags are touched in byte order to avoid
 * deadlocks between pushes naming several tags.
 */
import type {
  ManifestRecord,
  ManifestReferences,
  MetadataStore,
  PutManifestInput,
  PutManifestResult,
} from './store.js';
import type { SqlDb, SqlExecutor } from './sql-db.js';
import { ImmutableTagError } from './immutable-tag-error.js';
import { byteOrder, decodeAnnotations, encodeAnnotations, ensureRepository, insertEvents, num } from './sql-store-support.js';

type ManifestMethods = Pick<
  MetadataStore,
  'putManifest' | 'getManifest' | 'getManifestBody' | 'resolveTag' | 'getTaggedManifest' | 'tagsOf' | 'deleteManifest' | 'deleteTag' | 'getReferences'
>;

/** A `manifests` row as selected by {@link MANIFEST_COLUMNS}. */
export interface ManifestRow {
  repo: string;
  digest: string;
  media_type: string;
  size: number | string;
  artifact_type: string | null;
  raw_artifact_type: string | null;
  config_media_type: string | null;
  subject: string | null;
  annotations: string | null;
  total_size: number | string;
  created_at: number | string;
}

const COLUMNS = [
  'repo',
  'digest',
  'media_type',
  'size',
  'artifact_type',
  'raw_artifact_type',
  'config_media_type',
  'subject',
  'annotations',
  'total_size',
  'created_at',
] as const;

/** The columns of a {@link ManifestRow}, unqualified (for `RETURNING`). */
export const MANIFEST_COLUMN_LIST = COLUMNS.join(', ');

/** The columns of a {@link ManifestRow}, qualified with `m.` (alias the table `m`). */
export const MANIFEST_COLUMNS = COLUMNS.map((column) => `m.${column}`).join(', ');

export function decodeManifest(row: ManifestRow): ManifestRecord {
  return {
    repo: row.repo,
    digest: row.digest,
    mediaType: row.media_type,
    size: num(row.size),
    artifactType: row.artifact_type,
    rawArtifactType: row.raw_artifact_type,
    configMediaType: row.config_media_type,
    subject: row.subject,
    annotations: decodeAnnotations(row.annotations),
    totalSize: num(row.total_size),
    createdAt: num(row.created_at),
  };
}

/** Manifest and tag methods over `db`. */
export function sqlManifestMethods(db: SqlDb): ManifestMethods {
  return {
    putManifest(input: PutManifestInput): Promise<PutManifestResult> {
      return db.transaction(async (tx) => {
        const m = input.manifest;
        await ensureRepository(tx, m.repo, m.createdAt);
        const created = await upsertManifest(tx, m, input.body);
        await replaceReferences(tx, m.repo, m.digest, input.references);
        const movedTags: PutManifestResult['movedTags'] = [];
        const immutable = new Set(input.immutableTags);
        for (const tag of [...new Set(input.tags)].sort(byteOrder)) {
          const from = await pointTag(tx, m.repo, tag, m.digest, m.createdAt, immutable.has(tag));
          if (from !== undefined && from !== m.digest) movedTags.push({ tag, from });
        }
        await insertEvents(tx, input.events);
        return { created, movedTags };
      });
    },

    async getManifest(repo: string, digest: string): Promise<ManifestRecord | undefined> {
      const row = await db.get<ManifestRow>(`SELECT ${MANIFEST_COLUMNS} FROM manifests m WHERE m.repo = ? AND m.digest = ?`, [
        repo,
        digest,
      ]);
      return row === undefined ? undefined : decodeManifest(row);
    },

    async getManifestBody(repo: string, digest: string): Promise<Buffer | undefined> {
      const row = await db.get<{ body: Uint8Array | null }>('SELECT body FROM manifests WHERE repo = ? AND digest = ?', [
        repo,
        digest,
      ]);
      if (row?.body == null) return undefined;
      return Buffer.isBuffer(row.body) ? row.body : Buffer.from(row.body.buffer, row.body.byteOffset, row.body.byteLength);
    },

    async resolveTag(repo: string, tag: string): Promise<string | undefined> {
      const row = await db.get<{ digest: string }>('SELECT digest FROM tags WHERE repo = ? AND name = ?', [repo, tag]);
      return row?.digest;
    },

    async getTaggedManifest(repo: string, tag: string): Promise<ManifestRecord | undefined> {
      const row = await db.get<ManifestRow>(
        `SELECT ${MANIFEST_COLUMNS} FROM tags t JOIN manifests m ON m.repo = t.repo AND m.digest = t.digest
         WHERE t.repo = ? AND t.name = ?`,
        [repo, tag],
      );
      return row === undefined ? undefined : decodeManifest(row);
    },

    async tagsOf(repo: string, digest: string): Promise<string[]> {
      return db.column<string>('SELECT name FROM tags WHERE repo = ? AND digest = ? ORDER BY name', [repo, digest]);
    },

    deleteManifest(repo, digest, events, guard): Promise<ManifestRecord | undefined> {
      return db.transaction(async (tx) => {
        if (guard !== undefined) {
          // Lock the manifest row first (a no-op write): a push pointing a
          // tag at it updates this row before its tags, so it either
          // committed before (its tag is seen below) or waits for us.
          const locked = await tx.run('UPDATE manifests SET size = size WHERE repo = ? AND digest = ?', [repo, digest]);
          if (locked.changes === 0) return undefined;
          const tags = await tx.all<{ name: string }>('SELECT name FROM tags WHERE repo = ? AND digest = ? ORDER BY name', [
            repo,
            digest,
          ]);
          const kept = tags.find((t) => guard.protectedTag(t.name));
          if (kept !== undefined) throw new ImmutableTagError(repo, kept.name, digest, 'delete');
        }
        // Tags and references also cascade; deleting them first keeps the
        // result right even where foreign keys are not enforced.
        await tx.run('DELETE FROM tags WHERE repo = ? AND digest = ?', [repo, digest]);
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

    deleteTag(repo, tag, events): Promise<string | undefined> {
      return db.transaction(async (tx) => {
        const row = await tx.get<{ digest: string }>('DELETE FROM tags WHERE repo = ? AND name = ? RETURNING digest', [
          repo,
          tag,
        ]);
        if (row === undefined) return undefined;
        await insertEvents(tx, events);
        return row.digest;
      });
    },

    async getReferences(repo: string, digest: string): Promise<ManifestReferences> {
      const rows = await db.all<{ child: string; kind: string }>(
        'SELECT child, kind FROM manifest_refs WHERE repo = ? AND parent = ? ORDER BY kind, child',
        [repo, digest],
      );
      return {
        blobs: rows.filter((row) => row.kind === 'blob').map((row) => row.child),
        manifests: rows.filter((row) => row.kind === 'manifest').map((row) => row.child),
      };
    },
  };
}

/**
 * Inserts the manifest row, or refreshes its descriptive columns when the
 * repository already holds the digest (the first push time is kept).
 * Returns true when the row is new.
 */
async function upsertManifest(tx: SqlExecutor, m: ManifestRecord, body: Uint8Array | undefined): Promise<boolean> {
  const bytes = body ?? null;
  // media_type … total_size, in column order: the same values for both statements.
  const described = [
    m.mediaType,
    m.size,
    m.artifactType,
    m.rawArtifactType,
    m.configMediaType,
    m.subject,
    encodeAnnotations(m.annotations),
    m.totalSize,
  ];
  for (;;) {
    const inserted = await tx.run(
      `INSERT INTO manifests (repo, digest, media_type, size, artifact_type, raw_artifact_type, config_media_type,
         subject, annotations, total_size, created_at, body)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (repo, digest) DO NOTHING`,
      [m.repo, m.digest, ...described, m.createdAt, bytes],
    );
    if (inserted.changes > 0) return true;
    const updated = await tx.run(
      `UPDATE manifests SET media_type = ?, size = ?, artifact_type = ?, raw_artifact_type = ?, config_media_type = ?,
         subject = ?, annotations = ?, total_size = ?, body = COALESCE(?, body)
       WHERE repo = ? AND digest = ?`,
      [...described, bytes, m.repo, m.digest],
    );
    if (updated.changes > 0) return false;
    // PostgreSQL (READ COMMITTED): a concurrent delete removed the row between
    // the two statements (the UPDATE waited for it, then found nothing).
    // Insert again, or the references and tags below would point at nothing.
  }
}

/** Replaces what a manifest references (deduplicated). */
async function replaceReferences(tx: SqlExecutor, repo: string, parent: string, refs: ManifestReferences): Promise<void> {
  await tx.run('DELETE FROM manifest_refs WHERE repo = ? AND parent = ?', [repo, parent]);
  const insert = async (kind: 'blob' | 'manifest', children: string[]): Promise<void> => {
    for (const child of new Set(children)) {
      await tx.run(
        'INSERT INTO manifest_refs (repo, parent, child, kind) VALUES (?, ?, ?, ?) ON CONFLICT (repo, parent, kind, child) DO NOTHING',
        [repo, parent, child, kind],
      );
    }
  };
  await insert('blob', refs.blobs);
  await insert('manifest', refs.manifests);
}

/**
 * Points a tag at `digest`. Returns the digest it pointed at before, or
 * undefined when the tag is new.
 *
 * @throws ImmutableTagError when `immutable` and the tag (read under its
 *   row lock) points at another digest; the caller's transaction rolls back.
 */
async function pointTag(
  tx: SqlExecutor,
  repo: string,
  tag: string,
  digest: string,
  at: number,
  immutable: boolean,
): Promise<string | undefined> {
  for (;;) {
    const inserted = await tx.run(
      'INSERT INTO tags (repo, name, digest, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT (repo, name) DO NOTHING',
      [repo, tag, digest, at],
    );
    if (inserted.changes > 0) return undefined;
    // The tag exists: lock its row (a no-op write), then read the committed
    // value no other transaction can now change.
    const locked = await tx.run('UPDATE tags SET digest = digest WHERE repo = ? AND name = ?', [repo, tag]);
    if (locked.changes === 0) continue; // deleted meanwhile: insert again
    const current = await tx.get<{ digest: string }>('SELECT digest FROM tags WHERE repo = ? AND name = ?', [repo, tag]);
    if (current === undefined) continue;
    if (immutable && current.digest !== digest) throw new ImmutableTagError(repo, tag, current.digest, 'move');
    await tx.run('UPDATE tags SET digest = ?, updated_at = ? WHERE repo = ? AND name = ?', [digest, at, repo, tag]);
    return current.digest;
  }
}
