/**
 * Online garbage collection: runs while pushes continue and never removes
 * acknowledged content (issue 5, "Garbage collection and retention").
 *
 * Phases:
 * 1. **trash**: settle blobs a crashed run left parked (`blob-reclaimer.ts`).
 * 2. **mark**: per repository, plan manifest deletions (`gc-plan.ts`), then
 *    mark every kept manifest's digest (manifests are stored as blobs), its
 *    config and layers, its index children, and every blob linked into the
 *    repository (a pushed blob not yet in a manifest is held by its link),
 *    except links only deleted manifests used.
 * 3. **manifests**: delete the planned manifests (re-checked in the store:
 *    one tagged meanwhile stays) and their exclusive links, with events.
 * 4. **blobs**: every file under `blobs/` that is not marked and older than
 *    the grace period (file mtime against the injected clock) is reclaimed
 *    with a last reference check. The grace period is what protects bytes
 *    a push wrote but has not linked yet.
 * 5. **records**: blob records nothing references are forgotten.
 * 6. **uploads**: `uploads/<id>` directories without a session, older than
 *    the grace period, are removed. Directories of open sessions stay.
 *
 * A dry run takes the same path and decides the same things, but changes
 * nothing and skips the last-moment re-checks (which only ever keep more),
 * so on a quiet registry it reports exactly what a real run frees.
 */
import type { Logger } from 'pino';
import type { MetadataStore } from '../../metadata/store.js';
import type { StorageDriver } from '../../storage/driver.js';
import { blobDigestFromPath, uploadDir, UPLOADS_ROOT, BLOBS_ROOT } from '../../storage/paths.js';
import type { Clock } from '../deps.js';
import type { EventRecorder } from '../event-recorder.js';
import { reclaimBlob, settleTrash } from './blob-reclaimer.js';
import { planGcRepository, type GcDeleteReason } from './gc-plan.js';
import { loadRepositorySnapshot, exclusiveBlobs, type RepositorySnapshot } from './repository-snapshot.js';
import { walkBlobRecords, walkRepositories } from './walk.js';
import { deleteUnreferenced } from './delete-manifest.js';

/** What a collection needs: the stores, a clock, a logger, and events for deletes. */
export interface GcDeps {
  storage: StorageDriver;
  metadata: MetadataStore;
  clock: Clock;
  logger: Logger;
  events: EventRecorder;
}

/** How a collection decides (built from `gc` config by {@link gcOptionsFromConfig}). */
export interface GcOptions {
  /** Files and stray upload directories younger than this (ms) are never swept. */
  gracePeriodMs: number;
  /** Delete untagged manifests older than this (ms); undefined: never. */
  untaggedOlderThanMs?: number;
  /** Delete untagged referrers of absent subjects (older than the grace period). */
  deleteOrphanReferrers?: boolean;
}

export type GcPhase = 'trash' | 'mark' | 'manifests' | 'blobs' | 'records' | 'uploads' | 'done';

/** A progress report: the phase, items handled so far in it, and bytes freed so far. */
export interface GcProgress {
  phase: GcPhase;
  done: number;
  freedBytes: number;
}

/** What a run did (or, dry, would do). Lists are in the order handled. */
export interface GcReport {
  dryRun: boolean;
  startedAt: number;
  finishedAt: number;
  repositories: number;
  manifests: number;
  markedDigests: number;
  deletedManifests: { repo: string; digest: string; reason: GcDeleteReason }[];
  unlinkedBlobs: { repo: string; digest: string }[];
  freedBlobs: { digest: string; size: number }[];
  freedBytes: number;
  deletedRecords: string[];
  removedUploads: { id: string; bytes: number }[];
  /** Unmarked blobs kept: younger than the grace period, or referenced at the last check. */
  keptYoung: number;
  keptInUse: number;
  /** Planned manifest deletions the store refused (tagged or listed meanwhile). */
  refusedManifests: number;
  /** Files under `blobs/` that are not blob paths (left alone). */
  foreignFiles: string[];
  trash: { restored: number; deleted: number };
}

export interface GcRunOptions {
  dryRun?: boolean;
  /** Called at each phase start and every {@link PROGRESS_EVERY} items. */
  onProgress?: (progress: GcProgress) => void;
  /**
   * Awaited between repositories and blobs (e.g. to renew the `gc` lease);
   * rejecting stops the run there.
   */
  checkpoint?: () => Promise<void>;
}

