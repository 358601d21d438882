import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, SignJWT, UnsecuredJWT } from 'jose';
import { GENERATED_KEY_FILE, loadSigningKey, type SigningKey } from './signing-key.js';
import { createTokenService, TokenError, type TokenService, type TokenServiceOptions } from './token-service.js';

const T0 = Date.UTC(2026, 0, 1);
const PULL_APP = [{ type: 'repository', name: 'app', actions: ['pull'] }];

describe('token service', () => {
  let dir: string;
  let key: SigningKey;
  let otherKey: SigningKey;
  let now: number;
  let tokens: TokenService;
  let seq = 0;
  const make = (extra: Partial<TokenServiceOptions> = {}): TokenService =>
    createTokenService({
      service: 'registry.test',
      issuer: 'berth-test',
      key,
      clock: () => now,
      ids: () => `id-${++seq}`,
      ttlSeconds: 300,
      refreshTtlSeconds: 0,
      leewaySeconds: 30,
      ...extra,
    });

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'berth-tokens-'));
    key = await loadSigningKey({ dir: join(dir, 'auth'), generate: 'ES256' });
    otherKey = await loadSigningKey({ dir: join(dir, 'other'), generate: 'ES256' });
    now = T0;
    tokens = make();
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('generates the signing key once, 0600 in a 0700 directory, and reuses it', async () => {
    const file = join(dir, 'auth', GENERATED_KEY_FILE);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(statSync(join(dir, 'auth')).mode & 0o777, 0o700);
    const again = await loadSigningKey({ dir: join(dir, 'auth'), generate: 'RS256' });
    assert.equal(again.kid, key.kid);
    assert.equal(again.alg, 'ES256');
  });

  it('signs access tokens with the claims of jwt.md and verifies them', async () => {
    const issued = await tokens.issueAccess('alice', PULL_APP);
    assert.equal(issued.expiresIn, 300);
    assert.equal(issued.issuedAt, new Date(T0).toISOString());
    assert.deepEqual(decodeProtectedHeader(issued.token), { alg: 'ES256', typ: 'JWT', kid: key.kid });
    const claims = decodeJwt(issued.token);
    assert.deepEqual(
      { ...claims, jti: typeof claims.jti },
      { access: PULL_APP, iss: 'berth-test', sub: 'alice', aud: 'registry.test', iat: T0 / 1000, nbf: T0 / 1000, exp: T0 / 1000 + 300, jti: 'string' },
    );
    assert.deepEqual(await tokens.verifyAccess(issued.token), { subject: 'alice', issuer: 'berth-test', own: true, access: PULL_APP });
  });

  it('refuses an expired token (beyond the leeway) and one not yet valid', async () => {
    const { token } = await tokens.issueAccess('alice', PULL_APP);
    now = T0 + (300 + 29) * 1000;
    await tokens.verifyAccess(token);
    now = T0 + (300 + 31) * 1000;
    await assert.rejects(tokens.verifyAccess(token), (err: unknown) => err instanceof TokenError && /expired/.test(err.message));
    now = T0 - 60_000;
    await assert.rejects(tokens.verifyAccess(token), TokenError);
    now = T0;
  });

  it('refuses a token signed by another key, tampered claims, alg none, HMAC with the public key, and garbage', async () => {
    const foreign = createTokenService({ ...optionsOf(), key: otherKey });
    const { token: forged } = await foreign.issueAccess('alice', PULL_APP);
    await assert.rejects(tokens.verifyAccess(forged), /signature invalid/);

    const { token } = await tokens.issueAccess('alice', PULL_APP);
    const [h, p, s] = token.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString()) as Record<string, unknown>;
    claims.access = [{ type: 'repository', name: 'app', actions: ['pull', 'push', 'delete'] }];
    const tampered = `${h}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${s}`;
    await assert.rejects(tokens.verifyAccess(tampered), /signature invalid/);

    const unsecured = new UnsecuredJWT({ access: PULL_APP })
      .setIssuer('berth-test')
      .setAudience('registry.test')
      .setExpirationTime(T0 / 1000 + 300)
      .encode();
    await assert.rejects(tokens.verifyAccess(unsecured), TokenError);
    await assert.rejects(tokens.verifyAccess(`${unsecured}AAAA`), TokenError);

    const pem = key.publicKey.export({ type: 'spki', format: 'pem' });
    const hmac = await new SignJWT({ access: PULL_APP })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setIssuer('berth-test')
      .setAudience('registry.test')
      .setExpirationTime(T0 / 1000 + 300)
      .sign(Buffer.from(pem));
    await assert.rejects(tokens.verifyAccess(hmac), /algorithm not accepted/);

    for (const garbage of ['', 'abc', 'a.b.c', '....', 'x'.repeat(20000), `${h}.${p}`]) {
      await assert.rejects(tokens.verifyAccess(garbage), TokenError, garbage.slice(0, 20));
    }
  });

  it('refuses a token for another audience or from an untrusted issuer', async () => {
    const elsewhere = createTokenService({ ...optionsOf(), service: 'other.registry' });
    await assert.rejects(tokens.verifyAccess((await elsewhere.issueAccess('alice', PULL_APP)).token), /aud/);
    const stranger = createTokenService({ ...optionsOf(), issuer: 'stranger' });
    await assert.rejects(tokens.verifyAccess((await stranger.issueAccess('alice', PULL_APP)).token), /issuer not trusted/);
  });

  it('refuses a malformed access claim', async () => {
    const bad = await new SignJWT({ access: [{ type: 'repository', name: 'app', actions: 'pull' }] })
      .setProtectedHeader({ alg: 'ES256', typ: 'JWT', kid: key.kid })
      .setIssuer('berth-test')
      .setAudience('registry.test')
      .setExpirationTime(T0 / 1000 + 300)
      .sign(key.privateKey);
    await assert.rejects(tokens.verifyAccess(bad), /access claim is malformed/);
  });

  it('keeps refresh and access tokens apart', async () => {
    const refresh = await tokens.issueRefresh('alice', 'fp1');
    assert.equal(decodeProtectedHeader(refresh).typ, 'berth-refresh+jwt');
    assert.equal(decodeJwt(refresh).exp, undefined, 'refreshTtlSeconds 0: no expiry');
    assert.deepEqual(await tokens.verifyRefresh(refresh), { subject: 'alice', fingerprint: 'fp1' });
    await assert.rejects(tokens.verifyAccess(refresh), TokenError);
    const { token } = await tokens.issueAccess('alice', PULL_APP);
    await assert.rejects(tokens.verifyRefresh(token), TokenError);
    const expiring = make({ refreshTtlSeconds: 60 });
    const short = await expiring.issueRefresh('alice', 'fp');
    now = T0 + 200_000;
    await assert.rejects(expiring.verifyRefresh(short), /expired/);
    now = T0;
  });

  it("trusts an external issuer's keys from a JWKS, and only for its own iss", async () => {
    const external = createTokenService({ ...optionsOf(), issuer: 'corp-sso', key: otherKey });
    const verifier = make({ trusted: [{ issuer: 'corp-sso', keys: createLocalJWKSet({ keys: [otherKey.publicJwk] }) }] });
    const { token } = await external.issueAccess('bob', PULL_APP);
    assert.deepEqual(await verifier.verifyAccess(token), { subject: 'bob', issuer: 'corp-sso', own: false, access: PULL_APP });
    // The external key cannot sign as berth's own issuer.
    const impostor = createTokenService({ ...optionsOf(), key: otherKey });
    await assert.rejects(verifier.verifyAccess((await impostor.issueAccess('bob', PULL_APP)).token), /signature invalid/);
    // Nor can berth's key sign as the external issuer.
    const wrongKey = createTokenService({ ...optionsOf(), issuer: 'corp-sso' });
    await assert.rejects(verifier.verifyAccess((await wrongKey.issueAccess('bob', PULL_APP)).token), /unknown key|signature/);
  });

  function optionsOf(): TokenServiceOptions {
    return {
      service: 'registry.test',
      issuer: 'berth-test',
      key,
      clock: () => now,
      ids: () => `id-${++seq}`,
      ttlSeconds: 300,
      refreshTtlSeconds: 0,
      leewaySeconds: 30,
    };
  }
});

