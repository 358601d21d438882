import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import { HtpasswdError, openHtpasswd, parseHtpasswd } from './htpasswd.js';

const hash = (password: string): string => bcrypt.hashSync(password, 4).replace(/^\$2b\$/, '$2y$');

describe('htpasswd parsing', () => {
  it('reads bcrypt lines, skipping comments, blank lines and CRLF', () => {
    const a = hash('a');
    const users = parseHtpasswd(`# users\r\n\r\nalice:${a}\r\nbob:${hash('b')}\n`, 'f');
    assert.deepEqual([...users.keys()], ['alice', 'bob']);
    assert.equal(users.get('alice'), a);
  });

  it('refuses other hash formats naming the line and the fix, never quoting the hash', () => {
    const cases: [string, RegExp][] = [
      ['carol:$apr1$abcdefgh$0123456789abcdefghijkl', /Apache MD5/],
      ['carol:{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=', /SHA-1/],
      ['carol:hunter2plaintext', /plain-text or unknown/],
      ['carol:$6$salt$hash', /SHA-crypt/],
    ];
    for (const [line, kind] of cases) {
      assert.throws(
        () => parseHtpasswd(`alice:${hash('a')}\n${line}\n`, '/etc/berth/users'),
        (err: unknown) => {
          assert.ok(err instanceof HtpasswdError);
          assert.match(err.message, /^\/etc\/berth\/users:2: user "carol" has a/);
          assert.match(err.message, kind);
          assert.match(err.message, /regenerate with `berth user add carol --htpasswd \/etc\/berth\/users`/);
          assert.ok(!err.message.includes(line.slice(6)), 'the hash (maybe a plain password) is not repeated');
          return true;
        },
      );
    }
  });

  it('refuses a user listed twice and malformed lines', () => {
    assert.throws(() => parseHtpasswd(`a:${hash('x')}\na:${hash('y')}\n`, 'f'), /f:2: user "a" already defined on line 1/);
    assert.throws(() => parseHtpasswd('no-colon-here\n', 'f'), /f:1: expected "user:bcrypt-hash"/);
    assert.throws(() => parseHtpasswd(`$bad:${hash('x')}\n`, 'f'), /f:1: user names/);
  });
});

describe('htpasswd verification', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'berth-htpasswd-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('accepts the right password and refuses a wrong one', async () => {
    const path = join(dir, 'ok');
    writeFileSync(path, `alice:${hash('s3cret')}\n`);
    const users = await openHtpasswd({ path, clock: () => 0 });
    assert.equal(await users.verify('alice', 's3cret'), true);
    assert.equal(await users.verify('alice', 's3cret'), true, 'cached success');
    assert.equal(await users.verify('alice', 'wrong'), false);
  });

  it('checks an unknown user against a dummy bcrypt hash, so it takes the bcrypt path', async () => {
    const path = join(dir, 'dummy');
    const aliceHash = hash('s3cret');
    writeFileSync(path, `alice:${aliceHash}\n`);
    const calls: string[] = [];
    const users = await openHtpasswd({
      path,
      clock: () => 0,
      compare: async (password, h) => {
        calls.push(h);
        return bcrypt.compare(password, h);
      },
    });
    assert.equal(await users.verify('mallory', 's3cret'), false);
    assert.equal(calls.length, 1, 'bcrypt ran once for the unknown user');
    assert.match(calls[0] ?? '', /^\$2[aby]\$04\$/, 'a bcrypt hash of the same cost as the file');
    assert.notEqual(calls[0], aliceHash);
    // Even the password that would match the dummy's random input cannot pass: the user is unknown.
    await users.verify('alice', 'wrong');
    assert.equal(calls[1], aliceHash);
  });

  it('re-reads the file when it changes (checked at most once per interval) and keeps the users when a reload fails', async () => {
    const path = join(dir, 'reload');
    writeFileSync(path, `alice:${hash('one')}\n`);
    let now = 0;
    const users = await openHtpasswd({ path, clock: () => now, recheckMs: 1000 });
    const before = await users.fingerprint('alice');
    writeFileSync(path, `alice:${hash('two')}\nbob:${hash('bob')}\n`);
    assert.equal(await users.verify('bob', 'bob'), false, 'not yet re-checked');
    now += 1000;
    assert.equal(await users.verify('bob', 'bob'), true);
    assert.equal(await users.verify('alice', 'two'), true);
    assert.notEqual(await users.fingerprint('alice'), before, 'a new password changes the fingerprint');
    writeFileSync(path, `alice:$apr1$xx$yy\n`);
    now += 1000;
    assert.equal(await users.verify('alice', 'two'), true, 'bad file: previous users kept');
    assert.equal(await users.fingerprint('nobody'), undefined);
  });

  it('refuses to open a file with a non-bcrypt line', async () => {
    const path = join(dir, 'bad');
    writeFileSync(path, 'alice:{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=\n');
    await assert.rejects(openHtpasswd({ path, clock: () => 0 }), /bad:1: user "alice" has a SHA-1 \(\{SHA\}\) hash/);
    await assert.rejects(openHtpasswd({ path: join(dir, 'missing'), clock: () => 0 }), /cannot read htpasswd file/);
  });
});
