/**
 * Paged walks over the metadata store, as async iterables, so GC,
 * retention and scrub read any number of repositories, manifests, tags and
 * links with bounded memory per page.
 */
import type {
  BlobLink,
  BlobRecord,
  ManifestListing,
  MetadataStore,
  Page,
  PageRequest,
  TagRecord,
} from '../../metadata/store.js';

/** Items per page of every walk. */
export const WALK_PAGE = 500;

/** Every item of a keyset-paged listing, page by page. */
export async function* walkPages<T>(
  list: (page: PageRequest) => Promise<Page<T>>,
  key: (item: T) => string,
): AsyncIterable<T> {
  let last: string | undefined;
  for (;;) {
    const page = await list(last === undefined ? { limit: WALK_PAGE } : { last, limit: WALK_PAGE });
    yield* page.items;
    const tail = page.items.at(-1);
    if (!page.more || tail === undefined) return;
    last = key(tail);
  }
}

/** Repositories holding any content, in byte order. */
export function walkRepositories(metadata: MetadataStore): AsyncIterable<string> {
  return walkPages(
    (page) => metadata.listRepositories(page),
    (name) => name,
  );
}

/** Manifests of a repository (with tags and referrer counts), by digest. */
export function walkManifests(metadata: MetadataStore, repo: string): AsyncIterable<ManifestListing> {
  return walkPages(
    (page) => metadata.listManifests(repo, page),
    (m) => m.digest,
  );
}

/** Tags of a repository with their digests and push times, by name. */
export function walkTags(metadata: MetadataStore, repo: string): AsyncIterable<TagRecord> {
  return walkPages(
    (page) => metadata.listTagRecords(repo, page),
    (t) => t.name,
  );
}

/** Blob links of a repository, by digest. */
export function walkLinks(metadata: MetadataStore, repo: string): AsyncIterable<BlobLink> {
  return walkPages(
    (page) => metadata.listRepositoryLinks(repo, page),
    (l) => l.digest,
  );
}

/** Every blob record, by digest. */
export function walkBlobRecords(metadata: MetadataStore): AsyncIterable<BlobRecord> {
  return walkPages(
    (page) => metadata.listBlobs(page),
    (b) => b.digest,
  );
}

/** Collects an async iterable (for per-repository lists). */
export async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}
