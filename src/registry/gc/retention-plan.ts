/**
 * What retention deletes in one repository: a pure function of a snapshot
 * and the rules, so `--dry-run` and the real run decide the same.
 *
 * Per rule (see `retention-rules.ts` for which rule applies):
 * - Tags: `keepTags` pins tags (they neither go nor count), and so does
 *   immutability (`registry.immutableTags`): an immutable tag is never
 *   deleted, not even as an orphan signature tag. Of the others,
 *   `keepLast` keeps the N most recently pushed, `keepLastSemver` the N
 *   highest semantic versions; a tag neither keeps is deleted, except that
 *   `keepLastSemver` alone leaves non-version tags (`latest`) alone.
 *   Cosign signature tags (`sha256-<hex>.sig|.att|.sbom`) are never counted.
 * - A manifest whose every tag is deleted is deleted, and so are the
 *   untagged children of a deleted index.
 * - `deleteUntaggedOlderThanSeconds`: untagged manifests pushed longer ago.
 * - `dropOrphanSignatures`: untagged referrers whose subject is absent
 *   (older than the grace period: a referrer may precede its subject) or
 *   deleted now, recursively, and cosign tags of such subjects.
 * - Whatever a rule would delete is kept while a kept index lists it or a
 *   kept manifest is its subject.
 * - `unlinkUnreferencedBlobsOlderThanSeconds`: blob links no remaining
 *   manifest uses, older than that. Links only deleted manifests used go
 *   with them in any case.
 */
import { compareSemver, parseSemver, type SemVer } from './semver.js';
import type { CompiledRetentionRule } from './retention-rules.js';
import {
  deletionOrder,
  exclusiveBlobs,
  keptClosure,
  type ManifestNode,
  type RepositorySnapshot,
} from './repository-snapshot.js';

export type RetentionReason = 'tags-expired' | 'untagged' | 'orphan-signature' | 'child-of-deleted';

export interface RetentionPlan {
  /** Tags to delete, with the digest each must still point at. */
  tags: { tag: string; digest: string }[];
  /** Manifests to delete, indexes before their children. */
  manifests: { digest: string; reason: RetentionReason }[];
  /** Blob links to remove. */
  unlinks: string[];
}

export interface RetentionPlanOptions {
  now: number;
  /** Orphan referrers younger than this (ms) stay. */
  graceMs: number;
  /** True for an immutable tag of this repository: it is never deleted nor counted. */
  immutable?: (tag: string) => boolean;
}

/** `sha256-<hex>.sig` → the subject `sha256:<hex>`. */
const SIGNATURE_TAG = /^(sha256|sha512)-([a-f0-9]{64,128})\.(sig|att|sbom)$/;

function signatureSubject(tag: string): string | undefined {
  const m = SIGNATURE_TAG.exec(tag);
  return m === null ? undefined : `${m[1]}:${m[2]}`;
}

/**
 * Plans one repository. Rules not matching the repository are ignored.
 *
 * @example
 * const plan = planRetention(snapshot, rules, { now: clock(), graceMs: 3_600_000 });
 */
