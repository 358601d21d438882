/**
 * Request URLs as they may be logged: values of query parameters that carry
 * credentials (`?token=`, `access_token`, presigned-URL signatures, …) and
 * any `user:password@` of an absolute-form request target are replaced, and
 * the result is cut to a length a log line can hold.
 */

/** Query parameter names (lower case) whose values never reach a log. */
const SENSITIVE = new Set([
  'token',
  'access_token',
  'refresh_token',
  'id_token',
  'password',
  'passwd',
  'pass',
  'secret',
  'client_secret',
  'code',
  'key',
  'api_key',
  'apikey',
  'auth',
  'authorization',
  'signature',
  'sig',
  'x-amz-signature',
  'x-amz-credential',
  'x-amz-security-token',
]);

export const REDACTED = '[redacted]';

function nameOf(raw: string): string {
  try {
    return decodeURIComponent(raw.replaceAll('+', ' ')).trim().toLowerCase();
  } catch {
    return raw.toLowerCase();
  }
}

/**
 * @example
 * redactUrl('/token?service=berth&password=hunter2'); // '/token?service=berth&password=[redacted]'
 */
export function redactUrl(url: string, maxLength = 300): string {
  const q = url.indexOf('?');
  let path = q === -1 ? url : url.slice(0, q);
  // An absolute-form target (`GET http://user:pw@host/…`) may carry userinfo.
  path = path.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@]*@/i, `$1${REDACTED}@`);
  let out = path;
  if (q !== -1) {
    const params = url
      .slice(q + 1)
      .split('&')
      .map((pair) => {
        const eq = pair.indexOf('=');
        const name = eq === -1 ? pair : pair.slice(0, eq);
        return SENSITIVE.has(nameOf(name)) && eq !== -1 ? `${name}=${REDACTED}` : pair;
      });
    out = `${path}?${params.join('&')}`;
  }
  return out.length > maxLength ? `${out.slice(0, maxLength)}…` : out;
}
