/**
 * Pages of a listing filtered by what the caller may see (issue 7: catalog
 * and listings show only repositories the caller can pull). Reads source
 * pages until `n` visible items are found, and one more to know honestly
 * whether a next page exists, so a `Link` never points at an empty page.
 */

/** One page of names and whether more follow. */
export interface NamePage {
  items: string[];
  more: boolean;
}

/**
 * @param fetch reads the source after `after` (exclusive), up to `size` items.
 * @example
 * await filteredPage((after, size) => listings.catalog({ n: size, ...(after ? { last: after } : {}) }), canPull, 100, last);
 */
export async function filteredPage(
  fetch: (after: string | undefined, size: number) => Promise<NamePage>,
  keep: (item: string) => boolean,
  n: number,
  last: string | undefined,
): Promise<NamePage> {
  const items: string[] = [];
  let cursor = last;
  const size = Math.max(n + 1, 100);
  for (;;) {
    const page = await fetch(cursor, size);
    for (const item of page.items) {
      if (!keep(item)) continue;
      if (items.length === n) return { items, more: true };
      items.push(item);
    }
    const end = page.items.at(-1);
    if (!page.more || end === undefined) return { items, more: false };
    cursor = end;
  }
}
