/**
 * Debian's buildah against berth with token auth (issue 7, "Proof"):
 * rootful, vfs storage in a temporary directory. `buildah login` with the
 * right and a wrong password; a working container from an umoci-built
 * image (`buildah from oci:…`) gets a file and is committed; `buildah push`
 * with stored credentials, refused after `buildah logout`, and with
 * `--creds`; anonymous `buildah pull` allowed on `public/**` and refused on
 * `team/**`; the committed file read back from a pulled image.
 *
 * Without buildah or umoci the suite is skipped with the reason, except
 * under CI=true, where it fails: CI must install them (.ci/run does).
 */
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
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

const ADDED = { path: 'etc/berth/added-by-buildah.txt', content: 'committed by buildah\n' };

describeWithTools('buildah against token auth', ['buildah', 'umoci'], () => {
  let server: TestServer | undefined;
  let work: string | undefined;
  let cfg: ContainersEnv;
  let image: TestImage;
  let host: string;
  const ref = (repoTag: string): string => `${host}/${repoTag}`;
  const buildah = (...args: string[]): Promise<RunResult> => run('buildah', args, cfg.env, work ?? '/');
  const auths = (): Record<string, unknown> =>
    (JSON.parse(readFileSync(cfg.authfile, 'utf8')) as { auths?: Record<string, unknown> }).auths ?? {};

  /** `buildah push` of the committed image to berth; returns the digest buildah reports. */
  async function push(repoTag: string, ...flags: string[]): Promise<string> {
    const digestfile = join(work ?? '', `digest-${repoTag.replace(/[/:]/g, '_')}`);
    await buildah(
      'push',
      '--signature-policy',
      cfg.policy,
      '--digestfile',
      digestfile,
      ...flags,
      'localhost/built:v1',
      `docker://${ref(repoTag)}`,
    );
    return readFileSync(digestfile, 'utf8').trim();
  }
  // buildah 1.28's login ignores registries.conf's `insecure` (push and pull
  // honour it), so it is told so itself.
  const login = (user: string, password: string): Promise<RunResult> =>
    buildah('login', '--tls-verify=false', '-u', user, '-p', password, host);
  const pull = (repoTag: string, ...flags: string[]): Promise<RunResult> =>
    buildah('pull', '--signature-policy', cfg.policy, ...flags, ref(repoTag));

  before(async () => {
    work = makeWorkDir('berth-auth-buildah-');
    image = await buildTestImage(work);
    server = await startAuthServer(work);
    host = new URL(server.url).host;
    cfg = containersEnv(join(work, 'buildah'), host);
    // Offline: the base comes from the umoci layout; buildah adds a layer
    // without running anything in the container.
    const { stdout } = await buildah('from', '--signature-policy', cfg.policy, `oci:${image.layout}:${image.tag}`);
    const container = stdout.trim().split('\n').pop() ?? '';
    writeFileSync(join(work, 'added.txt'), ADDED.content);
    await buildah('copy', container, join(work, 'added.txt'), `/${ADDED.path}`);
    await buildah('config', '--label', 'org.opencontainers.image.title=berth-auth-buildah', container);
    await buildah('commit', '--signature-policy', cfg.policy, container, 'localhost/built:v1');
    await buildah('rm', container);
  });

  after(async () => {
    await server?.close();
    if (work !== undefined) rmSync(work, { recursive: true, force: true });
  });

  it('buildah login refuses a wrong password and stores nothing', async () => {
    await assert.rejects(login(USER, 'wrong-password'), /invalid username\/password/i);
    assert.equal(auths()[host], undefined);
  });

  it('buildah login stores credentials; buildah push uses them through the token flow', async () => {
    const { stdout } = await login(USER, PASSWORD);
    assert.match(stdout, /Login Succeeded/);
    assert.ok(auths()[host] !== undefined, 'auth file holds the registry');
    const digest = await push('team/built:v1');
    assert.equal(
      await storedDigest(server as TestServer, 'team/built', 'v1'),
      digest,
      'berth serves what buildah pushed',
    );
    const publicDigest = await push('public/built:v1');
    assert.equal(await storedDigest(server as TestServer, 'public/built', 'v1'), publicDigest);
  });

  it('after buildah logout a push is refused; --creds pushes again', async () => {
    await buildah('logout', host);
    assert.equal(auths()[host], undefined);
    await assert.rejects(push('team/built:v2'), /denied|unauthorized|authentication required/i);
    assert.equal(await storedDigest(server as TestServer, 'team/built', 'v2'), undefined, 'nothing was tagged');
    await assert.rejects(
      push('team/built:v2', '--creds', `${USER}:wrong-password`),
      /unauthorized|authentication required|invalid username/i,
    );
    const digest = await push('team/built:v3', '--creds', `${USER}:${PASSWORD}`);
    assert.equal(await storedDigest(server as TestServer, 'team/built', 'v3'), digest);
  });

  it('anonymous buildah pull works on public/** and is refused on team/**', async () => {
    await buildah('rmi', '--all', '--force');
    await pull('public/built:v1');
    await assert.rejects(pull('team/built:v1'), /denied|unauthorized|authentication required/i);
    const { stdout } = await buildah('images', '--format', '{{.Name}}:{{.Tag}}');
    assert.deepEqual(stdout.trim().split('\n'), [ref('public/built:v1')]);
  });

  it('buildah from with --creds pulls team/** and holds both layers', async () => {
    const { stdout } = await buildah(
      'from',
      '--signature-policy',
      cfg.policy,
      '--creds',
      `${USER}:${PASSWORD}`,
      ref('team/built:v1'),
    );
    const container = stdout.trim().split('\n').pop() ?? '';
    const { stdout: mount } = await buildah('mount', container);
    try {
      const root = mount.trim();
      assert.equal(readFileSync(join(root, image.file.path), 'utf8'), image.file.content, 'umoci layer');
      assert.equal(readFileSync(join(root, ADDED.path), 'utf8'), ADDED.content, 'buildah layer');
    } finally {
      await buildah('umount', container);
      await buildah('rm', container);
    }
  });
});
