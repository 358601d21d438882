/**
 * Webhooks end to end: a real berth server, a real receiving HTTP server,
 * delivery driven by the worker's `drain()`/`runOnce()` with an injected
 * clock and sleep (no real waits, no timing assertions).
 */
import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { RegistryClient, assertError } from '../helpers/client.js';
import { artifact, blob, image, type Pushable } from '../helpers/builders.js';
import { startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver.js';
import type { EndpointStatus } from '../../src/events/delivery-worker.js';
import type { CloudEvent } from '../../src/events/notification.js';
import { MEDIA_TYPE_OCI_CONFIG, MEDIA_TYPE_OCI_MANIFEST } from '../../src/oci/media-types.js';

const HELM_CONFIG = 'application/vnd.cncf.helm.config.v1+json';

function helmChart(): Pushable {
  return artifact(HELM_CONFIG, {
    asConfig: true,
    config: blob(JSON.stringify({ name: 'web', version: '1.0.0', apiVersion: 'v2' }), HELM_CONFIG),
    layers: [blob(100, 'application/vnd.cncf.helm.chart.content.v1.tar+gzip')],
  });
}

/** A clock that only the injected sleep moves, recording every wait. */
function fakeTime(): { clock: () => number; sleep: (ms: number) => Promise<void>; sleeps: number[] } {
  let now = Date.parse('2026-03-01T12:00:00Z');
  const sleeps: number[] = [];
  return {
    clock: () => now,
    sleep: async (ms) => {
      sleeps.push(ms);
      now += ms;
    },
    sleeps,
  };
}

type Endpoint = Record<string, unknown> & { name: string };

async function startWith(
  receiver: WebhookReceiver,
  endpoints: Endpoint[],
  extra: Record<string, unknown> = {},
  dataDir?: string,
) {
  const time = fakeTime();
  const withUrls = endpoints.map((e) => ({ url: `${receiver.url}/${e.name}`, ...e }));
  const server = await startTestServer({
    config: { webhooks: { pollIntervalMs: 0, endpoints: withUrls }, ...extra },
    clock: time.clock,
    sleep: time.sleep,
    ...(dataDir === undefined ? {} : { dataDir }),
  });
  return { server, client: new RegistryClient(server.url, { 'user-agent': 'webhook-test/1.0' }), time };
}

describe('webhooks', () => {
  let receiver: WebhookReceiver;
  const servers: TestServer[] = [];
  before(async () => {
    receiver = await startWebhookReceiver();
  });
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.close()));
    receiver.requests.length = 0;
    receiver.always(undefined);
  });
  after(() => receiver.close());

  it('sends a push as distribution envelope events: blobs, then the manifest with tag and artifact type', async () => {
    const { server, client } = await startWith(receiver, [{ name: 'ci' }]);
    servers.push(server);
    const img = image({ layers: 1 });
    await client.push('team/app', img, 'v1');
    await server.webhooks.drain();

    assert.equal(receiver.requests.length, 1, 'one batch (batchSize 10 holds all three events)');
    const req = receiver.requests[0]!;
    assert.equal(req.method, 'POST');
    assert.equal(req.headers['content-type'], 'application/vnd.docker.distribution.events.v2+json');
    assert.equal(req.headers['x-berth-signature'], undefined, 'no secret, no signature');
    const events = receiver.delivered();
    assert.deepEqual(
      events.map((e) => [e.action, e.target.digest, e.target.tag]),
      [
        ['push', img.blobs![0]!.digest, undefined],
        ['push', img.blobs![1]!.digest, undefined],
        ['push', img.digest, 'v1'],
      ],
    );
    const manifest = events[2]!;
    assert.equal(manifest.target.repository, 'team/app');
    assert.equal(manifest.target.mediaType, MEDIA_TYPE_OCI_MANIFEST);
    assert.equal(manifest.target.size, img.size);
    assert.equal(manifest.target.length, img.size);
    assert.equal(manifest.target.artifactType, MEDIA_TYPE_OCI_CONFIG);
    assert.equal(manifest.target.artifactTypeName, 'oci-image');
    assert.equal(manifest.target.url, `${server.url}/v2/team/app/manifests/${img.digest}`);
    assert.equal(manifest.request.method, 'PUT');
    assert.equal(manifest.request.useragent, 'webhook-test/1.0');
    assert.match(manifest.request.addr, /^127\.0\.0\.1:\d+$/);
    assert.ok(manifest.request.id.length > 0);
    assert.match(manifest.source.addr, /:\d+$/);
    assert.equal(manifest.timestamp, '2026-03-01T12:00:00.000Z', 'the injected clock');
    assert.equal(new Set(events.map((e) => e.id)).size, 3, 'unique ids');
    assert.equal(events[0]!.target.url, `${server.url}/v2/team/app/blobs/${img.blobs![0]!.digest}`);
  });

  it('filters by action, repository glob and artifact type (short name or media type)', async () => {
    const { server, client } = await startWith(receiver, [
      { name: 'deletes', actions: ['delete'] },
      { name: 'team', repositories: ['team-*/app'], actions: ['push'] },
      { name: 'charts', artifactTypes: ['helm-chart'] },
      { name: 'images', artifactTypes: [MEDIA_TYPE_OCI_CONFIG], actions: ['push'] },
    ]);
    servers.push(server);
    const chart = helmChart();
    const img = image();
    await client.push('team-a/app', img, 'v1');
    await client.push('team-a/b/app', image(), 'v1');
    await client.push('charts/web', chart, '1.0.0');
    assert.equal((await client.request(`/v2/team-a/app/manifests/v1`, { method: 'DELETE' })).status, 202);
    await server.webhooks.drain();

    assert.deepEqual(
      receiver.delivered('/deletes').map((e) => [e.action, e.target.repository, e.target.tag]),
      [['delete', 'team-a/app', 'v1']],
    );
    const team = receiver.delivered('/team');
    assert.ok(team.length > 0 && team.every((e) => e.target.repository === 'team-a/app' && e.action === 'push'));
    assert.ok(team.some((e) => e.target.digest === img.digest));
    assert.deepEqual(
      receiver.delivered('/charts').map((e) => [e.action, e.target.repository, e.target.artifactTypeName]),
      [['push', 'charts/web', 'helm-chart']],
      'blob pushes carry no artifact type, so a type filter drops them',
    );
    assert.deepEqual(
      receiver.delivered('/images').map((e) => [e.target.repository, e.target.artifactTypeName]),
      [
        ['team-a/app', 'oci-image'],
        ['team-a/b/app', 'oci-image'],
      ],
    );
  });

  it('signs the raw body with HMAC-SHA256 under the endpoint secret', async () => {
    const secret = 'correct horse battery staple';
    const { server, client } = await startWith(receiver, [{ name: 'signed', secret, actions: ['push'] }]);
    servers.push(server);
    await client.push('signed/app', image(), 'v1');
    await server.webhooks.drain();
    assert.ok(receiver.requests.length > 0);
    for (const req of receiver.requests) {
      const expected = `sha256=${createHmac('sha256', secret).update(req.body).digest('hex')}`;
      assert.equal(req.headers['x-berth-signature'], expected);
      const wrong = `sha256=${createHmac('sha256', 'other').update(req.body).digest('hex')}`;
      assert.notEqual(req.headers['x-berth-signature'], wrong);
    }
  });

  it('retries a failing endpoint with backoff, delivers once, in order, and reports the failure meanwhile', async () => {
    const { server, client, time } = await startWith(receiver, [
      {
        name: 'flaky',
        actions: ['push'],
        artifactTypes: ['oci-image'],
        batchSize: 1,
        secret: 'hidden-secret',
        headers: { Authorization: 'Bearer tok' },
      },
    ]);
    servers.push(server);
    const images = [image(), image(), image()];
    for (const [i, img] of images.entries()) await client.push('flaky/app', img, `v${i}`);
    receiver.respondWith(500, 500);

    await server.webhooks.runOnce();
    const { body } = await client.getJson<{ endpoints: EndpointStatus[] }>('/v2/_berth/webhooks');
    const status = body.endpoints[0]!;
    assert.equal(status.name, 'flaky');
    assert.equal(
      status.backlog,
      3 + 6,
      'three manifests and six blobs after the cursor (the filter applies at delivery)',
    );
    assert.equal(status.consecutiveFailures, 1);
    assert.equal(status.lastError, 'HTTP 500 Internal Server Error');
    assert.equal(status.lastFailureAt, '2026-03-01T12:00:00.000Z');
    assert.equal(status.lastSuccessAt, null);
    assert.equal(status.retryAt, '2026-03-01T12:00:01.000Z', 'first retry after 1 s');
    assert.equal(status.signed, true);
    assert.deepEqual(status.headerNames, ['Authorization']);
    assert.equal(status.url, new URL(receiver.url).origin, 'scheme and host only: a path can hold the secret');
    const text = JSON.stringify(body);
    assert.ok(!text.includes('hidden-secret') && !text.includes('Bearer tok'), 'no secret or header value shown');
    assert.ok(!text.includes('/flaky'), 'the URL path is not shown');

    await server.webhooks.drain();
    assert.deepEqual(time.sleeps, [1000, 2000], 'waited 1 s then 2 s (injected sleep)');
    assert.deepEqual(
      receiver.requests.map((r) => r.status),
      [500, 500, 200, 200, 200],
    );
    assert.deepEqual(
      receiver.delivered().map((e) => e.target.tag),
      ['v0', 'v1', 'v2'],
      'each event delivered once, in push order',
    );
    const after = (await client.getJson<{ endpoints: EndpointStatus[] }>('/v2/_berth/webhooks')).body.endpoints[0]!;
    assert.equal(after.backlog, 0);
    assert.equal(after.consecutiveFailures, 0);
    assert.equal(after.lastError, 'HTTP 500 Internal Server Error', 'the last failure stays visible');
    assert.equal(after.retryAt, null);
    assert.ok(after.lastSuccessAt !== null);
  });

  it('caps the backoff at maxBackoffSeconds', async () => {
    const { server, client, time } = await startWith(receiver, [
      { name: 'down', actions: ['push'], maxBackoffSeconds: 5 },
    ]);
    servers.push(server);
    await client.push('down/app', image(), 'v1');
    receiver.respondWith(503, 503, 503, 503, 503);
    await server.webhooks.drain();
    assert.deepEqual(time.sleeps, [1000, 2000, 4000, 5000, 5000]);
  });

  it('keeps undelivered events across a restart and delivers them to the same endpoint', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'berth-webhooks-'));
    try {
      const first = await startWith(
        receiver,
        [{ name: 'durable', actions: ['push'], artifactTypes: ['oci-image'] }],
        {},
        dataDir,
      );
      const before = [image(), image()];
      await first.client.push('durable/app', before[0]!, 'a');
      receiver.always(500);
      await first.server.webhooks.runOnce();
      await first.client.push('durable/app', before[1]!, 'b');
      await first.server.webhooks.runOnce(); // backing off: no attempt
      await first.server.close();
      assert.equal(receiver.delivered().length, 0);

      receiver.always(undefined);
      const second = await startWith(
        receiver,
        [
          { name: 'durable', actions: ['push'], artifactTypes: ['oci-image'] },
          { name: 'latecomer', actions: ['push'], artifactTypes: ['oci-image'] },
        ],
        {},
        dataDir,
      );
      servers.push(second.server);
      await second.client.push('durable/app', image(), 'c');
      await second.server.webhooks.drain();
      assert.deepEqual(
        receiver.delivered('/durable').map((e) => e.target.tag),
        ['a', 'b', 'c'],
      );
      assert.deepEqual(
        receiver.delivered('/latecomer').map((e) => e.target.tag),
        ['c'],
        'a new endpoint gets no history',
      );
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('writes no pull events when no endpoint wants pulls', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'berth-webhooks-'));
    try {
      const { server, client } = await startWith(receiver, [{ name: 'pushes', actions: ['push'] }], {}, dataDir);
      const img = image();
      await client.push('nopull/app', img, 'v1');
      await (await client.request('/v2/nopull/app/manifests/v1', { headers: { accept: img.mediaType } })).arrayBuffer();
      await (await client.request(`/v2/nopull/app/blobs/${img.blobs![1]!.digest}`)).arrayBuffer();
      await server.close(); // waits for any event written after a response
      const again = await startWith(receiver, [{ name: 'pushes', actions: ['push'] }], {}, dataDir);
      servers.push(again.server);
      const { count } = await again.server.registry.deps.metadata.countEvents(0);
      assert.equal(count, 3, 'config, layer and manifest pushes; no pulls');
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('prunes events every configured endpoint has passed once they are a day old, never ones an endpoint still owes', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'berth-webhooks-'));
    try {
      const down = { name: 'down', url: 'http://127.0.0.1:1/down', maxBackoffSeconds: 1 };
      const first = await startWith(receiver, [{ name: 'up' }, down], {}, dataDir);
      await first.client.push('prune/app', image(), 'v1');
      await first.server.webhooks.runOnce();
      await first.time.sleep(25 * 60 * 60 * 1000);
      await first.server.webhooks.runOnce();
      const metadata = first.server.registry.deps.metadata;
      assert.equal((await metadata.countEvents(0)).count, 3, '"down" has not received them: kept');
      const { lastSeq } = await metadata.countEvents(0);
      await first.server.close();

      // "down" leaves the configuration: only "up" counts now.
      const second = await startWith(receiver, [{ name: 'up' }], {}, dataDir);
      servers.push(second.server);
      await second.server.webhooks.runOnce();
      const store = second.server.registry.deps.metadata;
      assert.equal((await store.countEvents(0)).count, 3, 'delivered, but not a day old on this clock yet');
      await second.time.sleep(25 * 60 * 60 * 1000);
      await second.server.webhooks.runOnce();
      assert.deepEqual(await store.countEvents(0), { count: 0, lastSeq }, 'pruned; the sequence goes on');
      const img = image();
      await second.client.push('prune/app', img, 'v2');
      await second.server.webhooks.drain();
      assert.ok(receiver.delivered('/up').some((e) => e.target.digest === img.digest && e.target.tag === 'v2'));
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('delivers pull events after the response', async () => {
    const { server, client } = await startWith(receiver, [{ name: 'pulls', actions: ['pull'] }]);
    servers.push(server);
    const img = image();
    await client.push('pull/app', img, 'v1');
    await (await client.request('/v2/pull/app/manifests/v1', { headers: { accept: img.mediaType } })).arrayBuffer();
    await (await client.request(`/v2/pull/app/blobs/${img.blobs![1]!.digest}`)).arrayBuffer();
    await (await client.request('/v2/pull/app/manifests/v1', { method: 'HEAD' })).arrayBuffer();
    await waitForBacklog(server, 2);
    await server.webhooks.drain();
    const events = receiver.delivered('/pulls');
    assert.deepEqual(
      events.map((e) => [
        e.action,
        e.target.digest,
        e.target.tag ?? null,
        e.target.artifactTypeName ?? null,
        e.request.method,
      ]),
      [
        ['pull', img.digest, 'v1', 'oci-image', 'GET'],
        ['pull', img.blobs![1]!.digest, null, null, 'GET'],
      ],
      'a HEAD is not a pull',
    );
  });

  it('records a manifest push refused by type governance as a denied event', async () => {
    const { server, client } = await startWith(receiver, [{ name: 'audit', actions: ['denied'] }], {
      typeRules: [{ repositories: 'charts/**', allow: ['helm-chart'] }],
    });
    servers.push(server);
    const img = image();
    for (const b of img.blobs ?? []) assert.equal((await client.pushBlob('charts/web', b)).status, 201);
    await assertError(await client.pushManifest('charts/web', 'v1', img), 403, 'DENIED');
    await waitForBacklog(server, 1);
    await server.webhooks.drain();
    assert.deepEqual(
      receiver
        .delivered('/audit')
        .map((e) => [e.action, e.target.repository, e.target.tag, e.target.artifactTypeName, e.target.mediaType]),
      [['denied', 'charts/web', 'v1', 'oci-image', MEDIA_TYPE_OCI_MANIFEST]],
    );
  });

  it('sends CloudEvents batches when the endpoint asks for them', async () => {
    const { server, client } = await startWith(receiver, [
      { name: 'cloud', format: 'cloudevents', actions: ['push'], artifactTypes: ['oci-image'] },
    ]);
    servers.push(server);
    const img = image();
    await client.push('cloud/app', img, 'v1');
    await server.webhooks.drain();
    const req = receiver.requests[0]!;
    assert.equal(req.headers['content-type'], 'application/cloudevents-batch+json');
    const batch = JSON.parse(req.body.toString('utf8')) as CloudEvent[];
    assert.equal(batch.length, 1);
    const ce = batch[0]!;
    assert.equal(ce.specversion, '1.0');
    assert.equal(ce.type, 'io.berth.artifact.pushed');
    assert.equal(ce.subject, 'cloud/app:v1');
    assert.equal(ce.datacontenttype, 'application/json');
    assert.equal(ce.id, ce.data.id);
    assert.equal(ce.time, ce.data.timestamp);
    assert.match(ce.source, /\/v2\/cloud\/app$/);
    assert.equal(ce.data.target.digest, img.digest);
  });

  it('refuses duplicate endpoint names and bad globs at start-up', async () => {
    await assert.rejects(startWith(receiver, [{ name: 'same' }, { name: 'same' }]), /webhooks\.endpoints\[1\]\.name/);
    await assert.rejects(
      startWith(receiver, [{ name: 'g', repositories: ['Bad//glob'] }]),
      /webhooks\.endpoints\[0\]\.repositories/,
    );
  });
});

/**
 * Pull and denied events are written just after their responses: yield to
 * the event loop until the first endpoint's backlog holds `n` (no clock involved).
 */
async function waitForBacklog(server: TestServer, n: number): Promise<void> {
  for (let i = 0; i < 1000; i++) {
    const [status] = await server.webhooks.status();
    if ((status?.backlog ?? 0) >= n) return;
    await new Promise((resolve) => setImmediate(resolve));
  }
  assert.fail(`backlog never reached ${n}`);
}
