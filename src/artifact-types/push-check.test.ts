import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BUILTIN_TYPES } from './builtin/index.js';
import { createTypePolicy } from './policy.js';
import { checkPush } from './push-check.js';
import { loadManifestFixture } from './testing/fixtures.js';
import { createTypeRegistry } from './type-registry.js';

const registry = createTypeRegistry(BUILTIN_TYPES);
const policy = createTypePolicy(
  [
    { repositories: 'charts/**', allow: ['helm-chart'], validate: { schema: true, layers: true } },
    {
      repositories: 'features/**',
      allow: ['devcontainer-feature'],
      validate: { requiredAnnotations: ['dev.containers.metadata'] },
    },
  ],
  registry,
);
const CHART_CONFIG = { apiVersion: 'v2', name: 'podinfo', version: '6.7.1' };

describe('checkPush', () => {
  it('accepts a valid chart in a chart repository', () => {
    const verdict = checkPush(policy, 'charts/podinfo', {
      manifest: loadManifestFixture('helm-chart'),
      config: CHART_CONFIG,
    });
    assert.equal(verdict.type?.name, 'helm-chart');
    assert.deepEqual(verdict.identified, { mediaType: 'application/vnd.cncf.helm.config.v1+json', source: 'config' });
    assert.deepEqual([verdict.errors, verdict.warnings], [[], []]);
  });

  it('refuses another type with one DENIED error', () => {
    const verdict = checkPush(policy, 'charts/podinfo', { manifest: loadManifestFixture('oci-image') });
    assert.equal(verdict.errors.length, 1);
    assert.equal(verdict.errors[0]?.code, 'DENIED');
    assert.match(verdict.errors[0]?.message ?? '', /artifact type 'oci-image' .* accepts only: helm-chart/);
  });

  it('validates with the deciding rule: a schema-invalid chart is MANIFEST_INVALID', () => {
    const verdict = checkPush(policy, 'charts/podinfo', {
      manifest: loadManifestFixture('helm-chart'),
      config: { name: 'podinfo' },
    });
    assert.deepEqual(
      verdict.errors.map((e) => [e.code, e.pointer]),
      [
        ['MANIFEST_INVALID', '/apiVersion'],
        ['MANIFEST_INVALID', '/version'],
      ],
    );
  });

  it('identifies a devcontainer feature and checks its required annotation', () => {
    const feature = loadManifestFixture('devcontainer-feature');
    assert.deepEqual(checkPush(policy, 'features/go', { manifest: feature }).errors, []);
    const { 'dev.containers.metadata': _dropped, ...rest } = feature.annotations ?? {};
    const verdict = checkPush(policy, 'features/go', { manifest: { ...feature, annotations: rest } });
    assert.equal(verdict.type?.name, 'devcontainer-feature');
    assert.equal(verdict.errors[0]?.pointer, '/annotations/dev.containers.metadata');
  });

  it('accepts anything elsewhere but still reports media type problems', () => {
    const manifest = { ...loadManifestFixture('opentofu-module') };
    const verdict = checkPush(policy, 'modules/vpc', { manifest });
    assert.deepEqual(verdict.errors, []);
    assert.match(verdict.warnings.join('\n'), /top-level type 'archive'/);
  });
});
