/**
 * Docker token authentication's JWTs (docker-auth jwt.md): berth signs
 * short-lived access tokens whose `access` claim lists what policy allowed,
 * and long-lived refresh tokens for the OAuth2 form (oauth.md); it verifies
 * its own tokens and, when configured, tokens of trusted external issuers.
 *
 * Verification checks the signature against an allow-list of asymmetric
 * algorithms (so `none` and HMAC-with-the-public-key never pass), the
 * issuer, the audience (this service), `exp`/`nbf` with a small leeway, and
 * the shape of `access`. Refresh tokens carry a different `typ` and audience,
 * so one can never stand in for an access token, here or at another verifier.
 */
import { decodeJwt, decodeProtectedHeader, jwtVerify, SignJWT, type JWSAlgorithm, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import type { KeyObject } from 'node:crypto';
import type { ResourceScope } from './scope.js';
import type { SigningKey } from './signing-key.js';

/** Asymmetric algorithms accepted from trusted issuers. */
export const ASYMMETRIC_ALGORITHMS: JWSAlgorithm[] = ['ES256', 'ES384', 'ES512', 'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'EdDSA'];

const REFRESH_TYP = 'berth-refresh+jwt';
const MAX_TOKEN_CHARS = 16 * 1024;

/** An external token issuer whose signatures berth accepts. */
export interface TrustedIssuer {
  /** The `iss` its tokens carry. */
  issuer: string;
  /** Its public keys: a JWKS (local or remote, from jose) or one key. */
  keys: JWTVerifyGetKey | KeyObject;
  algorithms?: JWSAlgorithm[];
}

export interface TokenServiceOptions {
  /** The audience: the `service` of challenges and token requests. */
  service: string;
  /** `iss` of the tokens berth signs. */
  issuer: string;
  /** berth's signing key; absent when berth only verifies an external issuer's tokens. */
  key?: SigningKey;
  trusted?: TrustedIssuer[];
  /** Epoch milliseconds. */
  clock: () => number;
  /** Unique ids for `jti`. */
  ids: () => string;
  /** Access token lifetime; at least 60 (token.md: never less than 60 seconds to live). */
  ttlSeconds: number;
  /** Refresh token lifetime; 0: no expiry (token.md's "does not have an expiration"). */
  refreshTtlSeconds: number;
  /** Clock skew tolerated on `exp` and `nbf`. */
  leewaySeconds: number;
}

/** A signed access token and the fields the token endpoint returns with it. */
export interface IssuedToken {
  token: string;
  expiresIn: number;
  /** RFC 3339 UTC. */
  issuedAt: string;
}

/** What a valid access token says. */
export interface VerifiedToken {
  /** `sub`; the empty string for an anonymous token. */
  subject: string;
  issuer: string;
  /** True when berth signed it (so berth's own rules produced its `access`). */
  own: boolean;
  access: ResourceScope[];
}

/** A token that does not verify; `message` is safe to show the client. */
export class TokenError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TokenError';
  }
}

export interface TokenService {
  readonly service: string;
  /** True when berth signs tokens (serves `/token`). */
  readonly issues: boolean;
  /** Signs an access token for `subject` ('' for anonymous) with exactly `access`. */
  issueAccess(subject: string, access: ResourceScope[]): Promise<IssuedToken>;
  /** Signs a refresh token bound to `subject` and its password `fingerprint`. */
  issueRefresh(subject: string, fingerprint: string): Promise<string>;
  /** @throws TokenError when the token is not a valid access token for this service. */
  verifyAccess(token: string): Promise<VerifiedToken>;
  /** @throws TokenError when the token is not a valid refresh token berth issued. */
  verifyRefresh(token: string): Promise<{ subject: string; fingerprint: string }>;
}

function describe(err: unknown): string {
  const code = (err as { code?: string }).code;
  switch (code) {
    case 'ERR_JWT_EXPIRED':
      return 'token expired';
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED':
      return `token ${(err as { claim?: string }).claim ?? 'claim'} not accepted`;
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      return 'token signature invalid';
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
      return 'token algorithm not accepted';
    case 'ERR_JWKS_NO_MATCHING_KEY':
      return 'token signed by an unknown key';
    default:
      return 'token invalid';
  }
}

function accessClaim(payload: JWTPayload): ResourceScope[] {
  const raw = payload.access;
  if (raw === undefined) return [];
  if (!Array.isArray(raw)) throw new TokenError('token access claim is not a list');
  return raw.map((entry: unknown) => {
    const e = entry as Partial<Record<'type' | 'name' | 'actions', unknown>>;
    if (
      typeof e !== 'object' ||
      e === null ||
      typeof e.type !== 'string' ||
      typeof e.name !== 'string' ||
      !Array.isArray(e.actions) ||
      !e.actions.every((a) => typeof a === 'string')
    ) {
      throw new TokenError('token access claim is malformed');
    }
    // scope.md: resource classes are deprecated; `repository(plugin)` equals `repository`.
    return { type: e.type.replace(/\(.*\)$/, ''), name: e.name, actions: e.actions };
  });
}

