/**
 * Debian's podman against berth with token auth (issue 7, "Proof"): rootful,
 * vfs storage in a temporary directory. `podman login` with the right and a
 * wrong password, push of an umoci-built image with stored credentials and,
 * after `podman logout`, its refusal; `--creds`; anonymous pulls allowed on
 * `public/**` and refused on `team/**`; the pulled layer's file read back.
 *
 * Without podman or umoci the suite is skipped with the reason, except under
 * CI=true, where it fails: CI must install them (.ci/run does).
 */
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { TestServer } from '../helpers/server.js';
import {
  PASSWORD,
  USER,
  buildTestImage,
  containersEnv,
  describeWithTools,
  makeWorkDir,
  run,
  startAuthServer,
  storedDigest,
  type ContainersEnv,
  type RunResult,
  type TestImage,
} from './auth-clients.js';

describeWithTools('podman against token auth', ['podman', 'umoci'], () => {
  let server: TestServer | undefined;
  let work: string | undefined;
  let cfg: ContainersEnv;
  let image: TestImage;
  let host: string;
  const ref = (repoTag: string): string => `${host}/${repoTag}`;
  const podman = (...args: string[]): Promise<RunResult> => run('podman', args, cfg.env, work ?? '/');
  const auths = (): Record<string, unknown> =>
    (JSON.parse(readFileSync(cfg.authfile, 'utf8')) as { auths?: Record<string, unknown> }).auths ?? {};

  /** `podman push` to berth; returns the digest podman reports. */
  async function push(local: string, repoTag: string, ...flags: string[]): Promise<string> {
    const digestfile = join(work ?? '', `digest-${repoTag.replace(/[/:]/g, '_')}`);
    await podman('push', '--signature-policy', cfg.policy, '--digestfile', digestfile, ...flags, local, ref(repoTag));
    return readFileSync(digestfile, 'utf8').trim();
  }
  const pull = (repoTag: string, ...flags: string[]): Promise<RunResult> =>
    podman('pull', '--signature-policy', cfg.policy, ...flags, ref(repoTag));

  before(async () => {
    work = makeWorkDir('berth-auth-podman-');
    image = await buildTestImage(work);
    server = await startAuthServer(work);
    host = new URL(server.url).host;
    cfg = containersEnv(join(work, 'podman'), host);
    // Offline: the image comes from the umoci layout, not from a registry;
    // podman prints the ID of the image it stored last.
    const { stdout } = await podman('pull', '--signature-policy', cfg.policy, `oci:${image.layout}:${image.tag}`);
    await podman('tag', stdout.trim().split('\n').pop() ?? '', 'localhost/app:v1');
  });

  after(async () => {
    await server?.close();
    if (work !== undefined) rmSync(work, { recursive: true, force: true });
  });

  it('podman login refuses a wrong password and stores nothing', async () => {
    await assert.rejects(podman('login', '-u', USER, '-p', 'wrong-password', host), /invalid username\/password/i);
    assert.equal(auths()[host], undefined);
  });

  it('podman login stores credentials; podman push uses them through the token flow', async () => {
    const login = await podman('login', '-u', USER, '-p', PASSWORD, host);
    assert.match(login.stdout, /Login Succeeded/);
    assert.ok(auths()[host] !== undefined, 'auth file holds the registry');
    const digest = await push('localhost/app:v1', 'team/app:v1');
    assert.equal(await storedDigest(server as TestServer, 'team/app', 'v1'), digest, 'berth serves what podman pushed');
    const publicDigest = await push('localhost/app:v1', 'public/app:v1');
    assert.equal(await storedDigest(server as TestServer, 'public/app', 'v1'), publicDigest);
  });

  it('after podman logout a push is refused; --creds pushes again', async () => {
    await podman('logout', host);
    assert.equal(auths()[host], undefined);
    await assert.rejects(push('localhost/app:v1', 'team/app:v2'), /denied|unauthorized|authentication required/i);
    assert.equal(await storedDigest(server as TestServer, 'team/app', 'v2'), undefined, 'nothing was tagged');
    const digest = await push('localhost/app:v1', 'team/app:v3', '--creds', `${USER}:${PASSWORD}`);
    assert.equal(await storedDigest(server as TestServer, 'team/app', 'v3'), digest);
  });

  it('anonymous podman pull works on public/** and is refused on team/**', async () => {
    await podman('rmi', '--all', '--force');
    await pull('public/app:v1');
    await podman('image', 'exists', ref('public/app:v1'));
    await assert.rejects(pull('team/app:v1'), /denied|unauthorized|authentication required/i);
    await assert.rejects(podman('image', 'exists', ref('team/app:v1')));
  });

  it('podman pull --creds of team/** brings the layer back intact', async () => {
    await pull('team/app:v1', '--creds', `${USER}:${PASSWORD}`);
    const { stdout: mount } = await podman('image', 'mount', ref('team/app:v1'));
    try {
      assert.equal(readFileSync(join(mount.trim(), image.file.path), 'utf8'), image.file.content);
    } finally {
      await podman('image', 'unmount', ref('team/app:v1'));
    }
  });
});
