/**
 * Editing htpasswd text for `berth user add|remove`: one line per user,
 * other lines (and comments) kept as they are. Pure apart from hashing.
 */
import bcrypt from 'bcryptjs';
import { USER_NAME, USER_NAME_RULE } from './user-name.js';

/** bcrypt reads at most 72 bytes of a password; longer ones would be silently cut. */
export const MAX_PASSWORD_BYTES = 72;

/**
 * Hashes a password with bcrypt in the `$2y$` form Apache's `htpasswd -B`
 * writes (the same algorithm as `$2b$`), so other tools read the file too.
 *
 * @throws Error for an empty password or one over 72 bytes.
 * @example
 * await hashPassword('s3cret', 10); // '$2y$10$…'
 */
export async function hashPassword(password: string, cost: number): Promise<string> {
  if (password.length === 0) throw new Error('the password is empty');
  if (Buffer.byteLength(password) > MAX_PASSWORD_BYTES) {
    throw new Error(`the password is longer than ${MAX_PASSWORD_BYTES} bytes, which bcrypt cannot use`);
  }
  const hash = await bcrypt.hash(password, cost);
  return hash.replace(/^\$2[ab]\$/, '$2y$');
}

/** Throws when `user` cannot be an htpasswd user name. */
export function assertUserName(user: string): void {
  if (!USER_NAME.test(user)) throw new Error(`"${user.slice(0, 130)}" is not a valid user name: ${USER_NAME_RULE}`);
}

function userOf(line: string): string | undefined {
  const trimmed = line.trim();
  if (trimmed === '' || trimmed.startsWith('#')) return undefined;
  const colon = trimmed.indexOf(':');
  return colon <= 0 ? undefined : trimmed.slice(0, colon);
}

/**
 * Sets `user`'s line to `user:hash`, replacing the existing one or appending.
 *
 * @example
 * setUserLine('# users\nbob:$2y$…\n', 'alice', '$2y$…'); // '# users\nbob:$2y$…\nalice:$2y$…\n'
 */
export function setUserLine(text: string, user: string, hash: string): { text: string; added: boolean } {
  assertUserName(user);
  const lines = text === '' ? [] : text.replace(/\n$/, '').split('\n');
  let added = true;
  const out = lines.map((line) => {
    if (userOf(line) !== user) return line;
    added = false;
    return `${user}:${hash}`;
  });
  if (added) out.push(`${user}:${hash}`);
  return { text: `${out.join('\n')}\n`, added };
}

/** Removes `user`'s line; `removed` is false when there was none. */
export function removeUserLine(text: string, user: string): { text: string; removed: boolean } {
  const lines = text === '' ? [] : text.replace(/\n$/, '').split('\n');
  const kept = lines.filter((line) => userOf(line) !== user);
  return { text: kept.length === 0 ? '' : `${kept.join('\n')}\n`, removed: kept.length !== lines.length };
}
