/**
 * Shared set-up for the token-auth interop tests with podman, buildah and
 * containerd's `ctr` (issue 7, "Proof"): berth in process with token auth,
 * a small image built offline with umoci, a hermetic containers/* config
 * for podman and buildah, bounded child processes, and a look at what berth
 * stored through its own HTTP API.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { USERS, bearer, fetchToken, parseChallenge, writeHtpasswd } from '../helpers/auth.js';
import { buildLayoutImage, createTools, layoutRef, missingTool } from './tools.js';

/** alice may pull and push `team/**`; anyone may pull `public/**` (alice pushes there). */
export const RULES = [
  { repositories: 'team/**', allow: { alice: ['pull', 'push'] } },
  { repositories: 'public/**', allow: { $anonymous: ['pull'], alice: ['push'] } },
];

export const USER = 'alice';
export const PASSWORD = USERS.alice;

/** Every child process is killed after this long. */
const CHILD_TIMEOUT_MS = 120_000;

/** Debian packages of tools whose package has another name. */
const PACKAGES: Record<string, string> = { ctr: 'containerd' };

/**
 * `describe(title, suite)` when every tool is installed; otherwise skipped
 * with the reason, or, under CI=true, one failing test (CI installs them).
 */
export function describeWithTools(title: string, tools: string[], suite: () => void): void {
  const missing = tools.map((t) => missingTool(t, PACKAGES[t])).filter((m) => m !== undefined);
  if (missing.length > 0 && process.env.CI === 'true') {
    describe(title, () => {
      it(`has ${tools.join(', ')} installed (CI must install them: .ci/run)`, () => {
        assert.fail(missing.join('; '));
      });
    });
  } else {
    describe(title, { skip: missing.length > 0 ? missing.join('; ') : false }, suite);
  }
}

export interface RunResult {
  stdout: string;
  stderr: string;
}

/** Runs a command with a timeout; rejects with its stderr (what the assertions match) on failure. */
export function run(file: string, args: string[], env: NodeJS.ProcessEnv, cwd: string): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    execFile(
      file,
      args,
      { env, cwd, timeout: CHILD_TIMEOUT_MS, killSignal: 'SIGKILL', maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => {
        if (err !== null) reject(new Error(`${file} ${args.join(' ')} failed: ${err.message}\n${stderr}`));
        else resolve({ stdout, stderr });
      },
    );
  });
}

/**
 * A new temporary directory with a lowercase name: podman and buildah name an
 * image pulled from `oci:<path>` after the path, and a reference must be
 * lowercase (mkdtemp's suffix is not).
 */
export function makeWorkDir(prefix: string): string {
  const dir = join(tmpdir(), `${prefix}${randomBytes(6).toString('hex')}`);
  mkdirSync(dir, { mode: 0o700 });
  return dir;
}

/** berth with token auth on, htpasswd users from helpers/auth.ts, and RULES. */
export function startAuthServer(work: string): Promise<TestServer> {
  return startTestServer({
    config: {
      'auth.mode': 'token',
      'auth.htpasswd': writeHtpasswd(work),
      'auth.rules': RULES,
      'auth.token.service': 'berth-interop',
    },
  });
}

export interface TestImage {
  /** OCI layout directory. */
  layout: string;
  /** Its tag in the layout. */
  tag: string;
  /** Digest of the image manifest umoci wrote. */
  digest: string;
  /** The file the image's one layer adds, and its content. */
  file: { path: string; content: string };
}

/** A linux/amd64 image with one layer holding one file, built offline with umoci (no network needed). */
export async function buildTestImage(work: string): Promise<TestImage> {
  const tools = createTools(join(work, 'umoci'));
  const layout = join(work, 'layout');
  const tag = 'v1';
  const image = `${layout}:${tag}`;
  const file = { path: 'etc/berth/hello.txt', content: 'built by umoci for the auth interop tests\n' };
  await tools.umoci('init', '--layout', layout);
  await buildLayoutImage(tools, image, { arch: 'amd64', cmd: '/bin/true', bundle: join(work, 'bundle'), files: [file] });
  await tools.umoci('gc', '--layout', layout);
  return { layout, tag, digest: layoutRef(layout, tag).digest, file };
}

