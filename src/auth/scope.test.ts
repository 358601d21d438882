import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { formatScopes, parseResourceScope, parseScopes, ScopeError } from './scope.js';

describe('scope grammar (scope.md)', () => {
  it('parses type, name and actions', () => {
    assert.deepEqual(parseResourceScope('repository:samalba/my-app:pull,push'), {
      type: 'repository',
      name: 'samalba/my-app',
      actions: ['pull', 'push'],
    });
    assert.deepEqual(parseResourceScope('registry:catalog:*'), { type: 'registry', name: 'catalog', actions: ['*'] });
  });

  it('keeps a host port inside the name and drops a resource class', () => {
    assert.deepEqual(parseResourceScope('repository(plugin):localhost:5000/app:pull'), {
      type: 'repository',
      name: 'localhost:5000/app',
      actions: ['pull'],
    });
  });

  it('merges repeated parameters and space-separated lists', () => {
    assert.deepEqual(parseScopes(['repository:a:pull repository:b:push', 'repository:a:push,pull']), [
      { type: 'repository', name: 'a', actions: ['pull', 'push'] },
      { type: 'repository', name: 'b', actions: ['push'] },
    ]);
    assert.deepEqual(parseScopes(['']), []);
  });

  it('refuses malformed entries and too many scopes', () => {
    for (const bad of ['repository', 'repository:app', ':app:pull', 'Repo:app:pull', 'repository::pull', 'repository:a b:pull', 'repository:app:PULL']) {
      assert.throws(() => parseScopes([bad]), ScopeError, bad);
    }
    assert.throws(() => parseScopes([Array.from({ length: 70 }, (_, i) => `repository:r${i}:pull`).join(' ')]), /more than 64/);
  });

  it('formats granted scopes, leaving out empty grants', () => {
    assert.equal(
      formatScopes([
        { type: 'repository', name: 'a', actions: ['pull', 'push'] },
        { type: 'repository', name: 'b', actions: [] },
        { type: 'registry', name: 'catalog', actions: ['*'] },
      ]),
      'repository:a:pull,push registry:catalog:*',
    );
  });
});
