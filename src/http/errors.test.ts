import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { toRegistryError } from './errors.js';

describe('toRegistryError', () => {
  it('maps a full disk or quota under storage, SQLite or PostgreSQL to STORAGE_FULL (507)', () => {
    for (const code of ['ENOSPC', 'EDQUOT', 'SQLITE_FULL', '53100']) {
      const mapped = toRegistryError(Object.assign(new Error(code), { code }));
      assert.equal(mapped?.code, 'STORAGE_FULL', code);
      assert.equal(mapped?.status, 507);
    }
  });

  it('leaves other server faults to the 500 path', () => {
    for (const code of ['EIO', 'SQLITE_CORRUPT', '53200', undefined]) {
      assert.equal(toRegistryError(Object.assign(new Error('x'), { code })), undefined, String(code));
    }
  });
});
