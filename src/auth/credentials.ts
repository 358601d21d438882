/**
 * The `Authorization` header (RFC 7617 Basic, RFC 6750 Bearer), parsed
 * without the HTTP framework. Values are never logged.
 */

export type Credentials =
  | { scheme: 'basic'; user: string; password: string }
  | { scheme: 'bearer'; token: string }
  | { scheme: 'other' };

/**
 * Parses an `Authorization` header; undefined when there is none.
 * Basic credentials that do not decode to `user:password` give a `basic`
 * entry with an empty user, which no check accepts.
 *
 * @example
 * parseAuthorization('Basic YWxpY2U6czNjcmV0'); // { scheme: 'basic', user: 'alice', password: 's3cret' }
 */
export function parseAuthorization(header: string | undefined): Credentials | undefined {
  if (header === undefined || header.trim() === '') return undefined;
  const m = /^\s*([A-Za-z]+)\s+(\S+)\s*$/.exec(header);
  if (m === null) return { scheme: 'other' };
  const scheme = (m[1] as string).toLowerCase();
  const value = m[2] as string;
  if (scheme === 'bearer') return { scheme: 'bearer', token: value };
  if (scheme !== 'basic') return { scheme: 'other' };
  const decoded = /^[A-Za-z0-9+/]+={0,2}$/.test(value) ? Buffer.from(value, 'base64').toString('utf8') : '';
  const colon = decoded.indexOf(':');
  if (colon <= 0) return { scheme: 'basic', user: '', password: '' };
  return { scheme: 'basic', user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/** `Basic <base64(user:password)>`, for clients and tests. */
export function basicAuthorization(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`, 'utf8').toString('base64')}`;
}
