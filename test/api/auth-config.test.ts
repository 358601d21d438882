/**
 * Auth configuration and start-up (issue 7): the loopback-only safety
 * default, `auth: none`, config errors naming the field, non-bcrypt htpasswd
 * lines refused at start, `mode: none` with rules, and no credentials in logs.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { ConfigError, loadConfig } from '../../src/config/load.js';
import { createLogger } from '../../src/logging.js';
import { startServer } from '../../src/server.js';
import { startTestServer } from '../helpers/server.js';
import { assertError, RegistryClient } from '../helpers/client.js';
import { image } from '../helpers/builders.js';
import { basic, bearer, fetchToken, parseChallenge, USERS, writeHtpasswd } from '../helpers/auth.js';

describe('auth configuration', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'berth-auth-config-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const load = (overrides: Record<string, unknown>, env: NodeJS.ProcessEnv = {}): ReturnType<typeof loadConfig> =>
    loadConfig({ env, overrides: { dataDir: dir, ...overrides } });

  it('without an auth section, refuses a non-loopback address in one line', () => {
    for (const listen of ['0.0.0.0:5000', ':5000', '[::]:5000', '192.168.1.10:5000', 'registry.example.com:5000']) {
      assert.throws(
        () => load({ listen }),
        (err: unknown) => {
          assert.ok(err instanceof ConfigError);
          assert.match(err.message, /^refusing to listen on .+ without authentication: configure auth \(mode: basic or token\), or set "auth: \{ mode: none \}"/);
          assert.ok(!err.message.includes('\n'), 'one line');
          return true;
        },
        listen,
      );
    }
  });

  it('listens on loopback addresses without auth, and anywhere once the config says auth: none', () => {
    for (const listen of ['127.0.0.1:5000', 'localhost:5000', '[::1]:5000', '127.0.0.2:0']) assert.equal(load({ listen }).auth, undefined);
    assert.deepEqual(load({ listen: '0.0.0.0:5000', auth: 'none' }).auth?.mode, 'none');
    assert.deepEqual(load({ listen: '0.0.0.0:5000', 'auth.mode': 'none' }).auth?.mode, 'none');
    assert.equal(load({ listen: '0.0.0.0:5000' }, { BERTH_AUTH: 'none' }).auth?.mode, 'none');
    assert.equal(load({ listen: '0.0.0.0:5000', 'auth.mode': 'basic', 'auth.htpasswd': '/etc/berth/htpasswd' }).auth?.mode, 'basic');
  });

  it('`berth serve` refuses to start on 0.0.0.0 without auth, exit 2 and one line', () => {
    const cli = join(import.meta.dirname, '../../src/cli/main.ts');
    const run = spawnSync(process.execPath, ['--import', 'tsx', cli, 'serve', '--listen', '0.0.0.0:0', '--data-dir', dir], {
      encoding: 'utf8',
      timeout: 60_000,
      env: Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('BERTH_'))),
    });
    assert.equal(run.status, 2, run.stderr);
    assert.equal(run.stderr.trim().split('\n').length, 1, run.stderr);
    assert.match(run.stderr, /^berth: refusing to listen on 0\.0\.0\.0:0 without authentication/);
  });

  it('names the bad auth field', () => {
    const bad: [Record<string, unknown>, RegExp][] = [
      [{ 'auth.mode': 'basic' }, /auth\.htpasswd: required with mode basic/],
      [{ 'auth.mode': 'token' }, /auth\.htpasswd: required with mode token/],
      [{ 'auth.mode': 'token', 'auth.token.issue': false }, /auth\.token\.trust: name at least one issuer[\s\S]*auth\.token\.realm: required/],
      [{ 'auth.mode': 'token', 'auth.htpasswd': 'h', 'auth.token.trust': [{ issuer: 'x', jwks: 'http://sso.example.com/jwks' }] }, /auth\.token\.trust\[0\]\.jwks: use an https:\/\/ URL/],
      [{ 'auth.mode': 'basic', 'auth.htpasswd': 'h', 'auth.rules': [{ repositories: 'a/**', allow: { '@ops': ['pull'] } }] }, /auth\.rules\[0\]\.allow\.@ops: no group "ops"/],
      [{ 'auth.mode': 'basic', 'auth.htpasswd': 'h', 'auth.rules': [{ repositories: 'a/**', allow: { bob: ['write'] } }] }, /auth\.rules\.0\.allow\.bob\.0/],
      [{ 'auth.mode': 'basic', 'auth.htpasswd': 'h', 'auth.admins': ['@ops'] }, /auth\.admins\[0\]: no group "ops"/],
      [{ 'auth.mode': 'basic', 'auth.admins': ['root'] }, /auth\.admins: admins sign in with htpasswd credentials/],
      [{ 'auth.mode': 'sometimes' }, /auth\.mode/],
      [{ 'auth.mode': 'basic', 'auth.htpasswd': 'h', 'auth.passwords': 'x' }, /auth\.passwords: unknown option/],
    ];
    for (const [overrides, message] of bad) assert.throws(() => load(overrides), message, JSON.stringify(overrides));
  });

  it('refuses to start with a non-bcrypt htpasswd line, naming the line and the fix', async () => {
    const file = join(dir, 'mixed.htpasswd');
    writeFileSync(file, `# users\nalice:$2y$04$${'a'.repeat(53)}\nbob:$apr1$r31.....$HqJZimcKQFAMYayBlzkrA/\n`);
    const dataDir = mkdtempSync(join(dir, 'data-'));
    await assert.rejects(
      startTestServer({ dataDir, config: { 'auth.mode': 'basic', 'auth.htpasswd': file } }),
      new RegExp(`${file}:3: user "bob" has a Apache MD5 \\(\\$apr1\\$\\) hash; berth accepts only bcrypt .*regenerate with \`berth user add bob --htpasswd ${file}\``),
    );
  });

  it('mode none with rules: every caller is anonymous, refusals are 403 (no login would help)', async () => {
    const server = await startTestServer({
      config: { 'auth.mode': 'none', 'auth.rules': [{ repositories: 'mirror/**', allow: { $anonymous: ['pull'] } }, { repositories: 'scratch/**', allow: { $anonymous: ['pull', 'push'] } }] },
    });
    try {
      const c = new RegistryClient(server.url, basic('alice'));
      await c.push('scratch/app', image(), 'v1');
      assert.equal(c.headers.authorization?.startsWith('Basic '), true);
      const denied = await c.request('/v2/mirror/app/blobs/uploads/', { method: 'POST' });
      assert.equal(denied.headers.get('www-authenticate'), null);
      await assertError(denied, 403, 'DENIED');
      await assertError(await c.request('/v2/scratch/app/manifests/v1', { method: 'DELETE' }), 403, 'DENIED');
    } finally {
      await server.close();
    }
  });

  it('mode none without rules is the open registry', async () => {
    const server = await startTestServer({ config: { auth: 'none' } });
    try {
      const c = new RegistryClient(server.url);
      const img = image();
      await c.push('any/app', img, 'v1');
      assert.equal((await c.request(`/v2/any/app/manifests/${img.digest}`, { method: 'DELETE' })).status, 202);
      assert.deepEqual((await c.getJson<{ repositories: string[] }>('/v2/_catalog')).body.repositories, ['any/app']);
    } finally {
      await server.close();
    }
  });

  it('never logs passwords, tokens or Authorization headers', async () => {
    const lines: string[] = [];
    const sink = new PassThrough();
    sink.on('data', (chunk: Buffer) => lines.push(chunk.toString('utf8')));
    const dataDir = mkdtempSync(join(dir, 'logs-'));
    const config = loadConfig({
      overrides: {
        listen: '127.0.0.1:0',
        dataDir,
        'storage.fsync': false,
        'auth.mode': 'token',
        'auth.htpasswd': writeHtpasswd(dataDir),
        'auth.rules': [{ repositories: '**', allow: { $authenticated: ['pull', 'push'] } }],
      },
    });
    const server = await startServer(config, createLogger({ level: 'trace', format: 'json', destination: sink }));
    const secrets: string[] = [...Object.values(USERS)];
    try {
      const anonymous = new RegistryClient(server.url);
      const challenge = parseChallenge((await anonymous.request('/v2/')).headers.get('www-authenticate'));
      const { body } = await fetchToken(challenge, ['repository:logs/app:pull,push'], 'alice', '&offline_token=true');
      secrets.push(body.token, body.refresh_token ?? 'missing');
      await new RegistryClient(server.url, bearer(body.token)).push('logs/app', image(), 'v1');
      await fetchToken(challenge, ['repository:logs/app:pull'], 'carol');
      await fetch(`${server.url}/token?service=berth`, { headers: { authorization: `Basic ${Buffer.from(`bob:${USERS.carol}`).toString('base64')}` } });
      await fetch(`${server.url}/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'password', username: 'dave', password: USERS.dave, access_type: 'offline' }).toString(),
      });
      await anonymous.request('/v2/logs/app/manifests/v1', { headers: bearer('not.a.token') });
    } finally {
      await server.close();
    }
    const log = lines.join('');
    assert.ok(log.includes('"user":"alice"'), 'request lines name the user');
    for (const secret of secrets) assert.ok(!log.includes(secret), `a secret reached the log: ${secret.slice(0, 12)}…`);
    assert.doesNotMatch(log, /Basic [A-Za-z0-9+/=]{8,}|Bearer [A-Za-z0-9._-]{8,}|authorization/i);
  });
});
