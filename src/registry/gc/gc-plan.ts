/**
 * Which manifests of one repository garbage collection deletes (a pure
 * function of a snapshot, so a dry run and a real run decide the same).
 *
 * Candidates are untagged manifests pushed long enough ago
 * (`gc.deleteUntagged`) and untagged referrers whose subject is gone
 * (`gc.deleteOrphanReferrers`, with the grace period, because a referrer
 * may be pushed before its subject). A candidate an index or a kept
 * subject still holds is kept; a referrer whose subject this run deletes
 * becomes an orphan candidate itself.
 */
import { deletionOrder, exclusiveBlobs, keptClosure, type RepositorySnapshot } from './repository-snapshot.js';

export type GcDeleteReason = 'untagged' | 'orphan-referrer';

export interface GcPlanOptions {
  /** Epoch ms of the run. */
  now: number;
  /** Delete untagged manifests pushed more than this long ago (ms); undefined: never. */
  untaggedOlderThanMs?: number;
  /** Delete untagged referrers of absent subjects pushed more than this long ago (ms); undefined: never. */
  orphanReferrersOlderThanMs?: number;
}

export interface GcRepositoryPlan {
  /** Manifests to delete, indexes before their children, with why. */
  deletions: { digest: string; reason: GcDeleteReason }[];
  /** Blob links only deleted manifests used: removed with them. */
  unlinks: string[];
  /** Manifests that stay (GC marks their digests and references). */
  kept: Set<string>;
}

/**
 * Plans one repository's manifest deletions.
 *
 * @example
 * const plan = planGcRepository(snapshot, { now: clock(), untaggedOlderThanMs: 7 * 86_400_000 });
 */
export function planGcRepository(snapshot: RepositorySnapshot, options: GcPlanOptions): GcRepositoryPlan {
  const { now, untaggedOlderThanMs: untaggedAge, orphanReferrersOlderThanMs: orphanAge } = options;
  const candidates = new Map<string, GcDeleteReason>();
  const olderThan = (createdAt: number, age: number | undefined): boolean => age !== undefined && now - createdAt > age;

  for (const node of snapshot.manifests.values()) {
    if (node.tags.length > 0) continue;
    if (olderThan(node.createdAt, untaggedAge)) candidates.set(node.digest, 'untagged');
    else if (node.subject !== null && !snapshot.manifests.has(node.subject) && olderThan(node.createdAt, orphanAge)) {
      candidates.set(node.digest, 'orphan-referrer');
    }
  }

  let kept = keptClosure(snapshot, new Set(candidates.keys()));
  // Referrers of subjects deleted now are orphans too (recursively).
  for (let grew = orphanAge !== undefined; grew;) {
    grew = false;
    for (const digest of candidates.keys()) {
      if (kept.has(digest)) continue;
      for (const referrer of snapshot.referrers.get(digest) ?? []) {
        const node = snapshot.manifests.get(referrer);
        if (node === undefined || candidates.has(referrer) || node.tags.length > 0) continue;
        if (!olderThan(node.createdAt, orphanAge)) continue;
        candidates.set(referrer, 'orphan-referrer');
        grew = true;
      }
    }
    if (grew) kept = keptClosure(snapshot, new Set(candidates.keys()));
  }

  const deleted = new Set([...candidates.keys()].filter((d) => !kept.has(d)));
  return {
    deletions: deletionOrder(snapshot, deleted).map((digest) => ({
      digest,
      reason: candidates.get(digest) ?? 'untagged',
    })),
    unlinks: exclusiveBlobs(snapshot, deleted),
    kept,
  };
}
