/**
 * Building distribution's events and their CloudEvents form; the signature.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { buildNotificationEvent, encodeBatch, toCloudEvent } from './notification.js';
import { signBody } from './webhook-sink.js';

const source = { addr: 'reg.local:5000', instanceID: 'i-1' };
const digest = `sha256:${'a'.repeat(64)}`;

describe('notification events', () => {
  it('describes a manifest push with the request, actor, artifact type and an absolute URL', () => {
    const e = buildNotificationEvent(
      {
        action: 'push',
        repo: 'team/app',
        target: {
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          digest,
          size: 42,
          tag: 'v1',
          artifactType: 'application/vnd.cncf.helm.config.v1+json',
          artifactTypeName: 'helm-chart',
        },
      },
      {
        id: 'ev-1',
        time: Date.UTC(2026, 0, 2, 3, 4, 5),
        source,
        request: {
          requestId: 'r-1',
          addr: '10.0.0.9:4242',
          host: 'reg.example:443',
          method: 'PUT',
          userAgent: 'helm/3',
          actor: 'alice',
        },
        baseUrl: 'https://reg.example/',
      },
    );
    assert.deepEqual(e, {
      id: 'ev-1',
      timestamp: '2026-01-02T03:04:05.000Z',
      action: 'push',
      target: {
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        digest,
        size: 42,
        length: 42,
        repository: 'team/app',
        url: `https://reg.example/v2/team/app/manifests/${digest}`,
        tag: 'v1',
        artifactType: 'application/vnd.cncf.helm.config.v1+json',
        artifactTypeName: 'helm-chart',
      },
      request: { id: 'r-1', addr: '10.0.0.9:4242', host: 'reg.example:443', method: 'PUT', useragent: 'helm/3' },
      actor: { name: 'alice' },
      source,
    });
  });

  it('points blob events at the blob URL, mounts name their source, background events have an empty request', () => {
    const e = buildNotificationEvent(
      { action: 'mount', repo: 'b', from: 'a', target: { digest, size: 3 } },
      { id: 'x', time: 0, source },
    );
    assert.equal(e.target.url, `/v2/b/blobs/${digest}`);
    assert.equal(e.target.fromRepository, 'a');
    assert.deepEqual(e.request, { id: '', addr: '', host: '', method: '', useragent: '' });
    assert.deepEqual(e.actor, {});
    const tagDelete = buildNotificationEvent(
      { action: 'delete', repo: 'b', target: { digest, tag: 'old' } },
      { id: 'y', time: 0, source },
    );
    assert.equal(tagDelete.target.url, `/v2/b/manifests/${digest}`);
  });

  it('wraps an event as a CloudEvent with the same id and time, and encodes batches per format', () => {
    const e = buildNotificationEvent(
      { action: 'delete', repo: 'app', target: { digest } },
      { id: 'ev-2', time: 0, source },
    );
    const ce = toCloudEvent(e);
    assert.equal(ce.type, 'io.berth.artifact.deleted');
    assert.equal(ce.source, '//reg.local:5000/v2/app');
    assert.equal(ce.subject, `app@${digest}`);
    assert.equal(ce.id, 'ev-2');
    assert.equal(ce.time, e.timestamp);
    const envelope = encodeBatch([e], 'distribution');
    assert.equal(envelope.contentType, 'application/vnd.docker.distribution.events.v2+json');
    assert.deepEqual(JSON.parse(envelope.body.toString('utf8')), { events: [e] });
    const batch = encodeBatch([e], 'cloudevents');
    assert.equal(batch.contentType, 'application/cloudevents-batch+json');
    assert.deepEqual(JSON.parse(batch.body.toString('utf8')), [ce]);
  });

  it('signs a body as sha256=<hex HMAC-SHA256>', () => {
    const body = Buffer.from('{"events":[]}');
    assert.equal(signBody('k', body), `sha256=${createHmac('sha256', 'k').update(body).digest('hex')}`);
    // RFC 4231 test case 2.
    assert.equal(
      signBody('Jefe', Buffer.from('what do ya want for nothing?')),
      'sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
    );
  });
});
