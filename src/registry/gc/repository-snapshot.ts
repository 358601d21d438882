/**
 * One repository as garbage collection and retention reason about it: its
 * manifests with what they reference, its tags and its blob links, and the
 * pure rules both share for deciding what a deletion takes with it.
 *
 * Rules (issue 5, "Referrer-aware"):
 * - a child of a kept index is kept;
 * - a referrer of a kept manifest is kept;
 * - a deleted index is deleted before its children, so the store's
 *   "not listed by an index" check passes in one pass.
 */
import type { BlobLink, MetadataStore, TagRecord } from '../../metadata/store.js';
import { collect, walkLinks, walkManifests, walkTags } from './walk.js';

/** A manifest of the repository with what it references. */
export interface ManifestNode {
  digest: string;
  mediaType: string;
  /** Identified artifact type (media type), as the metadata store records it. */
  artifactType: string | null;
  size: number;
  tags: string[];
  /** Push time (epoch ms). */
  createdAt: number;
  subject: string | null;
  /** Index children. */
  children: string[];
  /** Config and layer blobs. */
  blobs: string[];
}

/** A repository read at one moment (each page is read as it comes). */
export interface RepositorySnapshot {
  repo: string;
  manifests: ReadonlyMap<string, ManifestNode>;
  /** Manifests by the subject they refer to. */
  referrers: ReadonlyMap<string, readonly string[]>;
  tags: readonly TagRecord[];
  links: readonly BlobLink[];
}

/**
 * Reads a repository's manifests (and their references), tags and links.
 * Memory grows with the repository; each list is read page by page.
 */
export async function loadRepositorySnapshot(metadata: MetadataStore, repo: string): Promise<RepositorySnapshot> {
  const manifests = new Map<string, ManifestNode>();
  for await (const m of walkManifests(metadata, repo)) {
    const refs = await metadata.getReferences(repo, m.digest);
    manifests.set(m.digest, {
      digest: m.digest,
      mediaType: m.mediaType,
      artifactType: m.artifactType,
      size: m.size,
      tags: m.tags,
      createdAt: m.createdAt,
      subject: m.subject,
      children: refs.manifests,
      blobs: refs.blobs,
    });
  }
  return {
    repo,
    manifests,
    referrers: indexReferrers(manifests.values()),
    tags: await collect(walkTags(metadata, repo)),
    links: await collect(walkLinks(metadata, repo)),
  };
}

/** Subject digest → digests of the manifests referring to it. */
export function indexReferrers(nodes: Iterable<ManifestNode>): Map<string, string[]> {
  const bySubject = new Map<string, string[]>();
  for (const node of nodes) {
    if (node.subject === null) continue;
    const list = bySubject.get(node.subject) ?? [];
    list.push(node.digest);
    bySubject.set(node.subject, list);
  }
  return bySubject;
}

/**
 * The manifests that survive when `candidates` are proposed for deletion:
 * every other manifest, every child of a survivor and every referrer of a
 * survivor, transitively.
 */
export function keptClosure(snapshot: RepositorySnapshot, candidates: ReadonlySet<string>): Set<string> {
  const kept = new Set<string>();
  const queue: string[] = [];
  const keep = (digest: string): void => {
    if (kept.has(digest) || !snapshot.manifests.has(digest)) return;
    kept.add(digest);
    queue.push(digest);
  };
  for (const digest of snapshot.manifests.keys()) if (!candidates.has(digest)) keep(digest);
  for (let digest = queue.pop(); digest !== undefined; digest = queue.pop()) {
    const node = snapshot.manifests.get(digest);
    for (const child of node?.children ?? []) keep(child);
    for (const referrer of snapshot.referrers.get(digest) ?? []) keep(referrer);
  }
  return kept;
}

/**
 * `deleted` ordered so that every index comes before the children it lists
 * (ties in byte order), so each delete finds its manifest no longer listed.
 */
export function deletionOrder(snapshot: RepositorySnapshot, deleted: ReadonlySet<string>): string[] {
  const parents = new Map<string, number>();
  for (const digest of deleted) parents.set(digest, 0);
  for (const digest of deleted) {
    for (const child of snapshot.manifests.get(digest)?.children ?? []) {
      if (parents.has(child)) parents.set(child, (parents.get(child) ?? 0) + 1);
    }
  }
  const ready = [...parents]
    .filter(([, n]) => n === 0)
    .map(([d]) => d)
    .sort()
    .reverse();
  const order: string[] = [];
  for (let digest = ready.pop(); digest !== undefined; digest = ready.pop()) {
    order.push(digest);
    for (const child of snapshot.manifests.get(digest)?.children ?? []) {
      const n = parents.get(child);
      if (n === undefined) continue;
      parents.set(child, n - 1);
      if (n - 1 === 0) ready.push(child);
    }
  }
  // A cycle cannot be pushed (a manifest cannot list its own digest); keep any leftover anyway.
  const placed = new Set(order);
  for (const digest of deleted) if (!placed.has(digest)) order.push(digest);
  return order;
}

/**
 * Blobs linked into the repository that only deleted manifests reference:
 * their links go with those manifests, so GC can free the bytes. A blob
 * any surviving manifest references, or that is itself a surviving
 * manifest's digest, stays linked.
 */
export function exclusiveBlobs(snapshot: RepositorySnapshot, deleted: ReadonlySet<string>): string[] {
  if (deleted.size === 0) return [];
  const stillUsed = new Set<string>();
  const released = new Set<string>();
  for (const node of snapshot.manifests.values()) {
    if (deleted.has(node.digest)) {
      for (const b of node.blobs) released.add(b);
    } else {
      stillUsed.add(node.digest);
      for (const b of node.blobs) stillUsed.add(b);
    }
  }
  return snapshot.links.map((l) => l.digest).filter((d) => released.has(d) && !stillUsed.has(d));
}
