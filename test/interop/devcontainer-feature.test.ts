/**
 * End to end with a real artifact client from the npm registry: the Dev
 * Container CLI publishes a feature (an OCI artifact) to berth, and berth
 * identifies it as `devcontainer-feature`.
 *
 * The CLI speaks plain HTTP only to a registry named `localhost`.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { RegistryClient } from '../helpers/client.js';

const run = promisify(execFile);
const CLI = join(import.meta.dirname, '..', '..', 'node_modules', '.bin', 'devcontainer');

describe('devcontainer features publish against berth', () => {
  let server: TestServer;
  let client: RegistryClient;
  let work: string;
  before(async () => {
    server = await startTestServer();
    client = new RegistryClient(server.url);
    work = mkdtempSync(join(tmpdir(), 'berth-devcontainer-'));
    const feature = join(work, 'src', 'hello');
    mkdirSync(feature, { recursive: true });
    writeFileSync(
      join(feature, 'devcontainer-feature.json'),
      JSON.stringify({ id: 'hello', version: '1.4.2', name: 'Hello', description: 'Says hello', options: {} }),
    );
    writeFileSync(join(feature, 'install.sh'), '#!/bin/sh\necho hello\n');
  });
  after(async () => {
    await server.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('publishes a feature that berth lists as devcontainer-feature with its semver tags', async () => {
    const registry = `localhost:${new URL(server.url).port}`;
    const { stdout } = await run(
      CLI,
      ['features', 'publish', './src', '--registry', registry, '--namespace', 'acme/features', '--log-level', 'info'],
      { cwd: work, env: { ...process.env, HOME: work }, timeout: 120_000 },
    );
    const published = JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as Record<string, { digest: string }>;
    const digest = published.hello?.digest;
    assert.match(digest ?? '', /^sha256:[a-f0-9]{64}$/);

    const { body } = await client.getJson<{ artifacts: { digest: string; type: string; artifactType: string; tags: string[] }[] }>(
      '/v2/_berth/repositories/acme/features/hello/artifacts',
    );
    assert.equal(body.artifacts.length, 1);
    assert.equal(body.artifacts[0]?.digest, digest);
    assert.equal(body.artifacts[0]?.type, 'devcontainer-feature');
    assert.equal(body.artifacts[0]?.artifactType, 'application/vnd.devcontainers');
    assert.deepEqual(body.artifacts[0]?.tags, ['1', '1.4', '1.4.2', 'latest']);

    const features = await client.getJson<{ repositories: string[] }>('/v2/_berth/catalog?type=devcontainer-feature');
    assert.ok(features.body.repositories.includes('acme/features/hello'));
  });
});