export function planRetention(
  snapshot: RepositorySnapshot,
  allRules: readonly CompiledRetentionRule[],
  options: RetentionPlanOptions,
): RetentionPlan {
  const rules = allRules.filter((r) => r.matchesRepository(snapshot.repo));
  const empty: RetentionPlan = { tags: [], manifests: [], unlinks: [] };
  if (rules.length === 0) return empty;
  const { now } = options;
  const ruleOf = (node: ManifestNode | undefined): CompiledRetentionRule | undefined =>
    node === undefined ? undefined : rules.find((r) => r.matchesType(node.artifactType));
  const dropOrphans = rules.some((r) => r.rule.dropOrphanSignatures === true);
  const unlinkAge = rules.find((r) => r.rule.unlinkUnreferencedBlobsOlderThanSeconds !== undefined)?.rule
    .unlinkUnreferencedBlobsOlderThanSeconds;

  const immutable = options.immutable ?? ((): boolean => false);
  const deletedTags = new Set<string>(expiredTags(snapshot, ruleOf, immutable));
  const candidates = new Map<string, RetentionReason>();
  const tagsOf = new Map<string, string[]>();
  for (const t of snapshot.tags) tagsOf.set(t.digest, [...(tagsOf.get(t.digest) ?? []), t.name]);
  const allTagsDeleted = (digest: string): boolean => {
    const tags = tagsOf.get(digest) ?? [];
    return tags.length > 0 && tags.every((t) => deletedTags.has(t));
  };
  const propose = (digest: string, reason: RetentionReason): boolean => {
    if (candidates.has(digest) || !snapshot.manifests.has(digest)) return false;
    candidates.set(digest, reason);
    return true;
  };

  if (dropOrphans) {
    for (const t of snapshot.tags) {
      const subject = signatureSubject(t.name);
      if (subject !== undefined && !snapshot.manifests.has(subject) && !immutable(t.name)) deletedTags.add(t.name);
    }
  }
  for (const node of snapshot.manifests.values()) {
    const age = now - node.createdAt;
    const untaggedAge = ruleOf(node)?.rule.deleteUntaggedOlderThanSeconds;
    if (allTagsDeleted(node.digest)) propose(node.digest, node.subject === null ? 'tags-expired' : 'orphan-signature');
    else if (node.tags.length > 0) continue;
    else if (untaggedAge !== undefined && age > untaggedAge * 1000) propose(node.digest, 'untagged');
    else if (dropOrphans && node.subject !== null && !snapshot.manifests.has(node.subject) && age > options.graceMs) {
      propose(node.digest, 'orphan-signature');
    }
  }

  // Deleting a manifest takes its untagged children and (with dropOrphanSignatures) its signatures along.
  let kept = keptClosure(snapshot, new Set(candidates.keys()));
  for (let grew = true; grew;) {
    grew = false;
    for (const digest of [...candidates.keys()]) {
      if (kept.has(digest)) continue;
      const node = snapshot.manifests.get(digest);
      for (const child of node?.children ?? []) {
        if ((snapshot.manifests.get(child)?.tags.length ?? 1) === 0) grew = propose(child, 'child-of-deleted') || grew;
      }
      if (!dropOrphans) continue;
      for (const referrer of snapshot.referrers.get(digest) ?? []) {
        if (snapshot.manifests.get(referrer)?.tags.length === 0) grew = propose(referrer, 'orphan-signature') || grew;
      }
      for (const t of snapshot.tags) {
        if (signatureSubject(t.name) !== digest || deletedTags.has(t.name) || immutable(t.name)) continue;
        deletedTags.add(t.name);
        if (allTagsDeleted(t.digest)) grew = propose(t.digest, 'orphan-signature') || grew;
      }
    }
    kept = keptClosure(snapshot, new Set(candidates.keys()));
  }

  const deleted = new Set([...candidates.keys()].filter((d) => !kept.has(d)));
  const unlinks = new Set(exclusiveBlobs(snapshot, deleted));
  if (unlinkAge !== undefined)
    for (const digest of staleLinks(snapshot, deleted, now - unlinkAge * 1000)) unlinks.add(digest);
  return {
    tags: snapshot.tags.filter((t) => deletedTags.has(t.name)).map((t) => ({ tag: t.name, digest: t.digest })),
    manifests: deletionOrder(snapshot, deleted).map((digest) => ({
      digest,
      reason: candidates.get(digest) ?? 'untagged',
    })),
    unlinks: snapshot.links.map((l) => l.digest).filter((d) => unlinks.has(d)),
  };
}

/** Tags `keepLast`/`keepLastSemver` let go, per rule (never pinned or immutable ones). */
function expiredTags(
  snapshot: RepositorySnapshot,
  ruleOf: (node: ManifestNode | undefined) => CompiledRetentionRule | undefined,
  immutable: (tag: string) => boolean,
): string[] {
  const groups = new Map<CompiledRetentionRule, { name: string; updatedAt: number; version: SemVer | undefined }[]>();
  for (const t of snapshot.tags) {
    if (signatureSubject(t.name) !== undefined) continue;
    const rule = ruleOf(snapshot.manifests.get(t.digest));
    if (rule === undefined || rule.pinned(t.name) || immutable(t.name)) continue;
    if (rule.rule.keepLast === undefined && rule.rule.keepLastSemver === undefined) continue;
    groups.set(rule, [
      ...(groups.get(rule) ?? []),
      { name: t.name, updatedAt: t.updatedAt, version: parseSemver(t.name) },
    ]);
  }
  const expired: string[] = [];
  for (const [rule, tags] of groups) {
    const { keepLast, keepLastSemver } = rule.rule;
    const recent = new Set(
      [...tags]
        .sort((a, b) => b.updatedAt - a.updatedAt || (a.name < b.name ? -1 : 1))
        .slice(0, keepLast ?? 0)
        .map((t) => t.name),
    );
    const highest = new Set(
      tags
        .filter((t) => t.version !== undefined)
        .sort((a, b) => compareSemver(b.version as SemVer, a.version as SemVer))
        .slice(0, keepLastSemver ?? 0)
        .map((t) => t.name),
    );
    for (const t of tags) {
      const governed = keepLast !== undefined || t.version !== undefined;
      if (governed && !recent.has(t.name) && !highest.has(t.name)) expired.push(t.name);
    }
  }
  return expired;
}

/** Links no surviving manifest uses (nor is), made before `before`. */
function staleLinks(snapshot: RepositorySnapshot, deleted: ReadonlySet<string>, before: number): string[] {
  const used = new Set<string>();
  for (const node of snapshot.manifests.values()) {
    if (deleted.has(node.digest)) continue;
    used.add(node.digest);
    for (const b of node.blobs) used.add(b);
  }
  return snapshot.links.filter((l) => !used.has(l.digest) && l.linkedAt < before).map((l) => l.digest);
}
