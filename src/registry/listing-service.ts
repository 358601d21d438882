/**
 * Content discovery (distribution-spec: "Listing Tags", "Listing
 * Referrers", the `_catalog` endpoint).
 */
import { RegistryError } from '../oci/errors.js';
import { parseDigest } from '../oci/digest.js';
import type { Page, ReferrerRecord } from '../metadata/store.js';
import type { RegistryDeps } from './deps.js';

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

export function createListingService(deps: RegistryDeps): ListingService {
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
      // distribution-spec "Enabling the Referrers API" asks registries to include
      // manifests listed under the referrers tag schema that have a subject.
      // berth records every manifest's subject when it is pushed (or imported),
      // so those manifests are already in this list: no tag lookup is needed.
      return metadata.listReferrers(repo, subject, query);
    },
  };
}
