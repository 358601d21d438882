/**
 * Real clients against token auth (issue 7, "Proof"): Debian's skopeo logs
 * in, pushes, pulls, lists and deletes through berth's Bearer challenge and
 * `/token`, with credentials (`--creds`, `skopeo login`) and anonymously,
 * and is refused where the rules say so.
 *
 * Without skopeo or umoci the suite is skipped with the reason, except under
 * CI=true, where it fails: CI must install them (.ci/run does).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { USERS, writeHtpasswd } from '../helpers/auth.js';
import { createTools, missingTool, type Tools } from './tools.js';

const missing = [missingTool('skopeo'), missingTool('umoci')].filter((m) => m !== undefined);
const inCi = process.env.CI === 'true';

if (missing.length > 0 && inCi) {
  describe('skopeo against token auth', () => {
    it('has skopeo and umoci installed (CI must install them: .ci/run)', () => {
      assert.fail(missing.join('; '));
    });
  });
} else {
  describe('skopeo against token auth', { skip: missing.length > 0 ? missing.join('; ') : false }, suite);
}

const RULES = [
  { repositories: 'team-a/**', allow: { alice: ['pull', 'push', 'delete'], $authenticated: ['pull'] } },
  { repositories: 'public/*', allow: { $anonymous: ['pull'], alice: ['push'] } },
];

function suite(): void {
  let server: TestServer;
  let tools: Tools;
  let work: string;
  let host: string;
  const layout = (): string => `oci:${join(work, 'layout')}:v1`;
  const ref = (repo: string): string => `docker://${host}/${repo}`;
  const creds = (user: 'alice' | 'carol'): string => `${user}:${USERS[user]}`;

  async function fails(args: string[], message: RegExp): Promise<void> {
    await assert.rejects(tools.skopeo(...args), message);
  }

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'berth-auth-skopeo-'));
    tools = createTools(work);
    await tools.umoci('init', '--layout', join(work, 'layout'));
    await tools.umoci('new', '--image', `${join(work, 'layout')}:v1`);
    await tools.umoci('config', '--image', `${join(work, 'layout')}:v1`, '--os', 'linux', '--architecture', 'amd64');
    server = await startTestServer({
      config: { 'auth.mode': 'token', 'auth.htpasswd': writeHtpasswd(work), 'auth.rules': RULES, 'auth.token.service': 'berth-interop' },
    });
    host = new URL(server.url).host;
  });

  after(async () => {
    await server.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('pushes with --dest-creds and pulls with --creds through the token flow', async () => {
    await tools.skopeo('copy', '--dest-tls-verify=false', '--dest-creds', creds('alice'), layout(), ref('team-a/app:v1'));
    await tools.skopeo('copy', '--dest-tls-verify=false', '--dest-creds', creds('alice'), layout(), ref('public/app:v1'));
    const { stdout } = await tools.skopeo('inspect', '--tls-verify=false', '--creds', creds('carol'), ref('team-a/app:v1'));
    assert.equal((JSON.parse(stdout) as { Architecture: string }).Architecture, 'amd64');
    const tags = await tools.skopeo('list-tags', '--tls-verify=false', '--creds', creds('carol'), ref('team-a/app'));
    assert.deepEqual((JSON.parse(tags.stdout) as { Tags: string[] }).Tags, ['v1']);
  });

  it('pulls anonymously where $anonymous may, and is refused elsewhere', async () => {
    const { stdout } = await tools.skopeo('inspect', '--tls-verify=false', '--no-creds', ref('public/app:v1'));
    assert.match(stdout, /"Architecture": "amd64"/);
    await fails(['inspect', '--tls-verify=false', '--no-creds', ref('team-a/app:v1')], /unauthorized|authentication required/i);
  });

  it('is refused a push the rules do not allow, and bad credentials', async () => {
    await fails(
      ['copy', '--dest-tls-verify=false', '--dest-creds', creds('carol'), layout(), ref('team-a/app:v2')],
      /requested access to the resource is denied/,
    );
    await fails(['inspect', '--tls-verify=false', '--creds', 'alice:wrong-password', ref('team-a/app:v1')], /unauthorized|authentication required|invalid username or password/i);
  });

  it('skopeo login stores credentials the next commands use; a wrong password does not log in', async () => {
    const login = await tools.skopeo('login', '--tls-verify=false', '--authfile', tools.authfile, '-u', 'alice', '-p', USERS.alice, host);
    assert.match(login.stdout, /Login Succeeded/);
    const saved = JSON.parse(readFileSync(tools.authfile, 'utf8')) as { auths: Record<string, unknown> };
    assert.ok(saved.auths[host] !== undefined);
    await tools.skopeo('copy', '--dest-tls-verify=false', '--dest-authfile', tools.authfile, layout(), ref('team-a/logged-in:v1'));
    await tools.skopeo('delete', '--tls-verify=false', '--authfile', tools.authfile, ref('team-a/logged-in:v1'));
    await fails(['login', '--tls-verify=false', '--authfile', join(work, 'other-auth.json'), '-u', 'alice', '-p', 'nope', host], /invalid username\/password/i);
  });

  it('deletes only with the delete action', async () => {
    await fails(['delete', '--tls-verify=false', '--creds', creds('carol'), ref('team-a/app:v1')], /requested access to the resource is denied/);
    await tools.skopeo('delete', '--tls-verify=false', '--creds', creds('alice'), ref('team-a/app:v1'));
  });
}
