/**
 * Upload sessions and the event outbox of the SQL metadata store.
 */
import type { MetadataStore, OutboxEvent, StoredEvent, UploadSession } from './store.js';
import type { SqlDb, SqlValue } from './sql-db.js';
import { insertEvents, limitClause, num } from './sql-store-support.js';

type UploadAndEventMethods = Pick<
  MetadataStore,
  | 'createUpload'
  | 'getUpload'
  | 'updateUpload'
  | 'deleteUpload'
  | 'listStaleUploads'
  | 'appendEvents'
  | 'readEvents'
  | 'getCursor'
  | 'setCursor'
  | 'listCursors'
  | 'countEvents'
  | 'pruneEvents'
>;

interface UploadRow {
  id: string;
  repo: string;
  algorithm: string;
  offset_bytes: number | string;
  created_at: number | string;
  updated_at: number | string;
  driver_state: string | null;
}

const UPLOAD_COLUMNS = 'id, repo, algorithm, offset_bytes, created_at, updated_at, driver_state';

const decodeUpload = (row: UploadRow): UploadSession => ({
  id: row.id,
  repo: row.repo,
  algorithm: row.algorithm,
  offset: num(row.offset_bytes),
  createdAt: num(row.created_at),
  updatedAt: num(row.updated_at),
  driverState: row.driver_state,
});

interface EventRow {
  seq: number | string;
  id: string;
  action: string;
  repo: string;
  payload: string;
  created_at: number | string;
}

/** Upload and event methods over `db`. */
export function sqlUploadAndEventMethods(db: SqlDb): UploadAndEventMethods {
  return {
    async createUpload(session: UploadSession): Promise<void> {
      await db.run(`INSERT INTO uploads (${UPLOAD_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)`, [
        session.id,
        session.repo,
        session.algorithm,
        session.offset,
        session.createdAt,
        session.updatedAt,
        session.driverState,
      ]);
    },

    async getUpload(id: string): Promise<UploadSession | undefined> {
      const row = await db.get<UploadRow>(`SELECT ${UPLOAD_COLUMNS} FROM uploads WHERE id = ?`, [id]);
      return row === undefined ? undefined : decodeUpload(row);
    },

    async updateUpload(id, expectedOffset, update): Promise<boolean> {
      let sets = 'offset_bytes = ?, updated_at = ?';
      const params: SqlValue[] = [update.offset, update.updatedAt];
      if (update.driverState !== undefined) {
        sets += ', driver_state = ?';
        params.push(update.driverState);
      }
      const result = await db.run(`UPDATE uploads SET ${sets} WHERE id = ? AND offset_bytes = ?`, [
        ...params,
        id,
        expectedOffset,
      ]);
      return result.changes > 0;
    },

    async deleteUpload(id: string): Promise<boolean> {
      const result = await db.run('DELETE FROM uploads WHERE id = ?', [id]);
      return result.changes > 0;
    },

    async listStaleUploads(updatedBefore: number, limit: number): Promise<UploadSession[]> {
      const rows = await db.all<UploadRow>(
        `SELECT ${UPLOAD_COLUMNS} FROM uploads WHERE updated_at < ? ORDER BY updated_at, id${limitClause(limit)}`,
        [updatedBefore],
      );
      return rows.map(decodeUpload);
    },

    async appendEvents(events: OutboxEvent[]): Promise<void> {
      if (events.length === 0) return;
      await db.transaction((tx) => insertEvents(tx, events));
    },

    async readEvents(afterSeq: number, limit: number): Promise<StoredEvent[]> {
      const rows = await db.all<EventRow>(
        `SELECT seq, id, action, repo, payload, created_at FROM events WHERE seq > ? ORDER BY seq${limitClause(limit)}`,
        [afterSeq],
      );
      return rows.map((row) => ({
        seq: num(row.seq),
        id: row.id,
        action: row.action,
        repo: row.repo,
        payload: JSON.parse(row.payload) as unknown,
        createdAt: num(row.created_at),
      }));
    },

    async getCursor(sink: string): Promise<number> {
      const row = await db.get<{ seq: number | string }>('SELECT seq FROM event_cursors WHERE sink = ?', [sink]);
      return row === undefined ? 0 : num(row.seq);
    },

    async setCursor(sink: string, seq: number): Promise<void> {
      await db.run('INSERT INTO event_cursors (sink, seq) VALUES (?, ?) ON CONFLICT (sink) DO UPDATE SET seq = excluded.seq', [
        sink,
        seq,
      ]);
    },

    async listCursors(): Promise<Record<string, number>> {
      const rows = await db.all<{ sink: string; seq: number | string }>('SELECT sink, seq FROM event_cursors ORDER BY sink');
      return Object.fromEntries(rows.map((row) => [row.sink, num(row.seq)]));
    },

    async countEvents(afterSeq: number): Promise<{ count: number; lastSeq: number }> {
      const row = await db.get<{ n: number | string; last: number | string | null }>(
        // The counter, not MAX(seq): pruned events still count as written.
        "SELECT (SELECT COUNT(*) FROM events WHERE seq > ?) AS n, (SELECT value FROM counters WHERE name = 'event_seq') AS last",
        [afterSeq],
      );
      return { count: num(row?.n ?? 0), lastSeq: row?.last === null || row?.last === undefined ? 0 : num(row.last) };
    },

    async pruneEvents(upToSeq: number, createdBefore: number): Promise<number> {
      const result = await db.run('DELETE FROM events WHERE seq <= ? AND created_at < ?', [upToSeq, createdBefore]);
      return result.changes;
    },
  };
}
