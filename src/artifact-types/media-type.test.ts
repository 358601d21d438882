import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  isValidMediaType,
  isValidMediaTypePattern,
  mediaTypeMatches,
  mediaTypeWarnings,
  normalizeMediaType,
} from './media-type.js';

describe('isValidMediaType (RFC 6838 §4.2)', () => {
  for (const valid of [
    'application/vnd.oci.image.manifest.v1+json',
    'application/vnd.dev.sigstore.bundle+json;version=0.3',
    'application/json; charset=utf-8',
    'text/spdx',
    'archive/zip',
    'application/vnd.cncf.falco.rulesfile.layer.v1+tar.gz',
    'Application/JSON',
    'application/x.vnd.cyclonedx+protobuf',
  ]) {
    it(`accepts ${valid}`, () => assert.equal(isValidMediaType(valid), true));
  }
  for (const [invalid, why] of [
    ['', 'empty'],
    ['application', 'no subtype'],
    ['application/', 'empty subtype'],
    ['/json', 'empty type'],
    ['application/vnd/json', 'two slashes'],
    ['application json', 'space'],
    [' application/json', 'leading space'],
    ['application/vnd.example+', 'empty suffix'],
    ['application/.hidden', 'subtype starts with a symbol'],
    ['application/vnd.é', 'non-ASCII'],
    [`application/${'a'.repeat(128)}`, 'subtype longer than 127'],
    ['application/*', 'wildcard is not a media type'],
  ]) {
    it(`refuses ${JSON.stringify(invalid)} (${why})`, () => assert.equal(isValidMediaType(invalid ?? ''), false));
  }
});

describe('mediaTypeWarnings', () => {
  it('has nothing to say about a clean vnd. type', () => {
    assert.deepEqual(mediaTypeWarnings('application/vnd.cncf.helm.config.v1+json'), []);
  });
  it('warns about upper case', () => {
    const [warning, ...rest] = mediaTypeWarnings('Application/vnd.Acme.Thing+json');
    assert.equal(rest.length, 0);
    assert.match(warning ?? '', /'Application\/vnd\.Acme\.Thing\+json' contains upper-case letters/);
  });
  it('warns about x- and x. names', () => {
    assert.match(mediaTypeWarnings('application/x-tar').join(), /deprecated x- prefix/);
    assert.match(mediaTypeWarnings('application/x.vnd.cyclonedx+protobuf').join(), /unregistered x\. tree/);
  });
  it('warns about an unregistered top-level type', () => {
    assert.match(mediaTypeWarnings('archive/zip').join(), /top-level type 'archive'/);
  });
  it('says nothing about invalid media types (they are errors)', () => {
    assert.deepEqual(mediaTypeWarnings('not a media type'), []);
  });
  it('produces header-safe text', () => {
    for (const warning of mediaTypeWarnings('X-Foo/X-Bar')) assert.match(warning, /^[\x20-\x21\x23-\x5b\x5d-\x7e]+$/);
  });
});

describe('normalizeMediaType and patterns', () => {
  it('lower-cases and drops parameters', () => {
    assert.equal(normalizeMediaType(' Application/SPDX+JSON ; charset=utf-8'), 'application/spdx+json');
  });
  it('accepts trailing-* patterns only', () => {
    assert.equal(isValidMediaTypePattern('application/vnd.cncf.model.*'), true);
    assert.equal(isValidMediaTypePattern('application/*'), true);
    assert.equal(isValidMediaTypePattern('*'), true);
    assert.equal(isValidMediaTypePattern('application/*+json'), false);
    assert.equal(isValidMediaTypePattern('*/json'), false);
    assert.equal(isValidMediaTypePattern('application/vnd.x;v=1*'), false);
  });
  it('matches exactly, by prefix, or anything', () => {
    assert.equal(mediaTypeMatches('application/vnd.cncf.model.*', 'application/vnd.cncf.model.weight.v1.tar'), true);
    assert.equal(mediaTypeMatches('application/vnd.cncf.model.*', 'application/vnd.cncf.modelx'), false);
    assert.equal(mediaTypeMatches('application/spdx+json', 'Application/SPDX+json; charset=utf-8'), true);
    assert.equal(mediaTypeMatches('*', 'anything/at-all'), true);
  });
});
