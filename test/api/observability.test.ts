/**
 * Observability over HTTP: `/metrics` counters move as requests are made
 * (exactly, where the count is knowable), `/readyz` turns 503 when the
 * metadata store is gone, and shutdown lets an in-flight upload finish and
 * closes keep-alive connections as their last response ends.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Agent, get as httpGet, request as httpRequest, type IncomingMessage } from 'node:http';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { RegistryClient } from '../helpers/client.js';
import { blob, image } from '../helpers/builders.js';
import { startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver.js';

/** One sample of a Prometheus text exposition, matched by name and a subset of labels (0 when absent). */
function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  let total = 0;
  let found = false;
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (m === null || m[1] !== name) continue;
    const have: Record<string, string | undefined> = Object.fromEntries(
      [...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((l): [string, string | undefined] => [
        l[1] ?? '',
        l[2],
      ]),
    );
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) {
      total += Number(m[3]);
      found = true;
    }
  }
  return found ? total : 0;
}

async function scrape(client: RegistryClient): Promise<string> {
  const res = await client.request('/metrics');
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  return res.text();
}

/** Yields to the event loop until `check` holds (no clock involved). */
async function until(check: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 10_000; i++) {
    if (await check()) return;
    await new Promise((resolve) => setImmediate(resolve));
  }
  assert.fail(`never happened: ${what}`);
}