export interface GarbageCollector {
  /** One collection. @throws what the stores throw (the run stops; nothing is half-deleted). */
  run(options?: GcRunOptions): Promise<GcReport>;
}

const PROGRESS_EVERY = 1000;

/**
 * `gc` config → options.
 *
 * @example
 * gcOptionsFromConfig(config.gc) // { gracePeriodMs: 3_600_000 }
 */
export function gcOptionsFromConfig(gc: {
  gracePeriodSeconds: number;
  deleteUntagged: { enabled: boolean; olderThanSeconds: number };
  deleteOrphanReferrers: boolean;
}): GcOptions {
  const options: GcOptions = { gracePeriodMs: gc.gracePeriodSeconds * 1000 };
  if (gc.deleteUntagged.enabled) options.untaggedOlderThanMs = gc.deleteUntagged.olderThanSeconds * 1000;
  if (gc.deleteOrphanReferrers) options.deleteOrphanReferrers = true;
  return options;
}

interface PlannedRepository {
  snapshot: RepositorySnapshot;
  deletions: { digest: string; reason: GcDeleteReason }[];
  unlinks: string[];
}

/**
 * @example
 * const gc = createGarbageCollector(deps, gcOptionsFromConfig(config.gc));
 * const report = await gc.run({ dryRun: true });
 */
