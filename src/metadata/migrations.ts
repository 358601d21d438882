/**
 * The one migration set of the SQL metadata store, shared by SQLite and
 * PostgreSQL.
 *
 * Every script is written in the SQL both engines accept: TEXT for strings
 * and JSON, BIGINT for sizes, counters and epoch-ms times, composite keys,
 * `ON DELETE CASCADE`, no engine-specific words. In particular there is no
 * AUTOINCREMENT/SERIAL: `events.seq` is assigned by the store from the
 * `counters` row `event_seq`, incremented inside the writing transaction.
 * That row lock also makes seq order equal commit order on PostgreSQL, which
 * a sequence does not (a reader of `seq > n` could otherwise skip an event
 * whose lower seq commits later).
 *
 * Rules for scripts: each statement ends with `;` at the end of a line, and
 * no `;` appears inside a statement, because {@link runMigrations} runs the
 * statements one by one inside the migration's transaction. Never edit a
 * released migration; append a new one.
 */
import { rewriteDialect, type SqlDb, type SqlDialect, type SqlExecutor } from './sql-db.js';

/** One schema step. Versions are applied in ascending order, each once. */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** Every migration, oldest first. */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'initial',
    sql: `
-- A repository row anchors its children; it is created by the first link or
-- push and kept afterwards (the store decides existence from its content).
CREATE TABLE repositories (
  name TEXT NOT NULL PRIMARY KEY,
  created_at BIGINT NOT NULL
);

-- Blobs are stored once registry-wide; repositories link to them.
CREATE TABLE blobs (
  digest TEXT NOT NULL PRIMARY KEY,
  size BIGINT NOT NULL,
  created_at BIGINT NOT NULL
);

CREATE TABLE repository_blobs (
  repo TEXT NOT NULL REFERENCES repositories (name),
  digest TEXT NOT NULL REFERENCES blobs (digest),
  created_at BIGINT NOT NULL,
  PRIMARY KEY (repo, digest)
);
CREATE INDEX repository_blobs_digest ON repository_blobs (digest);

-- annotations: JSON object text, or NULL.
CREATE TABLE manifests (
  repo TEXT NOT NULL REFERENCES repositories (name),
  digest TEXT NOT NULL,
  media_type TEXT NOT NULL,
  size BIGINT NOT NULL,
  artifact_type TEXT,
  raw_artifact_type TEXT,
  config_media_type TEXT,
  subject TEXT,
  annotations TEXT,
  total_size BIGINT NOT NULL,
  created_at BIGINT NOT NULL,
  PRIMARY KEY (repo, digest)
);
CREATE INDEX manifests_subject ON manifests (repo, subject, digest);
CREATE INDEX manifests_artifact_type ON manifests (artifact_type, repo);
CREATE INDEX manifests_digest ON manifests (digest);

-- What each manifest points at (config and layers as 'blob', index children
-- as 'manifest'), for GC reference counts and deletes.
CREATE TABLE manifest_refs (
  repo TEXT NOT NULL,
  parent TEXT NOT NULL,
  child TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('blob', 'manifest')),
  PRIMARY KEY (repo, parent, kind, child),
  FOREIGN KEY (repo, parent) REFERENCES manifests (repo, digest) ON DELETE CASCADE
);
CREATE INDEX manifest_refs_child ON manifest_refs (child);

-- A tag always points at a manifest the repository holds.
CREATE TABLE tags (
  repo TEXT NOT NULL,
  name TEXT NOT NULL,
  digest TEXT NOT NULL,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (repo, name),
  FOREIGN KEY (repo, digest) REFERENCES manifests (repo, digest) ON DELETE CASCADE
);
CREATE INDEX tags_digest ON tags (repo, digest);

-- Upload sessions are not tied to a repository row: the first upload is what
-- creates a repository, and an abandoned one must not make it exist.
CREATE TABLE uploads (
  id TEXT NOT NULL PRIMARY KEY,
  repo TEXT NOT NULL,
  algorithm TEXT NOT NULL,
  offset_bytes BIGINT NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  driver_state TEXT
);
CREATE INDEX uploads_updated_at ON uploads (updated_at);

-- The event outbox. seq comes from counters.event_seq (see above).
CREATE TABLE events (
  seq BIGINT NOT NULL PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  action TEXT NOT NULL,
  repo TEXT NOT NULL,
  payload TEXT NOT NULL,
  created_at BIGINT NOT NULL
);

CREATE TABLE event_cursors (
  sink TEXT NOT NULL PRIMARY KEY,
  seq BIGINT NOT NULL
);

CREATE TABLE counters (
  name TEXT NOT NULL PRIMARY KEY,
  value BIGINT NOT NULL
);
INSERT INTO counters (name, value) VALUES ('event_seq', 0);

-- Background-worker leases (GC, upload expiry, delivery): one holder at a time.
CREATE TABLE leases (
  name TEXT NOT NULL PRIMARY KEY,
  holder TEXT NOT NULL,
  expires_at BIGINT NOT NULL
);
`,
  },
  {
    version: 2,
    name: 'manifest bodies',
    sql: `
-- A manifest's bytes, stored with its record so that a push is one durable
-- commit. NULL for manifests recorded before this migration: their bytes are
-- in blob storage at their content address.
ALTER TABLE manifests ADD COLUMN body {{bytes}};
`,
  },
];

