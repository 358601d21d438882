/**
 * Tools for the multi-instance test: berth processes on one PostgreSQL
 * database and one bucket, a round-robin "load balancer" over the live ones,
 * a ledger of acknowledged pushes, and checks that replay the ledger against
 * every instance.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import pg from 'pg';
import type { Blob, Pushable } from '../helpers/builders.js';
import { RegistryClient } from '../helpers/client.js';
import { startProcessServer, type ProcessServer } from '../helpers/process-server.js';

/** One berth process of the cluster. */
export interface Instance {
  /** `a`, `b`, `c`: for messages. */
  name: string;
  server: ProcessServer;
  client: RegistryClient;
  /** The id it holds leases under (from its start-up line). */
  instanceId: string;
  /** Set just before it is killed: failures of its requests are then expected. */
  killed: boolean;
}

/** The `BERTH_…` environment of an instance on this database and bucket. */
export function scaleOutEnv(options: {
  databaseUrl: string;
  s3: { endpoint: string; region: string; accessKeyId: string; secretAccessKey: string };
  bucket: string;
  extra?: Record<string, string>;
}): Record<string, string> {
  const { s3 } = options;
  return {
    BERTH_STORAGE__DRIVER: 's3',
    BERTH_STORAGE__ENDPOINT: s3.endpoint,
    BERTH_STORAGE__REGION: s3.region,
    BERTH_STORAGE__BUCKET: options.bucket,
    BERTH_STORAGE__FORCE_PATH_STYLE: 'true',
    BERTH_STORAGE__ACCESS_KEY_ID: s3.accessKeyId,
    BERTH_STORAGE__SECRET_ACCESS_KEY: s3.secretAccessKey,
    BERTH_METADATA__DRIVER: 'postgres',
    BERTH_METADATA__URL: options.databaseUrl,
    ...options.extra,
  };
}

/** Starts a berth process and reads its instance id from the start-up line. */
export async function startInstance(name: string, env: Record<string, string>): Promise<Instance> {
  const server = await startProcessServer({ env });
  const line = server
    .output()
    .split('\n')
    .find((l) => l.includes('berth listening on'));
  const instanceId = (JSON.parse(line ?? '{}') as { instanceId?: unknown }).instanceId;
  assert.equal(typeof instanceId, 'string', `instance ${name} logs its instanceId:\n${server.output()}`);
  return { name, server, client: new RegistryClient(server.url), instanceId: instanceId as string, killed: false };
}

/** Round robin over the instances not killed, like a load balancer with health checks. */
export class Balancer {
  private next = 0;
  constructor(private readonly instances: readonly Instance[]) {}

  pick(): Instance {
    const live = this.instances.filter((i) => !i.killed);
    const chosen = live[this.next++ % live.length];
    assert.ok(chosen, 'no live instance');
    return chosen;
  }
}

/** Runs `step` against `instance`; a failure counts as "not acknowledged" only when that instance was killed. */
async function tolerateKilled<T>(instance: Instance, step: () => Promise<T>): Promise<T | undefined> {
  try {
    return await step();
  } catch (error) {
    if (instance.killed) return undefined;
    throw new Error(`instance ${instance.name} (alive) failed a request: ${String(error)}`, { cause: error });
  }
}

/** Uploads one blob (POST then PUT on one instance). True when acknowledged (201). */
async function pushBlob(instance: Instance, repo: string, b: Blob): Promise<boolean> {
  const res = await tolerateKilled(instance, async () => {
    const r = await instance.client.pushBlob(repo, b);
    await r.arrayBuffer();
    return r;
  });
  if (res === undefined) return false;
  assert.equal(res.status, 201, `blob ${b.digest} on ${instance.name}`);
  return true;
}

/**
 * Pushes an image or artifact as a client behind the load balancer would:
 * each blob and the manifest may land on a different instance. True when
 * the manifest PUT was acknowledged; false when an instance died under it.
 */
export async function pushSpread(balancer: Balancer, repo: string, item: Pushable, tag: string): Promise<boolean> {
  for (const child of item.children ?? []) {
    if (!(await pushSpread(balancer, repo, child, child.digest))) return false;
  }
  for (const b of item.blobs ?? []) {
    if (!(await pushBlob(balancer.pick(), repo, b))) return false;
  }
  const instance = balancer.pick();
  const res = await tolerateKilled(instance, async () => {
    const r = await instance.client.pushManifest(repo, tag, item);
    const text = await r.text();
    return { status: r.status, text, digest: r.headers.get('docker-content-digest') };
  });
  if (res === undefined) return false;
  assert.equal(res.status, 201, `manifest ${repo}:${tag} on ${instance.name}: ${res.text}`);
  assert.equal(res.digest, item.digest);
  return true;
}

/** What the cluster acknowledged. */
export class Ledger {
  /** `repo:tag` → digests acknowledged for it (several when clients raced for one tag). */
  readonly tags = new Map<string, { repo: string; tag: string; digests: Set<string> }>();
  /** `repo@digest` → the manifest (children included) and its repository. */
  readonly manifests = new Map<string, { repo: string; item: Pushable }>();
  /** `repo@digest` → blobs pushed on their own (not through a manifest). */
  readonly blobs = new Map<string, { repo: string; digest: string }>();

