/**
 * Applying retention rules: per repository a plan (`retention-plan.ts`),
 * then deletes through the metadata store, each re-checked there (a tag
 * that moved, or a manifest tagged meanwhile, stays) and each with its
 * delete event. Bytes are freed by the next garbage collection. Immutable
 * tags (`registry.immutableTags`) are never deleted, so neither are the
 * manifests they point at.
 */
import type { GcDeps } from './collector.js';
import type { CompiledRetentionRule } from './retention-rules.js';
import { planRetention, type RetentionReason } from './retention-plan.js';
import { exclusiveBlobs, loadRepositorySnapshot } from './repository-snapshot.js';
import { walkRepositories } from './walk.js';
import { deleteUnreferenced } from './delete-manifest.js';
import type { ImmutableTagPolicy } from '../immutable-tags.js';

export interface RetentionRunOptions {
  dryRun?: boolean;
  /** Orphan referrers younger than this (ms) stay; use the GC grace period. */
  graceMs: number;
  /** Immutable tags (`registry.immutableTags`): retention never deletes them. */
  immutableTags: ImmutableTagPolicy;
  /** Called after each repository with the number handled so far. */
  onProgress?: (repositories: number) => void;
}

/** What a run deleted (or, dry, would delete). */
export interface RetentionReport {
  dryRun: boolean;
  repositories: number;
  deletedTags: { repo: string; tag: string; digest: string }[];
  deletedManifests: { repo: string; digest: string; reason: RetentionReason }[];
  unlinkedBlobs: { repo: string; digest: string }[];
  /** Planned deletes the store refused because the data changed meanwhile. */
  refused: number;
}

/**
 * Applies `rules` to every repository one of them matches.
 *
 * @throws what the metadata store throws (deletes already done stay done; a rerun continues).
 * @example
 * const report = await applyRetention(deps, compileRetentionRules(config.retention, types), { graceMs: 3_600_000, dryRun: true });
 */
export async function applyRetention(
  deps: GcDeps,
  rules: readonly CompiledRetentionRule[],
  options: RetentionRunOptions,
): Promise<RetentionReport> {
  const { metadata } = deps;
  const dryRun = options.dryRun ?? false;
  const report: RetentionReport = {
    dryRun,
    repositories: 0,
    deletedTags: [],
    deletedManifests: [],
    unlinkedBlobs: [],
    refused: 0,
  };
  if (rules.length === 0) return report;
  const now = deps.clock();
  for await (const repo of walkRepositories(metadata)) {
    if (!rules.some((r) => r.matchesRepository(repo))) continue;
    const snapshot = await loadRepositorySnapshot(metadata, repo);
    const immutable = options.immutableTags.forRepository(repo);
    const plan = planRetention(snapshot, rules, { now, graceMs: options.graceMs, immutable });
    report.repositories++;

    for (const { tag, digest } of plan.tags) {
      if (!dryRun) {
        const events = deps.events.eventsFor({ action: 'delete', repo, target: { digest, tag } });
        if (!(await metadata.deleteTagIfAt(repo, tag, digest, events))) {
          report.refused++;
          continue;
        }
      }
      report.deletedTags.push({ repo, tag, digest });
    }

    const deleted = new Set<string>();
    for (const { digest, reason } of plan.manifests) {
      const node = snapshot.manifests.get(digest);
      if (!dryRun && !(await deleteUnreferenced(deps, repo, digest, node))) {
        report.refused++;
        continue;
      }
      deleted.add(digest);
      report.deletedManifests.push({ repo, digest, reason });
    }

    // A refused manifest still uses its blobs: keep those links.
    const refusedSome = deleted.size < plan.manifests.length;
    const stillReleased = refusedSome ? new Set(exclusiveBlobs(snapshot, deleted)) : undefined;
    const planned = new Set(exclusiveBlobs(snapshot, new Set(plan.manifests.map((m) => m.digest))));
    for (const digest of plan.unlinks) {
      if (stillReleased !== undefined && planned.has(digest) && !stillReleased.has(digest)) continue;
      if (!dryRun) {
        const events = deps.events.eventsFor({ action: 'delete', repo, target: { digest } });
        if (!(await metadata.unlinkBlob(repo, digest, events))) continue;
      }
      report.unlinkedBlobs.push({ repo, digest });
    }
    options.onProgress?.(report.repositories);
  }
  deps.logger.child({ component: 'retention' }).info(
    {
      dryRun,
      repositories: report.repositories,
      deletedTags: report.deletedTags.length,
      deletedManifests: report.deletedManifests.length,
      unlinkedBlobs: report.unlinkedBlobs.length,
      refused: report.refused,
    },
    dryRun ? 'retention dry run finished' : 'retention applied',
  );
  return report;
}
