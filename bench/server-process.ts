/**
 * Starting and stopping a registry server as a child process: a free loopback
 * port, a log file, readiness by polling `GET /v2/` until 200, and a stop that
 * escalates from SIGTERM to SIGKILL.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';

export interface ServerProcess {
  readonly name: string;
  readonly url: string;
  readonly pid: number | undefined;
  readonly logFile: string;
  /** Idempotent; resolves when the process has exited. */
  stop(): Promise<void>;
  /** Kills without waiting (for process exit hooks). */
  kill(): void;
}

export interface SpawnOptions {
  name: string;
  command: string;
  args: readonly string[];
  cwd: string;
  port: number;
  logFile: string;
  env?: Record<string, string>;
  readyTimeoutMs: number;
}

/** A currently free TCP port on 127.0.0.1 (the OS picks it; a race with other binders is possible but rare). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** The last `lines` lines of a file, or '' when unreadable. */
export function tail(file: string, lines = 15): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

/** One `GET /v2/` without keep-alive; resolves to the status or 0 on a connection error. */
function probe(url: string): Promise<number> {
  return new Promise((resolve) => {
    const req = http.get(`${url}/v2/`, { agent: false, timeout: 1000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(0));
  });
}

/**
 * Spawns a server and waits until `GET /v2/` answers 200.
 *
 * @throws Error naming the cause (exit code, last status, timeout) and quoting the log's tail.
 */
export async function spawnServer(options: SpawnOptions): Promise<ServerProcess> {
  const url = `http://127.0.0.1:${options.port}`;
  const log = openSync(options.logFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn(options.command, [...options.args], {
      cwd: options.cwd,
      env: { ...process.env, ...options.env },
      stdio: ['ignore', log, log],
    });
  } finally {
    closeSync(log);
  }
  let exited: string | undefined;
  const exit = new Promise<void>((resolve) => {
    child.on('exit', (code, signal) => {
      exited = signal === null ? `exit code ${String(code)}` : `signal ${signal}`;
      resolve();
    });
    child.on('error', (err) => {
      exited = err.message;
      resolve();
    });
  });

  const server: ServerProcess = {
    name: options.name,
    url,
    pid: child.pid,
    logFile: options.logFile,
    kill: () => {
      if (exited === undefined) child.kill('SIGKILL');
    },
    stop: async () => {
      if (exited !== undefined) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exit;
      clearTimeout(timer);
    },
  };

  const deadline = performance.now() + options.readyTimeoutMs;
  let status = 0;
  // Bounded by the deadline; one probe per 100 ms.
  while (performance.now() < deadline) {
    if (exited !== undefined) break;
    status = await probe(url);
    if (status === 200) return server;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const why =
    exited !== undefined
      ? `it exited (${exited})`
      : status === 0
        ? `nothing answered on ${url} within ${options.readyTimeoutMs / 1000} s`
        : `GET /v2/ answered ${status}, not 200, for ${options.readyTimeoutMs / 1000} s`;
  await server.stop();
  const logTail = tail(options.logFile);
  throw new Error(
    `${options.name} did not start: ${why}.${logTail === '' ? '' : `\nlast lines of its log (--keep-data keeps ${options.logFile}):\n${logTail}`}`,
  );
}
