/**
 * The machine's own limits, printed next to the results so ratios can be read
 * against what the hardware allows: hashing, durable writes, loopback HTTP.
 */
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, open, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runFor } from './concurrency.js';
import { createHttpClient, type HttpClient } from './http-client.js';
import { MiB } from './data.js';
import { createRawGetPool } from './raw-get.js';
import { mbPerSec, perSec } from './stats.js';
import type { Scale } from './workloads/types.js';

export interface Limit {
  readonly name: string;
  readonly value: number;
  readonly unit: string;
}

export interface LimitOptions {
  /** A directory on the filesystem the registries store data on. */
  dir: string;
  scale: Scale;
  progress: (message: string) => void;
}

const WRITE_CHUNK = 4 * MiB;

/** Single-core sha256 throughput, in-process. */
function sha256Throughput(bytes: number): number {
  const buffer = randomBytes(16 * MiB);
  const hash = createHash('sha256');
  const start = performance.now();
  for (let done = 0; done < bytes; done += buffer.length) hash.update(buffer);
  hash.digest();
  return mbPerSec(Math.ceil(bytes / buffer.length) * buffer.length, performance.now() - start);
}

/** Sequential write in 4 MiB chunks, then one fdatasync; the time includes the sync. */
async function syncedWrite(dir: string, bytes: number): Promise<number> {
  const chunk = randomBytes(WRITE_CHUNK);
  const file = await open(join(dir, 'sequential'), 'w');
  const start = performance.now();
  try {
    for (let done = 0; done < bytes; done += WRITE_CHUNK) await file.write(chunk);
    await file.datasync();
  } finally {
    await file.close();
  }
  return mbPerSec(Math.ceil(bytes / WRITE_CHUNK) * WRITE_CHUNK, performance.now() - start);
}

/** Small durable commits: write 4 KiB to a temp file, fsync, rename into place. */
async function fsyncCommits(dir: string, count: number): Promise<number> {
  const body = randomBytes(4096);
  const start = performance.now();
  for (let i = 0; i < count; i++) {
    const temp = join(dir, `commit-${i}.tmp`);
    const file = await open(temp, 'w');
    try {
      await file.write(body);
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(temp, join(dir, `commit-${i}`));
  }
  return perSec(count, performance.now() - start);
}

/** Starts loopback-server.ts in a child process; resolves to its port and a kill function. */
function startLoopbackServer(): Promise<{ port: number; kill: () => void }> {
  const script = fileURLToPath(new URL('./loopback-server.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (data: Buffer) => {
      out += data.toString();
      const line = out.split('\n')[0];
      if (out.includes('\n') && line !== undefined) resolve({ port: Number(line), kill: () => child.kill('SIGKILL') });
    });
    child.on('error', reject);
    child.on('exit', (code) => reject(new Error(`loopback server exited (${String(code)})`)));
  });
}

async function loopbackCeiling(scale: Scale): Promise<Limit[]> {
  const server = await startLoopbackServer();
  const origin = `http://127.0.0.1:${server.port}`;
  const http: HttpClient = createHttpClient(origin, 32);
  // Downloads go through the client the pull workloads use.
  const pulls = createRawGetPool(origin, 1);
  try {
    const size = scale.bytes(256 * MiB);
    const buffer = randomBytes(16 * MiB);
    const body = function* (): Generator<Buffer> {
      for (let sent = 0; sent < size; sent += buffer.length)
        yield buffer.subarray(0, Math.min(buffer.length, size - sent));
    };
    // What the server must answer to a hashed upload: the digest of `size` bytes of `body()`.
    const expected = createHash('sha256');
    for (const chunk of body()) expected.update(chunk);
    const expectedDigest = `sha256:${expected.digest('hex')}`;
    const upload = (hash: boolean) => async (): Promise<number> => {
      const start = performance.now();
      const put = await http.request({
        method: 'PUT',
        target: hash ? '/upload?hash=sha256' : '/upload',
        body: body(),
        headers: { 'content-length': size },
      });
      if (put.status !== 201) throw new Error(`loopback upload answered ${put.status}`);
      const digest = put.headers['docker-content-digest'];
      if (hash && digest !== expectedDigest) throw new Error(`loopback upload hashed to ${String(digest)}`);
      return mbPerSec(size, performance.now() - start);
    };
    const plainUpload = await best(upload(false));
    const hashedUpload = await best(upload(true));
    const download = (hash: boolean) => async (): Promise<number> => {
      const start = performance.now();
      const res = await pulls.get(`/blob?size=${size}`, { hash });
      if (res.bytes !== size) throw new Error(`loopback download returned ${res.bytes} bytes`);
      return mbPerSec(size, performance.now() - start);
    };
    const plain = await best(download(false));
    const hashed = await best(download(true));
    const small = await best(async () => {
      const { ops, ms } = await runFor(scale.ms(2000), 32, async () => {
        await http.request({ method: 'GET', target: '/small' });
      });
      return perSec(ops, ms);
    });
    return [
      { name: 'loopback HTTP upload', value: plainUpload, unit: 'MB/s' },
      { name: 'loopback HTTP upload + sha256', value: hashedUpload, unit: 'MB/s' },
      { name: 'loopback HTTP download', value: plain, unit: 'MB/s' },
      { name: 'loopback HTTP download + sha256', value: hashed, unit: 'MB/s' },
      { name: 'loopback HTTP small GETs, c=32', value: small, unit: 'req/s' },
    ];
  } finally {
    http.close();
    pulls.close();
    server.kill();
  }
}

/** A ceiling is the best a machine can do: take the best of a few tries. */
const TRIES = 3;

async function best(measure: () => Promise<number> | number): Promise<number> {
  let top = 0;
  for (let i = 0; i < TRIES; i++) top = Math.max(top, await measure());
  return top;
}

/**
 * Measures the limits, each as the best of 3 tries (about 20 s at scale 1).
 * Files go to a temporary directory under `dir`, removed afterwards.
 */
export async function measureLimits(options: LimitOptions): Promise<Limit[]> {
  const { scale, progress } = options;
  const dir = await mkdtemp(join(options.dir, 'bench-limits-'));
  try {
    progress('limits: sha256');
    const sha = await best(() => sha256Throughput(scale.bytes(256 * MiB)));
    progress('limits: fdatasync write');
    const write = await best(() => syncedWrite(dir, scale.bytes(256 * MiB)));
    progress('limits: fsync commits');
    const commits = await best(() => fsyncCommits(dir, scale.count(200, 20)));
    progress('limits: loopback HTTP');
    const loopback = await loopbackCeiling(scale);
    return [
      { name: 'sha256, one core', value: sha, unit: 'MB/s' },
      { name: 'sequential write + fdatasync', value: write, unit: 'MB/s' },
      { name: 'small file write+fsync+rename', value: commits, unit: 'commits/s' },
      ...loopback,
    ];
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