describe('signing keys', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'berth-keys-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('generates RS256 keys on request and signs verifiable tokens with them', async () => {
    const key = await loadSigningKey({ dir: join(dir, 'rsa'), generate: 'RS256' });
    assert.equal(key.alg, 'RS256');
    const tokens = createTokenService({ service: 's', issuer: 'i', key, clock: Date.now, ids: () => 'x', ttlSeconds: 60, refreshTtlSeconds: 0, leewaySeconds: 0 });
    const { token } = await tokens.issueAccess('', []);
    assert.equal(decodeProtectedHeader(token).alg, 'RS256');
    assert.equal((await tokens.verifyAccess(token)).subject, '');
  });

  it('loads a configured PEM key and picks the algorithm from its type', async () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-384' });
    const file = join(dir, 'p384.pem');
    writeFileSync(file, privateKey.export({ type: 'sec1', format: 'pem' }), { mode: 0o600 });
    const key = await loadSigningKey({ file, dir: join(dir, 'unused'), generate: 'ES256' });
    assert.equal(key.alg, 'ES384');
    assert.equal(key.publicJwk.kid, key.kid);
    writeFileSync(join(dir, 'bad.pem'), 'not a key');
    await assert.rejects(loadSigningKey({ file: join(dir, 'bad.pem'), dir, generate: 'ES256' }), /token signing key .*bad\.pem/);
  });
});
