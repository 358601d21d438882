import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { compareSemver, parseSemver, type SemVer } from './semver.js';

describe('semver tags', () => {
  it('parses versions with an optional v and pre-releases, and nothing else', () => {
    assert.deepEqual(parseSemver('v1.2.3-rc.1'), { major: 1, minor: 2, patch: 3, prerelease: ['rc', 1] });
    assert.deepEqual(parseSemver('0.0.0'), { major: 0, minor: 0, patch: 0, prerelease: [] });
    for (const tag of ['latest', '1.2', '01.2.3', '1.2.3-', 'v', '1.2.3.4', 'sha256-abc.sig', '1.2.3-01']) {
      assert.equal(parseSemver(tag), undefined, tag);
    }
  });

  it('orders by semver precedence (semver.org §11)', () => {
    const ordered = [
      '1.0.0-alpha',
      '1.0.0-alpha.1',
      '1.0.0-alpha.beta',
      '1.0.0-beta',
      '1.0.0-beta.2',
      '1.0.0-beta.11',
      '1.0.0-rc.1',
      '1.0.0',
      '1.2.0',
      '1.10.0',
      'v2.0.0',
    ];
    const parsed = ordered.map((t) => parseSemver(t) ?? assert.fail(t));
    const shuffled = [...parsed].reverse().sort((a: SemVer, b: SemVer) => compareSemver(a, b));
    assert.deepEqual(shuffled, parsed);
    assert.equal(compareSemver(parseSemver('1.0.0') ?? assert.fail(), parseSemver('v1.0.0') ?? assert.fail()), 0);
  });
});
