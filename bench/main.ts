/**
 * `npm run bench`: the berth performance benchmark, a standalone client of the
 * OCI Distribution API. See bench/README.md and `npm run bench -- --help`.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createDataPool } from './data.js';
import { measureLimits, type Limit } from './limits.js';
import { HELP, parseOptions, UsageError, type BenchOptions } from './options.js';
import { formatReport, summarise, toJson } from './report.js';
import { flushDirtyPages } from './flush.js';
import { runBench } from './runner.js';
import type { ServerProcess } from './server-process.js';
import { prepareTargets } from './targets.js';

const REPO_ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
const started = performance.now();

function progress(message: string): void {
  process.stderr.write(`[${((performance.now() - started) / 1000).toFixed(1).padStart(6)}s] ${message}\n`);
}

async function bench(options: BenchOptions): Promise<number> {
  const workDir = mkdtempSync(join(tmpdir(), 'berth-bench-'));
  const servers: ServerProcess[] = [];
  // Runs on every exit path, including Ctrl-C: no server outlives the bench.
  process.on('exit', () => {
    for (const server of servers) server.kill();
    if (options.keepData) return;
    // Can take a while: the registries leave thousands of small files.
    progress(`removing ${workDir}`);
    rmSync(workDir, { recursive: true, force: true });
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      progress(`${signal}: stopping servers`);
      process.exit(130);
    });
  }

  const limits: Limit[] = options.measureLimits
    ? await measureLimits({ dir: options.limitsDir ?? workDir, scale: options.scale, progress })
    : [];
  const { targets, notes } = await prepareTargets(options, workDir, REPO_ROOT, (s) => servers.push(s), progress);

  const runId = randomBytes(4).toString('hex');
  const { workloads, rounds, scale } = options;
  progress(`run ${runId}: ${workloads.length} workloads × ${rounds} rounds × ${targets.length} targets`);
  const results = await runBench({
    targets,
    workloads,
    rounds,
    scale,
    data: createDataPool(),
    runId,
    progress,
    flush: flushDirtyPages,
  });

  process.stdout.write(formatReport(results, targets, limits, { notes, scale: scale.factor, rounds }));
  if (options.json !== undefined) {
    const meta = { date: new Date().toISOString(), runId, scale: scale.factor, rounds, node: process.version, notes };
    writeFileSync(options.json, `${JSON.stringify(toJson(results, targets, limits, meta), null, 2)}\n`);
    progress(`wrote ${options.json}`);
  }
  for (const server of servers) await server.stop();
  progress(options.keepData ? `done; kept ${workDir}` : 'done');
  const failed = results.some((r) => [...r.byTarget.values()].some((rs) => summarise(rs).status === 'failed'));
  return failed ? 1 : 0;
}

async function main(): Promise<number> {
  let options: BenchOptions | 'help';
  try {
    options = parseOptions(process.argv.slice(2), process.env);
  } catch (err) {
    if (!(err instanceof UsageError) && !(err instanceof TypeError)) throw err;
    // parseArgs reports unknown options as TypeErrors with a clear message.
    process.stderr.write(`bench: ${err.message}\nTry: npm run bench -- --help\n`);
    return 2;
  }
  if (options === 'help') {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  return bench(options);
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`bench: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(2);
  },
);
