/**
 * The audit log and log hygiene (issue 7, "Hardening"): pushes, deletes and
 * refusals produce one JSON line each naming who, what and the outcome; the
 * 401 a client gets before it logs in does not; and no password, token or
 * `Authorization` value reaches the main log or the audit log, whatever
 * the request carried (headers, `?token=` and `?password=` in URLs).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { RegistryClient } from '../helpers/client.js';
import { blob, image } from '../helpers/builders.js';
import { uploadClient } from '../helpers/uploads.js';
import { basic, USERS, writeHtpasswd } from '../helpers/auth.js';
import { basicAuthorization } from '../../src/auth/credentials.js';
import { createLogger } from '../../src/logging.js';

interface AuditLine {
  audit: boolean;
  action: string;
  user: string;
  ip: string;
  method: string;
  repo?: string;
  reference?: string;
  digest?: string;
  path?: string;
  status: number;
  requestId: string;
  time: string | number;
}

/** A logger built like the real one (same redaction), writing into `text`. */
function capturingLogger(out: { text: string }, level = 'trace'): pino.Logger {
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      out.text += chunk.toString('utf8');
      done();
    },
  });
  return createLogger({ level, format: 'json', destination: sink });
}

const RULES = [{ repositories: 'team/**', allow: { alice: ['pull', 'push', 'delete'], bob: ['pull'] } }];
const WRONG_PASSWORD = 'Wr0ng-passw0rd-for-alice';
const SECRET_TOKEN = 'eyJhbGciOiJFUzI1NiJ9.c2VjcmV0LXRva2VuLWJvZHk.c2lnbmF0dXJlLXNlY3JldA';

describe('audit log', () => {
  let dir: string;
  let server: TestServer;
  let auditFile: string;
  const main = { text: '' };
  const sentAuthorizations = new Set<string>();

  function as(headers: Record<string, string>): RegistryClient {
    if (headers.authorization !== undefined) sentAuthorizations.add(headers.authorization);
    return new RegistryClient(server.url, headers);
  }

  function auditLines(): AuditLine[] {
    return readFileSync(auditFile, 'utf8')
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as AuditLine);
  }

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'berth-audit-'));
    auditFile = join(dir, 'logs', 'audit.log');
    server = await startTestServer({
      logger: capturingLogger(main),
      config: {
        'log.level': 'trace',
        'log.audit': { file: auditFile },
        'auth.mode': 'basic',
        'auth.htpasswd': writeHtpasswd(dir),
        'auth.rules': RULES,
      },
    });
  });
  after(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('records pushes, deletes and refusals with who, what and the outcome', async () => {
    const alice = as(basic('alice'));
    const bob = as(basic('bob'));
    const img = image({ layers: 1 });
    await alice.push('team/app', img, 'v1');
    const denied = await bob.pushManifest('team/app', 'v2', img);
    assert.equal(denied.status, 403);
    const wrong = await as({ authorization: basicAuthorization('alice', WRONG_PASSWORD) }).request('/v2/team/app/manifests/v1');
    assert.equal(wrong.status, 401);
    const bearer = await as({ authorization: `Bearer ${SECRET_TOKEN}` }).request('/v2/');
    assert.equal(bearer.status, 401);
    // The login handshake's first, credential-less 401 is not a refusal worth recording.
    assert.equal((await as({}).request('/v2/')).status, 401);
    const deleted = await alice.request(`/v2/team/app/manifests/${img.digest}`, { method: 'DELETE' });
    assert.equal(deleted.status, 202);

    const lines = auditLines();
    const summary = lines.map((l) => `${l.action} ${l.user} ${l.method} ${l.status} ${l.repo ?? '-'} ${l.reference ?? l.digest ?? l.path ?? '-'}`);
    const blobs = (img.blobs ?? []).map((b) => `push alice PUT 201 team/app ${b.digest}`);
    assert.deepEqual(summary, [
      ...blobs,
      'push alice PUT 201 team/app v1',
      'denied bob PUT 403 team/app v2',
      'denied anonymous GET 401 team/app v1',
      'denied anonymous GET 401 - /v2/',
      `delete alice DELETE 202 team/app ${img.digest}`,
    ]);
    const manifestPush = lines.find((l) => l.reference === 'v1' && l.action === 'push');
    assert.equal(manifestPush?.digest, img.digest, 'a push by tag records the digest stored');
    for (const l of lines) {
      assert.equal(l.audit, true);
      assert.equal(l.ip, '127.0.0.1');
      assert.match(l.requestId, /\S/);
      assert.match(String(l.time), /^\d{4}-\d\d-\d\dT/);
    }
  });

  it('keeps credentials out of the main log and the audit log', async () => {
    const probe = as({});
    await probe.request(`/v2/?token=${SECRET_TOKEN}`);
    await probe.request(`/v2/team/app/tags/list?password=${USERS.carol}&n=1`);
    await as({ authorization: basicAuthorization('dave', USERS.dave) }).request('/v2/', {
      headers: { 'proxy-authorization': `Basic ${Buffer.from(`x:${USERS.bob}`).toString('base64')}`, cookie: `session=${SECRET_TOKEN}` },
    });
    await server.close(); // flushes both logs
    const audit = readFileSync(auditFile, 'utf8');
    assert.ok(main.text.includes('"msg":"request"'), 'the main log has request lines');
    assert.ok(main.text.includes('[redacted]'), 'query credentials are replaced');
    const secrets = [...Object.values(USERS), WRONG_PASSWORD, SECRET_TOKEN];
    for (const authorization of sentAuthorizations) secrets.push(authorization, authorization.replace(/^\S+\s+/, ''));
    for (const secret of secrets) {
      assert.ok(!main.text.includes(secret), `main log contains ${secret}`);
      assert.ok(!audit.includes(secret), `audit log contains ${secret}`);
    }
  });
});