  ack(repo: string, tag: string, item: Pushable): void {
    const key = `${repo}:${tag}`;
    const entry = this.tags.get(key) ?? { repo, tag, digests: new Set<string>() };
    entry.digests.add(item.digest);
    this.tags.set(key, entry);
    const record = (m: Pushable): void => {
      this.manifests.set(`${repo}@${m.digest}`, { repo, item: m });
      for (const child of m.children ?? []) record(child);
    };
    record(item);
  }

  ackBlob(repo: string, digest: string): void {
    this.blobs.set(`${repo}@${digest}`, { repo, digest });
  }

  /** Every `(repo, blob digest)` an acknowledged manifest references, and the lone blobs. */
  referencedBlobs(): { repo: string; digest: string }[] {
    const seen = new Map<string, { repo: string; digest: string }>(this.blobs);
    for (const { repo, item } of this.manifests.values()) {
      for (const b of item.blobs ?? []) seen.set(`${repo}@${b.digest}`, { repo, digest: b.digest });
    }
    return [...seen.values()];
  }
}

function sha256(data: Uint8Array): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

/**
 * Replays the ledger against `instances`: every acknowledged tag resolves to
 * one digest, the same on every instance and one that was acknowledged for
 * it (exactly that one when only one was); every acknowledged manifest reads
 * back byte-exact; every referenced blob reads back with its digest.
 */
export async function assertLedgerOnEvery(instances: readonly Instance[], ledger: Ledger): Promise<void> {
  for (const { repo, tag, digests } of ledger.tags.values()) {
    const seen = new Set<string>();
    for (const instance of instances) {
      const res = await instance.client.request(`/v2/${repo}/manifests/${tag}`, {
        headers: { accept: 'application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json' },
      });
      const body = Buffer.from(await res.arrayBuffer());
      assert.equal(res.status, 200, `${repo}:${tag} on ${instance.name}`);
      const digest = sha256(body);
      assert.equal(
        res.headers.get('docker-content-digest'),
        digest,
        `${repo}:${tag} on ${instance.name}: header vs body`,
      );
      seen.add(digest);
    }
    assert.equal(seen.size, 1, `${repo}:${tag} resolves to one digest on every instance: ${[...seen].join(', ')}`);
    const [resolved = ''] = seen;
    assert.ok(
      digests.has(resolved),
      `${repo}:${tag} resolves to ${resolved}, one of the acknowledged ${[...digests].join(', ')}`,
    );
  }
  for (const { repo, item } of ledger.manifests.values()) {
    for (const instance of instances) {
      const res = await instance.client.request(`/v2/${repo}/manifests/${item.digest}`, {
        headers: { accept: item.mediaType },
      });
      assert.equal(res.status, 200, `${repo}@${item.digest} on ${instance.name}`);
      assert.deepEqual(
        Buffer.from(await res.arrayBuffer()),
        item.bytes,
        `${repo}@${item.digest} byte-exact on ${instance.name}`,
      );
    }
  }
  for (const { repo, digest } of ledger.referencedBlobs()) {
    for (const instance of instances) {
      const res = await instance.client.request(`/v2/${repo}/blobs/${digest}`, { redirect: 'follow' });
      const body = new Uint8Array(await res.arrayBuffer());
      assert.equal(res.status, 200, `blob ${repo}@${digest} on ${instance.name}`);
      assert.equal(sha256(body), digest, `blob ${repo}@${digest} on ${instance.name} hashes to its digest`);
    }
  }
}

/** The row of a lease, read straight from the shared database. */
export async function readLease(
  databaseUrl: string,
  name: string,
): Promise<{ holder: string; expiresAt: number } | undefined> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ holder: string; expires_at: string }>(
      'SELECT holder, expires_at FROM leases WHERE name = $1',
      [name],
    );
    const row = rows[0];
    return row === undefined ? undefined : { holder: row.holder, expiresAt: Number(row.expires_at) };
  } finally {
    await client.end();
  }
}

/** The instance's JSON log lines (pino), skipping anything else it printed. */
export function logRecords(instance: Instance): Record<string, unknown>[] {
  const records: Record<string, unknown>[] = [];
  for (const line of instance.server.output().split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      records.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      // a partial or non-JSON line
    }
  }
  return records;
}

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CLI = join(ROOT, 'src', 'cli', 'main.ts');

/** True when this tree has the `berth gc` command. */
export function hasGcCommand(): boolean {
  return existsSync(join(ROOT, 'src', 'cli', 'gc.ts'));
}

/**
 * Runs a `berth` command to completion with the given `BERTH_…` environment
 * (the test process's own `BERTH_…` variables are not passed on).
 *
 * @throws Error with its output when it exits non-zero or outlives `timeoutMs`.
 */
export async function runBerth(args: string[], env: Record<string, string>, timeoutMs = 120_000): Promise<string> {
  const childEnv: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith('BERTH_') && key !== 'NODE_TEST_CONTEXT') childEnv[key] = value;
  }
  const dataDir = mkdtempSync(join(tmpdir(), 'berth-cli-'));
  try {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', CLI, ...args, '--data-dir', dataDir],
      { cwd: ROOT, env: { ...childEnv, ...env }, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 },
    );
    return stdout;
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; message: string };
    throw new Error(`berth ${args.join(' ')} failed: ${e.message}\n${e.stdout ?? ''}\n${e.stderr ?? ''}`, {
      cause: error,
    });
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}
