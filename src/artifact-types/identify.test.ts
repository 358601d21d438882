import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BUILTIN_TYPES } from './builtin/index.js';
import { identifyArtifact } from './identify.js';
import { fixtureTypeName, listManifestFixtures, loadManifestFixture } from './testing/fixtures.js';
import { artifactManifest, IMAGE_CHILD, imageManifest, indexManifest } from './testing/manifests.js';
import { createTypeRegistry } from './type-registry.js';
import {
  DOCKER_CONFIG,
  DOCKER_MANIFEST,
  DOCKER_MANIFEST_LIST,
  OCI_CONFIG,
  OCI_EMPTY,
  OCI_INDEX,
  OCI_MANIFEST,
} from './well-known.js';

describe('identifyArtifact rules', () => {
  it('1. artifactType wins over config', () => {
    const manifest = imageManifest(OCI_CONFIG, [], { artifactType: 'application/vnd.example+type' });
    assert.deepEqual(identifyArtifact(manifest), { mediaType: 'application/vnd.example+type', source: 'artifactType' });
  });

  it('1. a blank artifactType does not count', () => {
    const manifest = imageManifest('application/vnd.cncf.helm.config.v1+json', [], { artifactType: '  ' });
    assert.equal(identifyArtifact(manifest).source, 'config');
  });

  it('1. an index artifactType wins over its children', () => {
    const index = indexManifest([IMAGE_CHILD], { artifactType: 'application/vnd.opentofu.provider' });
    assert.deepEqual(identifyArtifact(index), {
      mediaType: 'application/vnd.opentofu.provider',
      source: 'artifactType',
    });
  });

  it('1. the legacy org.opencontainers.artifactType annotation types an index', () => {
    const index = indexManifest([{ mediaType: DOCKER_MANIFEST }], {
      annotations: { 'org.opencontainers.artifactType': 'application/vnd.cnab.manifest.v1' },
    });
    assert.deepEqual(identifyArtifact(index), {
      mediaType: 'application/vnd.cnab.manifest.v1',
      source: 'artifactType',
    });
  });

  it('2. an image manifest is identified by its config media type, case and parameters kept', () => {
    const manifest = imageManifest('Application/Vnd.Acme.Thing.Config.v1+json; v=2');
    assert.deepEqual(identifyArtifact(manifest), {
      mediaType: 'Application/Vnd.Acme.Thing.Config.v1+json; v=2',
      source: 'config',
    });
  });

  it('2. the empty descriptor config does not identify anything', () => {
    assert.deepEqual(identifyArtifact(imageManifest(OCI_EMPTY)), { mediaType: OCI_MANIFEST, source: 'manifest' });
  });

  it('2. a manifest without mediaType is recognised by its config', () => {
    const manifest = { mediaType: '', config: { mediaType: OCI_CONFIG }, layers: [] };
    assert.deepEqual(identifyArtifact(manifest), { mediaType: OCI_CONFIG, source: 'config' });
  });

  it('3. an index of images (or of nothing) is a multi-platform image', () => {
    assert.deepEqual(identifyArtifact(indexManifest([IMAGE_CHILD, IMAGE_CHILD])), {
      mediaType: OCI_INDEX,
      source: 'index',
    });
    assert.deepEqual(identifyArtifact(indexManifest([])), { mediaType: OCI_INDEX, source: 'index' });
    assert.deepEqual(identifyArtifact(indexManifest([IMAGE_CHILD, { mediaType: OCI_INDEX }])), {
      mediaType: OCI_INDEX,
      source: 'index',
    });
  });

  it('3. an index of artifacts of one type is that type', () => {
    const index = indexManifest([
      { mediaType: OCI_MANIFEST, artifactType: 'application/vnd.wasm.config.v0+json' },
      { mediaType: OCI_MANIFEST, artifactType: 'Application/vnd.wasm.config.v0+json' },
    ]);
    assert.deepEqual(identifyArtifact(index), { mediaType: 'application/vnd.wasm.config.v0+json', source: 'index' });
  });

  it('3. a mixed index is a plain index', () => {
    const index = indexManifest([IMAGE_CHILD, { mediaType: OCI_MANIFEST, artifactType: 'application/spdx+json' }]);
    assert.deepEqual(identifyArtifact(index), { mediaType: OCI_INDEX, source: 'manifest' });
    const twoTypes = indexManifest([
      { mediaType: OCI_MANIFEST, artifactType: 'application/spdx+json' },
      { mediaType: OCI_MANIFEST, artifactType: 'application/vnd.cyclonedx+json' },
    ]);
    assert.deepEqual(identifyArtifact(twoTypes), { mediaType: OCI_INDEX, source: 'manifest' });
  });

  it('4. Docker schema 2 images and manifest lists', () => {
    assert.deepEqual(identifyArtifact({ mediaType: DOCKER_MANIFEST, config: { mediaType: DOCKER_CONFIG } }), {
      mediaType: DOCKER_CONFIG,
      source: 'config',
    });
    assert.deepEqual(
      identifyArtifact({ mediaType: DOCKER_MANIFEST_LIST, manifests: [{ mediaType: DOCKER_MANIFEST }] }),
      {
        mediaType: DOCKER_MANIFEST_LIST,
        source: 'index',
      },
    );
  });

  it('falls back to the manifest media type for unknown documents', () => {
    assert.deepEqual(identifyArtifact({ mediaType: 'application/vnd.acme.manifest.v7+json' }), {
      mediaType: 'application/vnd.acme.manifest.v7+json',
      source: 'manifest',
    });
  });

  it('is deterministic: the same input gives the same answer', () => {
    const manifest = artifactManifest('application/vnd.example+type');
    assert.deepEqual(identifyArtifact(manifest), identifyArtifact(structuredClone(manifest)));
  });
});

describe('identification of real-world manifests (test/fixtures/manifests)', () => {
  const registry = createTypeRegistry(BUILTIN_TYPES);
  const fixtures = listManifestFixtures();
  /** Documented limits: these fixtures deliberately identify as another type. */
  const EXPECTED_OTHERWISE: Record<string, string> = {
    // Tag-based cosign signatures use the OCI image config; see cosign-signature's definition.
    'cosign-signature--tag-based': 'oci-image',
  };

  it('has a fixture for every built-in type', () => {
    const covered = new Set(fixtures.map(fixtureTypeName));
    const missing = BUILTIN_TYPES.map((type) => type.name).filter((name) => !covered.has(name));
    assert.deepEqual(missing, []);
  });

  for (const name of fixtures) {
    const expected = EXPECTED_OTHERWISE[name] ?? fixtureTypeName(name);
    it(`${name}.json identifies as ${expected}`, () => {
      const identified = identifyArtifact(loadManifestFixture(name));
      assert.equal(registry.resolve(identified.mediaType)?.name, expected, JSON.stringify(identified));
    });
  }
});
