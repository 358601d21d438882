/**
 * Starting berth for --compare: the repository's own server CLI by default,
 * or any command given with --berth-cmd.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, spawnServer, type ServerProcess } from './server-process.js';

export const BERTH_ENTRY = 'src/cli/main.ts';
/** The compiled CLI that `npm run build` writes. */
export const BERTH_BUILT_ENTRY = 'dist/cli/main.js';

/**
 * The environment and node flags `npm start` runs berth with (package.json's
 * `start` script, `[NAME=value …] node <flags> dist/cli/main.js serve`), so
 * the bench runs it alike.
 */
export function startCommand(repoRoot: string): { env: Record<string, string>; flags: string[] } {
  const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { scripts?: { start?: string } };
  const words = (pkg.scripts?.start ?? '').trim().split(/\s+/);
  const env: Record<string, string> = {};
  while (/^[A-Z_]+=/.test(words[0] ?? '')) {
    const [name = '', ...value] = (words.shift() ?? '').split('=');
    env[name] = value.join('=');
  }
  const entry = words.indexOf(BERTH_BUILT_ENTRY);
  return { env, flags: words[0] === 'node' && entry > 0 ? words.slice(1, entry) : [] };
}

export interface BerthOptions {
  /** The repository root (the working directory of the server). */
  repoRoot: string;
  /** Where berth keeps its data; the log goes next to it. */
  workDir: string;
  /**
   * A shell command replacing the default. `{port}`, `{listen}` and `{dataDir}`
   * are substituted; BENCH_PORT, BENCH_LISTEN and BENCH_DATA_DIR are also set.
   */
  command: string | undefined;
}

/**
 * Starts berth on a free loopback port and waits for `GET /v2/` to answer 200 (30 s).
 *
 * @throws Error explaining why berth is not available (CLI missing, exited, never ready).
 */
export async function startBerth(options: BerthOptions): Promise<ServerProcess> {
  const port = await freePort();
  const listen = `127.0.0.1:${port}`;
  const dataDir = join(options.workDir, 'data');
  mkdirSync(dataDir, { recursive: true });
  const common = {
    name: 'berth',
    cwd: options.repoRoot,
    port,
    logFile: join(options.workDir, 'berth.log'),
    env: { BENCH_PORT: String(port), BENCH_LISTEN: listen, BENCH_DATA_DIR: dataDir },
    readyTimeoutMs: 30_000,
  };
  if (options.command !== undefined) {
    const command = options.command
      .replaceAll('{port}', String(port))
      .replaceAll('{listen}', listen)
      .replaceAll('{dataDir}', dataDir);
    // `exec` makes the shell become the server, so the pid is the server's.
    return spawnServer({ ...common, command: '/bin/sh', args: ['-c', `exec ${command}`] });
  }
  if (!existsSync(join(options.repoRoot, BERTH_ENTRY))) {
    throw new Error(`berth's server CLI (${BERTH_ENTRY}) does not exist yet`);
  }
  // The built server, as operators run it: the tsx loader would add its own
  // start-up time and ~40 MiB of resident memory to what the bench measures.
  const start = startCommand(options.repoRoot);
  const asStarted = { ...common, env: { ...common.env, ...start.env }, command: process.execPath };
  if (buildBerth(options.repoRoot)) {
    return spawnServer({
      ...asStarted,
      args: [...start.flags, BERTH_BUILT_ENTRY, 'serve', '--listen', listen, '--data-dir', dataDir],
    });
  }
  process.stderr.write(`berth: build failed; running ${BERTH_ENTRY} through tsx instead\n`);
  return spawnServer({
    ...asStarted,
    args: [...start.flags, '--import', 'tsx', BERTH_ENTRY, 'serve', '--listen', listen, '--data-dir', dataDir],
  });
}

/** Runs `tsc -p tsconfig.build.json` (what `npm run build` does) so dist/ matches src/; true when it succeeded. */
function buildBerth(repoRoot: string): boolean {
  const tsc = join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc');
  if (!existsSync(tsc) || !existsSync(join(repoRoot, 'tsconfig.build.json'))) return false;
  const result = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: repoRoot, stdio: 'ignore' });
  return result.status === 0 && existsSync(join(repoRoot, BERTH_BUILT_ENTRY));
}
