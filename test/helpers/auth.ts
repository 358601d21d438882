/**
 * Helpers for auth tests: htpasswd files with fast bcrypt, Basic headers,
 * challenge parsing and the token flow a client runs.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import { basicAuthorization } from '../../src/auth/credentials.js';

/** Users and passwords the auth tests share. */
export const USERS = {
  alice: 'alice-Pa55word!',
  bob: 'bob-hunter2-secret',
  carol: 'carol:with:colons',
  dave: 'dave-pw-0000',
} as const;

export type UserName = keyof typeof USERS;

/** Writes an htpasswd file (bcrypt cost 4, to keep tests fast) and returns its path. */
export function writeHtpasswd(dir: string, users: Partial<Record<string, string>> = USERS, name = 'htpasswd'): string {
  const path = join(dir, name);
  const lines = Object.entries(users).map(([user, password]) => `${user}:${bcrypt.hashSync(password ?? '', 4)}`);
  writeFileSync(path, `${lines.join('\n')}\n`, { mode: 0o600 });
  return path;
}

/** `{ authorization: 'Basic …' }` for a test user. */
export function basic(user: UserName): Record<string, string> {
  return { authorization: basicAuthorization(user, USERS[user]) };
}

/** `{ authorization: 'Bearer …' }`. */
export function bearer(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}

/** A parsed `WWW-Authenticate` challenge (one challenge, quoted parameters). */
export interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

export function parseChallenge(header: string | null): Challenge {
  if (header === null) throw new Error('no WWW-Authenticate header');
  const space = header.indexOf(' ');
  const params: Record<string, string> = {};
  for (const m of header.slice(space + 1).matchAll(/([a-z_]+)="([^"]*)"/g)) params[m[1] as string] = m[2] as string;
  return { scheme: header.slice(0, space), params };
}

export interface TokenBody {
  token: string;
  access_token: string;
  expires_in: number;
  issued_at: string;
  scope?: string;
  refresh_token?: string;
}

/**
 * Runs the client side of token.md: follow the challenge's realm with its
 * service and the given scopes, with Basic credentials when a user is given.
 */
export async function fetchToken(challenge: Challenge, scopes: string[], user?: UserName, extra = ''): Promise<{ res: Response; body: TokenBody }> {
  const query = new URLSearchParams({ service: challenge.params.service ?? '' });
  for (const s of scopes) query.append('scope', s);
  const res = await fetch(`${challenge.params.realm ?? ''}?${query.toString()}${extra}`, { headers: user === undefined ? {} : basic(user) });
  const body = (await res.clone().json()) as TokenBody;
  return { res, body };
}

/** The access claim of a JWT (not verified: tests compare what berth put in). */
export function accessOf(token: string): { type: string; name: string; actions: string[] }[] {
  const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as { access?: [] };
  return payload.access ?? [];
}