const CREATE_SCHEMA_MIGRATIONS = `CREATE TABLE IF NOT EXISTS schema_migrations (
  version INTEGER NOT NULL PRIMARY KEY,
  name TEXT NOT NULL
)`;

/**
 * Splits a migration script into statements: `;` at the end of a line ends
 * one; chunks holding only comments and blanks are dropped.
 *
 * @example
 * splitStatements('CREATE TABLE a (x TEXT);\n-- done\n') // ['CREATE TABLE a (x TEXT)']
 */
export function splitStatements(script: string): string[] {
  return script
    .split(/;[ \t]*(?:\r?\n|$)/)
    .map((chunk) => chunk.trim())
    .filter((chunk) => chunk.split('\n').some((line) => line.trim() !== '' && !line.trim().startsWith('--')));
}

/**
 * Brings the schema up to date: creates `schema_migrations` if missing, then
 * applies each migration not yet recorded, each in its own transaction
 * together with its `schema_migrations` row.
 *
 * Idempotent and safe when several processes start at once on one
 * PostgreSQL database: a migration's row is inserted first, so a second
 * process waits on it and then skips the migration.
 *
 * @throws the engine's error when a statement fails (that migration is rolled back).
 * @example
 * await runMigrations(openSqliteDb('/data/berth.db'));
 */
export async function runMigrations(db: SqlDb, migrations: readonly Migration[] = MIGRATIONS): Promise<void> {
  await createMigrationTable(db);
  const applied = await db.all<{ version: number | string }>('SELECT version FROM schema_migrations');
  const done = new Set(applied.map((row) => Number(row.version)));
  const pending = [...migrations].filter((m) => !done.has(m.version)).sort((a, b) => a.version - b.version);
  for (const migration of pending) {
    await db.transaction((tx) => applyMigration(tx, migration, db.dialect));
  }
}

async function createMigrationTable(db: SqlDb): Promise<void> {
  try {
    await db.run(CREATE_SCHEMA_MIGRATIONS);
  } catch (error) {
    // Two PostgreSQL processes creating the table at once can make one fail
    // on the catalog's unique index even with IF NOT EXISTS; once the other
    // commits the table is there.
    await db.run(CREATE_SCHEMA_MIGRATIONS).catch(() => {
      throw error;
    });
  }
}

async function applyMigration(tx: SqlExecutor, migration: Migration, dialect: SqlDialect): Promise<void> {
  const claimed = await tx.run(
    'INSERT INTO schema_migrations (version, name) VALUES (?, ?) ON CONFLICT (version) DO NOTHING',
    [migration.version, migration.name],
  );
  if (claimed.changes === 0) return; // another process applied it meanwhile
  for (const statement of splitStatements(migration.sql)) {
    await tx.run(rewriteDialect(statement, dialect));
  }
}
