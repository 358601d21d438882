#!/usr/bin/env node
// Runs every test file with Node's built-in runner (node:test) under tsx.
// Node 20's `--test` takes no globs, so this finds the files.
//
//   npm test                      every *.test.ts under src/ and test/
//   npm test -- test/api          only files whose path contains "test/api"
//
// After that main pass, the HTTP integration suite (the selected files under
// test/api/) runs a second time with BERTH_TEST_BACKEND=postgres-s3: the same
// tests on PostgreSQL metadata and S3 (Ceph) storage. Its failures fail the
// run. Without PostgreSQL or Ceph installed it is skipped with the reason,
// except in CI (CI=true), where it runs and fails.
//
// Environment: TEST_CONCURRENCY (files run at once, default 2),
// TEST_TIMEOUT_SECONDS (bound on the whole run, both passes, default 1800: a
// hung test or a leaked handle that keeps a file's process alive fails the
// run instead of hanging it), TEST_POSTGRES_S3=0 (skip the second pass).
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const filters = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const passthrough = process.argv.slice(2).filter((a) => a.startsWith('-'));

function walk(dir, out) {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path, out);
    else if (name.endsWith('.test.ts')) out.push(relative(root, path));
  }
  return out;
}

const files = [...walk(join(root, 'src'), []), ...walk(join(root, 'test'), [])]
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort();

if (files.length === 0) {
  console.error(`no test files match ${filters.join(' ')}`);
  process.exit(1);
}

const concurrency = process.env.TEST_CONCURRENCY ?? '2';
const started = Date.now();
const elapsed = () => `${Math.round((Date.now() - started) / 1000)}s`;

let current; // the running pass's child
const killGroup = (signal) => {
  try {
    if (current !== undefined) process.kill(-current.pid, signal);
  } catch {
    // already gone
  }
};
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    killGroup(signal);
    process.exit(1);
  });
}
const limit = Number(process.env.TEST_TIMEOUT_SECONDS ?? 1800);
let timedOut = false;
const watchdog = setTimeout(() => {
  timedOut = true;
  console.error(
    `\nrun-tests: still running after ${limit}s; killing it. A test hangs, or a file leaves a handle ` +
      '(server, socket, timer, child process) open so its process never exits: it is among the files above without a result.',
  );
  killGroup('SIGKILL');
}, limit * 1000);

/** Runs one node:test pass over `list`; resolves with its exit code. */
function runPass(list, env) {
  const args = [
    '--import',
    'tsx',
    '--test',
    `--test-concurrency=${concurrency}`,
    '--test-reporter=spec',
    ...passthrough,
    ...list,
  ];
  return new Promise((resolve) => {
    // Its own process group, so a timeout or a signal ends every test file's
    // process and whatever servers they started, not only the runner.
    current = spawn(process.execPath, args, { cwd: root, stdio: 'inherit', detached: true, env });
    current.on('exit', (code, signal) => resolve(timedOut || signal ? 1 : (code ?? 1)));
  });
}

/** Why PostgreSQL + S3 cannot run here, or undefined when they can. */
function postgresS3Unavailable() {
  const probe = spawnSync(process.execPath, ['--import', 'tsx', 'test/services/probe-postgres-s3.ts'], {
    cwd: root,
    encoding: 'utf8',
  });
  if (probe.status === 0) return undefined;
  return (probe.stdout + probe.stderr).trim() || `probe exited ${probe.status}`;
}

const mainCode = await runPass(files, process.env);
console.log(`\nrun-tests: main pass ${mainCode === 0 ? 'passed' : 'FAILED'} (${files.length} files, ${elapsed()})`);
let code = mainCode;

const apiFiles = files.filter((f) => f.startsWith('test/api/'));
if (!timedOut && apiFiles.length > 0) {
  const banner = `run-tests: HTTP integration suite again on PostgreSQL + S3 (BERTH_TEST_BACKEND=postgres-s3), ${apiFiles.length} files`;
  const reason = postgresS3Unavailable();
  if (process.env.TEST_POSTGRES_S3 === '0') {
    console.log(`\n${banner}: SKIPPED (TEST_POSTGRES_S3=0)`);
  } else if (reason !== undefined && process.env.CI !== 'true') {
    console.log(`\n${banner}: SKIPPED, ${reason}`);
  } else {
    console.log(`\n${'='.repeat(78)}\n${banner}\n${'='.repeat(78)}`);
    const passStart = Date.now();
    const apiCode = await runPass(apiFiles, { ...process.env, BERTH_TEST_BACKEND: 'postgres-s3' });
    const took = Math.round((Date.now() - passStart) / 1000);
    console.log(`\nrun-tests: PostgreSQL + S3 pass ${apiCode === 0 ? 'passed' : 'FAILED'} (${took}s)`);
    if (apiCode !== 0) code = apiCode;
  }
}

clearTimeout(watchdog);
console.log(`run-tests: ${code === 0 ? 'all passed' : 'FAILED'} in ${elapsed()}`);
process.exit(timedOut ? 1 : code);
