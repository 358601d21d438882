/**
 * Starting berth for --compare: the repository's own server CLI by default,
 * or any command given with --berth-cmd.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, spawnServer, type ServerProcess } from './server-process.js';

export const BERTH_ENTRY = 'src/cli/main.ts';

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
  return spawnServer({
    ...common,
    command: process.execPath,
    args: ['--import', 'tsx', BERTH_ENTRY, 'serve', '--listen', listen, '--data-dir', dataDir],
  });
}
