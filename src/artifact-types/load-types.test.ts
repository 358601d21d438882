import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ArtifactTypeError } from './artifact-type-error.js';
import { BUILTIN_TYPES } from './builtin/index.js';
import { DEFAULT_ICON } from './icons.js';
import { loadOperatorTypes, loadTypesFromDirectory, parseTypeDefinitions, parseTypeFile } from './load-types.js';
import { createTypeRegistry } from './type-registry.js';

const WIDGET_YAML = `# An operator's own type
name: acme-widget
displayName: ACME widget
description: Widgets built by the ACME pipeline
mediaTypes:
  - application/vnd.acme.widget.config.v1+json
layerMediaTypes:
  - application/vnd.acme.widget.layer.v1.tar+gzip
requiredAnnotations:
  - com.acme.owner
configSchema:
  type: object
  required: [widgetVersion]
  properties:
    widgetVersion: { type: string }
source: https://docs.acme.example/widgets
category: package
`;

async function expectTypeError(work: () => unknown, pattern: RegExp): Promise<ArtifactTypeError> {
  try {
    await work();
  } catch (error) {
    assert.ok(error instanceof ArtifactTypeError, `expected an ArtifactTypeError, got ${String(error)}`);
    assert.match(error.message, pattern);
    return error;
  }
  return assert.fail(`expected an error matching ${String(pattern)}`);
}

describe('parseTypeFile', () => {
  it('reads one YAML definition and fills the defaults', () => {
    const [loaded, ...rest] = parseTypeFile('types/widget.yaml', WIDGET_YAML);
    assert.equal(rest.length, 0);
    assert.equal(loaded?.definition.name, 'acme-widget');
    assert.equal(loaded?.definition.icon, DEFAULT_ICON);
    assert.deepEqual(loaded?.origin, { label: 'types/widget.yaml', pointer: '' });
  });

  it('reads a JSON list of definitions with defaults for layers and category', () => {
    const json = JSON.stringify([
      {
        name: 'one',
        displayName: 'One',
        description: 'First',
        mediaTypes: ['application/vnd.one+json'],
        source: 'https://one.example',
      },
      {
        name: 'two',
        displayName: 'Two',
        description: 'Second',
        mediaTypes: ['application/vnd.two+json'],
        source: 'https://two.example',
      },
    ]);
    const loaded = parseTypeFile('types/pair.json', json);
    assert.deepEqual(
      loaded.map((l) => [l.definition.name, l.definition.category, l.definition.layerMediaTypes, l.origin.pointer]),
      [
        ['one', 'other', [], '/0'],
        ['two', 'other', [], '/1'],
      ],
    );
  });

  it('names the file and JSON pointer of a bad field', async () => {
    const bad = WIDGET_YAML.replace('application/vnd.acme.widget.layer.v1.tar+gzip', 'not a media type');
    const error = await expectTypeError(
      () => parseTypeFile('types/widget.yaml', bad),
      /^types\/widget\.yaml: artifact type "acme-widget": \/layerMediaTypes\/0: "not a media type" is not a valid media type/,
    );
    assert.equal(error.pointer, '/layerMediaTypes/0');
  });

  it('names the entry of a list in the pointer', async () => {
    const json = JSON.stringify([
      {
        name: 'fine',
        displayName: 'Fine',
        description: 'ok',
        mediaTypes: ['application/vnd.fine+json'],
        source: 'https://x.example',
      },
      { name: 'broken', displayName: 'Broken', description: 'no media types', source: 'https://x.example' },
    ]);
    await expectTypeError(
      () => parseTypeFile('types/list.json', json),
      /^types\/list\.json: artifact type "broken": \/1\/mediaTypes: must have required property 'mediaTypes'/,
    );
  });

  it('reports a misspelt field instead of ignoring it', async () => {
    await expectTypeError(
      () => parseTypeFile('types/widget.yaml', WIDGET_YAML.replace('requiredAnnotations', 'requiredAnnotation')),
      /types\/widget\.yaml: artifact type "acme-widget": \/requiredAnnotation: must NOT have additional properties/,
    );
  });

  it('reports a bad config schema with the file', async () => {
    await expectTypeError(
      () => parseTypeFile('types/widget.yaml', WIDGET_YAML.replace('type: string', 'type: text')),
      /types\/widget\.yaml: artifact type "acme-widget": \/configSchema: is not a valid JSON Schema/,
    );
  });

  it('reports YAML syntax errors with the file and line', async () => {
    await expectTypeError(
      () => parseTypeFile('types/broken.yaml', 'name: a\n  bad: [indent\n'),
      /^types\/broken\.yaml: is not valid YAML: .* at line \d+, column \d+$/,
    );
  });

  it('refuses a file that is not a mapping or a list', async () => {
    await expectTypeError(
      () => parseTypeFile('types/scalar.yaml', 'just a string\n'),
      /types\/scalar\.yaml: must contain one type definition/,
    );
  });
});

