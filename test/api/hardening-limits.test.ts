/**
 * Limits with clear errors (issue 7, "Hardening"): per-client rate limiting
 * with an injected clock, open upload sessions per client, manifest and blob
 * size caps, request header size, malformed requests, and the body idle
 * timeout that closes a connection whose body stalls.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { assertError, RegistryClient } from '../helpers/client.js';
import { blob, image } from '../helpers/builders.js';
import { basic, writeHtpasswd } from '../helpers/auth.js';
import { basicAuthorization } from '../../src/auth/credentials.js';
import { closed, openSocket, rawExchange } from '../helpers/raw-http.js';

describe('rate limiting', () => {
  let dir: string;
  let server: TestServer;
  let now = Date.parse('2031-01-01T00:00:00Z');
  let anonymous: RegistryClient;
  let alice: RegistryClient;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'berth-rate-'));
    server = await startTestServer({
      clock: () => now,
      config: {
        'auth.mode': 'basic',
        'auth.htpasswd': writeHtpasswd(dir),
        'http.rateLimit': { requestsPerSecond: 1, burst: 3 },
      },
    });
    anonymous = new RegistryClient(server.url);
    alice = new RegistryClient(server.url, basic('alice'));
  });
  after(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a client past its burst with 429 TOOMANYREQUESTS, Retry-After and the JSON body, until tokens refill', async () => {
    // 1 token of the address's 3: alice's first request is counted by address (her credentials are not yet known).
    assert.equal((await alice.request('/v2/')).status, 200);
    assert.equal((await anonymous.request('/v2/')).status, 401);
    assert.equal((await anonymous.request('/v2/')).status, 401);
    const refused = await anonymous.request('/v2/');
    assert.equal(refused.headers.get('retry-after'), '1');
    const body = await assertError(refused, 429, 'TOOMANYREQUESTS');
    assert.match(String(body.errors[0]?.detail), /more than 1 requests per second \(burst 3\) from this client address; retry after 1 s/);

    // Credentials that authenticated alice count against alice, not the address.
    assert.equal((await alice.request('/v2/')).status, 200);
    // Made-up credentials count against the address, which has none left.
    const guess = await anonymous.request('/v2/', { headers: { authorization: basicAuthorization('bob', 'guess') } });
    await assertError(guess, 429, 'TOOMANYREQUESTS');
    // Probes are never limited.
    assert.equal((await anonymous.request('/healthz')).status, 200);

    now += 1000; // one token back
    assert.equal((await anonymous.request('/v2/')).status, 401);
    await assertError(await anonymous.request('/v2/'), 429, 'TOOMANYREQUESTS');
    // alice has her own bucket: 3, minus 1, plus 1 refilled.
    for (let i = 0; i < 3; i++) assert.equal((await alice.request('/v2/')).status, 200);
    const aliceRefused = await alice.request('/v2/');
    assert.match(String((await assertError(aliceRefused, 429, 'TOOMANYREQUESTS')).errors[0]?.detail), /from user alice/);
  });
});

describe('open upload sessions per client', () => {
  let server: TestServer;
  let client: RegistryClient;
  before(async () => {
    server = await startTestServer({ config: { 'registry.maxUploadsPerClient': 3 } });
    client = new RegistryClient(server.url);
  });
  after(() => server.close());

  async function startUpload(repo = 'limits/app'): Promise<Response> {
    return client.request(`/v2/${repo}/blobs/uploads/`, { method: 'POST' });
  }

  it('refuses more open upload sessions per client than registry.maxUploadsPerClient', async () => {
    const locations: string[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await startUpload();
      assert.equal(res.status, 202);
      locations.push(res.headers.get('location') ?? '');
    }
    const refused = await startUpload('limits/other');
    assert.equal(refused.headers.get('retry-after'), '60');
    const body = await assertError(refused, 429, 'TOOMANYREQUESTS');
    assert.match(String(body.errors[0]?.detail), /3 upload sessions are open for this client \(limit 3\); finish them \(PUT\) or cancel them \(DELETE\)/);

    // A monolithic upload holds no session beyond its request: still allowed.
    const small = blob(100);
    const mono = await client.request(`/v2/limits/app/blobs/uploads/?digest=${small.digest}`, { method: 'POST', body: small.bytes });
    assert.equal(mono.status, 201);

    // Cancelling one frees a place.
    assert.equal((await client.request(locations[0] ?? '', { method: 'DELETE' })).status, 204);
    const fourth = await startUpload();
    assert.equal(fourth.status, 202);
    await assertError(await startUpload(), 429, 'TOOMANYREQUESTS');

    // Completing one frees a place.
    const done = blob(200);
    const put = await client.request(`${locations[1] ?? ''}?digest=${done.digest}`, { method: 'PUT', body: done.bytes });
    assert.equal(put.status, 201);
    assert.equal((await startUpload()).status, 202);

    // A session that ends where this instance does not see it (expiry, another instance) is found gone at the limit.
    const unseen = /[^/]+$/.exec(locations[2] ?? '')?.[0] ?? '';
    await server.registry.uploads.cancel('limits/app', unseen);
    assert.equal((await startUpload()).status, 202);
    await assertError(await startUpload(), 429, 'TOOMANYREQUESTS');
  });
});

describe('limits', () => {
  let server: TestServer;
  let client: RegistryClient;
  before(async () => {
    server = await startTestServer({
      config: {
        'registry.maxManifestBytes': 1024,
        'registry.maxBlobBytes': 1000,
        'http.maxHeaderBytes': 4096,
        'http.bodyIdleTimeoutSeconds': 1,
      },
    });
    client = new RegistryClient(server.url);
  });
  after(() => server.close());

  async function startUpload(repo = 'limits/app'): Promise<Response> {
    return client.request(`/v2/${repo}/blobs/uploads/`, { method: 'POST' });
  }

  it('refuses a manifest over registry.maxManifestBytes with 413, declared or streamed', async () => {
    const big = image();
    const padded = Buffer.from(JSON.stringify({ ...big.json, annotations: { pad: 'x'.repeat(2000) } }));
    const res = await client.request('/v2/limits/m/manifests/v1', { method: 'PUT', headers: { 'content-type': big.mediaType }, body: padded });
    const body = await assertError(res, 413, 'MANIFEST_INVALID');
    assert.match(String(body.errors[0]?.detail), /1024-byte limit/);
    const chunked = await client.request('/v2/limits/m/manifests/v1', {
      method: 'PUT',
      headers: { 'content-type': big.mediaType },
      body: new Blob([padded]).stream(),
      duplex: 'half',
    });
    await assertError(chunked, 413, 'MANIFEST_INVALID');
  });

  it('closes the connection after refusing a large body it did not read, so the same client goes on', async () => {
    const big = blob(8 * 1024 * 1024); // far more than the socket buffers hold
    for (let i = 0; i < 3; i++) {
      const res = await client.request(`/v2/limits/big/blobs/uploads/?digest=${big.digest}`, { method: 'POST', body: big.bytes });
      await assertError(res, 413, 'SIZE_INVALID');
      assert.equal(res.headers.get('connection'), 'close');
      assert.equal((await client.request('/v2/')).status, 200, 'the next request gets an answer');
    }
  });

  it('refuses a blob over registry.maxBlobBytes with 413, monolithic or chunked', async () => {
    const big = blob(1001);
    const mono = await client.request(`/v2/limits/b/blobs/uploads/?digest=${big.digest}`, { method: 'POST', body: big.bytes });
    await assertError(mono, 413, 'SIZE_INVALID');
    const start = await startUpload('limits/b');
    const location = start.headers.get('location') ?? '';
    const patch = await client.request(location, { method: 'PATCH', headers: { 'content-range': '0-1000' }, body: big.bytes });
    await assertError(patch, 413, 'SIZE_INVALID');
  });

  it('answers headers over http.maxHeaderBytes with 431 and the JSON error body, then closes', async () => {
    const answer = await rawExchange(server.url, `GET /v2/ HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(8192)}\r\n\r\n`);
    assert.equal(answer.timedOut, false);
    assert.equal(answer.status, 431);
    assert.match(answer.headers['content-type'] ?? '', /application\/json/);
    const body = JSON.parse(answer.body) as { errors: { code: string; message: string }[] };
    assert.deepEqual(body.errors[0]?.code, 'UNSUPPORTED');
    assert.equal(body.errors[0]?.message, 'request header fields too large');
    assert.equal((await client.request('/v2/')).status, 200);
  });

  it('answers bytes that are not HTTP with 400 and the JSON error body', async () => {
    const answer = await rawExchange(server.url, 'HELLO THERE\r\n\r\n');
    assert.equal(answer.status, 400);
    assert.equal((JSON.parse(answer.body) as { errors: { message: string }[] }).errors[0]?.message, 'malformed HTTP request');
  });

  it('closes a connection whose request body stalls for http.bodyIdleTimeoutSeconds, discarding the chunk', async () => {
    const start = await startUpload('limits/stall');
    const location = start.headers.get('location') ?? '';
    const socket = await openSocket(server.url);
    socket.on('error', () => undefined);
    socket.write(
      `PATCH ${location} HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\n` +
        'Content-Range: 0-999\r\nContent-Length: 1000\r\n\r\n',
    );
    socket.write(Buffer.alloc(100, 1)); // then nothing more
    await closed(socket, 15_000);

    // The partial chunk is gone: the session is still at offset 0 and takes the whole chunk again.
    const status = await client.request(location);
    assert.equal(status.status, 204);
    assert.equal(status.headers.get('range'), '0-0');
    const full = blob(1000);
    const patch = await client.request(location, { method: 'PATCH', headers: { 'content-range': '0-999' }, body: full.bytes });
    assert.equal(patch.status, 202);
    assert.equal(patch.headers.get('range'), '0-999');
    const put = await client.request(`${location}?digest=${full.digest}`, { method: 'PUT' });
    assert.equal(put.status, 201);
  });
});
