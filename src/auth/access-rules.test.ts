import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AccessRuleError, compileAccessPolicy, type AccessRuleConfig } from './access-rules.js';

const rules: AccessRuleConfig[] = [
  { repositories: 'team-a/secret/**', allow: { alice: ['pull'] } },
  { repositories: 'team-a/**', allow: { alice: ['pull', 'push', 'delete'], '@devs': ['pull', 'push'], $authenticated: ['pull'] } },
  { repositories: ['library/*', 'public/**'], allow: { $anonymous: ['pull'], '@admins': ['push', 'delete'] } },
];
const groups = { devs: ['bob', 'carol'], admins: ['root'] };

describe('access rules', () => {
  const policy = compileAccessPolicy(rules, groups);
  const actions = (user: string | undefined, repo: string): string[] => [...policy.actionsFor(user, repo)].sort();

  it('the first rule whose glob matches decides, even when a later one would grant more', () => {
    assert.deepEqual(actions('alice', 'team-a/secret/x'), ['pull']);
    assert.deepEqual(actions('bob', 'team-a/secret/x'), []);
    assert.deepEqual(actions('alice', 'team-a/app'), ['delete', 'pull', 'push']);
  });

  it('no matching rule means no access, for everyone', () => {
    assert.deepEqual(actions('alice', 'elsewhere/app'), []);
    assert.deepEqual(actions(undefined, 'elsewhere/app'), []);
    assert.equal(policy.allows('root', 'team-b/app', 'pull'), false);
  });

  it('groups, $authenticated and user grants add up within the matching rule', () => {
    assert.deepEqual(actions('bob', 'team-a/app'), ['pull', 'push']);
    assert.deepEqual(actions('dave', 'team-a/app'), ['pull']);
    assert.deepEqual(actions(undefined, 'team-a/app'), []);
  });

  it('$anonymous applies to everyone, logged in or not', () => {
    assert.deepEqual(actions(undefined, 'library/nginx'), ['pull']);
    assert.deepEqual(actions('dave', 'library/nginx'), ['pull']);
    assert.deepEqual(actions('root', 'library/nginx'), ['delete', 'pull', 'push']);
    assert.equal(policy.anonymousAccess, true);
  });

  it("'*' matches one path segment and '**' any number", () => {
    assert.equal(policy.allows(undefined, 'library/nginx', 'pull'), true);
    assert.equal(policy.allows(undefined, 'library/a/b', 'pull'), false);
    assert.equal(policy.allows(undefined, 'library', 'pull'), false);
    assert.equal(policy.allows(undefined, 'public/a/b/c', 'pull'), true);
    assert.equal(policy.allows(undefined, 'team-a', 'pull'), false);
  });

  it('refuses bad rules naming the rule and field', () => {
    assert.throws(() => compileAccessPolicy([{ repositories: 'a/**', allow: { '@ghosts': ['pull'] } }]), (err: unknown) => {
      assert.ok(err instanceof AccessRuleError);
      assert.match(err.message, /auth\.rules\[0\]\.allow\.@ghosts: no group "ghosts"/);
      return true;
    });
    assert.throws(
      () => compileAccessPolicy([{ repositories: 'a/**', allow: { x: ['pull'] } }, { repositories: 'Bad//glob', allow: {} }]),
      /auth\.rules\[1\]\.repositories: "Bad\/\/glob"/,
    );
    assert.throws(() => compileAccessPolicy([{ repositories: 'a', allow: { $everyone: ['pull'] } }]), /unknown principal/);
    assert.throws(() => compileAccessPolicy([{ repositories: 'a', allow: { x: ['write' as 'pull'] } }]), /"write" is not one of pull, push, delete/);
    assert.throws(() => compileAccessPolicy([], { devs: ['a:b'] }), /auth\.groups\.devs: "a:b"/);
  });

  it('a policy without anonymous grants says so', () => {
    assert.equal(compileAccessPolicy([{ repositories: '**', allow: { $authenticated: ['pull'] } }]).anonymousAccess, false);
  });
});
