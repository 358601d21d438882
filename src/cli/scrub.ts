/**
 * `berth scrub [--quarantine]`: verify every stored blob against its digest.
 * Exits 1 when any blob is corrupt, so it can run from cron or CI.
 */
import type { Command } from 'commander';
import { scrubBlobs, type ScrubOptions, type ScrubReport } from '../registry/gc/scrub.js';
import { withConfigOptions, type CommonOptions } from './common.js';
import { formatBytes, withMaintenance } from './gc-context.js';

interface ScrubCliOptions extends CommonOptions {
  quarantine?: boolean;
  json?: boolean;
}

/** The human summary of a scrub report. */
export function describeScrubReport(r: ScrubReport): string {
  const lines = [`berth scrub: checked ${r.checked} blobs (${formatBytes(r.bytes)}); ${r.corrupt.length} corrupt`];
  for (const c of r.corrupt) {
    const fate = c.quarantinedTo !== undefined ? `moved to ${c.quarantinedTo}` : 'left in place (use --quarantine)';
    if (c.repository !== undefined) {
      lines.push(`  CORRUPT manifest ${c.repository}@${c.digest} (metadata store): bytes hash to ${c.actual}; re-push it`);
      continue;
    }
    const kind = c.manifest ? 'manifest (re-push it)' : 'blob';
    lines.push(`  CORRUPT ${kind} ${c.digest}: bytes hash to ${c.actual}; ${fate}`);
  }
  if (r.foreignFiles.length > 0) lines.push(`  files under blobs/ that are not blobs: ${r.foreignFiles.join(', ')}`);
  return `${lines.join('\n')}\n`;
}

export function registerScrub(program: Command): void {
  withConfigOptions(
    program
      .command('scrub')
      .description('Verify every stored blob and manifest against its digest and report corrupt ones')
      .option(
        '-q, --quarantine',
        'move corrupt blobs to quarantine/ and forget their records, so clients get 404 and can push them again',
      )
      .option('--json', 'print the full report as JSON'),
  )
    .addHelpText(
      'after',
      '\nReads every byte once (streamed). Exit code 1 when a corrupt blob was found.\n\nExample:\n  berth scrub --config berth.yaml --quarantine',
    )
    .action((options: ScrubCliOptions) =>
      withMaintenance(options, async (ctx) => {
        const scrubOptions: ScrubOptions = { quarantine: options.quarantine ?? false };
        if (options.json !== true) {
          scrubOptions.onProgress = (p) =>
            process.stderr.write(`scrub: ${p.checked} blobs, ${formatBytes(p.bytes)}, ${p.corrupt} corrupt\n`);
        }
        const report = await scrubBlobs(ctx.deps, scrubOptions);
        process.stdout.write(
          options.json === true ? `${JSON.stringify(report, null, 2)}\n` : describeScrubReport(report),
        );
        if (report.corrupt.length > 0) process.exitCode = 1;
      }),
    );
}
