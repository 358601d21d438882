/**
 * The command line as a person uses it: help, config check, the default
 * config, and `serve` logging where it listens and stopping gracefully.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '..', '..');
const BERTH = ['--import', 'tsx', join(ROOT, 'src/cli/main.ts')];
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('BERTH_')));

function berth(...args: string[]): Promise<{ stdout: string; stderr: string }> {
  return run(process.execPath, [...BERTH, ...args], { cwd: ROOT, env });
}

async function fails(args: string[]): Promise<{ code: number; stderr: string }> {
  try {
    await berth(...args);
  } catch (err) {
    const e = err as { code: number; stderr: string };
    return { code: e.code, stderr: e.stderr };
  }
  throw new Error(`berth ${args.join(' ')} succeeded`);
}

describe('berth CLI', () => {
  it('explains itself with --help, for the program and each command', async () => {
    const top = await berth('--help');
    for (const cmd of ['serve', 'config', 'types']) assert.match(top.stdout, new RegExp(`^  ${cmd}\\b`, 'm'));
    const serve = await berth('serve', '--help');
    for (const flag of ['--listen', '--data-dir', '--config', '--log-format']) assert.ok(serve.stdout.includes(flag), flag);
    assert.match(serve.stdout, /BERTH_LISTEN/);
  });

  it('runs with the environment and node flags of npm start, also as an installed bin (its #! line)', async () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: { start: string } };
    const start = /^((?:[A-Z_]+=\S+ )*)node ((?:--\S+ )*)dist\/cli\/main\.js serve$/.exec(pkg.scripts.start);
    assert.ok(start, `npm start runs [NAME=value …] node <flags> dist/cli/main.js serve: ${pkg.scripts.start}`);
    const env = start[1] ?? '';
    const flags = (start[2] ?? '').trim();
    assert.notEqual(flags, '', 'npm start passes node flags');
    const shebang = readFileSync(join(ROOT, 'src/cli/main.ts'), 'utf8').split('\n')[0];
    assert.equal(shebang, `#!/usr/bin/env -S ${env}node ${flags}`);
    // The #! line as the kernel and env(1) run it: the variables reach node, and node accepts the flags.
    const dir = mkdtempSync(join(tmpdir(), 'berth-shebang-'));
    try {
      const script = join(dir, 'probe.mjs');
      writeFileSync(script, `${shebang}\nconsole.log(JSON.stringify(process.env))\n`, { mode: 0o755 });
      const { stdout } = await run(script, []);
      const seen = JSON.parse(stdout) as Record<string, string>;
      for (const assignment of env.trim().split(' ').filter(Boolean)) {
        const [name = '', value] = assignment.split('=');
        assert.equal(seen[name], value, assignment);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('validates the shipped default config', async () => {
    const { stdout } = await berth('config', 'check', join(ROOT, 'berth.example.yaml'));
    assert.match(stdout, /valid/);
    const printed = await berth('config', 'default');
    assert.match(printed.stdout, /^listen: 127\.0\.0\.1:5000$/m);
    const schema = JSON.parse((await berth('config', 'schema')).stdout) as { properties: Record<string, unknown> };
    assert.ok('registry' in schema.properties);
  });

  it('config check names the bad field and exits 2', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'berth-cli-'));
    try {
      const bad = join(dir, 'bad.yaml');
      writeFileSync(bad, 'registry:\n  uploadTtlSeconds: -5\nstorage:\n  driver: nfs\n');
      const { code, stderr } = await fails(['config', 'check', bad]);
      assert.equal(code, 2);
      assert.match(stderr, /storage\.driver: "nfs" is not one of/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('serve logs where it listens and where data lives, then stops gracefully on SIGTERM', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'berth-cli-serve-'));
    const child = spawn(process.execPath, [...BERTH, 'serve', '--listen', '127.0.0.1:0', '--data-dir', dataDir], {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      const lines = createInterface({ input: child.stdout });
      let started: { url?: string; storage?: string; metadata?: string; msg: string } | undefined;
      for await (const line of lines) {
        const entry = JSON.parse(line) as { url?: string; storage?: string; metadata?: string; msg: string };
        if (entry.msg.startsWith('berth listening on')) {
          started = entry;
          break;
        }
      }
      assert.ok(started?.url);
      assert.ok(started.storage?.startsWith(dataDir));
      assert.ok(started.metadata?.startsWith(dataDir));
      const res = await fetch(`${started.url}/v2/`);
      assert.equal(res.status, 200);
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      child.kill('SIGTERM');
      assert.equal(await exited, 0);
    } finally {
      child.kill('SIGKILL');
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
