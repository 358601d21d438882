import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { ARTIFACT_CATEGORIES } from '../artifact-type.js';
import { identifyArtifact } from '../identify.js';
import { listManifestFixtures, loadManifestFixture } from '../testing/fixtures.js';
import { createTypeRegistry } from '../type-registry.js';
import { renderTypesTable } from '../types-table.js';
import { validateArtifact } from '../validate.js';
import { BUILTIN_TYPES } from './index.js';

describe('BUILTIN_TYPES', () => {
  it('has at least 25 types covering every category', () => {
    assert.ok(BUILTIN_TYPES.length >= 25, String(BUILTIN_TYPES.length));
    const categories = new Set(BUILTIN_TYPES.map((t) => t.category));
    for (const category of ARTIFACT_CATEGORIES) assert.ok(categories.has(category), category);
  });

  it('includes the types the issue names', () => {
    const names = new Set(BUILTIN_TYPES.map((t) => t.name));
    for (const name of [
      'oci-image',
      'oci-image-index',
      'docker-image',
      'docker-manifest-list',
      'helm-chart',
      'sif',
      'cosign-signature',
      'notation-signature',
      'spdx-sbom',
      'cyclonedx-sbom',
      'in-toto-attestation',
      'sigstore-bundle',
      'wasm',
      'cnab',
      'opa-bundle',
      'flux-artifact',
      'devcontainer-feature',
      'model',
    ]) {
      assert.ok(names.has(name), name);
    }
  });

  it('builds a registry (valid definitions, unique media types, compilable schemas)', () => {
    assert.equal(createTypeRegistry(BUILTIN_TYPES).list().length, BUILTIN_TYPES.length);
  });

  it('draws every icon as a small 24x24 SVG using currentColor', () => {
    for (const type of BUILTIN_TYPES) {
      assert.match(type.icon, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" viewBox="0 0 24 24"/, type.name);
      assert.match(type.icon, /stroke="currentColor"/, type.name);
      assert.ok(type.icon.length < 1500, `${type.name} icon is ${type.icon.length} characters`);
    }
  });

  it('cites an https source for every type', () => {
    for (const type of BUILTIN_TYPES) assert.match(type.source ?? '', /^https:\/\//, type.name);
  });

  it('is listed in README-types.md exactly as renderTypesTable renders it', () => {
    const readme = readFileSync(new URL('../README-types.md', import.meta.url), 'utf8');
    assert.ok(
      readme.includes(renderTypesTable(BUILTIN_TYPES)),
      'README-types.md is out of date: paste renderTypesTable(BUILTIN_TYPES) into its "Built-in types" section',
    );
  });

  it('declares the layer media types its real-world fixtures use', () => {
    const registry = createTypeRegistry(BUILTIN_TYPES);
    for (const name of listManifestFixtures()) {
      const manifest = loadManifestFixture(name);
      const type = registry.resolve(identifyArtifact(manifest).mediaType);
      const { errors } = validateArtifact(type, { manifest }, { schema: false, layers: true });
      assert.deepEqual(errors, [], name);
    }
  });
});