export function createGarbageCollector(deps: GcDeps, options: GcOptions): GarbageCollector {
  const { storage, metadata } = deps;
  const logger = deps.logger.child({ component: 'gc' });

  return {
    async run(runOptions = {}) {
      const dryRun = runOptions.dryRun ?? false;
      const now = deps.clock();
      const report: GcReport = {
        dryRun,
        startedAt: now,
        finishedAt: now,
        repositories: 0,
        manifests: 0,
        markedDigests: 0,
        deletedManifests: [],
        unlinkedBlobs: [],
        freedBlobs: [],
        freedBytes: 0,
        deletedRecords: [],
        removedUploads: [],
        keptYoung: 0,
        keptInUse: 0,
        refusedManifests: 0,
        foreignFiles: [],
        trash: { restored: 0, deleted: 0 },
      };
      const progress = (phase: GcPhase, done: number): void =>
        runOptions.onProgress?.({ phase, done, freedBytes: report.freedBytes });
      const young = (modifiedAt: Date): boolean => now - modifiedAt.getTime() < options.gracePeriodMs;
      const checkpoint = runOptions.checkpoint ?? (() => Promise.resolve());

      // 1. trash
      progress('trash', 0);
      if (!dryRun) report.trash = await settleTrash(deps);

      // 2. mark
      progress('mark', 0);
      const marked = new Set<string>();
      const planned: PlannedRepository[] = [];
      for await (const repo of walkRepositories(metadata)) {
        await checkpoint();
        const snapshot = await loadRepositorySnapshot(metadata, repo);
        const planOptions: Parameters<typeof planGcRepository>[1] = { now };
        if (options.untaggedOlderThanMs !== undefined) planOptions.untaggedOlderThanMs = options.untaggedOlderThanMs;
        if (options.deleteOrphanReferrers === true) planOptions.orphanReferrersOlderThanMs = options.gracePeriodMs;
        const plan = planGcRepository(snapshot, planOptions);
        for (const digest of plan.kept) {
          const node = snapshot.manifests.get(digest);
          marked.add(digest);
          for (const b of node?.blobs ?? []) marked.add(b);
          for (const c of node?.children ?? []) marked.add(c);
        }
        const unlinked = new Set(plan.unlinks);
        for (const link of snapshot.links) if (!unlinked.has(link.digest)) marked.add(link.digest);
        if (plan.deletions.length > 0 || plan.unlinks.length > 0) {
          planned.push({ snapshot, deletions: plan.deletions, unlinks: plan.unlinks });
        }
        report.repositories++;
        report.manifests += snapshot.manifests.size;
        if (report.repositories % 100 === 0) progress('mark', report.repositories);
      }
      report.markedDigests = marked.size;

      // 3. manifests
      progress('manifests', 0);
      for (const p of planned) {
        await checkpoint();
        await deleteManifests(p, dryRun, report);
      }

      // 4. blobs
      progress('blobs', 0);
      const unmarked: string[] = [];
      for await (const path of storage.list(BLOBS_ROOT)) {
        const digest = blobDigestFromPath(path);
        if (digest === undefined) report.foreignFiles.push(path);
        else if (!marked.has(digest.value)) unmarked.push(path);
      }
      const keptDigests = new Set<string>();
      let handled = 0;
      for (const path of unmarked.sort()) {
        const digest = blobDigestFromPath(path);
        const info = await storage.stat(path);
        if (digest === undefined || info === undefined) continue;
        if (young(info.modifiedAt)) {
          report.keptYoung++;
          keptDigests.add(digest.value);
        } else if (dryRun) {
          freed(report, digest.value, info.size);
        } else {
          const outcome = await reclaimBlob(deps, digest);
          if (outcome === 'freed') freed(report, digest.value, info.size);
          else if (outcome === 'in-use') {
            report.keptInUse++;
            keptDigests.add(digest.value);
          }
        }
        if (++handled % PROGRESS_EVERY === 0) progress('blobs', handled);
        if (handled % 100 === 0) await checkpoint();
      }

      // 5. records
      progress('records', 0);
      for await (const record of walkBlobRecords(metadata)) {
        if (marked.has(record.digest) || keptDigests.has(record.digest)) continue;
        if (dryRun) {
          report.deletedRecords.push(record.digest);
          continue;
        }
        try {
          if (await metadata.deleteBlobRecordIfUnreferenced(record.digest)) report.deletedRecords.push(record.digest);
        } catch (err) {
          logger.debug({ err, digest: record.digest }, 'blob record linked meanwhile; kept');
        }
      }

      // 6. uploads
      progress('uploads', 0);
      await sweepUploads(dryRun, report, young);

      report.finishedAt = deps.clock();
      progress('done', 0);
      logger.info(
        {
          dryRun,
          repositories: report.repositories,
          deletedManifests: report.deletedManifests.length,
          freedBlobs: report.freedBlobs.length,
          freedBytes: report.freedBytes,
          deletedRecords: report.deletedRecords.length,
          removedUploads: report.removedUploads.length,
          keptYoung: report.keptYoung,
          keptInUse: report.keptInUse,
        },
        dryRun ? 'gc dry run finished' : 'gc finished',
      );
      return report;
    },
  };

  async function deleteManifests(p: PlannedRepository, dryRun: boolean, report: GcReport): Promise<void> {
    const { repo } = p.snapshot;
    const deleted = new Set<string>();
    for (const { digest, reason } of p.deletions) {
      const node = p.snapshot.manifests.get(digest);
      if (dryRun) {
        deleted.add(digest);
        report.deletedManifests.push({ repo, digest, reason });
        continue;
      }
      if (!(await deleteUnreferenced(deps, repo, digest, node))) {
        report.refusedManifests++;
        continue;
      }
      deleted.add(digest);
      report.deletedManifests.push({ repo, digest, reason });
    }
    // A refused manifest still uses its blobs: unlink only what the actual deletions released.
    const unlinks = deleted.size === p.deletions.length ? p.unlinks : exclusiveBlobs(p.snapshot, deleted);
    for (const digest of unlinks) {
      if (!dryRun) {
        const events = deps.events.eventsFor({ action: 'delete', repo, target: { digest } });
        if (!(await metadata.unlinkBlob(repo, digest, events))) continue;
      }
      report.unlinkedBlobs.push({ repo, digest });
    }
  }

  async function sweepUploads(dryRun: boolean, report: GcReport, young: (d: Date) => boolean): Promise<void> {
    const files = new Map<string, string[]>();
    for await (const path of storage.list(UPLOADS_ROOT)) {
      const id = path.split('/')[1];
      if (id === undefined) continue;
      files.set(id, [...(files.get(id) ?? []), path]);
    }
    for (const [id, paths] of [...files].sort(([a], [b]) => (a < b ? -1 : 1))) {
      if ((await metadata.getUpload(id)) !== undefined) continue; // an open upload
      let bytes = 0;
      let recent = false;
      for (const path of paths) {
        const info = await storage.stat(path);
        if (info === undefined) continue;
        bytes += info.size;
        recent ||= young(info.modifiedAt);
      }
      if (recent) continue;
      if (!dryRun) await storage.delete(uploadDir(id));
      report.removedUploads.push({ id, bytes });
    }
  }
}

function freed(report: GcReport, digest: string, size: number): void {
  report.freedBlobs.push({ digest, size });
  report.freedBytes += size;
}
