/**
 * The scheduled collection (`gc.intervalSeconds`): each run applies the
 * retention rules (unless `gc.applyRetention` is off) and then collects
 * garbage, on one instance at a time under the `gc` lease, renewed as the
 * run goes so a long run keeps it.
 */
import type { GcConfig } from '../../config/gc-schema.js';
import { createIntervalWorker, type Worker } from '../interval-worker.js';
import { createGarbageCollector, gcOptionsFromConfig, type GcDeps } from './collector.js';
import { createLeaseKeeper, GC_LEASE } from './gc-lease.js';
import type { GcMetrics } from './gc-metrics.js';
import { applyRetention } from './retention.js';
import type { CompiledRetentionRule } from './retention-rules.js';
import type { ImmutableTagPolicy } from '../immutable-tags.js';

export interface GcWorkerOptions {
  deps: GcDeps;
  gc: GcConfig;
  rules: readonly CompiledRetentionRule[];
  /** Immutable tags, which retention never deletes. */
  immutableTags: ImmutableTagPolicy;
  /** This instance's lease holder id. */
  holder: string;
  metrics?: GcMetrics;
}

/** Shortest lease: a run renews it every third of this, between repositories and blobs. */
const MIN_LEASE_MS = 10 * 60 * 1000;

/**
 * A worker that does nothing when `gc.intervalSeconds` is 0.
 *
 * @example
 * const worker = createGcWorker({ deps: registry.deps, gc: config.gc, rules, immutableTags, holder: instanceId });
 * worker.start(); … await worker.stop();
 */
export function createGcWorker(options: GcWorkerOptions): Worker {
  const { deps, gc, rules } = options;
  const intervalMs = gc.intervalSeconds * 1000;
  const ttlMs = Math.max(3 * intervalMs, MIN_LEASE_MS);
  const collector = createGarbageCollector(deps, gcOptionsFromConfig(gc));
  const lease = createLeaseKeeper({ store: deps.metadata, holder: options.holder, ttlMs, clock: deps.clock });
  return createIntervalWorker({
    name: 'gc',
    intervalMs,
    logger: deps.logger.child({ component: 'gc' }),
    lease: { store: deps.metadata, name: GC_LEASE, holder: options.holder, ttlMs, clock: deps.clock },
    run: async () => {
      try {
        const retention =
          gc.applyRetention && rules.length > 0
            ? await applyRetention(deps, rules, { graceMs: gc.gracePeriodSeconds * 1000, immutableTags: options.immutableTags })
            : undefined;
        const report = await collector.run({ checkpoint: () => lease.renewIfDue() });
        options.metrics?.run('success', report.freedBytes);
        return {
          deletedTags: retention?.deletedTags.length ?? 0,
          deletedManifests: (retention?.deletedManifests.length ?? 0) + report.deletedManifests.length,
          freedBlobs: report.freedBlobs.length,
          freedBytes: report.freedBytes,
          removedUploads: report.removedUploads.length,
        };
      } catch (err) {
        options.metrics?.run('failure', 0);
        throw err;
      }
    },
  });
}
