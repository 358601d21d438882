/**
 * Which storage and metadata backends the in-process test server uses,
 * chosen by `BERTH_TEST_BACKEND`:
 *
 * - `filesystem` (default): filesystem storage and SQLite under the
 *   server's data directory.
 * - `postgres-s3`: the scale-out backends. One throwaway PostgreSQL cluster
 *   and one Ceph S3 gateway per test process (node:test runs each file in
 *   its own process), started on first use and stopped when the process
 *   is done; a fresh database and bucket per data directory, so a server
 *   restarted on the same `dataDir` finds its state again.
 *
 * Tests that look at `<dataDir>/storage/…` directly call {@link fsOnly}.
 */
import { ServiceUnavailableError, inCi } from '../services/service-error.js';
import { startPostgres, type PostgresService } from '../services/postgres.js';
import { startS3, type S3Service } from '../services/ceph-s3.js';

export type TestBackend = 'filesystem' | 'postgres-s3';

const BACKENDS: readonly TestBackend[] = ['filesystem', 'postgres-s3'];

/**
 * The backend named by `BERTH_TEST_BACKEND` (default `filesystem`).
 *
 * @throws Error on an unknown name, so a typo never silently tests the default.
 */
export function testBackend(): TestBackend {
  const name = process.env['BERTH_TEST_BACKEND'] ?? '';
  if (name === '') return 'filesystem';
  const found = BACKENDS.find((b) => b === name);
  if (found === undefined) throw new Error(`BERTH_TEST_BACKEND=${name}: expected one of ${BACKENDS.join(', ')}`);
  return found;
}

/**
 * Skips the calling test, with the reason, unless storage is the
 * filesystem: for tests that inspect `<dataDir>/storage/…` files. Returns
 * true when the test was skipped (the caller then returns).
 *
 * @example
 * it('stores the blob once', async (t) => {
 *   if (fsOnly(t)) return;
 *   …
 * });
 */
export function fsOnly(t: { skip(message?: string): void }): boolean {
  const backend = testBackend();
  if (backend === 'filesystem') return false;
  t.skip(`inspects <dataDir>/storage files: filesystem storage only (BERTH_TEST_BACKEND=${backend})`);
  return true;
}

/** Config sections (`storage`, `metadata`) pointing a server at a database and bucket. */
export interface BackendConfig {
  storage: Record<string, unknown>;
  metadata: Record<string, unknown>;
}

interface Services {
  pg: PostgresService;
  s3: S3Service;
}

/** Per-process services, started once (module state on purpose: one pair per test process). */
let services: Promise<Services> | undefined;
/** Database and bucket of each data directory seen by this process. */
const byDataDir = new Map<string, Promise<BackendConfig & { url: string }>>();

function startServices(): Promise<Services> {
  services ??= (async () => {
    const [pg, s3] = await Promise.allSettled([startPostgres(), startS3()]);
    if (pg.status === 'rejected' || s3.status === 'rejected') {
      if (pg.status === 'fulfilled') await pg.value.stop();
      if (s3.status === 'fulfilled') await s3.value.stop();
      const error: unknown = pg.status === 'rejected' ? pg.reason : (s3 as PromiseRejectedResult).reason;
      if (error instanceof ServiceUnavailableError && !inCi()) {
        error.message +=
          ' (BERTH_TEST_BACKEND=postgres-s3 needs PostgreSQL and Ceph; unset it to test on the filesystem)';
      }
      throw error;
    }
    const running = { pg: pg.value, s3: s3.value };
    // Stop both once this file's tests are done and nothing else is pending.
    process.once('beforeExit', () => {
      void Promise.all([running.pg.stop(), running.s3.stop()]);
    });
    return running;
  })();
  return services;
}

/**
 * The database and bucket for `dataDir` (made on first use, reused for the
 * same directory later in this process).
 *
 * @throws ServiceUnavailableError when PostgreSQL or Ceph cannot run here.
 */
export function postgresS3Backend(dataDir: string): Promise<BackendConfig> {
  let entry = byDataDir.get(dataDir);
  if (entry === undefined) {
    entry = (async () => {
      const { pg, s3 } = await startServices();
      const [url, bucket] = await Promise.all([pg.createDatabase(), s3.createBucket()]);
      return {
        url,
        storage: {
          driver: 's3',
          endpoint: s3.endpoint,
          bucket,
          forcePathStyle: true,
          accessKeyId: s3.accessKeyId,
          secretAccessKey: s3.secretAccessKey,
          region: s3.region,
        },
        metadata: { driver: 'postgres', url, poolSize: 4 },
      };
    })();
    byDataDir.set(dataDir, entry);
    // A failed start must not be cached for the next server.
    entry.catch(() => byDataDir.delete(dataDir));
  }
  return entry;
}

/** Drops the database of `dataDir` (its bucket dies with the gateway). For data directories not reused. */
export async function releasePostgresS3Backend(dataDir: string): Promise<void> {
  const entry = byDataDir.get(dataDir);
  if (entry === undefined || services === undefined) return;
  byDataDir.delete(dataDir);
  const [{ url }, { pg }] = await Promise.all([entry, services]);
  await pg.dropDatabase(url);
}
