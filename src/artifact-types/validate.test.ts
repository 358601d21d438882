import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BUILTIN_TYPES } from './builtin/index.js';
import { loadManifestFixture } from './testing/fixtures.js';
import { artifactManifest, imageManifest } from './testing/manifests.js';
import { createTypeRegistry, type RegisteredArtifactType } from './type-registry.js';
import { validateArtifact, warningHeaderValue, type ValidationOptions } from './validate.js';

const registry = createTypeRegistry(BUILTIN_TYPES);
function builtin(name: string): RegisteredArtifactType {
  const type = registry.get(name);
  assert.ok(type !== undefined, name);
  return type;
}
const ALL: ValidationOptions = { schema: true, layers: true };
const NONE: ValidationOptions = { schema: false, layers: false };

const HELM_CONFIG = {
  apiVersion: 'v2',
  name: 'podinfo',
  version: '6.7.1',
  description: 'Podinfo Helm chart for Kubernetes',
  type: 'application',
  maintainers: [{ name: 'stefanprodan', email: 'stefanprodan@users.noreply.github.com' }],
  appVersion: '6.7.1',
  kubeVersion: '>=1.23.0-0',
};

const OCI_CONFIG_DOC = {
  created: '2025-02-04T21:14:10.000000000Z',
  architecture: 'amd64',
  os: 'linux',
  config: { Env: ['PATH=/usr/local/sbin:/usr/local/bin'], Entrypoint: ['/docker-entrypoint.sh'], Cmd: null },
  rootfs: { type: 'layers', diff_ids: ['sha256:5f1ee22ffb5e68686db3dcb6584eb1c73b5570615b0f14fabb070b96117e351d'] },
  history: [{ created: '2025-02-03T00:00:00Z', created_by: '# debian.sh', empty_layer: false }],
};

describe('validateArtifact: config schema', () => {
  it('accepts a real Helm chart config and manifest', () => {
    const result = validateArtifact(
      builtin('helm-chart'),
      { manifest: loadManifestFixture('helm-chart'), config: HELM_CONFIG },
      ALL,
    );
    assert.deepEqual(result, { errors: [], warnings: [] });
  });

  it('reports a missing required property with its JSON pointer and the ajv message', () => {
    const { version: _omitted, ...config } = HELM_CONFIG;
    const { errors } = validateArtifact(
      builtin('helm-chart'),
      { manifest: loadManifestFixture('helm-chart'), config },
      ALL,
    );
    assert.deepEqual(errors, [
      {
        code: 'MANIFEST_INVALID',
        pointer: '/version',
        document: 'config',
        message:
          "config /version: must have required property 'version' (schema of artifact type 'helm-chart' (Helm chart))",
      },
    ]);
  });

  it('points into nested values of an OCI image config', () => {
    const config = { ...OCI_CONFIG_DOC, config: { ...OCI_CONFIG_DOC.config, Env: 'PATH=/bin' } };
    const { errors } = validateArtifact(
      builtin('oci-image'),
      { manifest: loadManifestFixture('oci-image'), config },
      ALL,
    );
    assert.ok(errors.length > 0);
    assert.ok(
      errors.every((e) => e.pointer === '/config/Env' && e.document === 'config'),
      JSON.stringify(errors),
    );
  });

  it('accepts a real OCI image config, nulls from Go encoders included', () => {
    const result = validateArtifact(
      builtin('oci-image'),
      { manifest: loadManifestFixture('oci-image'), config: OCI_CONFIG_DOC },
      ALL,
    );
    assert.deepEqual(result.errors, []);
  });

  it('refuses a schema check without a config object', () => {
    const { errors } = validateArtifact(builtin('helm-chart'), { manifest: loadManifestFixture('helm-chart') }, ALL);
    assert.equal(errors.length, 1);
    assert.equal(errors[0]?.document, 'config');
    assert.match(errors[0]?.message ?? '', /requires a JSON config object/);
  });

  it('skips the schema when the rule does not ask for it', () => {
    const result = validateArtifact(
      builtin('helm-chart'),
      { manifest: loadManifestFixture('helm-chart'), config: {} },
      NONE,
    );
    assert.deepEqual(result.errors, []);
  });

  it('compiles the schema of a definition that did not come from a registry', () => {
    const plain = BUILTIN_TYPES.find((t) => t.name === 'helm-chart');
    assert.ok(plain !== undefined);
    const { errors } = validateArtifact(
      plain,
      { manifest: loadManifestFixture('helm-chart'), config: { name: 'x' } },
      ALL,
    );
    assert.deepEqual(
      errors.map((e) => e.pointer),
      ['/apiVersion', '/version'],
    );
  });
});

