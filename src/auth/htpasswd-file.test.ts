import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import bcrypt from 'bcryptjs';
import { hashPassword, removeUserLine, setUserLine } from './htpasswd-file.js';
import { parseHtpasswd } from './htpasswd.js';

describe('htpasswd file editing', () => {
  it('hashes with bcrypt in the $2y$ form at the given cost', async () => {
    const h = await hashPassword('s3cret', 4);
    assert.match(h, /^\$2y\$04\$/);
    assert.equal(await bcrypt.compare('s3cret', h), true);
    await assert.rejects(hashPassword('', 4), /empty/);
    await assert.rejects(hashPassword('x'.repeat(73), 4), /longer than 72 bytes/);
  });

  it('appends a new user, replaces an existing one and keeps comments', () => {
    const first = setUserLine('# berth users\nbob:HASHB\n', 'alice', 'HASHA');
    assert.deepEqual(first, { text: '# berth users\nbob:HASHB\nalice:HASHA\n', added: true });
    const second = setUserLine(first.text, 'bob', 'NEW');
    assert.deepEqual(second, { text: '# berth users\nbob:NEW\nalice:HASHA\n', added: false });
    assert.equal(setUserLine('', 'alice', 'H').text, 'alice:H\n');
    assert.throws(() => setUserLine('', 'a:b', 'H'), /not a valid user name/);
  });

  it('removes a user', () => {
    assert.deepEqual(removeUserLine('a:1\nb:2\n', 'a'), { text: 'b:2\n', removed: true });
    assert.deepEqual(removeUserLine('a:1\n', 'zz'), { text: 'a:1\n', removed: false });
    assert.deepEqual(removeUserLine('a:1\n', 'a'), { text: '', removed: true });
  });

  it('writes what the parser reads', async () => {
    const { text } = setUserLine('', 'alice', await hashPassword('pw', 4));
    assert.deepEqual([...parseHtpasswd(text, 'f').keys()], ['alice']);
  });
});