describe('/metrics', () => {
  let server: TestServer;
  let client: RegistryClient;
  let receiver: WebhookReceiver;
  before(async () => {
    receiver = await startWebhookReceiver();
    server = await startTestServer({
      config: {
        webhooks: { pollIntervalMs: 0, endpoints: [{ name: 'm', url: `${receiver.url}/m`, actions: ['push'] }] },
      },
    });
    client = new RegistryClient(server.url);
  });
  after(async () => {
    await server.close();
    await receiver.close();
  });

  it('exposes process metrics and berth metrics on a per-app registry', async () => {
    const text = await scrape(client);
    assert.match(text, /^process_cpu_user_seconds_total /m);
    assert.match(text, /^nodejs_eventloop_lag_seconds /m);
    assert.match(text, /^# TYPE berth_http_requests_total counter$/m);
    assert.match(text, /^# TYPE berth_http_request_duration_seconds histogram$/m);
    assert.match(text, /^berth_uploads_in_flight 0$/m);
    assert.match(text, /^berth_webhook_backlog\{endpoint="m"\} 0$/m);
  });

  it('counts requests by route, method and status, and body bytes in, exactly', async () => {
    const before = await scrape(client);
    const images = [image({ layers: 2 }), image({ layers: 1 }), image({ layers: 3 })];
    for (const [i, img] of images.entries()) await client.push('metrics/app', img, `v${i}`);
    const afterPush = await scrape(client);

    const pushes = { route: 'manifest', method: 'PUT', status: '201' };
    assert.equal(
      sample(afterPush, 'berth_http_requests_total', pushes) - sample(before, 'berth_http_requests_total', pushes),
      3,
    );
    const timed = { route: 'manifest', method: 'PUT' };
    assert.equal(
      sample(afterPush, 'berth_http_request_duration_seconds_count', timed) -
        sample(before, 'berth_http_request_duration_seconds_count', timed),
      3,
    );
    const blobPuts = { route: 'upload-session', method: 'PUT', status: '201' };
    const blobCount = images.reduce((n, img) => n + (img.blobs?.length ?? 0), 0);
    assert.equal(
      sample(afterPush, 'berth_http_requests_total', blobPuts) - sample(before, 'berth_http_requests_total', blobPuts),
      blobCount,
    );
    const bodyBytes = images.reduce((n, img) => n + img.size + (img.blobs ?? []).reduce((m, b) => m + b.size, 0), 0);
    assert.equal(
      sample(afterPush, 'berth_http_bytes_received_total') - sample(before, 'berth_http_bytes_received_total'),
      bodyBytes,
      'every manifest and blob byte, nothing else',
    );
    assert.equal(
      sample(afterPush, 'berth_webhook_backlog', { endpoint: 'm' }),
      blobCount + 3,
      'backlog: one event per blob and per tag',
    );

    const layer = images[0]!.blobs![1]!;
    const res = await client.request(`/v2/metrics/app/blobs/${layer.digest}`);
    assert.equal((await res.arrayBuffer()).byteLength, layer.size);
    const unknown = await client.request('/v2/metrics/app/manifests/nope');
    assert.equal(unknown.status, 404);
    await unknown.arrayBuffer();
    // A response is counted once it has finished on the server, which can be
    // after the client has read all of it: scrape until both are in.
    let afterPull = '';
    await until(async () => {
      afterPull = await scrape(client);
      const blobGets = sample(afterPull, 'berth_http_requests_total', { route: 'blob', method: 'GET' });
      const manifestGets = sample(afterPull, 'berth_http_requests_total', { route: 'manifest', method: 'GET' });
      return blobGets >= 1 && manifestGets >= 1;
    }, 'the blob GET and the manifest 404 are counted');
    assert.ok(
      sample(afterPull, 'berth_http_bytes_sent_total') - sample(afterPush, 'berth_http_bytes_sent_total') > layer.size,
      'the blob and its headers went out',
    );
    assert.equal(sample(afterPull, 'berth_http_requests_total', { route: 'blob', method: 'GET', status: '200' }), 1);
    assert.equal(
      sample(afterPull, 'berth_http_requests_total', { route: 'manifest', method: 'GET', status: '404' }),
      1,
    );
    assert.ok(sample(afterPull, 'berth_http_requests_total', { route: '/metrics', method: 'GET', status: '200' }) >= 3);

    await server.webhooks.drain();
    const delivered = await scrape(client);
    assert.equal(sample(delivered, 'berth_webhook_backlog', { endpoint: 'm' }), 0);
    const batches = Math.ceil((blobCount + 3) / 10); // batchSize defaults to 10
    assert.equal(sample(delivered, 'berth_webhook_deliveries_total', { endpoint: 'm', result: 'success' }), batches);
    assert.equal(sample(delivered, 'berth_webhook_deliveries_total', { endpoint: 'm', result: 'failure' }), 0);
  });
});

describe('/readyz', () => {
  it('answers 200 while the stores answer and 503 once the metadata store is closed', async () => {
    const server = await startTestServer();
    try {
      const client = new RegistryClient(server.url);
      assert.equal((await client.request('/readyz')).status, 200);
      assert.equal((await client.request('/healthz')).status, 200);
      await server.registry.deps.metadata.close();
      const res = await client.request('/readyz');
      assert.equal(res.status, 503);
      assert.deepEqual(await res.json(), { status: 'unavailable' });
      assert.equal((await client.request('/healthz')).status, 200, 'alive, just not ready');
    } finally {
      await server.close();
    }
  });
});

describe('graceful shutdown', () => {
  it('lets an in-flight blob upload finish with 201, then refuses new connections', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'berth-shutdown-'));
    try {
      const server = await startTestServer({ dataDir });
      const client = new RegistryClient(server.url);
      const start = await client.request('/v2/slow/app/blobs/uploads/', { method: 'POST' });
      assert.equal(start.status, 202);
      const location = start.headers.get('location')!;
      const content = blob(64 * 1024);

      // A streamed body we control: half now, the rest after close() has begun.
      const url = new URL(`${location}?digest=${content.digest}`, server.url);
      const upload = httpRequest(url, { method: 'PUT', headers: { 'content-type': 'application/octet-stream' } });
      const response = new Promise<IncomingMessage>((resolve, reject) => {
        upload.on('response', resolve);
        upload.on('error', reject);
      });
      upload.write(content.bytes.subarray(0, 32 * 1024));
      const inFlight = server.metrics.getSingleMetric('berth_uploads_in_flight');
      await until(async () => (await inFlight?.get())?.values[0]?.value === 1, 'the upload request reached the server');

      const closing = server.close();
      let closed = false;
      void closing.then(() => (closed = true));
      await new Promise((resolve) => setImmediate(resolve));
      assert.equal(closed, false, 'close waits for the in-flight request');
      upload.end(content.bytes.subarray(32 * 1024));
      const res = await response;
      res.resume();
      assert.equal(res.statusCode, 201);
      assert.equal(res.headers['docker-content-digest'], content.digest);
      await closing;
      await assert.rejects(fetch(`${server.url}/v2/`), 'no longer listening');

      const again = await startTestServer({ dataDir });
      try {
        const head = await new RegistryClient(again.url).request(`/v2/slow/app/blobs/${content.digest}`, {
          method: 'HEAD',
        });
        assert.equal(head.status, 200, 'the blob acknowledged during shutdown is stored');
      } finally {
        await again.close();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it(
    'closes a keep-alive connection as soon as its in-flight download ends, not at the grace period',
    { timeout: 60_000 },
    async () => {
      // Grace and idle timeouts of an hour: only the server's own sweep can close the connection in time.
      const server = await startTestServer({
        config: { 'http.shutdownGraceSeconds': 3600, 'http.idleTimeoutSeconds': 3600 },
      });
      const agent = new Agent({ keepAlive: true });
      try {
        const content = blob(24 * 1024 * 1024);
        assert.equal((await new RegistryClient(server.url).pushBlob('slow/download', content)).status, 201);
        // Headers first; the body waits in socket buffers far smaller than the blob until it is read.
        const res = await new Promise<IncomingMessage>((resolve, reject) => {
          httpGet(`${server.url}/v2/slow/download/blobs/${content.digest}`, { agent }, resolve).on('error', reject);
        });
        assert.equal(res.statusCode, 200);
        const socket = res.socket;
        const socketClosed = new Promise((resolve) => socket.once('close', resolve));

        const closing = server.close();
        const hash = createHash('sha256');
        for await (const chunk of res) hash.update(chunk as Buffer);
        assert.equal(`sha256:${hash.digest('hex')}`, content.digest, 'the download completes');
        // The agent unrefs a socket it keeps for reuse: without this, the
        // event loop could end (the server's side already closed) before
        // the client's side sees the close.
        socket.ref();
        await socketClosed;
        await closing;
      } finally {
        agent.destroy();
        await server.close();
      }
    },
  );
});
