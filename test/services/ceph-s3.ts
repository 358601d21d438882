/**
 * A throwaway S3 endpoint for tests: Ceph's RADOS Gateway from Debian's
 * packages as a single-node cluster (1 monitor, 1 memstore OSD, 1 gateway)
 * on 127.0.0.1, started by `ceph-s3/start.sh` in a fresh temporary directory
 * on ephemeral ports, so several test files (processes) can each run one.
 * It takes about 2 s to start; `.ci/install-ceph.sh` installs the packages.
 *
 * Missing binaries raise {@link ServiceUnavailableError}; `requireOrSkip`
 * (in `service-error.ts`) turns that into a visible skip locally and a
 * failure in CI. A watchdog stops the cluster if the test process dies
 * without calling `stop()`.
 *
 * Memstore keeps objects in RAM: keep test data small (tens of MiB).
 *
 * @example
 * ```ts
 * const s3 = await startS3();
 * const bucket = await s3.createBucket();
 * // … new S3Client(s3ClientConfig(s3)) …
 * await s3.stop();
 * ```
 */
import { execFile } from 'node:child_process';
import { accessSync, constants, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { freePort } from '../helpers/free-port.js';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as delay } from 'node:timers/promises';
import { promisify } from 'node:util';
import {
  AbortMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  PutObjectCommand,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { ServiceUnavailableError } from './service-error.js';

export { ServiceUnavailableError } from './service-error.js';

const execFileAsync = promisify(execFile);
const SCRIPTS = fileURLToPath(new URL('./ceph-s3/', import.meta.url));
const BINARIES = ['ceph-mon', 'ceph-osd', 'radosgw', 'radosgw-admin', 'monmaptool', 'ceph', 'curl'];

/** A running throwaway gateway. */
export interface S3Service {
  /** `http://127.0.0.1:<port>`; use path-style addressing. */
  readonly endpoint: string;
  readonly region: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** Creates a bucket (a unique name when none is given) and returns its name. */
  createBucket(name?: string): Promise<string>;
  /** Enables a size quota on a bucket (`radosgw-admin quota`): writes past it fail with `QuotaExceeded`. */
  setBucketQuota(bucket: string, maxBytes: number): Promise<void>;
  /** Kills the daemons and removes the directory. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Checks, cheaply and synchronously, that the Ceph binaries are on PATH.
 *
 * @throws {ServiceUnavailableError} naming the missing ones.
 */
export function probeS3(): void {
  const dirs = (process.env['PATH'] ?? '').split(delimiter).filter((d) => d !== '');
  const missing = BINARIES.filter((bin) => !dirs.some((dir) => isExecutable(join(dir, bin))));
  if (missing.length > 0) {
    throw new ServiceUnavailableError(
      `Ceph S3 gateway unavailable: ${missing.join(', ')} not on PATH; install with .ci/install-ceph.sh ` +
        '(Debian packages radosgw ceph-mon ceph-osd)',
    );
  }
}

/**
 * The client settings that work with this gateway: path-style addressing and
 * checksums only when required (Ceph 16 refuses the SDK's default
 * `aws-chunked` uploads with trailing checksums, answering 411).
 */
export function s3ClientConfig(
  s3: Pick<S3Service, 'endpoint' | 'region' | 'accessKeyId' | 'secretAccessKey'>,
): S3ClientConfig {
  return {
    endpoint: s3.endpoint,
    region: s3.region,
    forcePathStyle: true,
    credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  };
}

let bucketCounter = 0;

/**
 * Starts a gateway with a fresh S3 user and warms it up (first bucket,
 * object and multipart upload), so tests see steady latencies.
 *
 * @throws {ServiceUnavailableError} when the Ceph binaries are missing.
 * @throws Error when the cluster fails to start; the message carries its logs.
 */
export async function startS3(): Promise<S3Service> {
  probeS3();
  const accessKeyId = 'berthtestaccess';
  const secretAccessKey = 'berthtestsecret';
  const region = 'us-east-1';
  const dir = mkdtempSync(join(tmpdir(), 'berth-ceph-'));
  const stopCluster = async (): Promise<void> => {
    await execFileAsync(join(SCRIPTS, 'stop.sh'), [], { env: { ...process.env, D: dir } }).catch(() => undefined);
  };

  let endpoint = '';
  // Another process may take a probed port before the daemons bind it: retry.
  for (let attempt = 1; ; attempt++) {
    const [monPort, rgwPort] = [await freePort(), await freePort()];
    try {
      await execFileAsync(join(SCRIPTS, 'start.sh'), [], {
        env: {
          ...process.env,
          D: dir,
          MON_PORT: String(monPort),
          RGW_PORT: String(rgwPort),
          AK: accessKeyId,
          SK: secretAccessKey,
          STORE: 'memstore',
          WATCH_PID: String(process.pid),
        },
        timeout: 120_000,
      });
      endpoint = `http://127.0.0.1:${rgwPort}`;
      break;
    } catch (error) {
      const logs = collectLogs(dir);
      await stopCluster();
      if (attempt >= 3) {
        rmSync(dir, { recursive: true, force: true });
        const detail = error instanceof Error ? error.message : String(error);
        throw new Error(`could not start Ceph S3 gateway: ${detail}\n${logs}`, { cause: error });
      }
    }
  }

  const client = new S3Client(s3ClientConfig({ endpoint, region, accessKeyId, secretAccessKey }));
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    client.destroy();
    await stopCluster();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await warmUp(client);
  } catch (error) {
    const logs = collectLogs(dir);
    await stop();
    throw new Error(`Ceph S3 gateway started but does not work: ${String(error)}\n${logs}`, { cause: error });
  }

  return {
    endpoint,
    region,
    accessKeyId,
    secretAccessKey,
    async createBucket(name?: string): Promise<string> {
      const bucket = name ?? `berth-test-${process.pid}-${++bucketCounter}`;
      await client.send(new CreateBucketCommand({ Bucket: bucket }));
      return bucket;
    },
    async setBucketQuota(bucket: string, maxBytes: number): Promise<void> {
      const env = { ...process.env, CEPH_CONF: join(dir, 'ceph.conf') };
      const scope = ['--quota-scope=bucket', `--bucket=${bucket}`];
      await execFileAsync('radosgw-admin', ['quota', 'set', ...scope, `--max-size=${maxBytes}`], { env });
      await execFileAsync('radosgw-admin', ['quota', 'enable', ...scope], { env });
      // The running gateway learns of the change through its metadata cache: wait until it refuses.
      const probe = { Bucket: bucket, Key: 'quota-probe' };
      for (const deadline = Date.now() + 30_000; ;) {
        const refused = await client.send(new PutObjectCommand({ ...probe, Body: Buffer.alloc(maxBytes + 1) })).then(
          () => false,
          (err: unknown) => err instanceof Error && err.name === 'QuotaExceeded',
        );
        if (refused) return;
        await client.send(new DeleteObjectCommand(probe));
        if (Date.now() > deadline) throw new Error(`bucket ${bucket}: the gateway does not enforce its quota`);
        await delay(200);
      }
    },
    stop,
  };
}

/** A fresh gateway creates its pools on first use; do that once here. */
async function warmUp(client: S3Client): Promise<void> {
  const Bucket = `berth-warmup-${process.pid}`;
  await client.send(new CreateBucketCommand({ Bucket }));
  await client.send(new PutObjectCommand({ Bucket, Key: 'k', Body: 'x' }));
  const { UploadId } = await client.send(new CreateMultipartUploadCommand({ Bucket, Key: 'm' }));
  await client.send(new AbortMultipartUploadCommand({ Bucket, Key: 'm', UploadId }));
  await client.send(new DeleteObjectCommand({ Bucket, Key: 'k' }));
  await client.send(new DeleteBucketCommand({ Bucket }));
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The last lines of each daemon log, for start-up failures. */
function collectLogs(dir: string): string {
  const logDir = join(dir, 'log');
  if (!existsSync(logDir)) return '';
  return readdirSync(logDir)
    .map((file) => {
      const lines = readFileSync(join(logDir, file), 'utf8').trimEnd().split('\n');
      return `--- ${file}\n${lines.slice(-20).join('\n')}`;
    })
    .join('\n');
}
