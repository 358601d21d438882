import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ArtifactTypeDefinition } from './artifact-type.js';
import { ArtifactTypeError } from './artifact-type-error.js';
import { BUILTIN_TYPES } from './builtin/index.js';
import { DEFAULT_ICON } from './icons.js';
import { createTypeRegistry } from './type-registry.js';

function type(name: string, mediaTypes: string[], extra: Partial<ArtifactTypeDefinition> = {}): ArtifactTypeDefinition {
  return {
    name,
    displayName: name,
    description: `The ${name} type`,
    icon: DEFAULT_ICON,
    mediaTypes,
    layerMediaTypes: [],
    source: 'https://example.com/spec',
    category: 'other',
    ...extra,
  };
}

function assertTypeError(build: () => unknown, pattern: RegExp): ArtifactTypeError {
  let caught: unknown;
  try {
    build();
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof ArtifactTypeError, `expected an ArtifactTypeError, got ${String(caught)}`);
  assert.match(caught.message, pattern);
  return caught;
}

describe('createTypeRegistry resolution', () => {
  const registry = createTypeRegistry([
    type('acme-any', ['application/vnd.acme.*']),
    type('acme-model', ['application/vnd.acme.model.*']),
    type('acme-model-config', ['application/vnd.acme.model.config.v1+json']),
  ]);

  it('prefers an exact media type to any wildcard', () => {
    assert.equal(registry.resolve('application/vnd.acme.model.config.v1+json')?.name, 'acme-model-config');
  });
  it('prefers the longest wildcard prefix', () => {
    assert.equal(registry.resolve('application/vnd.acme.model.weights.v1')?.name, 'acme-model');
    assert.equal(registry.resolve('application/vnd.acme.chart.v1')?.name, 'acme-any');
  });
  it('ignores case and parameters', () => {
    assert.equal(
      registry.resolve('Application/Vnd.Acme.Model.Config.V1+JSON; charset=utf-8')?.name,
      'acme-model-config',
    );
  });
  it('returns undefined for an unknown media type', () => {
    assert.equal(registry.resolve('application/vnd.other.thing'), undefined);
  });
  it('looks types up by name and lists them', () => {
    assert.equal(registry.get('acme-model')?.mediaTypes[0], 'application/vnd.acme.model.*');
    assert.deepEqual(
      registry.list().map((t) => t.name),
      ['acme-any', 'acme-model', 'acme-model-config'],
    );
  });
});

describe('createTypeRegistry with the built-ins', () => {
  const registry = createTypeRegistry(BUILTIN_TYPES);

  it('holds at least 25 types with unique names', () => {
    assert.ok(registry.list().length >= 25);
    assert.equal(new Set(registry.list().map((t) => t.name)).size, registry.list().length);
  });
  it('resolves the Helm config and the older artifacts-guidance name', () => {
    assert.equal(registry.resolve('application/vnd.cncf.helm.config.v1+json')?.name, 'helm-chart');
    assert.equal(registry.resolve('application/vnd.cncf.helm.chart.config.v1+json')?.name, 'helm-chart');
  });
  it('resolves a parameterised sigstore bundle type', () => {
    assert.equal(registry.resolve('application/vnd.dev.sigstore.bundle+json;version=0.2')?.name, 'sigstore-bundle');
  });
  it('compiles config schemas and leaves the checker out of JSON', () => {
    const image = registry.get('oci-image');
    assert.equal(typeof image?.checkConfig, 'function');
    assert.equal('checkConfig' in JSON.parse(JSON.stringify(image)), false);
    assert.equal(registry.get('cosign-signature')?.checkConfig, undefined);
  });
});

describe('createTypeRegistry overrides', () => {
  it('lets a later definition with the same name replace a built-in, in place', () => {
    const helm = BUILTIN_TYPES.find((t) => t.name === 'helm-chart');
    assert.ok(helm !== undefined);
    const override = { ...helm, displayName: 'Chart (company)', requiredAnnotations: ['com.acme.owner'] };
    const registry = createTypeRegistry([...BUILTIN_TYPES, override]);
    assert.equal(registry.resolve('application/vnd.cncf.helm.config.v1+json')?.displayName, 'Chart (company)');
    assert.equal(registry.list().length, BUILTIN_TYPES.length);
    assert.equal(
      registry.list().findIndex((t) => t.name === 'helm-chart'),
      BUILTIN_TYPES.findIndex((t) => t.name === 'helm-chart'),
    );
  });
  it('lets an override give up a media type that another type then claims', () => {
    const sif = BUILTIN_TYPES.find((t) => t.name === 'sif');
    assert.ok(sif !== undefined);
    const registry = createTypeRegistry([
      ...BUILTIN_TYPES,
      { ...sif, mediaTypes: ['application/vnd.sylabs.sif.config.v1+json'] },
      type('sif-legacy', ['application/vnd.sylabs.sif.config.v1']),
    ]);
    assert.equal(registry.resolve('application/vnd.sylabs.sif.config.v1')?.name, 'sif-legacy');
  });
});

