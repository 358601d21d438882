/** Command-line options of `npm run bench`, parsed and validated once. */
import { parseArgs } from 'node:util';
import { MiB } from './data.js';
import { WORKLOADS } from './workloads/index.js';
import type { Scale, Workload } from './workloads/types.js';

export interface BenchOptions {
  /** `url`: one running registry; `compare`: reference and berth; `reference`: reference alone. */
  mode: { kind: 'url'; url: string; pid: number | undefined } | { kind: 'compare' } | { kind: 'reference' };
  rounds: number;
  scale: Scale;
  workloads: Workload[];
  json: string | undefined;
  berthCommand: string | undefined;
  referenceBinary: string;
  limitsDir: string | undefined;
  measureLimits: boolean;
  keepData: boolean;
}

export const HELP = `Usage: npm run bench -- (--url <registry> | --compare | --reference-only) [options]

Benchmarks an OCI registry over the Distribution API. Every response is
verified (status, digests, bytes); a wrong answer fails the workload.

Targets (one of):
  --url <url>            bench a running registry on loopback, e.g. http://127.0.0.1:5000
  --compare              start docker-registry (reference) and berth on loopback ports
                         with temporary storage, run every workload on both,
                         interleaved, and print berth/reference ratios; if berth
                         cannot start, say why and run the reference alone
  --reference-only       start docker-registry alone (to record a baseline)

Options:
  --rounds <n>           rounds per workload and target (default 3); medians are reported
  --only <a,b,...>       run only these workloads
  --skip <a,b,...>       skip these workloads
  --json <file>          also write all results (every round) as JSON
  --pid <pid>            with --url: the server's pid, enables the rss workload
  --berth-cmd "<cmd>"    with --compare: start berth with this shell command instead of
                         \`node <npm start's flags> dist/cli/main.js serve --listen ... --data-dir ...\` (built
                         first with tsc -p tsconfig.build.json; tsx on src/ if that fails);
                         {port}, {listen} and {dataDir} are substituted (and set in env as
                         BENCH_PORT, BENCH_LISTEN, BENCH_DATA_DIR); it must answer
                         GET /v2/ with 200 within 30 s
  --reference-bin <path> the docker-registry binary (default: docker-registry on PATH)
  --limits-dir <dir>     measure disk limits in this directory (default: the temporary
                         directory, on the filesystem where --compare servers keep data)
  --no-limits            skip measuring the machine limits
  --keep-data            keep the temporary directory (storage, configs, server logs)
  -h, --help             this text

Environment:
  BENCH_SCALE            multiplies counts, big-blob sizes and durations (default 1;
                         0.1 is a quick run)

Workloads:
${WORKLOADS.map((w) => `  ${w.name.padEnd(14)} ${w.summary}`).join('\n')}

Progress goes to stderr, the report to stdout. Exit status: 0 when every
workload that ran passed, 1 when one failed, 2 on a usage or start-up error.`;

/** A usage error: main prints it with a hint and exits 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

function fail(message: string): never {
  throw new UsageError(message);
}

/** Scaling rules: counts keep a floor, sizes at least 1 MiB, durations at least 250 ms. */
export function createScale(factor: number): Scale {
  return {
    factor,
    count: (n, min = 1) => Math.max(min, Math.round(n * factor)),
    bytes: (n) => Math.max(MiB, Math.round(n * factor)),
    ms: (n) => Math.max(250, Math.round(n * factor)),
  };
}

function pickWorkloads(only: string | undefined, skip: string | undefined): Workload[] {
  const split = (list: string | undefined): string[] =>
    (list ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  for (const name of [...split(only), ...split(skip)]) {
    if (!WORKLOADS.some((w) => w.name === name)) fail(`unknown workload "${name}"`);
  }
  const wanted = split(only);
  const unwanted = split(skip);
  const picked = WORKLOADS.filter(
    (w) => (wanted.length === 0 || wanted.includes(w.name)) && !unwanted.includes(w.name),
  );
  if (picked.length === 0) fail('no workloads selected');
  return picked;
}

/** Only loopback registries: the bench sends traffic to 127.0.0.1 and nowhere else. */
function loopbackUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    fail(`--url ${raw} is not a URL`);
  }
  if (url.protocol !== 'http:') fail('--url must be http:// (the bench speaks plain HTTP on loopback)');
  if (!/^(127\.\d+\.\d+\.\d+|localhost)$/.test(url.hostname)) fail('--url must point at 127.0.0.1 (or localhost)');
  return url.origin;
}

/**
 * Parses argv and BENCH_SCALE.
 *
 * @returns the options, or `'help'` when --help was asked for.
 * @throws UsageError naming the bad option.
 */
export function parseOptions(argv: readonly string[], env: NodeJS.ProcessEnv): BenchOptions | 'help' {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      url: { type: 'string' },
      compare: { type: 'boolean', default: false },
      'reference-only': { type: 'boolean', default: false },
      rounds: { type: 'string', default: '3' },
      only: { type: 'string' },
      skip: { type: 'string' },
      json: { type: 'string' },
      pid: { type: 'string' },
      'berth-cmd': { type: 'string' },
      'reference-bin': { type: 'string', default: 'docker-registry' },
      'limits-dir': { type: 'string' },
      'no-limits': { type: 'boolean', default: false },
      'keep-data': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) return 'help';
  const modes = [values.url !== undefined, values.compare, values['reference-only']].filter(Boolean).length;
  if (modes !== 1) fail('give exactly one of --url <registry>, --compare or --reference-only');
  const rounds = Number(values.rounds);
  if (!Number.isInteger(rounds) || rounds < 1 || rounds > 20) fail('--rounds must be an integer from 1 to 20');
  const factor = Number(env.BENCH_SCALE ?? '1');
  if (!Number.isFinite(factor) || factor <= 0 || factor > 10) fail('BENCH_SCALE must be a number in (0, 10]');
  const pid = values.pid === undefined ? undefined : Number(values.pid);
  if (pid !== undefined && (!Number.isInteger(pid) || pid <= 0)) fail('--pid must be a process id');
  if (pid !== undefined && values.url === undefined) fail('--pid goes with --url (--compare knows its pids)');
  if (values['berth-cmd'] !== undefined && !values.compare) fail('--berth-cmd goes with --compare');

  return {
    mode:
      values.url !== undefined
        ? { kind: 'url', url: loopbackUrl(values.url), pid }
        : values.compare
          ? { kind: 'compare' }
          : { kind: 'reference' },
    rounds,
    scale: createScale(factor),
    workloads: pickWorkloads(values.only, values.skip),
    json: values.json,
    berthCommand: values['berth-cmd'],
    referenceBinary: values['reference-bin'],
    limitsDir: values['limits-dir'],
    measureLimits: !values['no-limits'],
    keepData: values['keep-data'],
  };
}
