import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileRepositoryGlob, isValidRepositoryGlob } from './repository-glob.js';

describe('repository globs', () => {
  const cases: [string, string, boolean][] = [
    ['**', 'a', true],
    ['**', 'a/b/c', true],
    ['*', 'a', true],
    ['*', 'a/b', false],
    ['library/*', 'library/nginx', true],
    ['library/*', 'library/team/nginx', false],
    ['team-*/app', 'team-blue/app', true],
    ['team-*/app', 'team-blue/x/app', false],
    ['images/**', 'images/app', true],
    ['images/**', 'images/a/b', true],
    ['images/**', 'images', false],
    ['**/cache', 'a/b/cache', true],
    ['**/cache', 'cache', false],
    ['a.b', 'axb', false],
    ['a.b', 'a.b', true],
  ];
  for (const [glob, repository, expected] of cases) {
    it(`${glob} ${expected ? 'matches' : 'does not match'} ${repository}`, () => {
      assert.equal(compileRepositoryGlob(glob)(repository), expected);
    });
  }

  it('refuses malformed globs', () => {
    for (const glob of ['', 'A/b', 'a//b', '/a', 'a/', 'a/***', 'a b', 'a/[bc]']) {
      assert.equal(isValidRepositoryGlob(glob), false, glob);
      assert.throws(() => compileRepositoryGlob(glob), /is not a repository glob/);
    }
  });
});
