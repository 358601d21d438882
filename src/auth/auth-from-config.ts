/**
 * Builds the {@link Auth} a config's `auth` section describes: the rules,
 * the htpasswd file, the signing key and the trusted issuers. The config
 * was already checked by `authProblems`; what fails here is I/O (a missing
 * htpasswd file, a non-bcrypt line, an unreadable key or JWKS).
 */
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { createLocalJWKSet, createRemoteJWKSet, type JSONWebKeySet } from 'jose';
import type { Logger } from 'pino';
import type { AuthConfig } from '../config/auth-schema.js';
import { compileAccessPolicy, compilePrincipals, DEFAULT_AUTHENTICATED_RULES, OPEN_RULES } from './access-rules.js';
import { createAuth, type Auth } from './auth.js';
import { openHtpasswd, type Htpasswd } from './htpasswd.js';
import { loadSigningKey, type SigningKey } from './signing-key.js';
import { createTokenGrants } from './token-grants.js';
import { createTokenService, type TrustedIssuer } from './token-service.js';

export interface AuthSetupDeps {
  dataDir: string;
  /** Epoch milliseconds (token times, htpasswd change checks). */
  clock: () => number;
  /** Unique ids (token `jti`). */
  ids: () => string;
  logger: Logger;
}

async function trustedIssuer(entry: { issuer: string; jwks: string }, where: string): Promise<TrustedIssuer> {
  if (/^https?:\/\//i.test(entry.jwks)) {
    return { issuer: entry.issuer, keys: createRemoteJWKSet(new URL(entry.jwks), { timeoutDuration: 5000 }) };
  }
  try {
    const jwks = JSON.parse(await readFile(resolve(entry.jwks), 'utf8')) as JSONWebKeySet;
    return { issuer: entry.issuer, keys: createLocalJWKSet(jwks) };
  } catch (err) {
    throw new Error(`${where}: cannot use JWKS file ${entry.jwks}: ${(err as Error).message}`);
  }
}

/**
 * @returns undefined when the config has no `auth` section (no checks at all:
 *   the loopback-only default).
 * @throws HtpasswdError, or Error naming the key or JWKS file.
 */
export async function authFromConfig(auth: AuthConfig | undefined, deps: AuthSetupDeps): Promise<Auth | undefined> {
  if (auth === undefined) return undefined;
  const logger = deps.logger.child({ component: 'auth' });
  const rules = auth.rules ?? (auth.mode === 'none' ? OPEN_RULES : DEFAULT_AUTHENTICATED_RULES);
  const policy = compileAccessPolicy(rules, auth.groups);
  let htpasswd: Htpasswd | undefined;
  if (auth.mode !== 'none' && auth.htpasswd !== undefined) {
    htpasswd = await openHtpasswd({ path: resolve(auth.htpasswd), clock: deps.clock, logger });
  }
  const admins = compilePrincipals(auth.admins, auth.groups, 'auth.admins');
  const base = { mode: auth.mode, policy, open: auth.rules === undefined, admins, ...(htpasswd === undefined ? {} : { htpasswd }) };
  if (auth.mode !== 'token') return createAuth(base);

  const t = auth.token;
  let key: SigningKey | undefined;
  if (t.issue) {
    key = await loadSigningKey({
      dir: join(resolve(deps.dataDir), 'auth'),
      generate: t.keyType,
      logger,
      ...(t.signingKey === undefined ? {} : { file: resolve(t.signingKey) }),
    });
  }
  const trusted = await Promise.all(t.trust.map((entry, i) => trustedIssuer(entry, `auth.token.trust[${i}].jwks`)));
  const tokens = createTokenService({
    service: t.service,
    issuer: t.issuer,
    trusted,
    clock: deps.clock,
    ids: deps.ids,
    ttlSeconds: t.ttlSeconds,
    refreshTtlSeconds: t.refreshTtlSeconds,
    leewaySeconds: t.leewaySeconds,
    ...(key === undefined ? {} : { key }),
  });
  const grants = key === undefined ? undefined : createTokenGrants({ tokens, policy, ...(htpasswd === undefined ? {} : { htpasswd }) });
  return createAuth({
    ...base,
    tokens,
    ...(grants === undefined ? {} : { grants }),
    ...(t.realm === undefined ? {} : { realm: t.realm }),
  });
}
