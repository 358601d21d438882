/**
 * htpasswd files with bcrypt hashes (`user:$2y$10$…`, one a line, `#`
 * comments). Other hash formats are refused when the file is read, with the
 * line and the fix. The file is re-read when it changes (checked at most
 * once a second, on use), so `berth user add` takes effect without a restart.
 */
import { createHmac, randomBytes, createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import bcrypt from 'bcryptjs';
import type { Logger } from 'pino';
import { USER_NAME, USER_NAME_RULE } from './user-name.js';

/** A bcrypt hash as htpasswd writes it. */
export const BCRYPT_HASH = /^\$2[aby]\$(\d\d)\$[./A-Za-z0-9]{53}$/;

/** An htpasswd file berth cannot use; `message` names the file, line and fix. */
export class HtpasswdError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HtpasswdError';
  }
}

/** Names a non-bcrypt hash without quoting it (it may be a plain-text password). */
function hashKind(hash: string): string {
  if (hash.startsWith('$apr1$')) return 'Apache MD5 ($apr1$)';
  if (hash.startsWith('{SHA}')) return 'SHA-1 ({SHA})';
  if (hash.startsWith('$1$')) return 'MD5-crypt ($1$)';
  if (hash.startsWith('$5$') || hash.startsWith('$6$')) return 'SHA-crypt';
  if (/^\$2[aby]\$/.test(hash)) return 'malformed bcrypt';
  if (/^[./A-Za-z0-9]{13}$/.test(hash)) return 'DES crypt';
  return 'plain-text or unknown';
}

/**
 * Parses htpasswd text into user → bcrypt hash.
 *
 * @throws HtpasswdError naming `file:line` for a non-bcrypt hash, a bad user
 *   name or a user listed twice.
 * @example
 * parseHtpasswd('alice:$2y$10$…\n', 'users.htpasswd').get('alice');
 */
export function parseHtpasswd(text: string, file: string): Map<string, string> {
  const users = new Map<string, string>();
  const lineOf = new Map<string, number>();
  const lines = text.split('\n');
  for (const [i, raw] of lines.entries()) {
    const line = raw.replace(/\r$/, '').trim();
    if (line === '' || line.startsWith('#')) continue;
    const at = `${file}:${i + 1}`;
    const colon = line.indexOf(':');
    if (colon <= 0) throw new HtpasswdError(`${at}: expected "user:bcrypt-hash"`);
    const user = line.slice(0, colon);
    const hash = line.slice(colon + 1);
    if (!USER_NAME.test(user)) {
      throw new HtpasswdError(`${at}: ${USER_NAME_RULE}`);
    }
    if (!BCRYPT_HASH.test(hash)) {
      throw new HtpasswdError(
        `${at}: user "${user}" has a ${hashKind(hash)} hash; berth accepts only bcrypt ($2y$, $2b$, $2a$): ` +
          `regenerate with \`berth user add ${user} --htpasswd ${file}\``,
      );
    }
    const earlier = lineOf.get(user);
    if (earlier !== undefined) throw new HtpasswdError(`${at}: user "${user}" already defined on line ${earlier}`);
    users.set(user, hash);
    lineOf.set(user, i + 1);
  }
  return users;
}

/** Checks passwords against an htpasswd file that may change. */
export interface Htpasswd {
  /**
   * True when `password` is `user`'s. An unknown user is checked against a
   * dummy bcrypt hash of the same cost, so rejecting one takes as long as a
   * wrong password.
   */
  verify(user: string, password: string): Promise<boolean>;
  /**
   * A short digest of `user`'s current hash (it changes when the password
   * does); undefined when the user is not in the file. Refresh tokens carry
   * it so a password change or removal ends them.
   */
  fingerprint(user: string): Promise<string | undefined>;
}

export interface HtpasswdOptions {
  path: string;
  /** Epoch milliseconds: paces change checks and the verification cache. */
  clock: () => number;
  logger?: Logger;
  /** bcrypt comparison; injected by tests to observe the dummy-hash path. */
  compare?: (password: string, hash: string) => Promise<boolean>;
  /** Minimum time between checks of the file's mtime. Default 1000 ms. */
  recheckMs?: number;
  /** How long a successful check is remembered (bcrypt costs ~50 ms a call). Default 60 s. */
  cacheMs?: number;
}

interface Loaded {
  users: Map<string, string>;
  dummy: string;
  signature: string;
}

/**
 * Reads the file (refusing it when any line is not bcrypt) and returns a checker.
 *
 * @throws HtpasswdError when the file cannot be read or has a bad line.
 */
export async function openHtpasswd(options: HtpasswdOptions): Promise<Htpasswd> {
  const { path, clock } = options;
  const compare = options.compare ?? ((password: string, hash: string) => bcrypt.compare(password, hash));
  const recheckMs = options.recheckMs ?? 1000;
  const cacheMs = options.cacheMs ?? 60_000;
  const cacheKey = randomBytes(32);
  const verified = new Map<string, { hash: string; until: number }>();

  async function signatureOf(): Promise<string> {
    const s = await stat(path);
    return `${s.ino}:${s.size}:${s.mtimeMs}`;
  }

  async function load(): Promise<Loaded> {
    let text: string;
    let signature: string;
    try {
      signature = await signatureOf();
      text = await readFile(path, 'utf8');
    } catch (err) {
      throw new HtpasswdError(`cannot read htpasswd file ${path}: ${(err as Error).message}`);
    }
    const users = parseHtpasswd(text, path);
    const cost = Math.max(4, ...[...users.values()].map((h) => Number(BCRYPT_HASH.exec(h)?.[1] ?? 10)));
    const dummy = await bcrypt.hash(randomBytes(16).toString('base64'), users.size === 0 ? 10 : cost);
    return { users, dummy, signature };
  }

  let current = await load();
  let checkedAt = clock();
  let checking: Promise<void> | undefined;

  async function refresh(): Promise<void> {
    try {
      if ((await signatureOf()) === current.signature) return;
      current = await load();
      verified.clear();
      options.logger?.info({ path, users: current.users.size }, 'htpasswd file reloaded');
    } catch (err) {
      options.logger?.error({ path, error: (err as Error).message }, 'htpasswd file not reloaded; keeping the previous users');
    }
  }

  async function fresh(): Promise<Loaded> {
    if (clock() - checkedAt >= recheckMs) {
      checkedAt = clock();
      checking ??= refresh().finally(() => (checking = undefined));
    }
    if (checking !== undefined) await checking;
    return current;
  }

  return {
    async verify(user, password) {
      const { users, dummy } = await fresh();
      const hash = users.get(user);
      const key = createHmac('sha256', cacheKey).update(user).update('\0').update(password).digest('base64');
      const hit = verified.get(key);
      if (hash !== undefined && hit !== undefined && hit.hash === hash && hit.until > clock()) return true;
      const ok = await compare(password, hash ?? dummy);
      if (!ok || hash === undefined) return false;
      if (verified.size >= 1024) verified.delete(verified.keys().next().value as string);
      verified.set(key, { hash, until: clock() + cacheMs });
      return true;
    },
    async fingerprint(user) {
      const hash = (await fresh()).users.get(user);
      return hash === undefined ? undefined : createHash('sha256').update(hash).digest('base64url').slice(0, 16);
    },
  };
}
