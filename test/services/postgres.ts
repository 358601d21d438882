/**
 * A throwaway PostgreSQL cluster for tests: Debian's `postgresql` binaries,
 * a fresh data directory under the system temp directory, listening on
 * 127.0.0.1 on an ephemeral port (and a Unix socket inside the directory),
 * durability switched off because nothing here must survive.
 *
 * PostgreSQL refuses to run as root, so when the tests run as root the
 * cluster is initialised and started as the `postgres` user the package
 * creates, and the directory is handed to that user.
 *
 * Missing binaries raise {@link ServiceUnavailableError}; `serviceOrSkip`
 * and `serviceSkipReason` (from `service-error.ts`, re-exported here) turn
 * that into a visible skip locally and a failure in CI (`CI=true`), where a
 * missing service is a broken set-up.
 *
 * @example
 * ```ts
 * const pg = await startPostgres();
 * const url = await pg.createDatabase(); // fresh database, C collation
 * // … connect to url …
 * await pg.stop();
 * ```
 */
import { execFile, execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { freePort } from '../helpers/free-port.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { ServiceUnavailableError } from './service-error.js';

// The skip-or-fail policy is shared by every test service.
export { ServiceUnavailableError, serviceOrSkip, serviceSkipReason } from './service-error.js';

const execFileAsync = promisify(execFile);

/** A running throwaway cluster. */
export interface PostgresService {
  /** Superuser URL of the `postgres` database (trust authentication). */
  readonly url: string;
  /**
   * Creates a database with byte-order text collation (`LC_COLLATE 'C'`,
   * `LC_CTYPE 'C'`, from `template0`) and returns its URL. Without a name,
   * a unique one is generated.
   */
  createDatabase(name?: string): Promise<string>;
  /** Drops a database made by {@link createDatabase}, given its URL, closing its connections. Idempotent. */
  dropDatabase(url: string): Promise<void>;
  /** Stops the server immediately and removes its directory. Idempotent. */
  stop(): Promise<void>;
}

/** Options of {@link startPostgres}; defaults suit tests. */
export interface StartPostgresOptions {
  /** Directory holding `initdb` and `pg_ctl`. Default: newest `/usr/lib/postgresql/<v>/bin`, or `$BERTH_PG_BINDIR`. */
  binDir?: string;
  /** Seconds `pg_ctl` waits for start-up. Default 30. */
  startTimeoutSeconds?: number;
}

/**
 * Finds the PostgreSQL server binaries: `$BERTH_PG_BINDIR` when set, else the
 * highest version under `/usr/lib/postgresql/` (Debian's layout).
 *
 * @throws {ServiceUnavailableError} when no directory holds `initdb` and `pg_ctl`.
 */
export function findPostgresBinDir(root = '/usr/lib/postgresql'): string {
  const fromEnv = process.env['BERTH_PG_BINDIR'];
  const candidates: string[] = [];
  if (fromEnv !== undefined && fromEnv !== '') candidates.push(fromEnv);
  if (existsSync(root)) {
    const versions = readdirSync(root)
      .filter((v) => /^\d+(\.\d+)?$/.test(v))
      .sort((a, b) => Number.parseFloat(b) - Number.parseFloat(a));
    candidates.push(...versions.map((v) => join(root, v, 'bin')));
  }
  const found = candidates.find((dir) => existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'pg_ctl')));
  if (found === undefined) {
    throw new ServiceUnavailableError(
      `PostgreSQL server binaries not found (looked in ${candidates.length > 0 ? candidates.join(', ') : `${root}/*/bin`}); ` +
        'install them with .ci/install-postgres.sh or set BERTH_PG_BINDIR',
    );
  }
  return found;
}

/** How to run the server binaries: directly, or as `postgres` when we are root. */
interface RunAs {
  wrap(bin: string, args: string[]): [string, string[]];
  /** uid/gid to hand the directory to, when running as another user. */
  owner?: { uid: number; gid: number };
}

/**
 * Checks, cheaply and synchronously, that a cluster could start here.
 *
 * @throws {ServiceUnavailableError} as {@link startPostgres} would.
 */
export function probePostgres(): void {
  findPostgresBinDir();
  runAs();
}

function runAs(): RunAs {
  if (process.getuid?.() !== 0) return { wrap: (bin, args) => [bin, args] };
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('postgres:'));
  const fields = line?.split(':');
  const uid = Number(fields?.[2]);
  const gid = Number(fields?.[3]);
  if (!Number.isInteger(uid) || !Number.isInteger(gid)) {
    throw new ServiceUnavailableError(
      'running as root but the `postgres` user does not exist (install the postgresql package)',
    );
  }
  return { wrap: (bin, args) => ['runuser', ['-u', 'postgres', '--', bin, ...args]], owner: { uid, gid } };
}

/**
 * Clusters still running in this process, stopped synchronously when it exits
 * (an `exit` listener may not await). Module state on purpose: the exit hook
 * is per process, and only this test helper uses it.
 */
const running = new Set<() => void>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const stop of [...running]) stop();
  });
  // A signal ends the process without 'exit': clean up, then die of the signal.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      for (const stop of [...running]) stop();
      process.kill(process.pid, signal);
    });
  }
}

