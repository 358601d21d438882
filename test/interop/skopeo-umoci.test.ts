/**
 * Interoperability with real clients (issue 2, "Proof"): test images are
 * built from scratch with Debian's `umoci` (two platforms plus an OCI index),
 * and Debian's `skopeo` copies them into berth and back out, copies the
 * multi-arch index with `--all`, converts to Docker schema2 with
 * `--format v2s2`, and runs inspect, list-tags and delete.
 *
 * Without skopeo or umoci the suite is skipped with the reason, except under
 * CI=true, where it fails: CI must install them (.ci/run does).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { RegistryClient, assertError } from '../helpers/client.js';
import {
  MEDIA_TYPE_DOCKER_CONFIG,
  MEDIA_TYPE_DOCKER_MANIFEST,
  MEDIA_TYPE_OCI_INDEX,
  MEDIA_TYPE_OCI_MANIFEST,
} from '../../src/oci/media-types.js';
import {
  buildLayoutImage,
  createTools,
  layoutBlob,
  layoutRef,
  missingTool,
  writeLayoutIndex,
  type LayoutEntry,
  type Tools,
} from './tools.js';

const missing = [missingTool('skopeo'), missingTool('umoci')].filter((m) => m !== undefined);
const inCi = process.env.CI === 'true';

if (missing.length > 0 && inCi) {
  describe('interop with skopeo and umoci', () => {
    it('has skopeo and umoci installed (CI must install them: .ci/run)', () => {
      assert.fail(missing.join('; '));
    });
  });
} else {
  describe('interop with skopeo and umoci', { skip: missing.length > 0 ? missing.join('; ') : false }, interopSuite);
}

interface Manifest {
  mediaType?: string;
  config: { mediaType: string; digest: string };
  layers: { mediaType: string; digest: string }[];
  manifests?: { digest: string; platform?: { architecture: string } }[];
}

const PLATFORMS = ['amd64', 'arm64'] as const;
type Arch = (typeof PLATFORMS)[number];

function interopSuite(): void {
  let server: TestServer;
  let client: RegistryClient;
  let tools: Tools;
  let work: string;
  let host: string;
  const src = (): string => join(work, 'src');
  /** Files each platform's image carries in its added layer. */
  const files = new Map<Arch, { name: string; bytes: Buffer }[]>();
  const entries = new Map<Arch, LayoutEntry>();
  let indexEntry: LayoutEntry;

  const skopeo = (...args: string[]): Promise<{ stdout: string }> => tools.skopeo(...args);
  const registry = (ref: string): string => `docker://${host}/${ref}`;

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'berth-interop-'));
    tools = createTools(work);
    await tools.umoci('init', '--layout', src());
    for (const arch of PLATFORMS) {
      const image = `${src()}:${arch}`;
      const added = [
        { name: `etc/berth/${arch}.txt`, bytes: Buffer.from(`built by umoci for linux/${arch}\n`) },
        { name: 'opt/data.bin', bytes: randomBytes(96 * 1024) },
      ];
      await buildLayoutImage(tools, image, {
        arch,
        cmd: '/bin/hello',
        bundle: join(work, `bundle-${arch}`),
        files: added.map((f) => ({ path: f.name, content: f.bytes })),
      });
      files.set(arch, added);
    }
    await tools.umoci('gc', '--layout', src());
    for (const arch of PLATFORMS) entries.set(arch, layoutRef(src(), arch));
    indexEntry = writeLayoutIndex(
      src(),
      'multi',
      PLATFORMS.map((arch) => ({
        entry: entries.get(arch) as LayoutEntry,
        platform: { architecture: arch, os: 'linux' },
      })),
    );

    server = await startTestServer();
    client = new RegistryClient(server.url);
    host = new URL(server.url).host;
  });

  after(async () => {
    await server?.close();
    if (work !== undefined) rmSync(work, { recursive: true, force: true });
  });

  /** Every blob a manifest names, byte-exact in both layouts. */
  function assertSameBlobs(fromLayout: string, toLayout: string, manifestDigest: string): void {
    const manifest = JSON.parse(layoutBlob(fromLayout, manifestDigest).toString('utf8')) as Manifest;
    assert.deepEqual(layoutBlob(toLayout, manifestDigest), layoutBlob(fromLayout, manifestDigest), 'manifest bytes');
    for (const d of [manifest.config, ...manifest.layers]) {
      assert.deepEqual(layoutBlob(toLayout, d.digest), layoutBlob(fromLayout, d.digest), `blob ${d.digest}`);
    }
  }

  /** Unpacks `layout:tag` with umoci and checks the files the platform's layer added. */
  async function assertFilesOf(layout: string, tag: string, arch: Arch): Promise<void> {
    const bundle = join(work, `check-${arch}-${tag}-${randomBytes(3).toString('hex')}`);
    await tools.umoci('unpack', '--rootless', '--image', `${layout}:${tag}`, bundle);
    for (const f of files.get(arch) ?? []) {
      assert.deepEqual(readFileSync(join(bundle, 'rootfs', f.name)), f.bytes, `${f.name} in ${arch} image`);
    }
  }

  it('copies an umoci-built OCI image in and back out unchanged', async () => {
    const amd = entries.get('amd64') as LayoutEntry;
    await skopeo(
      'copy',
      '--authfile',
      tools.authfile,
      '--dest-tls-verify=false',
      `oci:${src()}:amd64`,
      registry('interop/app:v1'),
    );

    const head = await client.request('/v2/interop/app/manifests/v1', {
      method: 'HEAD',
      headers: { accept: MEDIA_TYPE_OCI_MANIFEST },
    });
    assert.equal(head.status, 200);
    assert.equal(head.headers.get('docker-content-digest'), amd.digest, 'berth stored the manifest byte-exact');

    const out = join(work, 'out');
    await skopeo(
      'copy',
      '--authfile',
      tools.authfile,
      '--src-tls-verify=false',
      registry('interop/app:v1'),
      `oci:${out}:v1`,
    );
    assert.equal(layoutRef(out, 'v1').digest, amd.digest, 'manifest digest out equals digest in');
    assertSameBlobs(src(), out, amd.digest);
    await assertFilesOf(out, 'v1', 'amd64');
  });

  it('skopeo inspect: image summary, raw manifest and config', async () => {
    const amd = entries.get('amd64') as LayoutEntry;
    const summary = JSON.parse(
      (await skopeo('inspect', '--authfile', tools.authfile, '--tls-verify=false', registry('interop/app:v1'))).stdout,
    ) as { Digest: string; RepoTags: string[]; Architecture: string; Os: string; Layers: string[] };
    assert.equal(summary.Digest, amd.digest);
    assert.deepEqual(summary.RepoTags, ['v1']);
    assert.equal(summary.Architecture, 'amd64');
    assert.equal(summary.Os, 'linux');

    const raw = (
      await skopeo('inspect', '--authfile', tools.authfile, '--tls-verify=false', '--raw', registry('interop/app:v1'))
    ).stdout;
    assert.deepEqual(Buffer.from(raw), layoutBlob(src(), amd.digest), 'raw manifest is byte-exact');
    const manifest = JSON.parse(raw) as Manifest;
    assert.deepEqual(
      summary.Layers,
      manifest.layers.map((l) => l.digest),
    );

    const config = (
      await skopeo(
        'inspect',
        '--authfile',
        tools.authfile,
        '--tls-verify=false',
        '--config',
        '--raw',
        registry('interop/app:v1'),
      )
    ).stdout;
    assert.equal(
      `sha256:${createHash('sha256').update(config).digest('hex')}`,
      manifest.config.digest,
      'raw config is byte-exact',
    );
    const parsed = JSON.parse(config) as { architecture: string; os: string; config?: { Cmd?: string[] } };
    assert.equal(parsed.architecture, 'amd64');
    assert.deepEqual(parsed.config?.Cmd, ['/bin/hello']);
  });

  it('skopeo copy --all: a multi-arch index in, both platforms retrievable, and out again', async () => {
    await skopeo(
      'copy',
      '--all',
      '--authfile',
      tools.authfile,
      '--dest-tls-verify=false',
      `oci:${src()}:multi`,
      registry('interop/multi:v1'),
    );

    const res = await client.request('/v2/interop/multi/manifests/v1', { headers: { accept: MEDIA_TYPE_OCI_INDEX } });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), MEDIA_TYPE_OCI_INDEX);
    assert.deepEqual(
      Buffer.from(await res.arrayBuffer()),
      layoutBlob(src(), indexEntry.digest),
      'index stored byte-exact',
    );
    for (const arch of PLATFORMS) {
      const entry = entries.get(arch) as LayoutEntry;
      const child = await client.request(`/v2/interop/multi/manifests/${entry.digest}`, {
        headers: { accept: MEDIA_TYPE_OCI_MANIFEST },
      });
      assert.equal(child.status, 200, `${arch} manifest present`);
      await child.arrayBuffer();
      const config = JSON.parse(
        (
          await skopeo(
            '--override-arch',
            arch,
            '--override-os',
            'linux',
            'inspect',
            '--authfile',
            tools.authfile,
            '--tls-verify=false',
            '--config',
            '--raw',
            registry('interop/multi:v1'),
          )
        ).stdout,
      ) as { architecture: string };
      assert.equal(config.architecture, arch, `skopeo resolves the ${arch} platform from the index`);
    }

    const out = join(work, 'out-multi');
    await skopeo(
      'copy',
      '--all',
      '--authfile',
      tools.authfile,
      '--src-tls-verify=false',
      registry('interop/multi:v1'),
      `oci:${out}:multi`,
    );
    assert.equal(layoutRef(out, 'multi').digest, indexEntry.digest, 'index digest out equals digest in');
    for (const arch of PLATFORMS) assertSameBlobs(src(), out, (entries.get(arch) as LayoutEntry).digest);
  });

  it('skopeo copy --format v2s2: stored as Docker schema2, served with the Docker media type', async () => {
    await skopeo(
      'copy',
      '--format',
      'v2s2',
      '--authfile',
      tools.authfile,
      '--dest-tls-verify=false',
      `oci:${src()}:arm64`,
      registry('interop/docker:v1'),
    );

    const res = await client.request('/v2/interop/docker/manifests/v1', {
      headers: { accept: `${MEDIA_TYPE_DOCKER_MANIFEST}, ${MEDIA_TYPE_OCI_MANIFEST}` },
    });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), MEDIA_TYPE_DOCKER_MANIFEST);
    const bytes = Buffer.from(await res.arrayBuffer());
    assert.equal(
      res.headers.get('docker-content-digest'),
      `sha256:${createHash('sha256').update(bytes).digest('hex')}`,
    );
    const manifest = JSON.parse(bytes.toString('utf8')) as Manifest;
    assert.equal(manifest.mediaType, MEDIA_TYPE_DOCKER_MANIFEST);
    assert.equal(manifest.config.mediaType, MEDIA_TYPE_DOCKER_CONFIG);
    for (const d of [manifest.config, ...manifest.layers]) {
      const blob = await client.request(`/v2/interop/docker/blobs/${d.digest}`, { method: 'HEAD' });
      assert.equal(blob.status, 200, `blob ${d.digest} present`);
    }

    const out = join(work, 'out-docker');
    await skopeo(
      'copy',
      '--authfile',
      tools.authfile,
      '--src-tls-verify=false',
      registry('interop/docker:v1'),
      `oci:${out}:v1`,
    );
    await assertFilesOf(out, 'v1', 'arm64');
  });

  it('skopeo list-tags lists every tag, sorted', async () => {
    for (const tag of ['v2', 'latest']) {
      await skopeo(
        'copy',
        '--authfile',
        tools.authfile,
        '--src-tls-verify=false',
        '--dest-tls-verify=false',
        registry('interop/app:v1'),
        registry(`interop/app:${tag}`),
      );
    }
    const listed = JSON.parse(
      (await skopeo('list-tags', '--authfile', tools.authfile, '--tls-verify=false', registry('interop/app'))).stdout,
    ) as { Repository: string; Tags: string[] };
    assert.equal(listed.Repository, `${host}/interop/app`);
    assert.deepEqual(listed.Tags, ['latest', 'v1', 'v2']);
  });

  it('skopeo delete removes the manifest: then 404', async () => {
    const arm = entries.get('arm64') as LayoutEntry;
    await skopeo(
      'copy',
      '--authfile',
      tools.authfile,
      '--dest-tls-verify=false',
      `oci:${src()}:arm64`,
      registry('interop/doomed:v1'),
    );
    await skopeo('delete', '--authfile', tools.authfile, '--tls-verify=false', registry('interop/doomed:v1'));
    await assertError(
      await client.request(`/v2/interop/doomed/manifests/${arm.digest}`, {
        headers: { accept: MEDIA_TYPE_OCI_MANIFEST },
      }),
      404,
      'MANIFEST_UNKNOWN',
    );
    await assertError(
      await client.request('/v2/interop/doomed/manifests/v1', { headers: { accept: MEDIA_TYPE_OCI_MANIFEST } }),
      404,
      'MANIFEST_UNKNOWN',
    );
    await assert.rejects(
      skopeo('inspect', '--authfile', tools.authfile, '--tls-verify=false', registry('interop/doomed:v1')),
      /manifest unknown|not found|404/i,
      'skopeo sees the deleted image as gone',
    );
    // The same image in another repository is untouched.
    const other = await client.request(`/v2/interop/multi/manifests/${arm.digest}`, {
      method: 'HEAD',
      headers: { accept: MEDIA_TYPE_OCI_MANIFEST },
    });
    assert.equal(other.status, 200);
  });
}
