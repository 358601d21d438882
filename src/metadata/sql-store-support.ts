/**
 * Shared pieces of the SQL metadata store: keyset pagination, row decoding
 * and the few writes several operations share (repository rows, outbox
 * events). Internal to `sql-store*.ts`.
 */
import type { OutboxEvent, Page, PageRequest } from './store.js';
import type { SqlExecutor, SqlValue } from './sql-db.js';

/**
 * BIGINT columns come back as numbers from SQLite and, unless the adapter
 * parses them, as strings from PostgreSQL; COUNT(*) is BIGINT there too.
 */
export function num(value: number | string | bigint): number {
  return typeof value === 'number' ? value : Number(value);
}

/** `?, ?, ?` for `count` values. */
export function placeholders(count: number): string {
  return Array.from({ length: count }, () => '?').join(', ');
}

/** A WHERE clause from conditions, each with its parameters. */
export class Where {
  private readonly conditions: string[] = [];
  readonly params: SqlValue[] = [];

  /** Adds `condition` (with `?` for each of `params`). */
  and(condition: string, ...params: SqlValue[]): this {
    this.conditions.push(condition);
    this.params.push(...params);
    return this;
  }

  toString(): string {
    return this.conditions.length === 0 ? '' : ` WHERE ${this.conditions.join(' AND ')}`;
  }
}

/**
 * Validates a page size: undefined (all) or a non-negative integer.
 *
 * @throws RangeError otherwise.
 */
export function checkLimit(limit: number | undefined): void {
  if (limit !== undefined && !(Number.isSafeInteger(limit) && limit >= 0)) {
    throw new RangeError(`page limit must be a non-negative integer, got ${String(limit)}`);
  }
}

/**
 * ` LIMIT <n>` with the number written into the SQL text, not bound as a
 * parameter. The SQLite that better-sqlite3 bundles plans with a bound
 * LIMIT's value, so every new binding marks the prepared statement expired
 * and the next step parses and plans it again (seen in `perf` as
 * `sqlite3_step` → `sqlite3Reprepare`): a tag list spent ~30 µs of its
 * ~115 µs of CPU on that. With the number in the text each page size has its
 * own cached statement. `limit` is checked to be a non-negative integer, so
 * nothing but digits reaches the SQL.
 *
 * @throws RangeError when `limit` is not a non-negative integer.
 */
export function limitClause(limit: number): string {
  checkLimit(limit);
  return ` LIMIT ${String(limit)}`;
}

/** The page of a filter that matches nothing (the request is still validated). */
export function emptyPage<T>(page: PageRequest): Promise<Page<T>> {
  return Promise.resolve().then(() => {
    checkLimit(page.limit);
    return { items: [], more: false };
  });
}

/**
 * Runs a keyset-paginated query: adds `key > last` to `where` (which it
 * therefore changes: build one per query), orders by
 * `key` (byte order: SQLite's BINARY collation, PostgreSQL's "C" collation)
 * and fetches one row more than `limit` to know whether more follow.
 *
 * @param select `SELECT … FROM …` without WHERE/ORDER/LIMIT.
 */
export async function fetchPage<R, T>(
  exec: SqlExecutor,
  select: string,
  where: Where,
  key: string,
  page: PageRequest,
  decode: (row: R) => T,
): Promise<Page<T>> {
  const { sql, params } = pageQuery(select, where, key, page);
  const { items, more } = trimPage(await exec.all<R>(sql, params), page);
  return { items: items.map(decode), more };
}

/**
 * {@link fetchPage} for a `select` of one text column (names, tags): the
 * values come back without a row object each, which is what makes a list
 * of thousands of tags cheap.
 */
export async function fetchColumnPage(
  exec: SqlExecutor,
  select: string,
  where: Where,
  key: string,
  page: PageRequest,
): Promise<Page<string>> {
  const { sql, params } = pageQuery(select, where, key, page);
  return trimPage(await exec.column<string>(sql, params), page);
}

function pageQuery(select: string, where: Where, key: string, page: PageRequest): { sql: string; params: SqlValue[] } {
  checkLimit(page.limit);
  if (page.last !== undefined) where.and(`${key} > ?`, page.last);
  const params = [...where.params];
  let sql = `${select}${where.toString()} ORDER BY ${key}`;
  if (page.limit !== undefined) sql += limitClause(page.limit + 1);
  return { sql, params };
}

function trimPage<T>(rows: T[], page: PageRequest): Page<T> {
  const more = page.limit !== undefined && rows.length > page.limit;
  return { items: more ? rows.slice(0, page.limit) : rows, more };
}

/** Annotations are stored as JSON object text, or NULL. */
export function encodeAnnotations(annotations: Record<string, string> | null): string | null {
  return annotations === null ? null : JSON.stringify(annotations);
}

export function decodeAnnotations(text: string | null): Record<string, string> | null {
  return text === null ? null : (JSON.parse(text) as Record<string, string>);
}

/** Creates the repository row if missing (idempotent). */
export async function ensureRepository(tx: SqlExecutor, repo: string, createdAt: number): Promise<void> {
  await tx.run('INSERT INTO repositories (name, created_at) VALUES (?, ?) ON CONFLICT (name) DO NOTHING', [
    repo,
    createdAt,
  ]);
}

/**
 * Appends events to the outbox inside `tx`, numbering them from the
 * `event_seq` counter. Updating that row locks it until commit, so on
 * PostgreSQL transactions that write events commit in seq order and a
 * reader of `seq > n` never skips one.
 *
 * @throws the engine's unique-constraint error on a duplicate event id
 *   (the whole transaction then rolls back).
 */
export async function insertEvents(tx: SqlExecutor, events: readonly OutboxEvent[] | undefined): Promise<void> {
  if (events === undefined || events.length === 0) return;
  const counter = await tx.get<{ value: number | string }>(
    "UPDATE counters SET value = value + ? WHERE name = 'event_seq' RETURNING value",
    [events.length],
  );
  if (counter === undefined) throw new Error('metadata schema is missing the event_seq counter; run migrations');
  let seq = num(counter.value) - events.length;
  for (const event of events) {
    seq += 1;
    await tx.run('INSERT INTO events (seq, id, action, repo, payload, created_at) VALUES (?, ?, ?, ?, ?, ?)', [
      seq,
      event.id,
      event.action,
      event.repo,
      JSON.stringify(event.payload ?? null),
      event.createdAt,
    ]);
  }
}

/** Sorts strings in byte (UTF-8) order, as the database orders them. */
export function byteOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}
