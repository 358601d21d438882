/**
 * Scale out (issue 6): three `berth serve` processes on one PostgreSQL
 * database and one S3 bucket (Ceph RGW), with clients behind a round-robin
 * "load balancer" so the blobs and manifest of one push land on different
 * instances.
 *
 * 1. Concurrent pushes of the same and different blobs, manifests and tags
 *    (several clients racing for one tag), and a chunked upload started on
 *    A, continued on B and finished on C.
 * 2. More concurrent pushes; the instance holding the upload-expiry lease is
 *    killed with SIGKILL once some of them are acknowledged.
 * 3. Every acknowledged tag resolves on every survivor to the same digest,
 *    every acknowledged manifest and referenced blob reads back exactly.
 * 4. Upload expiry moves to exactly one survivor (leases table and logs)
 *    and removes abandoned sessions opened on both.
 *
 * No timing assertions: the kill is placed by acknowledgements, and every
 * wait is a bounded poll for a state.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { artifact, blob, emptyConfig, image, index, sha256, type Blob, type Pushable } from '../helpers/builders.js';
import { waitFor } from '../helpers/process-server.js';
import { probePostgres, serviceSkipReason, startPostgres, type PostgresService } from '../services/postgres.js';
import { probeS3, startS3, type S3Service } from '../services/ceph-s3.js';
import {
  Balancer,
  Ledger,
  assertLedgerOnEvery,
  hasGcCommand,
  logRecords,
  pushSpread,
  readLease,
  runBerth,
  scaleOutEnv,
  startInstance,
  type Instance,
} from './scale-helpers.js';

const CLIENTS = 6;
const PUSHES_PER_CLIENT = 4;
/** Acknowledged pushes of round 2 before the kill. */
const KILL_AFTER_ACKS = 8;
/** Seconds: upload expiry runs every interval under a lease of three intervals. */
const EXPIRY_INTERVAL = 3;
const UPLOAD_TTL = 10;
const ARTIFACT_TYPE = 'application/vnd.example.scale.v1';
const KiB = 1024;

const skip = serviceSkipReason(() => {
  probePostgres();
  probeS3();
});

/** An artifact whose layers are the shared base plus one blob of its own. */
function layered(base: Blob, label: string): Pushable {
  return artifact(ARTIFACT_TYPE, {
    layers: [base, blob(8 * KiB + randomBytes(1)[0]!)],
    config: emptyConfig(),
    annotations: { label },
  });
}

