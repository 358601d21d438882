/**
 * `npm run bench` as its users run it: the real CLI (bench/main.ts) against a
 * real berth process, at a tiny BENCH_SCALE. What is checked is behaviour,
 * never speed: every workload runs and reports numbers, every round lands in
 * --json, the machine limits are measured, and a registry that answers
 * wrongly fails the workload instead of counting as fast.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Limit } from '../../bench/limits.js';
import type { Summary } from '../../bench/report.js';
import type { RoundResult } from '../../bench/runner.js';
import type { Metric } from '../../bench/stats.js';
import { WORKLOADS } from '../../bench/workloads/index.js';
import type { Target } from '../../bench/workloads/types.js';
import { missingTool } from '../interop/tools.js';
import { freePort } from '../helpers/free-port.js';
import { startProcessServer, type ProcessServer } from '../helpers/process-server.js';

/** --compare's reference registry: Debian's docker-registry (CNCF distribution), installed by .ci/install-docker-registry.sh. */
const noReference = missingTool('docker-registry');
const inCi = process.env.CI === 'true';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** Counts ×0.02, the big blob 5 MiB, the rss blob 20 MiB, timed loads 250 ms. */
const TINY = '0.02';

interface BenchRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Bench processes still running: killed when the suite ends, e.g. on its timeout. */
const running = new Set<ChildProcess>();

/** Runs the bench CLI to completion (tsx, as `npm run bench` does). */
function runBench(args: string[], env: Record<string, string> = {}): Promise<BenchRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'bench', 'main.ts'), ...args], {
      cwd: ROOT,
      env: { ...process.env, BENCH_SCALE: TINY, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    running.add(child);
    child.on('error', reject);
    child.on('close', (code) => {
      running.delete(child);
      resolve({ code, stdout, stderr });
    });
  });
}

/** What --json writes (bench/report.ts, toJson), in the bench's own types. */
interface BenchJson {
  targets: Target[];
  limits: Limit[];
  workloads: { name: string; targets: Record<string, { summary: Summary; rounds: RoundResult[] }> }[];
}

const mediansOf = (summary: Summary | undefined): readonly Metric[] =>
  summary?.status === 'ok' ? summary.medians : [];
const errorOf = (summary: Summary | undefined): string => (summary?.status === 'failed' ? summary.error : '');

function readJson(path: string): BenchJson {
  return JSON.parse(readFileSync(path, 'utf8')) as BenchJson;
}

/** Why a run failed, for assertion messages. */
const explain = (run: BenchRun): string => `exit ${String(run.code)}\n${run.stdout}\n${run.stderr.slice(-3000)}`;

/**
 * A proxy in front of `upstream` that passes everything through, except that
 * `tamper` may rewrite a response's headers and body before the client sees
 * them.
 */
