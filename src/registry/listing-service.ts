/**
 * Content discovery (distribution-spec: "Listing Tags", "Listing
 * Referrers", the `_catalog` endpoint).
 */
import { RegistryError } from '../oci/errors.js';
import { parseDigest } from '../oci/digest.js';
import { referrersTagFor } from '../oci/names.js';
import { parseManifest } from '../oci/manifest.js';
import type { Page, ReferrerRecord } from '../metadata/store.js';
import type { RegistryDeps } from './deps.js';
import type { ManifestService } from './manifest-service.js';

export interface ListRequest {
  /** `n`: at most this many (undefined: the default page size). */
  n?: number;
  /** `last`: start strictly after this value. */
  last?: string;
}

export interface ReferrersRequest {
  artifactType?: string;
  /** Opaque continuation from a previous page's `Link` (the last digest). */
  last?: string;
  n?: number;
}

export interface ListingService {
  /** @throws NAME_UNKNOWN */
  tags(repo: string, request: ListRequest): Promise<Page<string>>;
  catalog(request: ListRequest): Promise<Page<string>>;
  /** Never throws for an unknown subject or repository: the list is empty. */
  referrers(repo: string, subject: string, request: ReferrersRequest): Promise<Page<ReferrerRecord>>;
}

export function createListingService(deps: RegistryDeps, manifests: ManifestService): ListingService {
  const { metadata, config } = deps;

  function pageSize(n: number | undefined, fallback: number): number {
    if (n === undefined) return fallback;
    if (!Number.isSafeInteger(n) || n < 0) {
      throw new RegistryError('PAGINATION_NUMBER_INVALID', { n });
    }
    return Math.min(n, config.maxPageSize);
  }

  function pageRequest(request: ListRequest, fallback: number): { limit: number; last?: string } {
    const page: { limit: number; last?: string } = { limit: pageSize(request.n, fallback) };
    if (request.last !== undefined) page.last = request.last;
    return page;
  }

  /**
   * Referrers recorded by an older client under the referrers tag schema
   * (distribution-spec "Enabling the Referrers API": registries MUST include
   * manifests listed in such an index that have a valid subject).
   */
  async function fromReferrersTag(repo: string, subject: string, artifactType?: string): Promise<ReferrerRecord[]> {
    const tag = referrersTagFor(subject);
    if ((await metadata.resolveTag(repo, tag)) === undefined) return [];
    const { body } = await manifests.fetch(repo, tag);
    let index;
    try {
      index = parseManifest(body);
    } catch {
      return []; // not an index: the tag is not a referrers list
    }
    const out: ReferrerRecord[] = [];
    for (const d of index.manifests) {
      const record = await metadata.getManifest(repo, d.digest);
      if (record === undefined || record.subject !== subject) continue;
      const type = record.rawArtifactType ?? (record.configMediaType ?? null);
      if (artifactType !== undefined && type !== artifactType) continue;
      out.push({
        digest: record.digest,
        mediaType: record.mediaType,
        size: record.size,
        artifactType: type,
        annotations: record.annotations,
      });
    }
    return out;
  }

  return {
    async tags(repo, request) {
      const page = await metadata.listTags(repo, pageRequest(request, config.defaultPageSize));
      // An empty page is ambiguous (no tags, past the end, or no repository): only the last is a 404.
      if (page.items.length === 0 && !(await metadata.repositoryExists(repo))) {
        throw new RegistryError('NAME_UNKNOWN', { name: repo });
      }
      return page;
    },

    catalog(request) {
      return metadata.listRepositories(pageRequest(request, config.defaultPageSize));
    },

    async referrers(repo, subjectText, request) {
      const subject = parseDigest(subjectText).value;
      const query: { limit: number; last?: string; artifactType?: string } = {
        limit: pageSize(request.n, config.referrersPageSize),
      };
      if (request.last !== undefined) query.last = request.last;
      if (request.artifactType !== undefined) query.artifactType = request.artifactType;
      const page = await metadata.listReferrers(repo, subject, query);
      if (request.last !== undefined || page.more) return page;
      // First and only page: merge referrers-tag entries not already listed.
      const extra = await fromReferrersTag(repo, subject, request.artifactType);
      const seen = new Set(page.items.map((r) => r.digest));
      return { items: [...page.items, ...extra.filter((r) => !seen.has(r.digest))], more: false };
    },
  };
}