describe('scale out: three berth processes on one PostgreSQL database and one bucket', { skip }, () => {
  let postgres: PostgresService | undefined;
  let s3: S3Service | undefined;
  let databaseUrl = '';
  let instances: Instance[] = [];
  let balancer: Balancer;
  let env: Record<string, string> = {};
  const ledger = new Ledger();
  const survivors = (): Instance[] => instances.filter((i) => !i.killed);
  const byName = (name: string): Instance => instances.find((i) => i.name === name)!;

  before(async () => {
    const [pgService, s3Service] = await Promise.all([startPostgres(), startS3()]);
    postgres = pgService;
    s3 = s3Service;
    const [url, bucket] = await Promise.all([pgService.createDatabase(), s3Service.createBucket()]);
    databaseUrl = url;
    env = scaleOutEnv({
      databaseUrl,
      s3: s3Service,
      bucket,
      extra: {
        BERTH_LOG__REQUESTS: 'false', // keep the lease and expiry lines within the output the helper keeps
        BERTH_REGISTRY__UPLOAD_EXPIRY_INTERVAL_SECONDS: String(EXPIRY_INTERVAL),
        BERTH_REGISTRY__UPLOAD_TTL_SECONDS: String(UPLOAD_TTL),
      },
    });
    // All three start (and migrate one database) at once.
    instances = await Promise.all(['a', 'b', 'c'].map((name) => startInstance(name, env)));
    balancer = new Balancer(instances);
  });

  after(async () => {
    await Promise.all(instances.map((i) => i.server.stop(5000)));
    await Promise.all([postgres?.stop(), s3?.stop()]);
  });

  it('concurrent pushes of shared and own blobs, manifests and tags; a chunked upload moves A → B → C', async () => {
    const base = blob(64 * KiB);
    const same = layered(base, 'same-everywhere');
    const clients = Array.from({ length: CLIENTS }, async (_, c) => {
      for (let k = 0; k < PUSHES_PER_CLIENT; k++) {
        // Every client: the same manifest under one tag, its own artifacts
        // (sharing the base layer) under its own tags and under a tag they all race for.
        const repo = `scale/app${c % 3}`;
        if (k === 0) {
          assert.ok(await pushSpread(balancer, 'scale/shared', same, 'same'));
          ledger.ack('scale/shared', 'same', same);
          continue;
        }
        const item = k === 3 ? image({ layers: 2, layerSize: 4 * KiB }) : layered(base, `c${c}-k${k}`);
        assert.ok(await pushSpread(balancer, repo, item, `c${c}-k${k}`));
        ledger.ack(repo, `c${c}-k${k}`, item);
        assert.ok(await pushSpread(balancer, 'scale/shared', item, 'contested'));
        ledger.ack('scale/shared', 'contested', item);
      }
    });

    const chunked = async (): Promise<void> => {
      const [a, b, c] = [byName('a'), byName('b'), byName('c')];
      const repo = 'scale/chunked';
      const parts = [randomBytes(1024 * KiB), randomBytes(768 * KiB), randomBytes(512 * KiB)];
      const whole = Buffer.concat(parts);
      const digest = sha256(whole);
      const post = await a.client.request(`/v2/${repo}/blobs/uploads/`, { method: 'POST' });
      assert.equal(post.status, 202, await post.text());
      const location = post.headers.get('location')!;
      assert.ok(location.startsWith('/'), `relative Location, usable on any instance: ${location}`);
      let offset = 0;
      for (const [instance, part] of [
        [a, parts[0]!],
        [b, parts[1]!],
      ] as const) {
        const res = await instance.client.request(location, {
          method: 'PATCH',
          headers: {
            'content-type': 'application/octet-stream',
            'content-range': `${offset}-${offset + part.length - 1}`,
          },
          body: part,
        });
        assert.equal(res.status, 202, `PATCH on ${instance.name}: ${await res.text()}`);
        offset += part.length;
        assert.equal(res.headers.get('range'), `0-${offset - 1}`);
      }
      const status = await c.client.request(location);
      assert.equal(status.status, 204, 'C sees the session A opened and B advanced');
      assert.equal(status.headers.get('range'), `0-${offset - 1}`);
      const last = parts[2]!;
      const put = await c.client.request(`${location}${location.includes('?') ? '&' : '?'}digest=${digest}`, {
        method: 'PUT',
        headers: {
          'content-type': 'application/octet-stream',
          'content-range': `${offset}-${offset + last.length - 1}`,
        },
        body: last,
      });
      assert.equal(put.status, 201, `PUT on C: ${await put.text()}`);
      assert.equal(put.headers.get('docker-content-digest'), digest);
      ledger.ackBlob(repo, digest);
      // A manifest referencing it, pushed on yet another instance.
      const chunkedBlob: Blob = { bytes: whole, digest, size: whole.length, mediaType: 'application/octet-stream' };
      const config = emptyConfig();
      const pushed = await a.client.pushBlob(repo, config);
      assert.equal(pushed.status, 201, await pushed.text());
      const item = artifact(ARTIFACT_TYPE, { layers: [chunkedBlob], config });
      const res = await b.client.pushManifest(repo, 'chunked', item);
      assert.equal(res.status, 201, await res.text());
      ledger.ack(repo, 'chunked', item);
    };

    await Promise.all([...clients, chunked()]);

    // An index over manifests pushed through other instances.
    const children = [...ledger.manifests.values()].filter((m) => m.repo === 'scale/app0').slice(0, 3);
    const multi = index(children.map((m) => m.item));
    assert.ok(await pushSpread(balancer, 'scale/app0', multi, 'multi'));
    ledger.ack('scale/app0', 'multi', multi);

    await assertLedgerOnEvery(instances, ledger);
  });

  let victim: Instance | undefined;
  let linesAtKill = new Map<string, number>();

  it('the instance holding the upload-expiry lease is killed with SIGKILL during concurrent pushes', async () => {
    const lease = await waitFor(() => readLease(databaseUrl, 'upload-expiry'), {
      what: 'an instance to take the upload-expiry lease',
      timeoutMs: 60_000,
    });
    const holder = instances.find((i) => i.instanceId === lease.holder);
    assert.ok(holder, `the lease holder ${lease.holder} is one of the instances`);
    const took = instances.filter((i) =>
      logRecords(i).some((r) => String(r['msg']).startsWith('upload-expiry: took the lease')),
    );
    assert.deepEqual(
      took.map((i) => i.name),
      [holder.name],
      'only the holder has taken the lease',
    );

    const base = blob(32 * KiB);
    let acks = 0;
    let killing: Promise<void> | undefined;
    const kill = async (): Promise<void> => {
      linesAtKill = new Map(instances.map((i) => [i.name, logRecords(i).length]));
      holder.killed = true;
      const status = await holder.server.kill('SIGKILL');
      assert.equal(status.signal, 'SIGKILL');
    };
    const clients = Array.from({ length: CLIENTS }, async (_, c) => {
      for (let k = 0; k < PUSHES_PER_CLIENT; k++) {
        const repo = `scale/round2-${c % 3}`;
        const item = layered(base, `r2-c${c}-k${k}`);
        if (await pushSpread(balancer, repo, item, `r2-c${c}-k${k}`)) {
          ledger.ack(repo, `r2-c${c}-k${k}`, item);
          if (++acks === KILL_AFTER_ACKS) killing = kill();
        }
      }
    });
    await Promise.all(clients);
    await killing;
    assert.ok(holder.killed, 'the kill happened during the pushes');
    victim = holder;
    assert.ok(acks >= KILL_AFTER_ACKS + CLIENTS, `pushes went on after the kill (${acks} acknowledged)`);
  });

  it('every acknowledged tag, manifest and blob reads back the same on every survivor', async () => {
    assert.equal(survivors().length, 2);
    await assertLedgerOnEvery(survivors(), ledger);
    for (const instance of survivors()) {
      const res = await instance.client.request('/v2/_catalog');
      const { repositories } = (await res.json()) as { repositories: string[] };
      for (const { repo } of ledger.tags.values())
        assert.ok(repositories.includes(repo), `${repo} listed on ${instance.name}`);
    }
  });

  it('upload expiry moves to exactly one survivor, which removes sessions abandoned on both', async () => {
    assert.ok(victim);
    const ids = new Map(survivors().map((i) => [i.instanceId, i]));
    const lease = await waitFor(
      async () => {
        const row = await readLease(databaseUrl, 'upload-expiry');
        return row !== undefined && ids.has(row.holder) ? row : undefined;
      },
      { what: 'a survivor to take over the upload-expiry lease', timeoutMs: 60_000 },
    );
    const holder = ids.get(lease.holder)!;

    const abandoned: { instance: Instance; location: string }[] = [];
    for (const instance of [...survivors(), ...survivors()]) {
      const res = await instance.client.request('/v2/scale/abandoned/blobs/uploads/', { method: 'POST' });
      assert.equal(res.status, 202);
      abandoned.push({ instance, location: res.headers.get('location')! });
    }
    for (const { location } of abandoned) {
      for (const instance of survivors()) {
        await waitFor(
          async () => {
            const res = await instance.client.request(location);
            await res.arrayBuffer();
            return res.status === 404;
          },
          { what: `abandoned session ${location} to expire`, timeoutMs: 90_000, intervalMs: 250 },
        );
      }
    }

    for (const instance of survivors()) {
      const all = logRecords(instance);
      assert.ok(all.length < 200, 'the helper kept every log line (request logs are off)');
      const since = all.slice(linesAtKill.get(instance.name) ?? 0);
      const took = since.filter((r) => String(r['msg']).startsWith('upload-expiry: took the lease'));
      const runs = since.filter((r) => r['msg'] === 'upload-expiry run');
      const removed = runs.reduce((sum, r) => sum + Number(r['removed'] ?? 0), 0);
      if (instance === holder) {
        assert.equal(took.length, 1, `${instance.name} took the lease once`);
        assert.ok(
          removed >= abandoned.length,
          `${instance.name} removed the ${abandoned.length} abandoned sessions (${removed})`,
        );
      } else {
        assert.equal(took.length, 0, `${instance.name} never took the lease after the kill`);
        assert.equal(runs.length, 0, `${instance.name} ran no upload expiry after the kill`);
      }
    }
    const still = await readLease(databaseUrl, 'upload-expiry');
    assert.equal(still?.holder, holder.instanceId, 'the same survivor still holds it');
  });

  it('berth gc (grace period 0) frees deleted content and loses nothing acknowledged', async (t) => {
    if (!hasGcCommand()) {
      t.skip('this tree has no `berth gc` command yet');
      return;
    }
    // Garbage to collect: an artifact pushed and then deleted (manifest and
    // blob links) through the survivors. Its own layer is referenced
    // nowhere else; its config and base layer are shared with acknowledged ones.
    const [first, second] = survivors() as [Instance, Instance];
    const shared = [...ledger.manifests.values()].find((m) => m.repo === 'scale/app1')!.item;
    const doomed = artifact(ARTIFACT_TYPE, { layers: [shared.blobs![1]!, blob(16 * KiB)], config: emptyConfig() });
    await first.client.push('scale/garbage', doomed, 'doomed');
    const del = await second.client.request(`/v2/scale/garbage/manifests/${doomed.digest}`, { method: 'DELETE' });
    assert.equal(del.status, 202, await del.text());
    for (const b of doomed.blobs ?? []) {
      const res = await first.client.request(`/v2/scale/garbage/blobs/${b.digest}`, { method: 'DELETE' });
      assert.equal(res.status, 202, await res.text());
    }
    const own = doomed.blobs![2]!.digest;

    const out = await runBerth(['gc', '--json'], { ...env, BERTH_GC__GRACE_PERIOD_SECONDS: '0' });
    const report = JSON.parse(out) as { dryRun: boolean; freedBlobs: { digest: string }[] };
    assert.equal(report.dryRun, false);
    const freed = new Set(report.freedBlobs.map((b) => b.digest));
    t.diagnostic(`gc freed ${freed.size} blobs`);
    assert.ok(freed.has(own), "the deleted artifact's own layer was freed");
    for (const { digest } of ledger.referencedBlobs())
      assert.ok(!freed.has(digest), `acknowledged blob ${digest} kept`);
    await assertLedgerOnEvery(survivors(), ledger);
  });
});