describe('validateArtifact: layers', () => {
  it('refuses a layer media type the type does not declare', () => {
    const manifest = imageManifest('application/vnd.cncf.helm.config.v1+json', [
      'application/vnd.cncf.helm.chart.content.v1.tar+gzip',
      'application/vnd.oci.image.layer.v1.tar+gzip',
    ]);
    const { errors } = validateArtifact(builtin('helm-chart'), { manifest, config: HELM_CONFIG }, ALL);
    assert.equal(errors.length, 1);
    assert.equal(errors[0]?.pointer, '/layers/1/mediaType');
    assert.match(
      errors[0]?.message ?? '',
      /'application\/vnd\.oci\.image\.layer\.v1\.tar\+gzip' is not a layer media type of artifact type 'helm-chart' \(Helm chart\); it declares: application\/vnd\.cncf\.helm\.chart\.content\.v1\.tar\+gzip, /,
    );
  });

  it('allows the empty descriptor layer and wildcard-declared layers', () => {
    const manifest = artifactManifest('application/vnd.cncf.model.manifest.v1+json', [
      'application/vnd.oci.empty.v1+json',
      'application/vnd.cncf.model.weight.v1.tar+zstd',
    ]);
    assert.deepEqual(validateArtifact(builtin('model'), { manifest }, ALL).errors, []);
  });

  it('does not check layers when the rule does not ask for it', () => {
    const manifest = imageManifest('application/vnd.cncf.helm.config.v1+json', ['application/x-whatever']);
    assert.deepEqual(validateArtifact(builtin('helm-chart'), { manifest }, NONE).errors, []);
  });
});

describe('validateArtifact: annotations', () => {
  it('reports missing and empty required annotations with escaped pointers', () => {
    const manifest = artifactManifest('application/spdx+json', ['application/spdx+json'], {
      annotations: { 'org.opencontainers.image.source': ' ' },
    });
    const { errors } = validateArtifact(
      builtin('spdx-sbom'),
      { manifest },
      {
        ...NONE,
        requiredAnnotations: ['org.opencontainers.image.source', 'com.acme/owner'],
      },
    );
    assert.deepEqual(
      errors.map((e) => [e.pointer, e.message]),
      [
        [
          '/annotations/org.opencontainers.image.source',
          "manifest annotation 'org.opencontainers.image.source' is required here but empty",
        ],
        ['/annotations/com.acme~1owner', "manifest annotation 'com.acme/owner' is required here but missing"],
      ],
    );
  });

  it("applies the type's own required annotations", () => {
    const registryWithOwner = createTypeRegistry([
      ...BUILTIN_TYPES,
      { ...builtin('sarif'), requiredAnnotations: ['com.acme.scanner'] },
    ]);
    const manifest = artifactManifest('application/sarif+json', ['application/sarif+json']);
    const { errors } = validateArtifact(registryWithOwner.get('sarif'), { manifest }, NONE);
    assert.equal(errors[0]?.pointer, '/annotations/com.acme.scanner');
  });
});

describe('validateArtifact: media type syntax', () => {
  it('refuses an invalid media type anywhere in the manifest, with its pointer', () => {
    const manifest = imageManifest('application/vnd.cncf.helm.config.v1+json', [
      'application/vnd.cncf.helm.chart.content.v1.tar+gzip',
      'tar gz',
    ]);
    const { errors } = validateArtifact(builtin('helm-chart'), { manifest, config: HELM_CONFIG }, NONE);
    assert.deepEqual(errors, [
      {
        code: 'MANIFEST_INVALID',
        pointer: '/layers/1/mediaType',
        document: 'manifest',
        message: `manifest /layers/1/mediaType: 'tar gz' is not a valid media type (RFC 6838: type "/" subtype of letters, digits and !#$&-^_.+)`,
      },
    ]);
  });

  it('accepts upper case with a warning suitable for a Warning header', () => {
    const manifest = artifactManifest('Application/Vnd.Acme.Report+JSON', ['application/vnd.acme.report+json']);
    const { errors, warnings } = validateArtifact(undefined, { manifest }, ALL);
    assert.deepEqual(errors, []);
    assert.equal(warnings.length, 1);
    assert.match(
      warnings[0] ?? '',
      /^\/artifactType: media type 'Application\/Vnd\.Acme\.Report\+JSON' contains upper-case letters/,
    );
    assert.equal(warningHeaderValue(warnings[0] ?? '').startsWith('299 - "/artifactType: media type '), true);
    assert.doesNotMatch(warningHeaderValue(warnings[0] ?? '').slice(7, -1), /["\\]/);
  });

  it('warns once per distinct value', () => {
    const manifest = artifactManifest('application/vnd.opentofu.modulepkg', ['archive/zip', 'archive/zip']);
    const { warnings } = validateArtifact(builtin('opentofu-module'), { manifest }, ALL);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0] ?? '', /^\/layers\/0\/mediaType: .*top-level type 'archive'/);
  });

  it('checks index children too', () => {
    const index = loadManifestFixture('opentofu-provider');
    const broken = {
      ...index,
      manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', artifactType: 'bad type' }],
    };
    const { errors } = validateArtifact(builtin('opentofu-provider'), { manifest: broken }, ALL);
    assert.deepEqual(
      errors.map((e) => e.pointer),
      ['/manifests/0/artifactType'],
    );
  });
});
