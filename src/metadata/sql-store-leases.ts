/**
 * Leases of the SQL metadata store: one row per lease in `leases`, taken by
 * a single conditional upsert so that two instances can never both win.
 */
import type { MetadataStore } from './store.js';
import type { SqlDb } from './sql-db.js';

type LeaseMethods = Pick<MetadataStore, 'acquireLease' | 'releaseLease'>;

/**
 * Inserts the row when the lease is new; otherwise overwrites it only when
 * it is ours or expired. Both engines report `changes = 0` when the
 * `DO UPDATE … WHERE` condition is false. On PostgreSQL a racing insert
 * waits for the other's commit and then evaluates the condition on the
 * committed row, so a lease just taken by another holder is not stolen;
 * SQLite serialises writers.
 */
const ACQUIRE = `INSERT INTO leases (name, holder, expires_at) VALUES (?, ?, ?)
ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
WHERE leases.holder = excluded.holder OR leases.expires_at <= ?`;

/** Lease methods over `db`. */
export function sqlLeaseMethods(db: SqlDb): LeaseMethods {
  return {
    async acquireLease(name: string, holder: string, ttlMs: number, now: number): Promise<boolean> {
      if (!Number.isSafeInteger(ttlMs) || ttlMs <= 0)
        throw new RangeError(`lease ttl must be a positive integer, got ${ttlMs}`);
      if (!Number.isSafeInteger(now)) throw new RangeError(`lease time must be an integer (epoch ms), got ${now}`);
      const result = await db.run(ACQUIRE, [name, holder, now + ttlMs, now]);
      return result.changes > 0;
    },

    async releaseLease(name: string, holder: string): Promise<void> {
      await db.run('DELETE FROM leases WHERE name = ? AND holder = ?', [name, holder]);
    },
  };
}
