/**
 * Debian's containerd `ctr` against berth with token auth (issue 7,
 * "Proof"). The test runs its own containerd (root, state, socket and
 * plugin dirs under a temporary directory; CRI off; native snapshotter, so
 * no overlay support is needed), imports an umoci-built image from an OCI
 * tar, and shows: `ctr images push --user` lands it byte-exact, a push
 * without `--user` or with a wrong password is refused, `ctr images pull
 * --user` of `team/**` works and without `--user` is refused, and an
 * anonymous pull of `public/**` works.
 *
 * Without ctr, containerd or umoci the suite is skipped with the reason,
 * except under CI=true, where it fails: CI must install them (.ci/run does).
 */
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, openSync, closeSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { TestServer } from '../helpers/server.js';
import {
  PASSWORD,
  USER,
  buildTestImage,
  describeWithTools,
  makeWorkDir,
  run,
  startAuthServer,
  storedDigest,
  type RunResult,
  type TestImage,
} from './auth-clients.js';

const STARTUP_TIMEOUT_MS = 30_000;
const SHUTDOWN_TIMEOUT_MS = 10_000;

describeWithTools('ctr (containerd) against token auth', ['ctr', 'containerd', 'umoci'], () => {
  let server: TestServer | undefined;
  let work: string | undefined;
  let containerd: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  let socket: string;
  let logFile: string;
  let image: TestImage;
  let host: string;
  let env: NodeJS.ProcessEnv;
  const ref = (repoTag: string): string => `${host}/${repoTag}`;
  const ctr = (...args: string[]): Promise<RunResult> =>
    run('ctr', ['--address', socket, '--namespace', 'berth-test', ...args], env, work ?? '/');
  const user = `${USER}:${PASSWORD}`;
  const push = (repoTag: string, ...flags: string[]): Promise<RunResult> =>
    ctr('images', 'push', '--plain-http', ...flags, ref(repoTag));
  const pull = (repoTag: string, ...flags: string[]): Promise<RunResult> =>
    ctr('images', 'pull', '--plain-http', '--snapshotter', 'native', ...flags, ref(repoTag));
  /** Local image names in containerd. */
  const localImages = async (): Promise<string[]> =>
    (await ctr('images', 'ls', '--quiet')).stdout.split('\n').filter((l) => l !== '');

  /** Starts containerd with everything under `dir` and waits (bounded) until it answers. */
  async function startContainerd(dir: string): Promise<void> {
    socket = join(dir, 'containerd.sock');
    const config = join(dir, 'config.toml');
    writeFileSync(
      config,
      [
        'version = 2',
        `root = "${join(dir, 'root')}"`,
        `state = "${join(dir, 'state')}"`,
        'disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.btrfs"]',
        '[grpc]',
        `  address = "${socket}"`,
        '[ttrpc]',
        `  address = "${socket}.ttrpc"`,
        '[plugins."io.containerd.internal.v1.opt"]',
        `  path = "${join(dir, 'opt')}"`,
        '',
      ].join('\n'),
    );
    logFile = join(dir, 'containerd.log');
    const log = openSync(logFile, 'w');
    const child = spawn('containerd', ['--config', config], { env, stdio: ['ignore', log, log] });
    closeSync(log);
    containerd = child;
    exited = new Promise((resolve) => child.once('exit', () => resolve()));
    let gone = false;
    void exited.then(() => (gone = true));
    const deadline = Date.now() + STARTUP_TIMEOUT_MS;
    for (;;) {
      if (gone) throw new Error(`containerd exited at start-up:\n${readFileSync(logFile, 'utf8').slice(-4000)}`);
      try {
        await run('ctr', ['--address', socket, '--timeout', '2s', 'version'], env, dir);
        return;
      } catch (err) {
        if (Date.now() > deadline) {
          throw new Error(
            `containerd did not answer within ${STARTUP_TIMEOUT_MS} ms: ${String(err)}\n${readFileSync(logFile, 'utf8').slice(-4000)}`,
          );
        }
        await sleep(200);
      }
    }
  }

  async function stopContainerd(): Promise<void> {
    if (containerd === undefined || containerd.exitCode !== null || containerd.signalCode !== null) return;
    containerd.kill('SIGTERM');
    // The timer is cancelled once containerd is gone, so it keeps nothing alive.
    const timer = new AbortController();
    const stopped = await Promise.race([
      exited.then(() => true),
      sleep(SHUTDOWN_TIMEOUT_MS, false, { signal: timer.signal }).catch(() => false),
    ]);
    timer.abort();
    if (!stopped) {
      containerd.kill('SIGKILL');
      await exited;
    }
  }

  before(async () => {
    work = makeWorkDir('berth-auth-ctr-');
    const home = join(work, 'home');
    mkdirSync(home);
    env = { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin', HOME: home, TMPDIR: work };
    image = await buildTestImage(work);
    server = await startAuthServer(work);
    host = new URL(server.url).host;
    const dir = join(work, 'containerd');
    mkdirSync(dir);
    await startContainerd(dir);
    // An OCI tar of the umoci layout; its ref name `v1` under the base name.
    const tar = join(work, 'image.tar');
    await run('tar', ['-C', image.layout, '-cf', tar, '.'], env, work);
    await ctr('images', 'import', '--snapshotter', 'native', '--base-name', ref('team/app'), tar);
    assert.deepEqual(await localImages(), [ref('team/app:v1')]);
  });

  after(async () => {
    await stopContainerd();
    await server?.close();
    if (work !== undefined) rmSync(work, { recursive: true, force: true });
  });

  it('ctr images push without --user, or with a wrong password, is refused', async () => {
    await assert.rejects(push('team/app:v1'), /insufficient_scope|unauthorized|denied/i);
    await assert.rejects(push('team/app:v1', '--user', `${USER}:wrong-password`), /401 Unauthorized|unauthorized/i);
    assert.equal(await storedDigest(server as TestServer, 'team/app', 'v1'), undefined, 'nothing was tagged');
  });

  it('ctr images push --user lands the image byte-exact', async () => {
    await push('team/app:v1', '--user', user);
    assert.equal(await storedDigest(server as TestServer, 'team/app', 'v1'), image.digest);
    await ctr('images', 'tag', ref('team/app:v1'), ref('public/app:v1'));
    await push('public/app:v1', '--user', user);
    assert.equal(await storedDigest(server as TestServer, 'public/app', 'v1'), image.digest);
  });

  it('ctr images pull of team/** needs --user', async () => {
    await ctr('images', 'rm', ref('team/app:v1'), ref('public/app:v1'));
    assert.deepEqual(await localImages(), []);
    await assert.rejects(pull('team/app:v1'), /insufficient_scope|unauthorized|denied/i);
    await assert.rejects(pull('team/app:v1', '--user', `${USER}:wrong-password`), /401 Unauthorized|unauthorized/i);
    await pull('team/app:v1', '--user', user);
    const { stdout } = await ctr('images', 'ls');
    const line = stdout.split('\n').find((l) => l.startsWith(`${ref('team/app:v1')} `));
    assert.ok(line?.includes(image.digest), `ctr images ls shows ${image.digest}: ${line ?? stdout}`);
  });

  it('anonymous ctr images pull of public/** works', async () => {
    await pull('public/app:v1');
    assert.ok((await localImages()).includes(ref('public/app:v1')));
  });
});