describe('parseTypeDefinitions (config file list)', () => {
  it('labels errors with the config path', async () => {
    await expectTypeError(
      () => parseTypeDefinitions([{ name: 'no-fields' }], 'config artifactTypes'),
      /^config artifactTypes: artifact type "no-fields": \/0\/displayName: must have required property/,
    );
  });
});

describe('loadTypesFromDirectory and loadOperatorTypes', () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'berth-types-'));
    await writeFile(join(dir, 'b-widget.yaml'), WIDGET_YAML);
    await writeFile(
      join(dir, 'a-chart.yml'),
      [
        'name: helm-chart',
        'displayName: Helm chart (ACME)',
        'description: Helm charts, with ACME ownership required',
        'mediaTypes: [application/vnd.cncf.helm.config.v1+json]',
        'layerMediaTypes: [application/vnd.cncf.helm.chart.content.v1.tar+gzip]',
        'requiredAnnotations: [com.acme.owner]',
        'source: https://helm.sh/community/hips/hip-0017',
        'category: package',
      ].join('\n'),
    );
    await writeFile(join(dir, 'notes.txt'), 'ignored: not a types file');
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads .yaml/.yml/.json files in name order', async () => {
    const loaded = await loadTypesFromDirectory(dir);
    assert.deepEqual(
      loaded.map((l) => l.definition.name),
      ['helm-chart', 'acme-widget'],
    );
  });

  it('feeds the registry: operator types are added and override built-ins by name', async () => {
    const registry = createTypeRegistry([
      ...BUILTIN_TYPES,
      ...(await loadOperatorTypes({
        config: [
          {
            name: 'acme-report',
            displayName: 'Report',
            description: 'Reports',
            mediaTypes: ['application/vnd.acme.report+json'],
            source: 'https://acme.example',
          },
        ],
        directory: dir,
      })),
    ]);
    assert.equal(registry.resolve('application/vnd.acme.widget.config.v1+json')?.name, 'acme-widget');
    assert.equal(registry.resolve('application/vnd.acme.report+json')?.name, 'acme-report');
    assert.equal(registry.get('helm-chart')?.displayName, 'Helm chart (ACME)');
    assert.deepEqual(registry.get('helm-chart')?.requiredAnnotations, ['com.acme.owner']);
  });

  it('names the file when two files claim one media type', async () => {
    const clash = await mkdtemp(join(tmpdir(), 'berth-types-'));
    try {
      await writeFile(join(clash, 'widget.yaml'), WIDGET_YAML);
      await writeFile(
        join(clash, 'widget-copy.yaml'),
        WIDGET_YAML.replace('name: acme-widget', 'name: acme-widget-copy'),
      );
      const types = await loadTypesFromDirectory(clash);
      await expectTypeError(
        () => createTypeRegistry([...BUILTIN_TYPES, ...types]),
        /widget\.yaml: artifact type "acme-widget": \/mediaTypes\/0: .* already claimed by artifact type "acme-widget-copy"/,
      );
    } finally {
      await rm(clash, { recursive: true, force: true });
    }
  });
});
