/**
 * Docker token authentication end to end over HTTP (docker-auth token.md,
 * jwt.md, oauth.md, scope.md; issue 7): challenges, the token endpoint
 * (GET with Basic or anonymously, POST password and refresh grants), and
 * the token edge cases: another repository, expiry, wrong signature, `none`,
 * tampered claims, garbage.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT, UnsecuredJWT } from 'jose';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { assertError, RegistryClient } from '../helpers/client.js';
import { image, type Pushable } from '../helpers/builders.js';
import { accessOf, basic, bearer, fetchToken, parseChallenge, USERS, writeHtpasswd, type Challenge, type TokenBody } from '../helpers/auth.js';

const SERVICE = 'berth.test';
const RULES = [
  { repositories: 'team-a/**', allow: { alice: ['pull', 'push', 'delete'], $authenticated: ['pull'] } },
  { repositories: 'public/*', allow: { $anonymous: ['pull'], alice: ['push'] } },
];

describe('token auth', () => {
  let dir: string;
  let server: TestServer;
  let anonymous: RegistryClient;
  let now = Date.UTC(2026, 5, 1);
  let img: Pushable;
  let challenge: Challenge;

  async function tokenFor(scopes: string[], user?: 'alice' | 'bob' | 'carol'): Promise<string> {
    const { res, body } = await fetchToken(challenge, scopes, user);
    assert.equal(res.status, 200, JSON.stringify(body));
    return body.token;
  }

  async function post(form: Record<string, string>, contentType = 'application/x-www-form-urlencoded'): Promise<{ res: Response; body: TokenBody & { error?: string } }> {
    const res = await fetch(`${server.url}/token`, { method: 'POST', headers: { 'content-type': contentType }, body: new URLSearchParams(form).toString() });
    return { res, body: (await res.json()) as TokenBody & { error?: string } };
  }

  async function assertBearerChallenge(res: Response, scope: string | undefined, error?: string): Promise<void> {
    const c = parseChallenge(res.headers.get('www-authenticate'));
    assert.equal(c.scheme, 'Bearer');
    assert.equal(c.params.realm, `${server.url}/token`);
    assert.equal(c.params.service, SERVICE);
    assert.equal(c.params.scope, scope);
    assert.equal(c.params.error, error);
    await assertError(res, 401, 'UNAUTHORIZED');
  }

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'berth-auth-token-'));
    server = await startTestServer({
      clock: () => now,
      config: {
        'auth.mode': 'token',
        'auth.htpasswd': writeHtpasswd(dir),
        'auth.rules': RULES,
        'auth.admins': ['alice'],
        'auth.token.service': SERVICE,
        'auth.token.ttlSeconds': 300,
        'auth.token.leewaySeconds': 10,
      },
    });
    anonymous = new RegistryClient(server.url);
    challenge = parseChallenge((await anonymous.request('/v2/')).headers.get('www-authenticate'));
    img = image();
    const push = new RegistryClient(server.url, bearer(await tokenFor(['repository:team-a/app:pull,push', 'repository:public/app:pull,push'], 'alice')));
    await push.push('team-a/app', img, 'v1');
    await push.push('public/app', img, 'v1');
  });
  after(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('challenges with realm, service and the scope the request needs', async () => {
    await assertBearerChallenge(await anonymous.request('/v2/'), undefined);
    await assertBearerChallenge(await anonymous.request('/v2/team-a/app/manifests/v1'), 'repository:team-a/app:pull');
    await assertBearerChallenge(await anonymous.request('/v2/team-a/app/blobs/uploads/', { method: 'POST' }), 'repository:team-a/app:pull,push');
    await assertBearerChallenge(await anonymous.request(`/v2/team-a/app/manifests/${img.digest}`, { method: 'DELETE' }), 'repository:team-a/app:delete');
    await assertBearerChallenge(await anonymous.request('/v2/_catalog'), 'registry:catalog:*');
    // Basic credentials are not a token: the client is sent to the token endpoint.
    await assertBearerChallenge(await anonymous.request('/v2/team-a/app/manifests/v1', { headers: basic('alice') }), 'repository:team-a/app:pull');
  });

  it('operator endpoints take an admin’s Basic credentials (a scraper cannot run the token flow); tokens do not open them', async () => {
    const token = await tokenFor(['repository:team-a/app:pull'], 'alice');
    for (const path of ['/metrics', '/v2/_berth/webhooks']) {
      const res = await anonymous.request(path, { headers: basic('alice') });
      assert.equal(res.status, 200, path);
      await res.arrayBuffer();
      const anon = await anonymous.request(path);
      assert.equal(anon.headers.get('www-authenticate'), 'Basic realm="berth", charset="UTF-8"');
      await assertError(anon, 401, 'UNAUTHORIZED');
      await assertError(await anonymous.request(path, { headers: bearer(token) }), 401, 'UNAUTHORIZED');
      await assertError(await anonymous.request(path, { headers: basic('carol') }), 403, 'DENIED');
    }
  });

  it('runs the whole flow: 401 challenge → GET /token with Basic credentials → Bearer request succeeds', async () => {
    const first = await anonymous.request('/v2/team-a/app/manifests/v1');
    assert.equal(first.status, 401);
    const c = parseChallenge(first.headers.get('www-authenticate'));
    const { res, body } = await fetchToken(c, [c.params.scope ?? ''], 'carol');
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('cache-control'), 'no-store');
    assert.equal(body.access_token, body.token);
    assert.equal(body.expires_in, 300);
    assert.equal(body.issued_at, new Date(now).toISOString());
    assert.deepEqual(accessOf(body.token), [{ type: 'repository', name: 'team-a/app', actions: ['pull'] }]);
    const again = await anonymous.request('/v2/team-a/app/manifests/v1', { headers: bearer(body.token) });
    assert.equal(again.status, 200);
    assert.equal(again.headers.get('docker-content-digest'), img.digest);
  });

  it('grants only what policy allows of what was asked (less is not an error)', async () => {
    const carol = await tokenFor(['repository:team-a/app:pull,push,delete', 'repository:elsewhere/x:pull', 'repository:team-a/app:*'], 'carol');
    assert.deepEqual(accessOf(carol), [{ type: 'repository', name: 'team-a/app', actions: ['pull'] }, { type: 'repository', name: 'elsewhere/x', actions: [] }]);
    const alice = await tokenFor(['repository:team-a/app:*'], 'alice');
    assert.deepEqual(accessOf(alice), [{ type: 'repository', name: 'team-a/app', actions: ['pull', 'push', 'delete'] }]);
    const anon = await tokenFor(['repository:public/app:pull,push', 'repository:team-a/app:pull']);
    assert.deepEqual(accessOf(anon), [
      { type: 'repository', name: 'public/app', actions: ['pull'] },
      { type: 'repository', name: 'team-a/app', actions: [] },
    ]);
    assert.equal((await anonymous.request('/v2/public/app/manifests/v1', { headers: bearer(anon) })).status, 200);
    assert.equal((await anonymous.request('/v2/', { headers: bearer(anon) })).status, 200, 'an anonymous token may ping');
  });

  it('a token for repository A does not open repository B (401 insufficient_scope)', async () => {
    const token = await tokenFor(['repository:public/app:pull'], 'alice');
    await assertBearerChallenge(
      await anonymous.request('/v2/team-a/app/manifests/v1', { headers: bearer(token) }),
      'repository:team-a/app:pull',
      'insufficient_scope',
    );
  });

  it('a pull token cannot push: 401 when policy would allow it, 403 DENIED when policy forbids it', async () => {
    const alicePull = await tokenFor(['repository:team-a/app:pull'], 'alice');
    await assertBearerChallenge(
      await anonymous.request('/v2/team-a/app/blobs/uploads/', { method: 'POST', headers: bearer(alicePull) }),
      'repository:team-a/app:pull,push',
      'insufficient_scope',
    );
    const carol = await tokenFor(['repository:team-a/app:pull,push,delete'], 'carol');
    await assertError(await anonymous.request('/v2/team-a/app/blobs/uploads/', { method: 'POST', headers: bearer(carol) }), 403, 'DENIED');
    await assertError(await anonymous.request(`/v2/team-a/app/manifests/${img.digest}`, { method: 'DELETE', headers: bearer(carol) }), 403, 'DENIED');
  });

  it('refuses an expired token, and accepts it again within the leeway', async () => {
    const token = await tokenFor(['repository:team-a/app:pull'], 'alice');
    const start = now;
    now = start + (300 + 5) * 1000;
    assert.equal((await anonymous.request('/v2/team-a/app/manifests/v1', { headers: bearer(token) })).status, 200);
    now = start + (300 + 11) * 1000;
    await assertBearerChallenge(await anonymous.request('/v2/team-a/app/manifests/v1', { headers: bearer(token) }), 'repository:team-a/app:pull', 'invalid_token');
    now = start;
  });

  it('refuses a wrong signature, alg none, tampered claims and garbage', async () => {
    const claims = { access: [{ type: 'repository', name: 'team-a/app', actions: ['pull', 'push', 'delete'] }] };
    const exp = Math.floor(now / 1000) + 300;
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const forged = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'ES256', typ: 'JWT' })
      .setIssuer('berth')
      .setAudience(SERVICE)
      .setSubject('alice')
      .setExpirationTime(exp)
      .sign(privateKey);
    const none = new UnsecuredJWT(claims).setIssuer('berth').setAudience(SERVICE).setSubject('alice').setExpirationTime(exp).encode();
    const real = await tokenFor(['repository:team-a/app:pull'], 'carol');
    const [h, , s] = real.split('.');
    const tampered = `${h}.${Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(real.split('.')[1] ?? '', 'base64url').toString()), ...claims, sub: 'alice' })).toString('base64url')}.${s}`;
    for (const bad of [forged, none, tampered, 'garbage', 'a.b.c', `${real}x`, '%%%.%%%.%%%']) {
      await assertBearerChallenge(
        await anonymous.request('/v2/team-a/app/manifests/v1', { headers: bearer(bad) }),
        'repository:team-a/app:pull',
        'invalid_token',
      );
    }
    // None of them allowed a write either.
    await assertBearerChallenge(
      await anonymous.request('/v2/team-a/app/blobs/uploads/', { method: 'POST', headers: bearer(tampered) }),
      'repository:team-a/app:pull,push',
      'invalid_token',
    );
  });

  it('GET /token refuses wrong credentials (401 Basic), another service and malformed scopes (400)', async () => {
    const wrong = await fetch(`${server.url}/token?service=${SERVICE}&scope=repository:team-a/app:pull`, {
      headers: { authorization: `Basic ${Buffer.from('alice:wrong').toString('base64')}` },
    });
    assert.equal(wrong.headers.get('www-authenticate'), 'Basic realm="berth", charset="UTF-8"');
    await assertError(wrong, 401, 'UNAUTHORIZED');
    await assertError(await fetch(`${server.url}/token?service=other&scope=repository:a:pull`, { headers: basic('alice') }), 400, 'UNSUPPORTED');
    await assertError(await fetch(`${server.url}/token?service=${SERVICE}&scope=nonsense`, { headers: basic('alice') }), 400, 'UNSUPPORTED');
  });

  it('GET /token with offline_token=true returns a refresh token that POST /token exchanges for new scopes', async () => {
    const { body } = await fetchToken(challenge, ['repository:team-a/app:pull'], 'alice', '&offline_token=true&client_id=test');
    assert.ok(body.refresh_token !== undefined);
    assert.equal((await fetchToken(challenge, [], 'alice')).body.refresh_token, undefined, 'only when asked');
    const refreshed = await post({ grant_type: 'refresh_token', refresh_token: body.refresh_token, service: SERVICE, client_id: 'test', scope: 'repository:team-a/app:pull,push' });
    assert.equal(refreshed.res.status, 200);
    assert.equal(refreshed.body.refresh_token, body.refresh_token, 'oauth.md: the same refresh token, not a new one');
    assert.equal(refreshed.body.scope, 'repository:team-a/app:pull,push');
    assert.deepEqual(accessOf(refreshed.body.access_token), [{ type: 'repository', name: 'team-a/app', actions: ['pull', 'push'] }]);
    // A refresh token is not an access token.
    await assertBearerChallenge(await anonymous.request('/v2/team-a/app/manifests/v1', { headers: bearer(body.refresh_token) }), 'repository:team-a/app:pull', 'invalid_token');
  });

  it('POST /token password grant: access token, refresh token only with access_type=offline', async () => {
    const online = await post({ grant_type: 'password', username: 'alice', password: USERS.alice, service: SERVICE, client_id: 'test', scope: 'repository:team-a/app:pull registry:catalog:*' });
    assert.equal(online.res.status, 200);
    assert.equal(online.res.headers.get('cache-control'), 'no-store');
    assert.equal(online.body.access_token, online.body.token);
    assert.equal(online.body.refresh_token, undefined);
    assert.equal(online.body.scope, 'repository:team-a/app:pull registry:catalog:*');
    assert.equal(online.body.expires_in, 300);
    const offline = await post({ grant_type: 'password', username: 'alice', password: USERS.alice, service: SERVICE, client_id: 'test', access_type: 'offline' });
    assert.equal(offline.res.status, 200);
    assert.ok(offline.body.refresh_token !== undefined);
    assert.equal(offline.body.scope, '');
  });

  it('POST /token errors use the OAuth2 format', async () => {
    const wrong = await post({ grant_type: 'password', username: 'alice', password: 'nope', service: SERVICE });
    assert.deepEqual([wrong.res.status, wrong.body.error], [400, 'invalid_grant']);
    const unknownUser = await post({ grant_type: 'password', username: 'mallory', password: 'nope', service: SERVICE });
    assert.deepEqual([unknownUser.res.status, unknownUser.body.error], [400, 'invalid_grant']);
    const grant = await post({ grant_type: 'client_credentials' });
    assert.deepEqual([grant.res.status, grant.body.error], [400, 'unsupported_grant_type']);
    const type = await post({ grant_type: 'password' }, 'application/json');
    assert.deepEqual([type.res.status, type.body.error], [400, 'invalid_request']);
    const refresh = await post({ grant_type: 'refresh_token', refresh_token: 'garbage' });
    assert.deepEqual([refresh.res.status, refresh.body.error], [400, 'invalid_grant']);
    const big = await post({ grant_type: 'password', username: 'alice', password: 'x'.repeat(9000) });
    assert.deepEqual([big.res.status, big.body.error], [413, 'invalid_request']);
  });

  it('a password change ends the refresh tokens issued before it', async () => {
    const { body } = await post({ grant_type: 'password', username: 'bob', password: USERS.bob, service: SERVICE, access_type: 'offline' });
    const refresh = { grant_type: 'refresh_token', refresh_token: body.refresh_token ?? '', service: SERVICE };
    assert.equal((await post(refresh)).res.status, 200);
    writeHtpasswd(dir, { ...USERS, bob: 'a-new-password' });
    now += 2000; // the htpasswd file is re-checked at most once a second
    const after = await post(refresh);
    assert.deepEqual([after.res.status, after.body.error], [400, 'invalid_grant']);
  });

  it('the catalog needs registry:catalog:* and lists only what the subject may pull', async () => {
    const carolNoScope = await tokenFor(['repository:team-a/app:pull'], 'carol');
    await assertBearerChallenge(await anonymous.request('/v2/_catalog', { headers: bearer(carolNoScope) }), 'registry:catalog:*', 'insufficient_scope');
    const carol = await tokenFor(['registry:catalog:*'], 'carol');
    const { body } = await anonymous.getJson<{ repositories: string[] }>('/v2/_catalog', { headers: bearer(carol) });
    assert.deepEqual(body.repositories, ['public/app', 'team-a/app']);
    const anon = await tokenFor(['registry:catalog:*']);
    assert.deepEqual((await anonymous.getJson<{ repositories: string[] }>('/v2/_catalog', { headers: bearer(anon) })).body.repositories, ['public/app']);
  });

  it('mount needs pull on the source in the token; without it, a plain upload (202)', async () => {
    const layer = img.blobs?.[1]?.digest ?? '';
    const url = `/v2/team-a/mounted/blobs/uploads/?mount=${layer}&from=public/app`;
    const withSource = await tokenFor(['repository:team-a/mounted:pull,push', 'repository:public/app:pull'], 'alice');
    assert.equal((await anonymous.request(url, { method: 'POST', headers: bearer(withSource) })).status, 201);
    const withoutSource = await tokenFor(['repository:team-a/mounted2:pull,push'], 'alice');
    const res = await anonymous.request(url.replace('mounted/', 'mounted2/'), { method: 'POST', headers: bearer(withoutSource) });
    assert.equal(res.status, 202);
    assert.equal((await anonymous.request(`/v2/team-a/mounted2/blobs/${layer}`, { method: 'HEAD', headers: bearer(withoutSource) })).status, 404);
  });
});

describe('token auth with an external issuer', () => {
  let dir: string;
  let server: TestServer;
  let sign: (claims: Record<string, unknown>, issuer?: string) => Promise<string>;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'berth-auth-external-'));
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const jwk = { ...publicKey.export({ format: 'jwk' }), kid: 'corp-1', alg: 'ES256', use: 'sig' };
    writeFileSync(join(dir, 'jwks.json'), JSON.stringify({ keys: [jwk] }));
    sign = (claims, issuer = 'https://sso.corp.example') =>
      new SignJWT(claims)
        .setProtectedHeader({ alg: 'ES256', typ: 'JWT', kid: 'corp-1' })
        .setIssuer(issuer)
        .setAudience('registry.corp.example')
        .setSubject('svc-deploy')
        .setIssuedAt()
        .setExpirationTime('5m')
        .sign(privateKey);
    server = await startTestServer({
      config: {
        'auth.mode': 'token',
        'auth.token.issue': false,
        'auth.token.service': 'registry.corp.example',
        'auth.token.realm': 'https://sso.corp.example/registry-token',
        'auth.token.trust': [{ issuer: 'https://sso.corp.example', jwks: join(dir, 'jwks.json') }],
      },
    });
  });
  after(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("sends clients to the issuer's realm and serves no /token itself", async () => {
    const res = await fetch(`${server.url}/v2/corp/app/manifests/v1`);
    assert.equal(
      res.headers.get('www-authenticate'),
      'Bearer realm="https://sso.corp.example/registry-token",service="registry.corp.example",scope="repository:corp/app:pull"',
    );
    await assertError(res, 401, 'UNAUTHORIZED');
    assert.equal((await fetch(`${server.url}/token`)).status, 404);
  });

  it("accepts the issuer's tokens for exactly their access claim", async () => {
    const token = await sign({ access: [{ type: 'repository', name: 'corp/app', actions: ['pull', 'push'] }] });
    const client = new RegistryClient(server.url, bearer(token));
    await client.push('corp/app', image(), 'v1');
    assert.equal((await client.request('/v2/corp/app/manifests/v1')).status, 200);
    const other = await client.request('/v2/corp/other/manifests/v1');
    assert.match(other.headers.get('www-authenticate') ?? '', /error="insufficient_scope"/);
    await assertError(other, 401, 'UNAUTHORIZED');
  });

  it('refuses the same key signing as another issuer', async () => {
    const token = await sign({ access: [{ type: 'repository', name: 'corp/app', actions: ['pull'] }] }, 'https://evil.example');
    const res = await fetch(`${server.url}/v2/corp/app/manifests/v1`, { headers: bearer(token) });
    assert.match(res.headers.get('www-authenticate') ?? '', /error="invalid_token"/);
    await assertError(res, 401, 'UNAUTHORIZED');
  });
});
