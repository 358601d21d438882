/**
 * Listings of the SQL metadata store: tags, manifests with their tags and
 * referrer counts, referrers, and per-type counts.
 */
import type {
  ArtifactQuery,
  ManifestListing,
  MetadataStore,
  Page,
  PageRequest,
  ReferrerQuery,
  ReferrerRecord,
  TypeCount,
} from './store.js';
import type { SqlDb } from './sql-db.js';
import { MANIFEST_COLUMNS, decodeManifest, type ManifestRow } from './sql-store-manifests.js';
import { Where, decodeAnnotations, emptyPage, fetchColumnPage, fetchPage, num, placeholders } from './sql-store-support.js';

type ListingMethods = Pick<MetadataStore, 'listTags' | 'listManifests' | 'listReferrers' | 'countByArtifactType'>;

/** Digests per `IN (…)` list when fetching the tags of a page of manifests. */
const TAG_QUERY_CHUNK = 200;

/**
 * The artifact type the referrers API shows (image-spec: "artifactType …
 * if the manifest has no artifactType, the config.mediaType"); null for an
 * index without one, because `config_media_type` is only set for images.
 */
const REFERRER_TYPE = 'COALESCE(m.raw_artifact_type, m.config_media_type)';

interface ReferrerRow {
  digest: string;
  media_type: string;
  size: number | string;
  artifact_type: string | null;
  annotations: string | null;
}

/** Listing methods over `db`. */
export function sqlListingMethods(db: SqlDb): ListingMethods {
  return {
    listTags(repo: string, page: PageRequest): Promise<Page<string>> {
      const where = new Where().and('repo = ?', repo);
      return fetchColumnPage(db, 'SELECT name FROM tags', where, 'name', page);
    },

    async listManifests(repo: string, query: ArtifactQuery): Promise<Page<ManifestListing>> {
      if (query.artifactTypes?.length === 0) return emptyPage(query);
      const where = new Where().and('m.repo = ?', repo);
      if (query.artifactTypes !== undefined) {
        where.and(`m.artifact_type IN (${placeholders(query.artifactTypes.length)})`, ...query.artifactTypes);
      }
      const select = `SELECT ${MANIFEST_COLUMNS},
        (SELECT COUNT(*) FROM manifests r WHERE r.repo = m.repo AND r.subject = m.digest) AS referrer_count
        FROM manifests m`;
      const page = await fetchPage(db, select, where, 'm.digest', query, (row: ManifestRow & { referrer_count: number | string }) => ({
        ...decodeManifest(row),
        tags: [] as string[],
        referrerCount: num(row.referrer_count),
      }));
      await attachTags(db, repo, page.items);
      return page;
    },

    listReferrers(repo: string, subject: string, query: ReferrerQuery): Promise<Page<ReferrerRecord>> {
      const where = new Where().and('m.repo = ?', repo).and('m.subject = ?', subject);
      if (query.artifactType !== undefined) where.and(`${REFERRER_TYPE} = ?`, query.artifactType);
      const select = `SELECT m.digest, m.media_type, m.size, ${REFERRER_TYPE} AS artifact_type, m.annotations FROM manifests m`;
      return fetchPage(db, select, where, 'm.digest', query, (row: ReferrerRow) => ({
        digest: row.digest,
        mediaType: row.media_type,
        size: num(row.size),
        artifactType: row.artifact_type,
        annotations: decodeAnnotations(row.annotations),
      }));
    },

    async countByArtifactType(): Promise<TypeCount[]> {
      const rows = await db.all<{ artifact_type: string | null; n: number | string }>(
        `SELECT artifact_type, COUNT(*) AS n FROM manifests GROUP BY artifact_type
         ORDER BY CASE WHEN artifact_type IS NULL THEN 0 ELSE 1 END, artifact_type`,
      );
      return rows.map((row) => ({ artifactType: row.artifact_type, count: num(row.n) }));
    },
  };
}

/** Fills each listing's `tags`, sorted in byte order. */
async function attachTags(db: SqlDb, repo: string, listings: ManifestListing[]): Promise<void> {
  const byDigest = new Map(listings.map((listing) => [listing.digest, listing]));
  const digests = [...byDigest.keys()];
  for (let i = 0; i < digests.length; i += TAG_QUERY_CHUNK) {
    const chunk = digests.slice(i, i + TAG_QUERY_CHUNK);
    const rows = await db.all<{ digest: string; name: string }>(
      `SELECT digest, name FROM tags WHERE repo = ? AND digest IN (${placeholders(chunk.length)}) ORDER BY name`,
      [repo, ...chunk],
    );
    for (const row of rows) byDigest.get(row.digest)?.tags.push(row.name);
  }
}
