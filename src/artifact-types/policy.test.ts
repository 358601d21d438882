import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ArtifactTypeError } from './artifact-type-error.js';
import { BUILTIN_TYPES } from './builtin/index.js';
import type { IdentifiedType } from './identify.js';
import { createTypePolicy, type TypeRule } from './policy.js';
import { createTypeRegistry } from './type-registry.js';

const registry = createTypeRegistry(BUILTIN_TYPES);
const HELM: IdentifiedType = { mediaType: 'application/vnd.cncf.helm.config.v1+json', source: 'config' };
const IMAGE: IdentifiedType = { mediaType: 'application/vnd.oci.image.config.v1+json', source: 'config' };
const INDEX: IdentifiedType = { mediaType: 'application/vnd.oci.image.index.v1+json', source: 'index' };
const COSIGN: IdentifiedType = { mediaType: 'application/vnd.dev.cosign.artifact.sig.v1+json', source: 'artifactType' };
const NOTATION: IdentifiedType = { mediaType: 'application/vnd.cncf.notary.signature', source: 'artifactType' };
const UNKNOWN: IdentifiedType = { mediaType: 'application/vnd.acme.thing.v1+json', source: 'artifactType' };

const RULES: TypeRule[] = [
  {
    repositories: 'charts/**',
    allow: ['helm-chart', 'cosign-signature', 'application/vnd.cncf.notary.*'],
    validate: { schema: true, layers: true, requiredAnnotations: ['org.opencontainers.image.source'] },
  },
  { repositories: 'team-*/images', allow: ['oci-image', 'oci-image-index', 'docker-*'] },
  { repositories: 'sandbox/**', deny: ['helm-chart'] },
  { repositories: 'locked', allow: [] },
  { repositories: '**', deny: ['application/vnd.acme.*'] },
];
const policy = createTypePolicy(RULES, registry);

describe('createTypePolicy decisions', () => {
  it('allows a listed type and hands over the rule’s validation', () => {
    const decision = policy.check('charts/web', HELM);
    assert.equal(decision.allowed, true);
    assert.equal(decision.type?.name, 'helm-chart');
    assert.equal(decision.ruleIndex, 0);
    assert.deepEqual(decision.validation, {
      schema: true,
      layers: true,
      requiredAnnotations: ['org.opencontainers.image.source'],
    });
  });

  it('denies an unlisted type with a detail naming the type and what the repository accepts', () => {
    const decision = policy.check('charts/web', IMAGE);
    assert.equal(decision.allowed, false);
    assert.equal(decision.code, 'DENIED');
    assert.equal(
      decision.detail,
      "artifact type 'oci-image' (application/vnd.oci.image.config.v1+json) is not accepted in repository 'charts/web' " +
        "(rule for 'charts/**'); it accepts only: helm-chart, cosign-signature, application/vnd.cncf.notary.*",
    );
  });

  it('matches media type entries with wildcards', () => {
    assert.equal(policy.check('charts/web', NOTATION).allowed, true);
    assert.equal(policy.check('charts/web', COSIGN).allowed, true);
  });

  it('matches short-name wildcards', () => {
    const dockerList: IdentifiedType = {
      mediaType: 'application/vnd.docker.distribution.manifest.list.v2+json',
      source: 'index',
    };
    assert.equal(policy.check('team-a/images', dockerList).allowed, true);
    assert.equal(policy.check('team-a/images', INDEX).allowed, true);
    assert.equal(policy.check('team-a/images', HELM).allowed, false);
  });

  it('uses * for one segment and ** for any depth', () => {
    assert.equal(policy.check('charts/a/b/c', IMAGE).ruleIndex, 0);
    assert.equal(policy.check('team-a/images', IMAGE).ruleIndex, 1);
    // team-*/images does not span segments: falls through to the catch-all.
    assert.equal(policy.check('team-a/x/images', HELM).ruleIndex, 4);
    // charts/** needs something after "charts/".
    assert.equal(policy.check('charts', HELM).ruleIndex, 4);
  });

  it('lets the first matching rule decide', () => {
    // sandbox/** comes before ** and allows what ** would deny.
    assert.equal(policy.check('sandbox/play', UNKNOWN).allowed, true);
    assert.equal(policy.check('elsewhere', UNKNOWN).allowed, false);
  });

  it('explains a deny-list refusal', () => {
    const decision = policy.check('sandbox/play', HELM);
    assert.equal(decision.allowed, false);
    assert.match(
      decision.detail ?? '',
      /artifact type 'helm-chart' .* is not accepted in repository 'sandbox\/play' \(rule for 'sandbox\/\*\*'\): it refuses helm-chart; it accepts every other type/,
    );
  });

  it('describes an unknown type by its media type', () => {
    const decision = policy.check('elsewhere', UNKNOWN);
    assert.match(
      decision.detail ?? '',
      /^artifact type 'application\/vnd\.acme\.thing\.v1\+json' \(not a registered type\)/,
    );
    assert.equal(decision.type, undefined);
  });

  it('accepts nothing in a repository whose allow list is empty', () => {
    const decision = policy.check('locked', IMAGE);
    assert.equal(decision.allowed, false);
    assert.match(decision.detail ?? '', /it accepts only: no types/);
  });

  it('allows every type, without validation, where no rule matches', () => {
    const open = createTypePolicy([{ repositories: 'charts/**', allow: ['helm-chart'] }], registry);
    const decision = open.check('images/app', IMAGE);
    assert.deepEqual(
      { allowed: decision.allowed, validation: decision.validation, ruleIndex: decision.ruleIndex },
      { allowed: true, validation: undefined, ruleIndex: undefined },
    );
    assert.equal(createTypePolicy([], registry).check('anything', UNKNOWN).allowed, true);
  });
});

describe('createTypePolicy start-up checks', () => {
  const refuses = (rules: TypeRule[], pattern: RegExp): void => {
    assert.throws(
      () => createTypePolicy(rules, registry, { label: 'config typeRules' }),
      (error: unknown) => error instanceof ArtifactTypeError && pattern.test(error.message),
    );
  };
  it('names an unknown type name with its pointer', () => {
    refuses(
      [{ repositories: 'a/**', allow: ['helm-chrt'] }],
      /^config typeRules: \/0\/allow\/0: "helm-chrt" is not a known artifact type/,
    );
  });
  it('refuses a bad glob', () => {
    refuses(
      [{ repositories: '**' }, { repositories: 'Charts//x' }],
      /^config typeRules: \/1\/repositories: .* is not a repository glob/,
    );
  });
  it('refuses an entry that is neither a name nor a media type', () => {
    refuses([{ repositories: '**', deny: ['Helm Chart'] }], /\/0\/deny\/0: "Helm Chart" is neither a type name/);
    refuses(
      [{ repositories: '**', deny: ['application/*+json'] }],
      /\/0\/deny\/0: .* is not a valid media type or media type pattern/,
    );
  });
});