describe('createTypeRegistry validation', () => {
  it('refuses a name that is not lower-kebab, naming the type and field', () => {
    const error = assertTypeError(
      () => createTypeRegistry([type('Helm_Chart', ['application/vnd.x+json'])]),
      /artifact type "Helm_Chart": \/name: must match pattern/,
    );
    assert.equal(error.pointer, '/name');
  });
  it('refuses an invalid media type with its pointer', () => {
    assertTypeError(
      () => createTypeRegistry([type('bad-type', ['application/vnd.ok+json', 'application json'])]),
      /artifact type "bad-type": \/mediaTypes\/1: "application json" is not a valid media type/,
    );
  });
  it('refuses a media type claimed by two types, naming both', () => {
    assertTypeError(
      () => createTypeRegistry([...BUILTIN_TYPES, type('my-chart', ['Application/vnd.cncf.helm.config.v1+json'])]),
      /artifact type "my-chart": \/mediaTypes\/0: .* already claimed by artifact type "helm-chart"/,
    );
  });
  it('refuses a media type repeated within one type', () => {
    assertTypeError(
      () => createTypeRegistry([type('twice', ['application/vnd.x+json', 'application/vnd.x+json; v=1'])]),
      /\/mediaTypes\/1: .* repeats mediaTypes\[0\]/,
    );
  });
  it('refuses a bare * as an identifying media type', () => {
    assertTypeError(() => createTypeRegistry([type('all', ['*'])]), /\/mediaTypes\/0: "\*" alone would claim/);
  });
  it('refuses a config schema ajv cannot compile', () => {
    assertTypeError(
      () => createTypeRegistry([type('bad-schema', ['application/vnd.x+json'], { configSchema: { type: 'objekt' } })]),
      /artifact type "bad-schema": \/configSchema: is not a valid JSON Schema/,
    );
  });
  it('refuses a misspelt schema keyword (strict mode)', () => {
    assertTypeError(
      () =>
        createTypeRegistry([
          type('typo-schema', ['application/vnd.x+json'], { configSchema: { type: 'object', requried: ['a'] } }),
        ]),
      /\/configSchema: .*requried/,
    );
  });
  it('refuses a draft-04 schema with a clear reason', () => {
    assertTypeError(
      () =>
        createTypeRegistry([
          type('old-schema', ['application/vnd.x+json'], {
            configSchema: { $schema: 'http://json-schema.org/draft-04/schema#', type: 'object' },
          }),
        ]),
      /draft-04 and draft-06 are not supported/,
    );
  });
  it('refuses an icon with a script or an external reference', () => {
    const svg = (body: string): string => `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24">${body}</svg>`;
    for (const body of [
      '<script>alert(1)</script>',
      '<image href="https://evil.example/x.png"/>',
      '<g onload="x()"/>',
    ]) {
      assertTypeError(
        () => createTypeRegistry([type('bad-icon', ['application/vnd.x+json'], { icon: svg(body) })]),
        /\/icon: must not contain scripts/,
      );
    }
    assertTypeError(
      () => createTypeRegistry([type('no-svg', ['application/vnd.x+json'], { icon: '<img src="x">' })]),
      /\/icon: must be one <svg>/,
    );
  });
  it('refuses a source that is not an http(s) URL', () => {
    assertTypeError(
      () => createTypeRegistry([type('no-source', ['application/vnd.x+json'], { source: 'ftp://example.com/x' })]),
      /\/source: must match pattern/,
    );
  });
  it('refuses an unknown category and unknown fields', () => {
    assertTypeError(
      () => createTypeRegistry([type('cat', ['application/vnd.x+json'], { category: 'widget' as 'other' })]),
      /\/category: must be equal to one of the allowed values/,
    );
    assertTypeError(
      () =>
        createTypeRegistry([
          { ...type('extra', ['application/vnd.x+json']), mediatypes: [] } as ArtifactTypeDefinition,
        ]),
      /\/mediatypes: must NOT have additional properties/,
    );
  });
});