let databaseCounter = 0;

/**
 * Initialises and starts a throwaway cluster (about a second).
 *
 * @throws {ServiceUnavailableError} when the binaries (or, as root, the
 *   `postgres` user) are missing.
 * @throws Error when `initdb` or `pg_ctl start` fails; the message carries
 *   the server log.
 */
export async function startPostgres(options: StartPostgresOptions = {}): Promise<PostgresService> {
  const binDir = options.binDir ?? findPostgresBinDir();
  const as = runAs();
  const dir = mkdtempSync(join(tmpdir(), 'berth-pg-'));
  const dataDir = join(dir, 'data');
  const logFile = join(dir, 'server.log');
  if (as.owner !== undefined) chownSync(dir, as.owner.uid, as.owner.gid);
  const run = async (bin: string, args: string[]): Promise<void> => {
    const [file, argv] = as.wrap(join(binDir, bin), args);
    await execFileAsync(file, argv, { cwd: dir });
  };
  const stopSync = (): void => {
    running.delete(stopSync);
    try {
      const [file, argv] = as.wrap(join(binDir, 'pg_ctl'), ['-D', dataDir, '-m', 'immediate', '-w', 'stop']);
      execFileSync(file, argv, { cwd: dir, stdio: 'ignore' });
    } catch {
      // Not running (start failed, or already stopped).
    }
    rmSync(dir, { recursive: true, force: true });
  };

  let port = 0;
  try {
    await run('initdb', ['-D', dataDir, '--locale=C', '--encoding=UTF8', '-A', 'trust', '-U', 'postgres', '--no-sync']);
    // Another process may take the free port between probe and bind: retry.
    for (let attempt = 1; ; attempt++) {
      port = await freePort();
      const serverOptions = [
        '-c listen_addresses=127.0.0.1',
        `-p ${port}`,
        `-k ${dir}`,
        '-c fsync=off',
        '-c synchronous_commit=off',
        '-c full_page_writes=off',
        '-c max_connections=200',
      ].join(' ');
      try {
        installExitHook();
        running.add(stopSync);
        const timeout = String(options.startTimeoutSeconds ?? 30);
        await run('pg_ctl', ['-D', dataDir, '-l', logFile, '-o', serverOptions, '-t', timeout, '-w', 'start']);
        break;
      } catch (error) {
        if (attempt >= 3) throw error;
      }
    }
  } catch (error) {
    const log = existsSync(logFile) ? readFileSync(logFile, 'utf8') : '';
    stopSync();
    const detail = error instanceof Error ? error.message : String(error);
    throw new Error(`could not start PostgreSQL from ${binDir}: ${detail}\n${log}`, { cause: error });
  }

  const url = `postgresql://postgres@127.0.0.1:${port}/postgres`;
  let stopped = false;
  return {
    url,
    async createDatabase(name?: string): Promise<string> {
      const db = name ?? `berth_test_${process.pid}_${++databaseCounter}`;
      if (!/^[a-z_][a-z0-9_]{0,62}$/.test(db)) throw new Error(`invalid database name ${JSON.stringify(db)}`);
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        // FILE_COPY (PostgreSQL 15+) is twice as fast as the default WAL_LOG for a small template.
        const version = Number(
          (await client.query<{ v: string }>("SELECT current_setting('server_version_num') AS v")).rows[0]?.v,
        );
        const strategy = version >= 150000 ? ' STRATEGY FILE_COPY' : '';
        await client.query(
          `CREATE DATABASE "${db}" ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0${strategy}`,
        );
      } finally {
        await client.end();
      }
      return `postgresql://postgres@127.0.0.1:${port}/${db}`;
    },
    async dropDatabase(dbUrl: string): Promise<void> {
      const db = new URL(dbUrl).pathname.slice(1);
      if (!/^[a-z_][a-z0-9_]{0,62}$/.test(db)) throw new Error(`invalid database name ${JSON.stringify(db)}`);
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS "${db}" WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
    async stop(): Promise<void> {
      if (stopped) return;
      stopped = true;
      running.delete(stopSync);
      try {
        await run('pg_ctl', ['-D', dataDir, '-m', 'immediate', '-w', 'stop']);
      } catch {
        // Already gone; removing the directory is what matters now.
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
