/**
 * Operators add artifact types by configuration alone (inline and from a
 * directory), bad definitions stop start-up with a clear message, and
 * `berth types` shows them from a running registry.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { RegistryClient } from '../helpers/client.js';
import { artifact } from '../helpers/builders.js';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '..', '..');

describe('operator artifact types', () => {
  let server: TestServer;
  let client: RegistryClient;
  let typesDir: string;
  before(async () => {
    typesDir = mkdtempSync(join(tmpdir(), 'berth-types-'));
    writeFileSync(
      join(typesDir, 'gadget.yaml'),
      [
        'name: acme-gadget',
        'displayName: ACME gadget',
        'description: Gadgets built by ACME CI',
        'mediaTypes: [application/vnd.acme.gadget.v1+json]',
        'layerMediaTypes: [application/vnd.acme.gadget.layer.v1.tar]',
        'category: package',
      ].join('\n'),
    );
    server = await startTestServer({
      config: {
        typesDir,
        types: [
          {
            name: 'acme-widget',
            displayName: 'ACME widget',
            description: 'Widgets',
            mediaTypes: ['application/vnd.acme.widget.v1+json'],
          },
        ],
      },
    });
    client = new RegistryClient(server.url);
  });
  after(async () => {
    await server.close();
    rmSync(typesDir, { recursive: true, force: true });
  });

  it('identifies pushes of types defined inline and in a types directory', async () => {
    await client.push('acme/things', artifact('application/vnd.acme.widget.v1+json'), 'w1');
    await client.push('acme/things', artifact('application/vnd.acme.gadget.v1+json'), 'g1');
    const { body } = await client.getJson<{ artifacts: { type: string | null; tags: string[] }[] }>(
      '/v2/_berth/repositories/acme/things/artifacts',
    );
    assert.deepEqual(body.artifacts.map((a) => a.type).sort(), ['acme-gadget', 'acme-widget']);
    const types = await client.getJson<{ types: { name: string; count: number; icon: string }[] }>('/v2/_berth/types');
    const widget = types.body.types.find((t) => t.name === 'acme-widget');
    assert.equal(widget?.count, 1);
    assert.match(widget?.icon ?? '', /^<svg/, 'operator types without an icon get the generic one');
  });

  it('berth types list and show print them from the running registry', async () => {
    const cli = ['--import', 'tsx', join(ROOT, 'src/cli/main.ts'), 'types'];
    const list = await run(process.execPath, [...cli, 'list', '--url', server.url], { cwd: ROOT });
    assert.match(list.stdout, /^acme-gadget\s+ACME gadget\s+package\s+1$/m);
    assert.match(list.stdout, /^helm-chart\s+Helm chart\s+package\s+0$/m);
    const show = await run(process.execPath, [...cli, 'show', 'acme-widget', '--url', server.url], { cwd: ROOT });
    assert.match(show.stdout, /identified by:\s+application\/vnd\.acme\.widget\.v1\+json/);
    assert.match(show.stdout, /stored:\s+1 artifact$/m);
    await assert.rejects(run(process.execPath, [...cli, 'show', 'no-such', '--url', server.url], { cwd: ROOT }), /404/);
  });

  it('refuses to start with a bad definition, naming the type and the field', async () => {
    await assert.rejects(
      startTestServer({ config: { types: [{ name: 'Bad_Name', displayName: 'x', description: 'x', mediaTypes: ['a/b'] }] } }),
      /Bad_Name[\s\S]*name/,
    );
    await assert.rejects(
      startTestServer({ config: { types: [{ name: 'dup', displayName: 'x', description: 'x', mediaTypes: ['application/vnd.cncf.helm.config.v1+json'] }] } }),
      /helm/,
    );
  });
});