describe('audit log without a file', () => {
  it('writes audit lines into the main log, marked audit: true, even when the main log is quieter', async () => {
    const main = { text: '' };
    const server = await startTestServer({ logger: capturingLogger(main, 'warn'), config: { 'log.audit': {} } });
    try {
      const client = new RegistryClient(server.url);
      const img = image({ layers: 0 });
      await client.push('solo/app', img, 'latest');
    } finally {
      await server.close();
    }
    const audits = main.text
      .split('\n')
      .filter((l) => l.includes('"audit":true'))
      .map((l) => JSON.parse(l) as AuditLine & { msg: string; service: string });
    assert.ok(audits.length >= 1);
    const push = audits.find((l) => l.reference === 'latest');
    assert.equal(push?.user, 'anonymous');
    assert.equal(push.msg, 'audit push');
  });
});

describe('audit log of the token endpoint', () => {
  it('records refused token requests without their passwords', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'berth-audit-token-'));
    const auditFile = join(dir, 'audit.log');
    const main = { text: '' };
    const server = await startTestServer({
      logger: capturingLogger(main),
      config: { 'log.audit': { file: auditFile }, 'auth.mode': 'token', 'auth.htpasswd': writeHtpasswd(dir) },
    });
    try {
      const form = new URLSearchParams({ grant_type: 'password', service: 'berth', client_id: 'test', username: 'alice', password: WRONG_PASSWORD });
      const post = await fetch(`${server.url}/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form.toString() });
      assert.equal(post.status, 400);
      const get = await fetch(`${server.url}/token?service=berth`, { headers: { authorization: basicAuthorization('bob', WRONG_PASSWORD) } });
      assert.equal(get.status, 401);
      const anonymous = await fetch(`${server.url}/token?service=berth`);
      assert.equal(anonymous.status, 200, 'an anonymous token is no refusal');
      await anonymous.arrayBuffer();
    } finally {
      await server.close();
    }
    const audit = readFileSync(auditFile, 'utf8');
    rmSync(dir, { recursive: true, force: true });
    const lines = audit
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as AuditLine);
    assert.deepEqual(
      lines.map((l) => `${l.action} ${l.user} ${l.method} ${l.status} ${l.path ?? '-'}`),
      ['denied anonymous POST 400 /token', 'denied anonymous GET 401 /token'],
    );
    assert.ok(!audit.includes(WRONG_PASSWORD) && !main.text.includes(WRONG_PASSWORD));
  });
});

describe('audit log on a full disk', () => {
  it('keeps serving and says so in the main log when the audit file cannot be written (/dev/full)', async () => {
    const main = { text: '' };
    const server = await startTestServer({ logger: capturingLogger(main), config: { 'log.audit': { file: '/dev/full' } } });
    try {
      const client = new RegistryClient(server.url);
      for (const size of [10, 20, 30]) await uploadClient(client).pushWhole('full/audit', blob(size)); // an audit line each
    } finally {
      await server.close();
    }
    const errors = main.text
      .split('\n')
      .filter((l) => l.includes('audit log /dev/full cannot be written'))
      .map((l) => JSON.parse(l) as { level: number; err: { code: string } });
    assert.ok(errors.length >= 3, `an error for each audit line at least: ${main.text.slice(-2000)}`);
    assert.deepEqual(
      errors.map((e) => [e.level, e.err.code]),
      errors.map(() => [50, 'ENOSPC']),
    );
    assert.match(main.text, /audit log \/dev\/full: lines still waiting were lost at shutdown/);
  });
});
