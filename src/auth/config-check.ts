/**
 * Checks on the `auth` section that a schema cannot express, run once at
 * start-up by `loadConfig`: what each mode needs, valid rules, and the
 * safety default (issue 7): without authentication berth listens only on a
 * loopback address unless the config says `auth: none` explicitly.
 */
import type { AuthConfig } from '../config/auth-schema.js';
import { AccessRuleError, compileAccessPolicy, compilePrincipals } from './access-rules.js';

/** True for addresses only this machine can reach. */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase();
  return h === 'localhost' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h) || h === '::1' || /^::ffff:127\./.test(h);
}

/**
 * The one-line reason berth must not listen on `host` with this auth
 * config, or undefined when it may.
 *
 * @example
 * listenProblem('0.0.0.0', 5000, undefined); // 'refusing to listen on 0.0.0.0:5000 without authentication: …'
 * listenProblem('0.0.0.0', 5000, { mode: 'none', … }); // undefined: the operator said so
 */
export function listenProblem(host: string, port: number, auth: AuthConfig | undefined): string | undefined {
  if (auth !== undefined || isLoopbackHost(host)) return undefined;
  return (
    `refusing to listen on ${host}:${port} without authentication: configure auth (mode: basic or token), ` +
    `or set "auth: { mode: none }" to let anyone who can reach it pull, push and delete`
  );
}

function isAllowedJwksUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || (url.protocol === 'http:' && isLoopbackHost(url.hostname.replace(/^\[|\]$/g, '')));
  } catch {
    return false;
  }
}

/**
 * Every problem in the auth section, one line each (empty: fine).
 *
 * @example
 * authProblems({ mode: 'basic', … }); // ['auth.htpasswd: required with mode basic …']
 */
export function authProblems(auth: AuthConfig): string[] {
  const problems: string[] = [];
  const token = auth.token;
  if (auth.mode === 'basic' && auth.htpasswd === undefined) {
    problems.push('auth.htpasswd: required with mode basic (create one with `berth user add NAME --htpasswd FILE`)');
  }
  if (auth.mode === 'token' && token.issue && auth.htpasswd === undefined) {
    problems.push('auth.htpasswd: required with mode token when berth issues tokens (or set auth.token.issue: false and trust an issuer)');
  }
  if (auth.mode === 'token' && !token.issue) {
    if (token.trust.length === 0) problems.push('auth.token.trust: name at least one issuer when auth.token.issue is false');
    if (token.realm === undefined) problems.push("auth.token.realm: required when auth.token.issue is false (the external issuer's token URL)");
  }
  for (const [i, t] of token.trust.entries()) {
    if (token.issue && t.issuer === token.issuer) {
      problems.push(`auth.token.trust[${i}].issuer: "${t.issuer}" is berth's own issuer name; give one of them another name`);
    }
    if (/^[a-z]+:\/\//i.test(t.jwks) && !isAllowedJwksUrl(t.jwks)) {
      problems.push(`auth.token.trust[${i}].jwks: use an https:// URL (http:// only to a loopback address) or a file path`);
    }
  }
  try {
    compileAccessPolicy(auth.rules ?? [], auth.groups);
    compilePrincipals(auth.admins, auth.groups, 'auth.admins');
  } catch (err) {
    if (!(err instanceof AccessRuleError)) throw err;
    problems.push(err.message);
  }
  if (auth.admins.length > 0 && auth.mode !== 'none' && auth.htpasswd === undefined) {
    problems.push('auth.admins: admins sign in with htpasswd credentials; set auth.htpasswd');
  }
  return problems;
}
