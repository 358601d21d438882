import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BUILTIN_TYPES } from './builtin/index.js';
import { findSummaryLayers } from './summary.js';
import { loadManifestFixture } from './testing/fixtures.js';

const layer = (mediaType: string, title?: string): { mediaType: string; annotations?: Record<string, string> } =>
  title === undefined ? { mediaType } : { mediaType, annotations: { 'org.opencontainers.image.title': title } };

describe('findSummaryLayers', () => {
  it('finds text/markdown and keeps manifest order', () => {
    const layers = [layer('image/png'), layer('text/markdown'), layer('text/x-markdown'), layer('application/json')];
    assert.deepEqual(findSummaryLayers({ layers }), [layer('text/markdown'), layer('text/x-markdown')]);
  });

  it('finds media types ending in .md, .markdown or +markdown, in any case', () => {
    const layers = [
      layer('application/vnd.acme.summary.layer.v1.md'),
      layer('application/vnd.acme.readme+markdown'),
      layer('Application/Vnd.Acme.Notes.MARKDOWN'),
      layer('application/vnd.acme.mdx'),
    ];
    assert.equal(findSummaryLayers({ layers }).length, 3);
  });

  it('finds layers titled *.md whatever their media type (oras push README.md)', () => {
    const layers = [
      layer('application/vnd.oci.image.layer.v1.tar', 'README.md'),
      layer('application/vnd.oci.image.layer.v1.tar', 'app.tar'),
    ];
    assert.deepEqual(findSummaryLayers({ layers }), [layers[0]]);
  });

  it("uses the type's own summaryLayerMediaTypes", () => {
    const def = { ...BUILTIN_TYPES[0]!, summaryLayerMediaTypes: ['application/vnd.acme.overview.v1+html'] };
    assert.equal(findSummaryLayers({ layers: [layer('application/vnd.acme.overview.v1+html')] }, def).length, 1);
  });

  it('finds the README of the berth-docs fixture and nothing in an image', () => {
    const docs = loadManifestFixture('berth-docs');
    assert.deepEqual(
      findSummaryLayers(docs).map((l) => l.annotations?.['org.opencontainers.image.title']),
      ['README.md'],
    );
    assert.deepEqual(findSummaryLayers(loadManifestFixture('oci-image')), []);
    assert.deepEqual(findSummaryLayers({}), []);
  });
});
