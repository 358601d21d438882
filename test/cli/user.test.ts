/**
 * `berth user add|remove` as an operator runs it: bcrypt lines the server
 * accepts, password from stdin, the htpasswd path from the config, errors
 * in one line with exit code 2.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import { parseHtpasswd } from '../../src/auth/htpasswd.js';

const ROOT = join(import.meta.dirname, '..', '..');
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('BERTH_')));

function berth(args: string[], stdin = ''): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli/main.ts'), ...args], { cwd: ROOT, env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin);
  });
}

describe('berth user', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'berth-cli-user-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('adds users with bcrypt ($2y$) in a 0600 file, changes a password, removes a user', async () => {
    const file = join(dir, 'htpasswd');
    const added = await berth(['user', 'add', 'alice', '--htpasswd', file, '--password-stdin', '--cost', '4'], 'first-pw\n');
    assert.equal(added.code, 0, added.stderr);
    assert.equal(added.stdout, `added user alice to ${file}\n`);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    await berth(['user', 'add', 'bob', '--htpasswd', file, '--password-stdin', '--cost', '4'], 'bob-pw');
    const changed = await berth(['user', 'add', 'alice', '--htpasswd', file, '--password-stdin', '--cost', '4'], 'second-pw\n');
    assert.equal(changed.stdout, `changed the password of alice in ${file}\n`);
    const users = parseHtpasswd(readFileSync(file, 'utf8'), file);
    assert.deepEqual([...users.keys()], ['alice', 'bob']);
    assert.match(users.get('alice') ?? '', /^\$2y\$04\$/);
    assert.equal(bcrypt.compareSync('second-pw', users.get('alice') ?? ''), true);
    const removed = await berth(['user', 'remove', 'alice', '--htpasswd', file]);
    assert.equal(removed.stdout, `removed user alice from ${file}\n`);
    assert.deepEqual([...parseHtpasswd(readFileSync(file, 'utf8'), file).keys()], ['bob']);
  });

  it('takes the file and cost from the config', async () => {
    const file = join(dir, 'from-config');
    const config = join(dir, 'berth.yaml');
    writeFileSync(config, `auth:\n  mode: basic\n  htpasswd: ${file}\n  bcryptCost: 5\n`);
    const res = await berth(['user', 'add', 'carol', '--config', config, '--password-stdin'], 'pw');
    assert.equal(res.code, 0, res.stderr);
    assert.match(readFileSync(file, 'utf8'), /^carol:\$2y\$05\$/);
  });

  it('fails in one line with exit code 2', async () => {
    const file = join(dir, 'errors');
    const cases: [string[], string, RegExp][] = [
      [['user', 'add', 'alice', '--password-stdin'], 'pw', /name the file with --htpasswd FILE/],
      [['user', 'add', 'a:b', '--htpasswd', file, '--password-stdin'], 'pw', /"a:b" is not a valid user name/],
      [['user', 'add', 'alice', '--htpasswd', file, '--password-stdin'], '', /the password is empty/],
      [['user', 'add', 'alice', '--htpasswd', file, '--password-stdin'], 'x'.repeat(80), /longer than 72 bytes/],
      [['user', 'add', 'alice', '--htpasswd', file], '', /no terminal to ask for the password on: use --password-stdin/],
      [['user', 'remove', 'nobody', '--htpasswd', file], '', /no user nobody in/],
    ];
    for (const [args, stdin, message] of cases) {
      const res = await berth(args, stdin);
      assert.equal(res.code, 2, args.join(' '));
      assert.match(res.stderr, message);
      assert.equal(res.stderr.trim().split('\n').length, 1, res.stderr);
    }
  });
});
