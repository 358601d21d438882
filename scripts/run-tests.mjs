#!/usr/bin/env node
// Runs every test file with Node's built-in runner (node:test) under tsx.
// Node 20's `--test` takes no globs, so this finds the files.
//
//   npm test                      every *.test.ts under src/ and test/
//   npm test -- test/api          only files whose path contains "test/api"
//
// Environment: TEST_CONCURRENCY (files run at once, default 2),
// TEST_TIMEOUT_SECONDS (bound on the whole run, default 1800: a hung test or a
// leaked handle that keeps a file's process alive fails the run instead of
// hanging it).
import { spawn } from 'node:child_process';
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
const args = [
  '--import',
  'tsx',
  '--test',
  `--test-concurrency=${concurrency}`,
  '--test-reporter=spec',
  ...passthrough,
  ...files,
];
// Its own process group, so a timeout or a signal ends every test file's
// process and whatever servers they started, not only the runner.
const child = spawn(process.execPath, args, { cwd: root, stdio: 'inherit', detached: true });
const killGroup = (signal) => {
  try {
    process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
};
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => killGroup(signal));
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
child.on('exit', (code, signal) => {
  clearTimeout(watchdog);
  process.exit(timedOut || signal ? 1 : (code ?? 1));
});
