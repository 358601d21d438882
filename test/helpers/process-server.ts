/**
 * Runs the real `berth serve` CLI as a child process, for tests that need a
 * process they can kill (SIGKILL crash tests) or a server outside the test's
 * own event loop.
 *
 * The child listens on `127.0.0.1:0`; the URL comes from its start-up log
 * line, and readiness is a bounded poll of `GET /v2/`. Every child is killed
 * when the test process exits, whatever happened to the test.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { freePort } from './free-port.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as delay } from 'node:timers/promises';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CLI = join(ROOT, 'src', 'cli', 'main.ts');
/** Lines of child output kept for failure messages. */
const KEEP_LINES = 200;

export interface ProcessServerOptions {
  /** Data directory to serve (kept on stop). Default: a fresh temp dir, removed on stop. */
  dataDir?: string;
  /** Extra CLI arguments after `serve` (e.g. `['--config', file]`). */
  args?: string[];
  /** Extra environment (BERTH_… variables of the test process are not inherited). */
  env?: Record<string, string>;
  /** Bound on start-up (process start, tsx load, listen, GET /v2/ 200). Default 60 s. */
  readyTimeoutMs?: number;
  /**
   * Write the child's stdout (its log) to this file instead of a pipe, e.g.
   * `/dev/full`. The helper then picks the port itself, since the log line
   * that names it is not read; `output()` has stderr only.
   */
  stdoutFile?: string;
}

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ProcessServer {
  /** `http://127.0.0.1:<port>` */
  url: string;
  dataDir: string;
  pid: number;
  /** Resolves when the child has exited. */
  exited: Promise<ExitStatus>;
  /** Sends a signal and waits for the child to exit. Idempotent once exited. */
  kill(signal?: NodeJS.Signals): Promise<ExitStatus>;
  /**
   * Graceful stop: SIGTERM, then SIGKILL if it has not exited within
   * `graceMs` (default 15 s). Removes the data dir when this helper made it.
   */
  stop(graceMs?: number): Promise<ExitStatus>;
  /** The last lines the child wrote (stdout and stderr), for assertion messages. */
  output(): string;
}

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // 'exit' handlers must be synchronous: kill() is.
  process.on('exit', () => {
    for (const child of live) child.kill('SIGKILL');
  });
}

/**
 * Polls `check` until it returns a value other than `undefined`/`false`, at
 * most `timeoutMs`. For readiness-like conditions only; never a fixed sleep.
 *
 * @throws Error naming `what` when the bound passes.
 * @example
 * await waitFor(async () => (await stat(file).catch(() => undefined))?.size ?? 0 > 0, { what: 'data file' });
 */
export async function waitFor<T>(
  check: () => Promise<T | undefined | false> | T | undefined | false,
  options: { what: string; timeoutMs?: number; intervalMs?: number },
): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${options.what}`);
    await delay(options.intervalMs ?? 20);
  }
}

/**
 * Starts `berth serve` in a child process and waits until `GET /v2/` answers 200.
 *
 * @throws Error (with the child's output) when it exits or is not ready in time.
 * @example
 * const server = await startProcessServer({ dataDir });
 * after(() => server.stop());
 * await server.kill('SIGKILL');
 */
export async function startProcessServer(options: ProcessServerOptions = {}): Promise<ProcessServer> {
  installExitHook();
  const own = options.dataDir === undefined;
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'berth-proc-'));
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith('BERTH_') && key !== 'NODE_TEST_CONTEXT') env[key] = value;
  }
  Object.assign(env, options.env);
  // Tests run the SQLite store's development check (metadata.checkNestedCalls).
  if ((env.BERTH_METADATA__DRIVER ?? 'sqlite') === 'sqlite') env.BERTH_METADATA__CHECK_NESTED_CALLS ??= 'true';

  const port = options.stdoutFile === undefined ? 0 : await freePort();
  const stdout = options.stdoutFile === undefined ? 'pipe' : openSync(options.stdoutFile, 'w');
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      CLI,
      'serve',
      '--listen',
      `127.0.0.1:${port}`,
      '--data-dir',
      dataDir,
      '--log-level',
      'info',
      '--log-format',
      'json',
      ...(options.args ?? []),
    ],
    { cwd: ROOT, env, stdio: ['ignore', stdout, 'pipe'] },
  );
  if (typeof stdout === 'number') closeSync(stdout); // the child has its own copy
  live.add(child);
  const exited = new Promise<ExitStatus>((resolve) => {
    child.once('exit', (code, signal) => {
      live.delete(child);
      resolve({ code, signal });
    });
  });

  const lines: string[] = [];
  let announced: ((url: string) => void) | undefined;
  const urlFromLog =
    port === 0 ? new Promise<string>((resolve) => (announced = resolve)) : Promise.resolve(`http://127.0.0.1:${port}`);
  const collect = (stream: NodeJS.ReadableStream): void => {
    let partial = '';
    stream.setEncoding('utf8');
    stream.on('data', (text: string) => {
      const parts = (partial + text).split('\n');
      partial = parts.pop() ?? '';
      for (const line of parts) {
        lines.push(line);
        if (lines.length > KEEP_LINES) lines.shift();
        if (line.includes('berth listening on')) {
          const url = parseUrl(line);
          if (url !== undefined) announced?.(url);
        }
      }
    });
  };
  if (child.stdout !== null) collect(child.stdout);
  if (child.stderr !== null) collect(child.stderr);
  const output = (): string => lines.join('\n');

  const kill = async (signal: NodeJS.Signals = 'SIGKILL'): Promise<ExitStatus> => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    return exited;
  };

  const timeoutMs = options.readyTimeoutMs ?? 60_000;
  let url: string;
  try {
    url = await Promise.race([
      urlFromLog,
      exited.then((status) => {
        throw new Error(`berth exited before listening (${status.code ?? status.signal})`);
      }),
      delay(timeoutMs, undefined, { ref: false }).then(() => {
        throw new Error(`berth did not log "berth listening on" within ${timeoutMs} ms`);
      }),
    ]);
    await waitFor(
      async () => {
        if (child.exitCode !== null || child.signalCode !== null) throw new Error('berth exited during start-up');
        const res = await fetch(`${url}/v2/`, { signal: AbortSignal.timeout(5000) }).catch(() => undefined);
        await res?.body?.cancel();
        return res?.status === 200;
      },
      { what: `GET ${url}/v2/ to answer 200`, timeoutMs },
    );
  } catch (err) {
    await kill('SIGKILL');
    if (own) rmSync(dataDir, { recursive: true, force: true });
    throw new Error(`${(err as Error).message}\n--- berth output ---\n${output()}`);
  }

  return {
    url,
    dataDir,
    pid: child.pid ?? -1,
    exited,
    kill,
    async stop(graceMs = 15_000) {
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      try {
        return await kill('SIGTERM');
      } finally {
        clearTimeout(timer);
        if (own) rmSync(dataDir, { recursive: true, force: true });
      }
    },
    output,
  };
}

/** The `url` field of a pino JSON line (or the URL in its message). */
function parseUrl(line: string): string | undefined {
  try {
    const record = JSON.parse(line) as { url?: unknown };
    if (typeof record.url === 'string') return record.url;
  } catch {
    // not JSON: fall through to the message text
  }
  return /https?:\/\/[^\s,]+/.exec(line)?.[0];
}
