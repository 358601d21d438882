/**
 * Drives Debian's `skopeo` and `umoci` for the interoperability test, with a
 * hermetic environment: a temporary HOME, an empty registries.conf, an empty
 * auth file, an accept-anything policy and an empty registries.d, so nothing
 * from the user's or the machine's container configuration leaks in.
 */
import { execFile, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** Why a tool cannot be used, or undefined when it can; `pkg` is the Debian package that ships it. */
export function missingTool(name: string, pkg = name): string | undefined {
  const probe = spawnSync(name, ['--version'], { encoding: 'utf8' });
  if (probe.error !== undefined) return `${name} is not installed (${probe.error.message}); apt-get install -y ${pkg}`;
  if (probe.status !== 0) return `${name} --version exited ${probe.status}: ${probe.stderr}`;
  return undefined;
}

export interface RunResult {
  stdout: string;
  stderr: string;
}

/** Runs a command asynchronously (the in-process server keeps serving); rejects with its output on failure. */
function run(file: string, args: string[], env: NodeJS.ProcessEnv, cwd: string): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { env, cwd, timeout: 180_000, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err !== null) reject(new Error(`${file} ${args.join(' ')} failed: ${err.message}\n${stderr}`));
      else resolve({ stdout, stderr });
    });
  });
}

export interface Tools {
  /** `skopeo <global flags> <args>`; `--authfile` etc. are added by the caller where the subcommand takes them. */
  skopeo(...args: string[]): Promise<RunResult>;
  umoci(...args: string[]): Promise<RunResult>;
  /** Path of the empty auth file. */
  authfile: string;
}

/** Sets up the hermetic environment under `work` and returns runners. */
export function createTools(work: string): Tools {
  const home = join(work, 'home');
  const tmp = join(work, 'tmp');
  const registriesD = join(work, 'registries.d');
  for (const dir of [home, tmp, registriesD]) mkdirSync(dir, { recursive: true });
  const policy = join(work, 'policy.json');
  writeFileSync(policy, JSON.stringify({ default: [{ type: 'insecureAcceptAnything' }] }));
  const authfile = join(work, 'auth.json');
  writeFileSync(authfile, '{}');
  const registriesConf = join(work, 'registries.conf');
  writeFileSync(registriesConf, '');
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin',
    HOME: home,
    XDG_RUNTIME_DIR: home,
    XDG_CONFIG_HOME: join(home, '.config'),
    TMPDIR: tmp,
    CONTAINERS_REGISTRIES_CONF: registriesConf,
    REGISTRY_AUTH_FILE: authfile,
  };
  return {
    authfile,
    skopeo: (...args) =>
      run('skopeo', ['--policy', policy, '--registries.d', registriesD, '--tmpdir', tmp, ...args], env, work),
    umoci: (...args) => run('umoci', args, env, work),
  };
}

/**
 * Builds `image` (`<layout>:<tag>`, in a layout already `umoci init`ed) for
 * linux/`arch` with one layer holding `files` (paths relative to the root
 * file system), unpacked into and repacked from `bundle`.
 */
export async function buildLayoutImage(
  tools: Tools,
  image: string,
  options: { arch: string; cmd: string; bundle: string; files: { path: string; content: string | Buffer }[] },
): Promise<void> {
  await tools.umoci('new', '--image', image);
  await tools.umoci('config', '--image', image, '--os', 'linux', '--architecture', options.arch, '--config.cmd', options.cmd);
  await tools.umoci('unpack', '--rootless', '--image', image, options.bundle);
  for (const f of options.files) {
    mkdirSync(dirname(join(options.bundle, 'rootfs', f.path)), { recursive: true });
    writeFileSync(join(options.bundle, 'rootfs', f.path), f.content);
  }
  await tools.umoci('repack', '--image', image, options.bundle);
}

export interface LayoutEntry {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
}

const REF_NAME = 'org.opencontainers.image.ref.name';

/** The descriptor `index.json` of an OCI layout holds for a tag. */
export function layoutRef(layout: string, tag: string): LayoutEntry {
  const idx = JSON.parse(readFileSync(join(layout, 'index.json'), 'utf8')) as { manifests: LayoutEntry[] };
  const found = idx.manifests.find((m) => m.annotations?.[REF_NAME] === tag);
  if (found === undefined) throw new Error(`no ${tag} in ${layout}/index.json`);
  return found;
}

/** Bytes of a blob in an OCI layout. */
export function layoutBlob(layout: string, digest: string): Buffer {
  const [algorithm, encoded] = digest.split(':');
  return readFileSync(join(layout, 'blobs', algorithm ?? '', encoded ?? ''));
}

/**
 * Writes an OCI image index over `children` into the layout (umoci builds
 * one image per tag; it does not make multi-platform indexes) and tags it.
 */
export function writeLayoutIndex(
  layout: string,
  tag: string,
  children: { entry: LayoutEntry; platform: { architecture: string; os: string } }[],
): LayoutEntry {
  const mediaType = 'application/vnd.oci.image.index.v1+json';
  const bytes = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType,
      manifests: children.map(({ entry, platform }) => ({
        mediaType: entry.mediaType,
        digest: entry.digest,
        size: entry.size,
        platform,
      })),
    }),
  );
  const encoded = createHash('sha256').update(bytes).digest('hex');
  writeFileSync(join(layout, 'blobs', 'sha256', encoded), bytes);
  const entry: LayoutEntry = {
    mediaType,
    digest: `sha256:${encoded}`,
    size: bytes.length,
    annotations: { [REF_NAME]: tag },
  };
  const path = join(layout, 'index.json');
  const idx = JSON.parse(readFileSync(path, 'utf8')) as { manifests: LayoutEntry[] };
  idx.manifests.push(entry);
  writeFileSync(path, JSON.stringify(idx));
  return entry;
}