async function startTamperingProxy(
  upstream: string,
  tamper: (
    method: string,
    path: string,
    headers: Record<string, string | string[] | undefined>,
    body: Buffer,
  ) => Buffer,
): Promise<{ url: string; server: Server }> {
  const target = new URL(upstream);
  const server = createServer((req, res) => {
    const out = httpRequest(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
      (up) => {
        const chunks: Buffer[] = [];
        up.on('data', (c: Buffer) => chunks.push(c));
        up.on('end', () => {
          const headers = { ...up.headers };
          const body = tamper(req.method ?? 'GET', req.url ?? '/', headers, Buffer.concat(chunks));
          delete headers['transfer-encoding'];
          if (req.method !== 'HEAD') headers['content-length'] = String(body.length);
          res.writeHead(up.statusCode ?? 502, headers);
          res.end(req.method === 'HEAD' ? undefined : body);
        });
      },
    );
    out.on('error', () => res.destroy());
    req.pipe(out);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

// A bench that hangs fails here instead of holding the whole suite.
describe('npm run bench', { timeout: 180_000 }, () => {
  let berth: ProcessServer;
  let dir: string;

  before(async () => {
    berth = await startProcessServer();
    dir = mkdtempSync(join(tmpdir(), 'berth-bench-test-'));
  });
  after(async () => {
    for (const child of running) child.kill('SIGTERM'); // the bench stops the servers it started
    await berth.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('prints its help, listing every workload, and exits 0', async () => {
    const run = await runBench(['--help']);
    assert.equal(run.code, 0, explain(run));
    for (const w of WORKLOADS) assert.match(run.stdout, new RegExp(`^  ${w.name} `, 'm'), `help names ${w.name}`);
  });

  it('refuses an unknown option with exit 2 and says where help is', async () => {
    const run = await runBench(['--url', berth.url, '--no-such-option']);
    assert.equal(run.code, 2, explain(run));
    assert.match(run.stderr, /no-such-option/);
    assert.match(run.stderr, /npm run bench -- --help/);
  });

  it('refuses a registry URL that does not answer, with exit 2', async () => {
    const run = await runBench(['--url', `http://127.0.0.1:${await freePort()}`, '--no-limits']);
    assert.equal(run.code, 2, explain(run));
    assert.match(run.stderr, /not answering as a registry/);
  });

  it('runs every workload against berth, verified, and writes every round and the machine limits to --json', async () => {
    const json = join(dir, 'all.json');
    const run = await runBench(['--url', berth.url, '--pid', String(berth.pid), '--rounds', '2', '--json', json]);
    assert.equal(run.code, 0, explain(run));
    const result = readJson(json);
    assert.deepEqual(
      result.workloads.map((w) => w.name),
      WORKLOADS.map((w) => w.name),
    );
    for (const w of result.workloads) {
      const t = w.targets.target;
      assert.ok(t !== undefined, `${w.name} ran`);
      assert.equal(t.summary.status, 'ok', `${w.name}: ${JSON.stringify(t.summary)}`);
      assert.equal(t.rounds.length, 2, `${w.name}: both rounds recorded`);
      const medians = mediansOf(t.summary);
      assert.ok(medians.length > 0, `${w.name} reports metrics`);
      for (const m of medians) assert.ok(Number.isFinite(m.value) && m.value >= 0, `${w.name} ${m.name} = ${m.value}`);
      assert.ok(medians[0] !== undefined && medians[0].value > 0, `${w.name}: its main metric is positive`);
      // The text report shows the same workload with its numbers.
      assert.match(run.stdout, new RegExp(`== ${w.name}: `));
    }
    const rss = mediansOf(result.workloads.find((w) => w.name === 'rss')?.targets.target?.summary);
    const idle = rss.find((m) => m.name.startsWith('idle RSS'))?.value ?? 0;
    assert.ok(idle > 10, `the rss workload read berth's RSS from /proc (idle ${idle} MiB)`);
    const limits = new Map(result.limits.map((l) => [l.name, l.value]));
    for (const name of [
      'sha256, one core',
      'sequential write + fdatasync',
      'loopback HTTP upload + sha256',
      'loopback HTTP download + sha256',
    ]) {
      const value = limits.get(name);
      assert.ok(value !== undefined && value > 0, `limit "${name}" measured: ${String(value)}`);
    }
    assert.match(run.stdout, /== machine limits/);
  });

  /** Runs `workloads` once, through a proxy that tampers with berth's answers; the run and each workload's summary. */
  async function runTampered(
    workloads: string[],
    tamper: Parameters<typeof startTamperingProxy>[1],
  ): Promise<{ run: BenchRun; summaries: Map<string, Summary | undefined> }> {
    const proxy = await startTamperingProxy(berth.url, tamper);
    try {
      const json = join(dir, `${workloads.join('-')}.json`);
      const args = ['--url', proxy.url, '--no-limits', '--rounds', '1', '--only', workloads.join(','), '--json', json];
      const run = await runBench(args);
      assert.equal(run.code, 1, explain(run));
      return { run, summaries: new Map(readJson(json).workloads.map((w) => [w.name, w.targets.target?.summary])) };
    } finally {
      proxy.server.closeAllConnections();
      proxy.server.close();
    }
  }

  it('fails the pull workloads, with no speed, when the registry corrupts blob bytes', async () => {
    // One flipped byte in every blob body, length and headers untouched.
    const { run, summaries } = await runTampered(
      ['pull-large', 'pull-small', 'manifest-push'],
      (method, path, _h, body) => {
        if (method !== 'GET' || !/\/blobs\/sha256:/.test(path) || body.length === 0) return body;
        const copy = Buffer.from(body);
        copy[copy.length >> 1] = (copy[copy.length >> 1] ?? 0) ^ 0xff;
        return copy;
      },
    );
    for (const name of ['pull-large', 'pull-small']) {
      const summary = summaries.get(name);
      assert.equal(summary?.status, 'failed', `${name}: ${JSON.stringify(summary)}`);
      assert.match(errorOf(summary), /body hashes to sha256:/);
      assert.equal(summary !== undefined && 'medians' in summary, false, `${name} reports no speed`);
    }
    // Manifest pushes never read a blob back: they still pass through the proxy.
    assert.equal(summaries.get('manifest-push')?.status, 'ok');
    assert.match(
      run.stdout,
      /== pull-large: [^\n]*\nmetric[^\n]*\n\(no numbers\)\s+FAILED\n\s+target FAILED in 1\/1 rounds: wrong answer/,
    );
  });

  it('fails a workload whose manifest answers carry the wrong digest', async () => {
    const wrong = `sha256:${'0'.repeat(64)}`;
    const { summaries } = await runTampered(['manifest-head'], (method, path, headers, body) => {
      if ((method === 'GET' || method === 'HEAD') && /\/manifests\//.test(path))
        headers['docker-content-digest'] = wrong;
      return body;
    });
    const summary = summaries.get('manifest-head');
    assert.equal(summary?.status, 'failed', JSON.stringify(summary));
    assert.match(errorOf(summary), new RegExp(`Docker-Content-Digest is ${wrong}`));
  });

  it(
    '--compare starts docker-registry and berth, runs each workload on both, interleaved, and prints berth/reference ratios',
    { skip: noReference !== undefined && !inCi ? noReference : false },
    async () => {
      assert.equal(noReference, undefined, 'CI must install docker-registry (.ci/install-docker-registry.sh)');
      const json = join(dir, 'compare.json');
      const run = await runBench([
        '--compare',
        '--no-limits',
        '--rounds',
        '2',
        '--only',
        'push-small,manifest-head',
        '--json',
        json,
      ]);
      assert.equal(run.code, 0, explain(run));
      const result = readJson(json);
      assert.deepEqual(
        result.targets.map((t) => t.name),
        ['reference', 'berth'],
      );
      for (const w of result.workloads) {
        for (const name of ['reference', 'berth']) {
          const t = w.targets[name];
          assert.equal(t?.summary.status, 'ok', `${w.name} @ ${name}: ${JSON.stringify(t?.summary)}`);
          assert.equal(t.rounds.length, 2);
        }
      }
      // Interleaved: each workload on both targets back to back, the order alternating by round.
      const order = [...run.stderr.matchAll(/\[round (\d)\/2\] push-small @ (\w+): ok/g)].map((m) => `${m[1]} ${m[2]}`);
      assert.deepEqual(order, ['1 reference', '1 berth', '2 berth', '2 reference']);
      // The printed ratio is berth's median over the reference's.
      const pushSmall = result.workloads.find((w) => w.name === 'push-small');
      const mbs = (name: string): number =>
        mediansOf(pushSmall?.targets[name]?.summary).find((m) => m.name === 'MB/s')?.value ?? NaN;
      const ratio = (mbs('berth') / mbs('reference')).toFixed(2);
      assert.match(run.stdout, /metric\s+reference\s+berth\s+berth\/ref/);
      assert.match(run.stdout, new RegExp(`\\nMB/s\\s+[\\d,.]+\\s+[\\d,.]+\\s+${ratio.replace('.', '\\.')}×\\n`));
      // Both servers are gone once the bench has exited.
      for (const t of result.targets) {
        const pid = t.pid;
        assert.ok(pid !== undefined, `${t.name} has a pid`);
        assert.throws(() => process.kill(pid, 0), { code: 'ESRCH' }, `${t.name} (pid ${t.pid}) was stopped`);
      }
    },
  );
});
