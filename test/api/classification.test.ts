/**
 * Stored data is classified by artifact type at start-up when it was
 * classified with older identification rules (or not at all).
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestServer } from '../helpers/server.js';
import { RegistryClient } from '../helpers/client.js';
import { artifact, blob, image } from '../helpers/builders.js';
import { CLASSIFICATION_CURSOR, IDENTIFICATION_RULES_VERSION } from '../../src/registry/classify.js';

describe('classification of stored manifests at start-up', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'berth-classify-'));
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  it('re-identifies manifests recorded without a type, once per rules version', async () => {
    const first = await startTestServer({ dataDir });
    await first.startupTasks;
    const client = new RegistryClient(first.url);
    const helmConfig = 'application/vnd.cncf.helm.config.v1+json';
    const chart = artifact(helmConfig, {
      asConfig: true,
      config: blob(JSON.stringify({ apiVersion: 'v2', name: 'a', version: '1.0.0' }), helmConfig),
      layers: [blob(10, 'application/vnd.cncf.helm.chart.content.v1.tar+gzip')],
    });
    const img = image();
    await client.push('legacy/app', chart, '1.0.0');
    await client.push('legacy/app', img, 'latest');

    // Make the data look like it predates artifact types: no recorded type, rules version 0.
    const { metadata } = first.registry.deps;
    for (const digest of [chart.digest, img.digest]) {
      const record = await metadata.getManifest('legacy/app', digest);
      assert.ok(record);
      const references = await metadata.getReferences('legacy/app', digest);
      await metadata.putManifest({ manifest: { ...record, artifactType: null }, references, tags: [] });
    }
    await metadata.setCursor(CLASSIFICATION_CURSOR, 0);
    const before = await client.getJson<{ artifacts: { type: string | null }[] }>('/v2/_berth/repositories/legacy/app/artifacts');
    assert.deepEqual(before.body.artifacts.map((a) => a.type), [null, null]);
    await first.close();

    const second = await startTestServer({ dataDir });
    try {
      await second.startupTasks;
      const after = await new RegistryClient(second.url).getJson<{ artifacts: { digest: string; type: string | null; tags: string[] }[] }>(
        '/v2/_berth/repositories/legacy/app/artifacts',
      );
      const byDigest = new Map(after.body.artifacts.map((a) => [a.digest, a]));
      assert.equal(byDigest.get(chart.digest)?.type, 'helm-chart');
      assert.deepEqual(byDigest.get(chart.digest)?.tags, ['1.0.0']);
      assert.equal(byDigest.get(img.digest)?.type, 'oci-image');
      assert.deepEqual(byDigest.get(img.digest)?.tags, ['latest']);
      assert.equal(await second.registry.deps.metadata.getCursor(CLASSIFICATION_CURSOR), IDENTIFICATION_RULES_VERSION);
    } finally {
      await second.close();
    }
  });
});