/**
 * @example
 * const tokens = createTokenService({ service: 'berth', issuer: 'berth', key, clock: Date.now, ids, ttlSeconds: 300, refreshTtlSeconds: 0, leewaySeconds: 30 });
 * const { token } = await tokens.issueAccess('alice', [{ type: 'repository', name: 'app', actions: ['pull'] }]);
 * (await tokens.verifyAccess(token)).access; // [{ type: 'repository', name: 'app', actions: ['pull'] }]
 */
export function createTokenService(options: TokenServiceOptions): TokenService {
  const { service, issuer, key, clock } = options;
  const refreshAudience = `${service}#refresh`;
  const trusted = new Map((options.trusted ?? []).map((t) => [t.issuer, t]));
  const now = (): number => Math.floor(clock() / 1000);

  function ownKey(): SigningKey {
    if (key === undefined) throw new Error('this berth does not issue tokens (auth.token.issue is false)');
    return key;
  }

  async function verify(token: string, audience: string, typ: string | undefined): Promise<{ payload: JWTPayload; own: boolean }> {
    if (token.length > MAX_TOKEN_CHARS || token.split('.').length !== 3) throw new TokenError('token malformed');
    let iss: string | undefined;
    try {
      decodeProtectedHeader(token);
      iss = decodeJwt(token).iss;
    } catch {
      throw new TokenError('token malformed');
    }
    const own = key !== undefined && iss === issuer;
    const other = own || iss === undefined ? undefined : trusted.get(iss);
    if (iss === undefined || (!own && other === undefined)) throw new TokenError('token issuer not trusted');
    const verifyOptions = {
      issuer: iss,
      audience,
      algorithms: key !== undefined && own ? [key.alg] : (other?.algorithms ?? ASYMMETRIC_ALGORITHMS),
      currentDate: new Date(clock()),
      clockTolerance: options.leewaySeconds,
      requiredClaims: audience === service ? ['exp'] : [],
      ...(own && typ !== undefined ? { typ } : {}),
    };
    try {
      const keys = key !== undefined && own ? key.publicKey : other?.keys;
      if (keys === undefined) throw new TokenError('token issuer not trusted');
      const result =
        typeof keys === 'function' ? await jwtVerify(token, keys, verifyOptions) : await jwtVerify(token, keys, verifyOptions);
      return { payload: result.payload, own };
    } catch (err) {
      throw new TokenError(describe(err));
    }
  }

  return {
    service,
    issues: key !== undefined,

    async issueAccess(subject, access) {
      const signing = ownKey();
      const iat = now();
      const token = await new SignJWT({ access })
        .setProtectedHeader({ alg: signing.alg, typ: 'JWT', kid: signing.kid })
        .setIssuer(issuer)
        .setSubject(subject)
        .setAudience(service)
        .setIssuedAt(iat)
        .setNotBefore(iat)
        .setExpirationTime(iat + options.ttlSeconds)
        .setJti(options.ids())
        .sign(signing.privateKey);
      return { token, expiresIn: options.ttlSeconds, issuedAt: new Date(iat * 1000).toISOString() };
    },

    async issueRefresh(subject, fingerprint) {
      const signing = ownKey();
      const iat = now();
      const jwt = new SignJWT({ fp: fingerprint })
        .setProtectedHeader({ alg: signing.alg, typ: REFRESH_TYP, kid: signing.kid })
        .setIssuer(issuer)
        .setSubject(subject)
        .setAudience(refreshAudience)
        .setIssuedAt(iat)
        .setJti(options.ids());
      if (options.refreshTtlSeconds > 0) jwt.setExpirationTime(iat + options.refreshTtlSeconds);
      return jwt.sign(signing.privateKey);
    },

    async verifyAccess(token) {
      const { payload, own } = await verify(token, service, 'JWT');
      return { subject: payload.sub ?? '', issuer: payload.iss as string, own, access: accessClaim(payload) };
    },

    async verifyRefresh(token) {
      if (key === undefined) throw new TokenError('this registry issues no refresh tokens');
      const { payload, own } = await verify(token, refreshAudience, REFRESH_TYP);
      if (!own || typeof payload.sub !== 'string' || payload.sub === '' || typeof payload.fp !== 'string') {
        throw new TokenError('refresh token invalid');
      }
      return { subject: payload.sub, fingerprint: payload.fp };
    },
  };
}
