/**
 * `berth gc [--dry-run]` and `berth retention [--dry-run]`: garbage
 * collection and retention against the configured stores, safe to run
 * while berth serves pushes. Progress goes to stderr, the summary (or
 * `--json` report) to stdout.
 */
import type { Command } from 'commander';
import {
  createGarbageCollector,
  gcOptionsFromConfig,
  type GcProgress,
  type GcReport,
  type GcRunOptions,
} from '../registry/gc/collector.js';
import { createLeaseKeeper, GC_LEASE } from '../registry/gc/gc-lease.js';
import { applyRetention, type RetentionReport } from '../registry/gc/retention.js';
import { compileRetentionRules } from '../registry/gc/retention-rules.js';
import { compileImmutableTagRules } from '../registry/immutable-tags.js';
import { withConfigOptions, type CommonOptions } from './common.js';
import { formatBytes, withMaintenance } from './gc-context.js';

interface GcOptions extends CommonOptions {
  dryRun?: boolean;
  json?: boolean;
}

/** Lease TTL of a CLI run; renewed every third of it while the run goes on. */
const CLI_LEASE_MS = 10 * 60 * 1000;

const PHASES: Record<GcProgress['phase'], string> = {
  trash: 'settling blobs a previous run left parked',
  mark: 'marking what repositories hold',
  manifests: 'deleting planned manifests',
  blobs: 'sweeping unreferenced blobs',
  records: 'forgetting unreferenced blob records',
  uploads: 'removing abandoned upload directories',
  done: 'done',
};

function printProgress(p: GcProgress): void {
  const count = p.done > 0 ? ` (${p.done} so far, ${formatBytes(p.freedBytes)} freed)` : '';
  process.stderr.write(`gc: ${PHASES[p.phase]}${count}\n`);
}

/** The human summary of a GC report. */
export function describeGcReport(r: GcReport, graceSeconds: number): string {
  const verb = r.dryRun ? 'would free' : 'freed';
  const lines = [
    `berth gc${r.dryRun ? ' (dry run)' : ''}: ${verb} ${r.freedBlobs.length} blobs, ${formatBytes(r.freedBytes)}`,
    `  scanned: ${r.repositories} repositories, ${r.manifests} manifests; ${r.markedDigests} digests in use`,
    `  manifests deleted: ${r.deletedManifests.length}` +
      (r.refusedManifests > 0 ? ` (${r.refusedManifests} tagged or listed meanwhile, kept)` : ''),
    `  blob links removed with them: ${r.unlinkedBlobs.length}`,
    `  blob records forgotten: ${r.deletedRecords.length}`,
    `  abandoned upload directories removed: ${r.removedUploads.length} (${formatBytes(r.removedUploads.reduce((n, u) => n + u.bytes, 0))})`,
    `  unreferenced but kept: ${r.keptYoung} younger than the grace period (${graceSeconds} s), ${r.keptInUse} referenced at the last check`,
  ];
  if (r.foreignFiles.length > 0)
    lines.push(`  files under blobs/ that are not blobs (left alone): ${r.foreignFiles.length}`);
  if (r.trash.restored + r.trash.deleted > 0) {
    lines.push(`  left by an interrupted run: ${r.trash.restored} restored, ${r.trash.deleted} deleted`);
  }
  return `${lines.join('\n')}\n`;
}

/** The human summary of a retention report. */
export function describeRetentionReport(r: RetentionReport): string {
  const verb = r.dryRun ? 'would delete' : 'deleted';
  const lines = [
    `berth retention${r.dryRun ? ' (dry run)' : ''}: ${verb} ${r.deletedTags.length} tags and ${r.deletedManifests.length} manifests in ${r.repositories} repositories`,
    ...r.deletedTags.map((t) => `  tag       ${t.repo}:${t.tag} (${t.digest})`),
    ...r.deletedManifests.map((m) => `  manifest  ${m.repo}@${m.digest} (${m.reason})`),
    `  blob links removed: ${r.unlinkedBlobs.length}${r.dryRun ? '' : '; run `berth gc` (or wait for the scheduled run) to free the bytes'}`,
  ];
  if (r.refused > 0) lines.push(`  changed meanwhile, kept: ${r.refused}`);
  return `${lines.join('\n')}\n`;
}

export function registerGc(program: Command): void {
  withConfigOptions(
    program
      .command('gc')
      .description(
        'Collect garbage: delete unreferenced blobs (and, if configured, untagged manifests) while berth runs',
      )
      .option('-n, --dry-run', 'report exactly what would be freed; change nothing')
      .option('--json', 'print the full report as JSON'),
  )
    .addHelpText(
      'after',
      `
Content younger than gc.gracePeriodSeconds (default 1 h) is never deleted, so
pushes in progress are safe. Only one collection runs at a time (the "gc" lease,
shared with the scheduled run of every berth instance).

Examples:
  berth gc --dry-run --config berth.yaml
  berth gc --config berth.yaml --json`,
    )
    .action((options: GcOptions) =>
      withMaintenance(options, async (ctx) => {
        const { deps, config } = ctx;
        const dryRun = options.dryRun ?? false;
        const lease = createLeaseKeeper({
          store: deps.metadata,
          holder: ctx.holder,
          ttlMs: CLI_LEASE_MS,
          clock: deps.clock,
        });
        try {
          if (!dryRun && !(await lease.acquire())) {
            throw new Error(
              `another garbage collection is running (lease "${GC_LEASE}" is held); try again when it finishes`,
            );
          }
          const collector = createGarbageCollector(deps, gcOptionsFromConfig(config.gc));
          const runOptions: GcRunOptions = { dryRun };
          if (options.json !== true) runOptions.onProgress = printProgress;
          if (!dryRun) runOptions.checkpoint = () => lease.renewIfDue();
          const report = await collector.run(runOptions);
          process.stdout.write(
            options.json === true
              ? `${JSON.stringify(report, null, 2)}\n`
              : describeGcReport(report, config.gc.gracePeriodSeconds),
          );
        } finally {
          if (!dryRun) await lease.release().catch(() => undefined);
        }
      }),
    );

  withConfigOptions(
    program
      .command('retention')
      .description(
        'Apply the retention rules of the config: delete expired tags and manifests (bytes go at the next gc)',
      )
      .option('-n, --dry-run', 'list what would be deleted; change nothing')
      .option('--json', 'print the full report as JSON'),
  )
    .addHelpText(
      'after',
      '\nExamples:\n  berth retention --dry-run --config berth.yaml\n  berth retention --config berth.yaml && berth gc --config berth.yaml',
    )
    .action((options: GcOptions) =>
      withMaintenance(options, async (ctx) => {
        const rules = compileRetentionRules(ctx.config.retention, ctx.types);
        if (rules.length === 0)
          process.stderr.write('berth: no retention rules in the config (retention: [...]); nothing to do\n');
        const report = await applyRetention(ctx.deps, rules, {
          dryRun: options.dryRun ?? false,
          graceMs: ctx.config.gc.gracePeriodSeconds * 1000,
          immutableTags: compileImmutableTagRules(ctx.config.registry.immutableTags),
        });
        process.stdout.write(
          options.json === true ? `${JSON.stringify(report, null, 2)}\n` : describeRetentionReport(report),
        );
      }),
    );
}
