/**
 * Helpers of the metadata-store conformance suite: a fresh store per test
 * and a pagination checker every listing shares.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { MetadataStore, Page, PageRequest } from '../store.js';

/** A store under test and how to dispose of it. */
export interface StoreHarness {
  store: MetadataStore;
  cleanup(): Promise<void>;
}

export type StoreFactory = () => Promise<StoreHarness>;

/** Declares a test that runs `body` on a fresh store and always cleans up. */
export function storeTest(factory: StoreFactory): (name: string, body: (store: MetadataStore) => Promise<void>) => void {
  return (name, body) => {
    it(name, async () => {
      const harness = await factory();
      try {
        await body(harness.store);
      } finally {
        await harness.cleanup();
      }
    });
  };
}

/** Greater, in byte order, than any name, tag or digest the suite uses. */
export const PAST_THE_END = '~~~~';

/**
 * Checks `n`/`last` pagination of a listing whose full content, in order,
 * is `expected`: all at once, limit 0, every page size from 1 to n+1 (so
 * exact multiples and a short last page), `last` at the last item and past
 * the end.
 */
export async function assertPagination<T>(
  list: (page: PageRequest) => Promise<Page<T>>,
  expected: readonly T[],
  key: (item: T) => string,
): Promise<void> {
  assert.deepEqual(await list({}), { items: expected, more: false }, 'no limit returns everything');
  assert.deepEqual(await list({ limit: 0 }), { items: [], more: expected.length > 0 }, 'limit 0');
  for (let limit = 1; limit <= expected.length + 1; limit += 1) {
    const seen: T[] = [];
    let last: string | undefined;
    for (;;) {
      const page = await list(last === undefined ? { limit } : { limit, last });
      const remaining = expected.length - seen.length;
      assert.deepEqual(page.items, expected.slice(seen.length, seen.length + limit), `limit ${limit} after ${String(last)}`);
      assert.equal(page.more, remaining > limit, `more, limit ${limit} after ${String(last)}`);
      seen.push(...page.items);
      const tail = page.items.at(-1);
      if (!page.more || tail === undefined) break;
      last = key(tail);
    }
    assert.deepEqual(seen, expected, `walking pages of ${limit}`);
  }
  const lastItem = expected.at(-1);
  if (lastItem !== undefined) {
    assert.deepEqual(await list({ last: key(lastItem), limit: 5 }), { items: [], more: false }, 'last = final item');
    assert.deepEqual(await list({ last: key(lastItem) }), { items: [], more: false }, 'last = final item, no limit');
  }
  assert.deepEqual(await list({ last: PAST_THE_END, limit: 2 }), { items: [], more: false }, 'last past the end');
  assert.deepEqual(await list({ last: PAST_THE_END, limit: 0 }), { items: [], more: false }, 'limit 0 past the end');
}

/** Sorts strings in byte (UTF-8) order. */
export function byteSorted(values: Iterable<string>): string[] {
  return [...values].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
}
