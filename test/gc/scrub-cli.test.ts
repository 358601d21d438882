/**
 * `berth scrub` finds a corrupted file and quarantines it; `berth gc` and
 * `berth retention` on the command line against a data directory: the dry
 * run prints what the real run then does.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { RegistryClient } from '../helpers/client.js';
import { blob, image } from '../helpers/builders.js';
import { fsOnly } from '../helpers/backend.js';
import Database from 'better-sqlite3';
import { scrubBlobs } from '../../src/registry/gc/scrub.js';
import { describeScrubReport } from '../../src/cli/scrub.js';
import type { GcReport } from '../../src/registry/gc/collector.js';
import type { RetentionReport } from '../../src/registry/gc/retention.js';
import { assertBlob, assertGone, assertManifest, assertPullable, del } from './helpers.js';

const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));

/** `<dataDir>/storage/blobs/…` of a digest. */
function fileOf(dataDir: string, digest: string): string {
  const [alg = '', hex = ''] = digest.split(':');
  return join(dataDir, 'storage', 'blobs', alg, hex.slice(0, 2), hex);
}

describe('scrub', () => {
  let server: TestServer;
  let client: RegistryClient;
  before(async () => {
    server = await startTestServer();
    client = new RegistryClient(server.url);
  });
  after(() => server.close());

  it('reports a corrupted blob, and with quarantine moves it aside so clients get 404 and can push it again', async (t) => {
    if (fsOnly(t)) return;
    const healthy = image();
    await client.push('scrub/app', healthy, 'v1');
    const victim = blob(5000);
    assert.equal((await client.pushBlob('scrub/app', victim)).status, 201);
    const file = fileOf(server.dataDir, victim.digest);
    const flipped = Buffer.from(victim.bytes);
    flipped[100] = (flipped[100] ?? 0) ^ 0xff;
    writeFileSync(file, flipped);

    const report = await scrubBlobs(server.registry.deps);
    assert.deepEqual(
      report.corrupt.map((c) => [c.digest, c.quarantinedTo, c.manifest]),
      [[victim.digest, undefined, false]],
    );
    assert.ok(report.checked >= 4);
    assert.ok(existsSync(file), 'reporting alone moves nothing');

    const quarantined = await scrubBlobs(server.registry.deps, { quarantine: true });
    assert.equal(quarantined.corrupt[0]?.quarantinedTo, `quarantine/sha256/${victim.digest.slice(7)}`);
    assert.equal(existsSync(file), false);
    assert.deepEqual(
      readFileSync(join(server.dataDir, 'storage', quarantined.corrupt[0]?.quarantinedTo ?? '')),
      flipped,
    );
    await assertGone(client, `/v2/scrub/app/blobs/${victim.digest}`);
    assert.equal((await client.pushBlob('scrub/app', victim)).status, 201, 'pushed again');
    await assertBlob(client, 'scrub/app', victim);
    assert.deepEqual((await scrubBlobs(server.registry.deps)).corrupt, []);
    await assertPullable(client, 'scrub/app', healthy);
  });

  it('flags corrupted manifest bytes in the metadata store with their repository and keeps the record (re-push it)', async (t) => {
    if (fsOnly(t)) return;
    const img = image();
    await client.push('scrub/manifest', img, 'v1');
    // Corrupt the stored bytes behind the server's back, as a bad disk would.
    const db = new Database(join(server.dataDir, 'berth.db'));
    try {
      const bad = Buffer.from(img.bytes.toString().replace('"schemaVersion":2', '"schemaVersion":3'));
      const changed = db
        .prepare('UPDATE manifests SET body = ? WHERE repo = ? AND digest = ?')
        .run(bad, 'scrub/manifest', img.digest).changes;
      assert.equal(changed, 1);
    } finally {
      db.close();
    }
    const report = await scrubBlobs(server.registry.deps, { quarantine: true });
    assert.deepEqual(
      report.corrupt.map((c) => [c.digest, c.manifest, c.repository, c.quarantinedTo]),
      [[img.digest, true, 'scrub/manifest', undefined]],
    );
    assert.match(describeScrubReport(report), /CORRUPT manifest scrub\/manifest@sha256:[0-9a-f]{64} \(metadata store\).*re-push it/);
    await client.pushManifest('scrub/manifest', 'v1', img);
    await assertManifest(client, 'scrub/manifest', img, 'v1');
  });
});

