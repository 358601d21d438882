import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { openSqliteStore } from '../metadata/sqlite-store.js';
import type { MetadataStore } from '../metadata/store.js';
import { createIntervalWorker, type Worker } from './interval-worker.js';

/** A logger whose JSON lines land in `lines`. */
function capturingLogger(lines: Record<string, unknown>[]): pino.Logger {
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line !== '') lines.push(JSON.parse(line) as Record<string, unknown>);
      }
      done();
    },
  });
  return pino({ level: 'debug' }, sink);
}

describe('interval worker', () => {
  let dir: string;
  let store: MetadataStore;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'berth-worker-'));
    store = await openSqliteStore(join(dir, 'metadata.db'));
  });
  after(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  /** Two instances of one leased worker on one store, with a shared clock and run log. */
  function twoInstances(name: string): { now: { value: number }; runs: string[]; workers: [Worker, Worker] } {
    const now = { value: 1_000_000 };
    const runs: string[] = [];
    const make = (holder: string): Worker =>
      createIntervalWorker({
        name,
        intervalMs: 1000,
        logger: pino({ level: 'silent' }),
        run: () => {
          runs.push(holder);
          return Promise.resolve(undefined);
        },
        lease: { store, name, holder, ttlMs: 3000, clock: () => now.value },
      });
    return { now, runs, workers: [make('a'), make('b')] };
  }

  it('without a lease every run runs', async () => {
    let count = 0;
    const worker = createIntervalWorker({
      name: 'plain',
      intervalMs: 0,
      logger: pino({ level: 'silent' }),
      run: () => Promise.resolve(void count++),
    });
    await worker.runOnce();
    await worker.runOnce();
    await worker.stop();
    assert.equal(count, 2);
  });

  it('with a lease only the holder runs, and it keeps the lease by renewing', async () => {
    const { now, runs, workers } = twoInstances('leased-renew');
    const [a, b] = workers;
    await a.runOnce();
    await b.runOnce();
    for (let i = 0; i < 5; i++) {
      now.value += 1000; // one interval: a renews before its 3 s lease runs out
      await a.runOnce();
      await b.runOnce();
    }
    assert.deepEqual(runs, ['a', 'a', 'a', 'a', 'a', 'a']);
    await a.stop();
    await b.stop();
  });

  it('when the holder stops renewing (it died), another instance takes over after the ttl', async () => {
    const { now, runs, workers } = twoInstances('leased-expiry');
    const [a, b] = workers;
    await a.runOnce();
    now.value += 2999;
    await b.runOnce();
    now.value += 1;
    await b.runOnce();
    await a.runOnce();
    assert.deepEqual(runs, ['a', 'b']);
    await b.stop();
    await a.stop();
  });

  it('stop() gives the lease up, so another instance runs at once', async () => {
    const { runs, workers } = twoInstances('leased-stop');
    const [a, b] = workers;
    await a.runOnce();
    await b.runOnce();
    await a.stop();
    await b.runOnce();
    assert.deepEqual(runs, ['a', 'b']);
    await b.stop();
  });

  it('logs when the lease changes hands, and a failing lease store is logged, not thrown', async () => {
    const lines: Record<string, unknown>[] = [];
    let fail = false;
    let held = true;
    let runs = 0;
    const worker = createIntervalWorker({
      name: 'logged',
      intervalMs: 0,
      logger: capturingLogger(lines),
      run: () => Promise.resolve(void runs++),
      lease: {
        store: {
          acquireLease: () => (fail ? Promise.reject(new Error('database down')) : Promise.resolve(held)),
          releaseLease: () => Promise.resolve(),
        },
        name: 'logged',
        holder: 'me',
        ttlMs: 3000,
        clock: () => 0,
      },
    });
    await worker.runOnce();
    await worker.runOnce();
    held = false;
    await worker.runOnce();
    fail = true;
    await worker.runOnce();
    await worker.stop();
    assert.equal(runs, 2);
    const messages = lines.filter((l) => (l['level'] as number) >= 30).map((l) => l['msg']);
    assert.deepEqual(messages, [
      'logged: took the lease; running here',
      'logged: lease held elsewhere; not running here',
      'logged failed; will retry next interval',
    ]);
  });
});
