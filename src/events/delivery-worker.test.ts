/**
 * The delivery worker against an in-memory outbox and scripted sinks:
 * cursor rules, batching and filtering, backoff, leases, and a stop() that
 * waits for the POST in flight.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import type { MetadataStore, StoredEvent } from '../metadata/store.js';
import { backoffMs, createDeliveryWorker, type DeliveryWorkerOptions } from './delivery-worker.js';
import type { SendResult, WebhookEndpoint, WebhookSink } from './webhook-sink.js';

type Outbox = Pick<MetadataStore, 'readEvents' | 'getCursor' | 'setCursor' | 'listCursors' | 'countEvents' | 'pruneEvents'> & {
  add(...actions: string[]): void;
  cursors: Map<string, number>;
};

function outbox(): Outbox {
  const events: StoredEvent[] = [];
  const cursors = new Map<string, number>();
  return {
    cursors,
    add(...actions) {
      for (const action of actions) {
        const seq = events.length + 1;
        events.push({ seq, id: `e${seq}`, action, repo: 'r', payload: { id: `e${seq}` }, createdAt: 0 });
      }
    },
    readEvents: async (after, limit) => events.filter((e) => e.seq > after).slice(0, limit),
    getCursor: async (sink) => cursors.get(sink) ?? 0,
    setCursor: async (sink, seq) => void cursors.set(sink, seq),
    listCursors: async () => Object.fromEntries(cursors),
    countEvents: async (after) => ({ count: events.filter((e) => e.seq > after).length, lastSeq: events.length }),
    // Keeps everything: pruning is covered by the store conformance suite and test/api/webhooks.
    pruneEvents: async () => 0,
  };
}

interface ScriptedSink extends WebhookSink {
  batches: string[][];
  /** Results to return, in order; `{ ok: true }` afterwards. */
  script: (SendResult | Promise<SendResult>)[];
}

function sink(name: string, options: Partial<WebhookEndpoint> = {}): ScriptedSink {
  const endpoint: WebhookEndpoint = {
    name,
    url: 'http://x',
    timeoutSeconds: 1,
    format: 'distribution',
    batchSize: 2,
    maxBackoffSeconds: 60,
    ...options,
  };
  const s: ScriptedSink = {
    endpoint,
    batches: [],
    script: [],
    accepts: (e) => endpoint.actions === undefined || (endpoint.actions as string[]).includes(e.action),
    async send(events) {
      s.batches.push(events.map((e) => e.id));
      return (await s.script.shift()) ?? { ok: true, status: 200 };
    },
    describe: () => ({
      name,
      url: endpoint.url,
      format: 'distribution',
      actions: 'all',
      repositories: 'all',
      artifactTypes: 'all',
      headerNames: [],
      signed: false,
    }),
  };
  return s;
}

function worker(store: Outbox, sinks: WebhookSink[], extra: Partial<DeliveryWorkerOptions> = {}) {
  let now = 1_000_000;
  const sleeps: number[] = [];
  const w = createDeliveryWorker({
    metadata: store,
    sinks,
    logger: pino({ level: 'silent' }),
    clock: () => now,
    sleep: async (ms) => {
      sleeps.push(ms);
      now += ms;
    },
    pollIntervalMs: 0,
    ...extra,
  });
  return { w, sleeps };
}

describe('delivery worker', () => {
  it('starts a new endpoint at the end of the log and keeps a known one where it was', async () => {
    const store = outbox();
    store.add('push', 'push');
    const known = sink('known');
    store.cursors.set('webhook:known', 1);
    const fresh = sink('fresh');
    const { w } = worker(store, [known, fresh]);
    await w.init();
    assert.equal(store.cursors.get('webhook:fresh'), 2);
    store.add('push');
    await w.drain();
    assert.deepEqual(known.batches, [['e2', 'e3']]);
    assert.deepEqual(fresh.batches, [['e3']]);
  });

  it('cuts batches of batchSize, skips filtered events and moves the cursor past them', async () => {
    const store = outbox();
    const s = sink('pushes', { actions: ['push'], batchSize: 2 });
    const { w } = worker(store, [s]);
    await w.init();
    store.add('pull', 'push', 'pull', 'push', 'push', 'pull', 'pull');
    await w.drain();
    assert.deepEqual(s.batches, [['e2', 'e4'], ['e5']]);
    assert.equal(store.cursors.get('webhook:pushes'), 7, 'past the trailing filtered events too');
  });

  it('backs off 1 s, 2 s, 4 s… without moving the cursor, then resumes in order', async () => {
    const store = outbox();
    const s = sink('flaky', { batchSize: 1 });
    const { w, sleeps } = worker(store, [s]);
    await w.init();
    store.add('push', 'push');
    s.script.push(
      { ok: false, error: 'HTTP 500' },
      { ok: false, error: 'timed out' },
      { ok: false, error: 'HTTP 502' },
    );
    await w.drain();
    assert.deepEqual(sleeps, [1000, 2000, 4000]);
    assert.deepEqual(s.batches, [['e1'], ['e1'], ['e1'], ['e1'], ['e2']]);
    const [status] = await w.status();
    assert.equal(status?.lastError, 'HTTP 502');
    assert.equal(status?.consecutiveFailures, 0);
    assert.equal(status?.backlog, 0);
  });

  it('keeps one failing endpoint from holding back another', async () => {
    const store = outbox();
    const down = sink('down');
    const up = sink('up');
    const { w } = worker(store, [down, up]);
    await w.init();
    store.add('push');
    down.script.push({ ok: false, error: 'HTTP 503' });
    await w.runOnce();
    assert.deepEqual(up.batches, [['e1']]);
    assert.equal(store.cursors.get('webhook:down'), 0);
    assert.equal(store.cursors.get('webhook:up'), 1);
  });

  it('delivers nothing while another instance holds the lease', async () => {
    const store = outbox();
    const s = sink('leased');
    let held = false;
    let released = 0;
    const { w } = worker(store, [s], {
      lease: {
        acquire: async () => held,
        release: async () => void released++,
      },
    });
    await w.init();
    store.add('push');
    await w.runOnce();
    assert.deepEqual(s.batches, []);
    held = true;
    await w.runOnce();
    assert.deepEqual(s.batches, [['e1']]);
    await w.stop();
    assert.equal(released, 1);
  });

  it('stop() waits for the POST in flight and then ends the loop', async () => {
    const store = outbox();
    const s = sink('slow');
    let answer: (r: SendResult) => void = () => undefined;
    s.script.push(new Promise<SendResult>((resolve) => (answer = resolve)));
    const { w } = worker(store, [s], {
      pollIntervalMs: 60_000,
      sleep: (_ms, signal) => new Promise((resolve) => signal?.addEventListener('abort', () => resolve())),
    });
    await w.init();
    store.add('push');
    w.start();
    for (let i = 0; i < 100 && s.batches.length === 0; i++) await new Promise((resolve) => setImmediate(resolve));
    assert.equal(s.batches.length, 1, 'the POST is in flight');
    let stopped = false;
    const stopping = w.stop().then(() => (stopped = true));
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(stopped, false);
    answer({ ok: true, status: 200 });
    await stopping;
    assert.equal(store.cursors.get('webhook:slow'), 1, 'the acknowledged batch moved the cursor before stopping');
  });

  it('computes the backoff as 1 s doubling up to the cap', () => {
    assert.deepEqual(
      [1, 2, 3, 4, 10].map((n) => backoffMs(n, 10)),
      [1000, 2000, 4000, 8000, 10_000],
    );
  });
});