/**
 * The digest berth serves for `repo:tag`, read over HTTP as alice through
 * the token flow, or undefined on 404: what a client pushed, checked
 * without trusting the client's own report.
 */
export async function storedDigest(server: TestServer, repo: string, tag: string): Promise<string | undefined> {
  const url = `${server.url}/v2/${repo}/manifests/${tag}`;
  const accept = [
    'application/vnd.oci.image.manifest.v1+json',
    'application/vnd.oci.image.index.v1+json',
    'application/vnd.docker.distribution.manifest.v2+json',
    'application/vnd.docker.distribution.manifest.list.v2+json',
  ].join(', ');
  const challenge = await fetch(url, { method: 'HEAD', headers: { accept } });
  assert.equal(challenge.status, 401, 'berth asks for a token');
  const { body } = await fetchToken(
    parseChallenge(challenge.headers.get('www-authenticate')),
    [`repository:${repo}:pull`],
    USER,
  );
  const res = await fetch(url, { method: 'HEAD', headers: { accept, ...bearer(body.token) } });
  if (res.status === 404) return undefined;
  assert.equal(res.status, 200, `HEAD ${url}`);
  return res.headers.get('docker-content-digest') ?? undefined;
}

export interface ContainersEnv {
  env: NodeJS.ProcessEnv;
  /** The auth file `login` writes (REGISTRY_AUTH_FILE). */
  authfile: string;
  /** An accept-anything signature policy for `--signature-policy`. */
  policy: string;
}

/**
 * A hermetic configuration for podman and buildah under `work`: their own
 * storage (vfs, which needs no overlay support; graph root and run root in
 * `work`), a registries.conf that marks berth's `host` insecure (plain HTTP)
 * and searches no registry for short names, a containers.conf with the
 * cgroupfs manager and file events (no systemd or journald here), an empty
 * auth file, and a temporary HOME so nothing from the machine's or the
 * user's configuration leaks in.
 */
export function containersEnv(work: string, host: string): ContainersEnv {
  const dir = (name: string): string => {
    const path = join(work, name);
    mkdirSync(path, { recursive: true });
    return path;
  };
  const home = dir('home');
  const tmp = dir('tmp');
  const storageConf = join(work, 'storage.conf');
  writeFileSync(
    storageConf,
    `[storage]\ndriver = "vfs"\ngraphroot = "${dir('graphroot')}"\nrunroot = "${dir('runroot')}"\n`,
  );
  const registriesConf = join(work, 'registries.conf');
  writeFileSync(
    registriesConf,
    `unqualified-search-registries = []\n\n[[registry]]\nlocation = "${host}"\ninsecure = true\n`,
  );
  const containersConf = join(work, 'containers.conf');
  writeFileSync(
    containersConf,
    `[engine]\ncgroup_manager = "cgroupfs"\nevents_logger = "file"\nevents_logfile_path = "${join(work, 'events.log')}"\n` +
      `tmp_dir = "${dir('engine-tmp')}"\n\n[network]\nnetwork_config_dir = "${dir('networks')}"\n`,
  );
  const policy = join(work, 'policy.json');
  writeFileSync(policy, JSON.stringify({ default: [{ type: 'insecureAcceptAnything' }] }));
  const authfile = join(work, 'auth.json');
  writeFileSync(authfile, '{}');
  return {
    authfile,
    policy,
    env: {
      PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin',
      HOME: home,
      XDG_CONFIG_HOME: join(home, '.config'),
      XDG_RUNTIME_DIR: dir('xdg-runtime'),
      TMPDIR: tmp,
      CONTAINERS_STORAGE_CONF: storageConf,
      CONTAINERS_REGISTRIES_CONF: registriesConf,
      CONTAINERS_CONF: containersConf,
      REGISTRY_AUTH_FILE: authfile,
      BUILDAH_ISOLATION: 'chroot',
    },
  };
}
