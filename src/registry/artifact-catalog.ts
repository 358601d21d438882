/**
 * berth's own listing API for tools and people: repositories and the
 * artifacts in them with their types, filterable by type, paginated.
 */
import { parseManifest } from '../oci/manifest.js';
import { RegistryError } from '../oci/errors.js';
import { findSummaryLayers, type RegisteredArtifactType, type TypeRegistry } from '../artifact-types/index.js';
import type { Page } from '../metadata/store.js';
import type { RegistryDeps } from './deps.js';
import type { ManifestService } from './manifest-service.js';

export interface TypeSummary {
  name: string;
  displayName: string;
  description: string;
  category: string;
  icon: string;
  mediaTypes: readonly string[];
  layerMediaTypes: readonly string[];
  hasConfigSchema: boolean;
  source?: string;
  /** Manifests of this type stored in the registry. */
  count: number;
}

export interface ArtifactSummary {
  digest: string;
  mediaType: string;
  /** Identifying media type. */
  artifactType: string | null;
  /** Short name of the well-known type, or null for an unknown media type. */
  type: string | null;
  typeDisplayName: string | null;
  tags: string[];
  /** Manifest plus everything it references. */
  size: number;
  /** `org.opencontainers.image.created`, else push time (ISO 8601). */
  created: string;
  pushedAt: string;
  annotations: Record<string, string>;
  subject: string | null;
  referrerCount: number;
  /** README-like layers a UI can render. */
  summaryLayers: { digest: string; mediaType: string; size: number; title?: string }[];
}

export interface TypeFilterPage {
  type?: string;
  last?: string;
  limit: number;
}

export interface ArtifactCatalog {
  types(): Promise<{ types: TypeSummary[]; unregistered: { mediaType: string; count: number }[] }>;
  type(name: string): Promise<TypeSummary>;
  repositories(request: TypeFilterPage): Promise<Page<string>>;
  artifacts(repo: string, request: TypeFilterPage): Promise<Page<ArtifactSummary>>;
}

export function createArtifactCatalog(deps: RegistryDeps, types: TypeRegistry, manifests: ManifestService): ArtifactCatalog {
  const { metadata } = deps;

  function summarize(t: RegisteredArtifactType, count: number): TypeSummary {
    const s: TypeSummary = {
      name: t.name,
      displayName: t.displayName,
      description: t.description,
      category: t.category,
      icon: t.icon,
      mediaTypes: t.mediaTypes,
      layerMediaTypes: t.layerMediaTypes,
      hasConfigSchema: t.configSchema !== undefined,
      count,
    };
    if (t.source !== undefined) s.source = t.source;
    return s;
  }

  /** The stored identifying media types a filter (short name or media type) selects. */
  async function mediaTypesFor(filter: string): Promise<string[]> {
    const byName = types.get(filter);
    if (byName === undefined && !filter.includes('/')) {
      throw new RegistryError('BAD_PARAMETER', `unknown artifact type "${filter.slice(0, 100)}"; see /v2/_berth/types`);
    }
    const stored = (await metadata.countByArtifactType()).map((c) => c.artifactType).filter((t): t is string => t !== null);
    if (byName === undefined) return stored.filter((t) => t === filter);
    return stored.filter((t) => types.resolve(t)?.name === byName.name);
  }

  async function toSummary(record: Awaited<ReturnType<typeof metadata.listManifests>>['items'][number]): Promise<ArtifactSummary> {
    const t = record.artifactType === null ? undefined : types.resolve(record.artifactType);
    let summaryLayers: ArtifactSummary['summaryLayers'] = [];
    if (!record.mediaType.includes('index') && !record.mediaType.includes('list')) {
      const { body } = await manifests.fetch(record.repo, record.digest);
      const parsed = parseManifest(body, record.mediaType);
      summaryLayers = findSummaryLayers(parsed, t).map((l) => {
        const out: ArtifactSummary['summaryLayers'][number] = { digest: l.digest, mediaType: l.mediaType, size: l.size };
        const title = l.annotations?.['org.opencontainers.image.title'];
        if (title !== undefined) out.title = title;
        return out;
      });
    }
    const pushedAt = new Date(record.createdAt).toISOString();
    return {
      digest: record.digest,
      mediaType: record.mediaType,
      artifactType: record.artifactType,
      type: t?.name ?? null,
      typeDisplayName: t?.displayName ?? null,
      tags: record.tags,
      size: record.totalSize,
      created: record.annotations?.['org.opencontainers.image.created'] ?? pushedAt,
      pushedAt,
      annotations: record.annotations ?? {},
      subject: record.subject,
      referrerCount: record.referrerCount,
      summaryLayers,
    };
  }

  return {
    async types() {
      const counts = await metadata.countByArtifactType();
      const perType = new Map<string, number>();
      const unregistered: { mediaType: string; count: number }[] = [];
      for (const c of counts) {
        if (c.artifactType === null) continue;
        const t = types.resolve(c.artifactType);
        if (t === undefined) unregistered.push({ mediaType: c.artifactType, count: c.count });
        else perType.set(t.name, (perType.get(t.name) ?? 0) + c.count);
      }
      return { types: types.list().map((t) => summarize(t, perType.get(t.name) ?? 0)), unregistered };
    },

    async type(name) {
      const t = types.get(name);
      if (t === undefined) throw new RegistryError('UNKNOWN_ENDPOINT', `no artifact type named "${name.slice(0, 100)}"`);
      const all = await this.types();
      return all.types.find((s) => s.name === t.name) ?? summarize(t, 0);
    },

    async repositories(request) {
      const page: { limit: number; last?: string } = { limit: request.limit };
      if (request.last !== undefined) page.last = request.last;
      if (request.type === undefined) return metadata.listRepositories(page);
      return metadata.listRepositoriesWithTypes(await mediaTypesFor(request.type), page);
    },

    async artifacts(repo, request) {
      const query: { limit: number; last?: string; artifactTypes?: string[] } = { limit: request.limit };
      if (request.last !== undefined) query.last = request.last;
      if (request.type !== undefined) query.artifactTypes = await mediaTypesFor(request.type);
      const page = await metadata.listManifests(repo, query);
      if (page.items.length === 0 && request.last === undefined && !(await metadata.repositoryExists(repo))) {
        throw new RegistryError('NAME_UNKNOWN', { name: repo });
      }
      return { items: await Promise.all(page.items.map(toSummary)), more: page.more };
    },
  };
}