/** Runs the berth CLI; resolves with exit code and output. */
function berth(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

describe('berth gc, retention and scrub on the command line', () => {
  let dataDir: string;
  let configFile: string;
  before(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'berth-gc-cli-'));
    configFile = join(dataDir, 'berth.yaml');
    writeFileSync(
      configFile,
      [
        `dataDir: ${dataDir}`,
        'storage: { driver: filesystem, fsync: false }',
        'gc: { gracePeriodSeconds: 0 }',
        'retention:',
        "  - repositories: 'cli/**'",
        '    keepLast: 1',
      ].join('\n'),
    );
  });
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  it('retention and gc: --dry-run prints what the real run then does; scrub exits 0 on a healthy store', async (t) => {
    if (fsOnly(t)) return;
    const old = image();
    const current = image();
    const garbage = blob(999);
    const server = await startTestServer({ dataDir, config: { 'gc.gracePeriodSeconds': 0 } });
    const client = new RegistryClient(server.url);
    try {
      await client.push('cli/app', old, 'v1');
      await client.push('cli/app', current, 'v2');
      await client.pushBlob('cli/app', garbage);
      await del(client, `/v2/cli/app/blobs/${garbage.digest}`);
    } finally {
      await server.close();
    }

    const dryRetention = await berth(['retention', '--dry-run', '--json', '--config', configFile]);
    assert.equal(dryRetention.code, 0, dryRetention.stderr);
    const planned = JSON.parse(dryRetention.stdout) as RetentionReport;
    assert.deepEqual(
      planned.deletedTags.map((x) => x.tag),
      ['v1'],
    );
    const human = await berth(['retention', '--config', configFile]);
    assert.equal(human.code, 0, human.stderr);
    assert.match(human.stdout, /berth retention: deleted 1 tags and 1 manifests/);

    const dry = await berth(['gc', '--dry-run', '--json', '--config', configFile]);
    assert.equal(dry.code, 0, dry.stderr);
    const wouldFree = JSON.parse(dry.stdout) as GcReport;
    assert.ok(wouldFree.freedBlobs.some((b) => b.digest === garbage.digest));
    // The retained-away image's config and layer (its manifest bytes went with its record).
    for (const b of old.blobs ?? []) assert.ok(wouldFree.freedBlobs.some((f) => f.digest === b.digest), b.digest);
    const real = await berth(['gc', '--config', configFile]);
    assert.equal(real.code, 0, real.stderr);
    assert.match(real.stderr, /gc: sweeping unreferenced blobs/, 'progress on stderr');
    assert.match(real.stdout, new RegExp(`berth gc: freed ${wouldFree.freedBlobs.length} blobs`));
    const after = JSON.parse((await berth(['gc', '--dry-run', '--json', '--config', configFile])).stdout) as GcReport;
    assert.deepEqual(after.freedBlobs, [], 'the real run freed everything the dry run listed');

    const scrub = await berth(['scrub', '--config', configFile]);
    assert.equal(scrub.code, 0, scrub.stderr);
    assert.match(scrub.stdout, /0 corrupt/);

    const restarted = await startTestServer({ dataDir });
    try {
      await assertPullable(new RegistryClient(restarted.url), 'cli/app', current);
    } finally {
      await restarted.close();
    }
  });

  it('a real gc waits its turn: refused while another holds the gc lease', async (t) => {
    if (fsOnly(t)) return;
    const server = await startTestServer({ dataDir });
    try {
      assert.ok(await server.registry.deps.metadata.acquireLease('gc', 'someone-else', 600_000, Date.now()));
      const res = await berth(['gc', '--config', configFile]);
      assert.equal(res.code, 1);
      assert.match(res.stderr, /another garbage collection is running/);
      const dry = await berth(['gc', '--dry-run', '--config', configFile]);
      assert.equal(dry.code, 0, 'a dry run needs no lease');
    } finally {
      await server.registry.deps.metadata.releaseLease('gc', 'someone-else');
      await server.close();
    }
  });
});
