/**
 * Who is calling and what they may do: the decisions behind every `/v2/`
 * request, free of HTTP. The HTTP layer turns a refusal into 401 (with a
 * challenge) or 403.
 *
 * - `none`: every caller is anonymous; the rules (default: everyone may do
 *   everything) decide, and a refusal is 403.
 * - `basic`: htpasswd users over Basic auth; the rules decide.
 * - `token`: Bearer tokens; a token's `access` claim decides (token.md),
 *   and berth's rules only decided what went into tokens it issued.
 */
import { ACTIONS, type AccessPolicy, type Action } from './access-rules.js';
import { parseAuthorization } from './credentials.js';
import type { Htpasswd } from './htpasswd.js';
import type { TokenGrants } from './token-grants.js';
import { TokenError, type TokenService, type VerifiedToken } from './token-service.js';

export type AuthMode = 'none' | 'basic' | 'token';

/** The caller of one request. */
export interface Caller {
  /** The user name; undefined for an anonymous caller (or an anonymous token). */
  user: string | undefined;
  via: 'anonymous' | 'basic' | 'token';
  token?: VerifiedToken;
}

/**
 * What a route needs: an action on its repository, the catalog
 * (`registry:catalog:*`), `ping` (`/v2/` and other registry-wide reads:
 * "may this caller talk to the registry at all"), or `admin` (operator
 * endpoints; see {@link Auth.admin}).
 */
export type RouteAccess = Action | 'catalog' | 'ping' | 'admin';

export interface Need {
  access: RouteAccess;
  /** Required for an action. */
  repository?: string;
}

/** RFC 6750 error codes a Bearer challenge can carry. */
export type ChallengeError = 'invalid_token' | 'insufficient_scope';

export type Decision =
  | { allowed: true }
  | {
      allowed: false;
      /** `challenge`: 401, credentials (or a better token) may help; `deny`: 403. */
      refuse: 'challenge' | 'deny';
      error?: ChallengeError;
      description?: string;
    };

/** The credentials sent do not identify anyone; always a 401. */
export class AuthenticationError extends Error {
  constructor(
    message: string,
    readonly error?: ChallengeError,
  ) {
    super(message);
    this.name = 'AuthenticationError';
  }
}

export interface Auth {
  readonly mode: AuthMode;
  /** True when nothing is restricted: listings need no filter and mounts need no source check. */
  readonly unrestricted: boolean;
  /** The token service (token mode). */
  readonly tokens?: TokenService;
  /** The `/token` endpoint's logic (token mode, when berth issues tokens). */
  readonly grants?: TokenGrants;
  /** The configured token realm; absent: the HTTP layer uses `<origin>/token`. */
  readonly realm?: string;
  /**
   * Identifies the caller from an `Authorization` header.
   *
   * @throws AuthenticationError for wrong credentials or an invalid token.
   */
  authenticate(authorization: string | undefined): Promise<Caller>;
  decide(caller: Caller, need: Need): Decision;
  /** What the request's own credentials allow (a mount's source needs `pull`). */
  permits(caller: Caller, repository: string, action: Action): boolean;
  /** Whether `repository` shows in the caller's catalog (the rules' `pull`). */
  lists(caller: Caller, repository: string): boolean;
  /**
   * May the caller read the operator endpoints (metrics, webhook status)?
   * Basic credentials of a user in `auth.admins`, in every mode (a metrics
   * scraper cannot run the token flow); mode `none`: everyone. A refusal of
   * an anonymous or wrongly identified caller is a `challenge` (Basic), of
   * another user a `deny`.
   */
  admin(authorization: string | undefined): Promise<{ decision: Decision; user?: string }>;
}

export interface AuthParts {
  mode: AuthMode;
  policy: AccessPolicy;
  /** True when no rules were configured in `none` mode. */
  open: boolean;
  htpasswd?: Htpasswd;
  tokens?: TokenService;
  grants?: TokenGrants;
  realm?: string;
  /** Users who may read the operator endpoints (`auth.admins`, groups resolved). */
  admins?: ReadonlySet<string>;
}

const ANONYMOUS: Caller = { user: undefined, via: 'anonymous' };

/** True when a token's `access` claim grants `action` (or `*`) on `type:name`. */
export function tokenGrants(token: VerifiedToken, type: string, name: string, action: string): boolean {
  return token.access.some((e) => e.type === type && e.name === name && (e.actions.includes(action) || e.actions.includes('*')));
}

/**
 * @example
 * const auth = createAuth({ mode: 'basic', policy, open: false, htpasswd });
 * const caller = await auth.authenticate(request.headers.authorization);
 * auth.decide(caller, { access: 'push', repository: 'team-a/app' });
 */
export function createAuth(parts: AuthParts): Auth {
  const { mode, policy, htpasswd, tokens } = parts;

  async function authenticate(header: string | undefined): Promise<Caller> {
    if (mode === 'none') return ANONYMOUS;
    const credentials = parseAuthorization(header);
    if (credentials === undefined) return ANONYMOUS;
    if (mode === 'basic') {
      if (credentials.scheme !== 'basic') throw new AuthenticationError('use Basic authentication');
      const ok = htpasswd !== undefined && credentials.user !== '' && (await htpasswd.verify(credentials.user, credentials.password));
      if (!ok) throw new AuthenticationError('invalid username or password');
      return { user: credentials.user, via: 'basic' };
    }
    // token mode: only a Bearer token counts; anything else is "no token yet".
    if (credentials.scheme !== 'bearer' || tokens === undefined) return ANONYMOUS;
    try {
      const token = await tokens.verifyAccess(credentials.token);
      return { user: token.subject === '' ? undefined : token.subject, via: 'token', token };
    } catch (err) {
      if (err instanceof TokenError) throw new AuthenticationError(err.message, 'invalid_token');
      throw err;
    }
  }

  function permits(caller: Caller, repository: string, action: Action): boolean {
    if (mode === 'token') return caller.token !== undefined && tokenGrants(caller.token, 'repository', repository, action);
    return policy.allows(caller.user, repository, action);
  }

  function decideToken(caller: Caller, need: Need & { access: Exclude<RouteAccess, 'admin'> }): Decision {
    const token = caller.token;
    const challenge = (description?: string): Decision =>
      token === undefined
        ? { allowed: false, refuse: 'challenge' }
        : { allowed: false, refuse: 'challenge', error: 'insufficient_scope', ...(description === undefined ? {} : { description }) };
    if (need.access === 'ping') return token === undefined ? challenge() : { allowed: true };
    if (need.access === 'catalog') {
      return token !== undefined && tokenGrants(token, 'registry', 'catalog', '*') ? { allowed: true } : challenge();
    }
    const repository = need.repository as string;
    if (permits(caller, repository, need.access)) return { allowed: true };
    // A pull refusal stays a challenge (token.md: clients retry the token flow,
    // and it says nothing about whether the repository exists). Push or delete
    // that berth's own rules deny this user will not succeed with any token.
    if (token?.own === true && caller.user !== undefined && need.access !== 'pull' && !policy.allows(caller.user, repository, need.access)) {
      return { allowed: false, refuse: 'deny' };
    }
    return challenge(`the token does not grant ${need.access} on ${repository}`);
  }

  function decide(caller: Caller, need: Need): Decision {
    // Operator endpoints are decided from their own credentials (admin()).
    if (need.access === 'admin') return { allowed: false, refuse: 'deny' };
    if (mode === 'token') return decideToken(caller, { ...need, access: need.access });
    const refuse: Decision = { allowed: false, refuse: mode === 'none' || caller.user !== undefined ? 'deny' : 'challenge' };
    if (need.access === 'ping' || need.access === 'catalog') {
      return mode === 'none' || caller.user !== undefined || policy.anonymousAccess ? { allowed: true } : refuse;
    }
    return policy.allows(caller.user, need.repository as string, need.access) ? { allowed: true } : refuse;
  }

  async function admin(header: string | undefined): Promise<{ decision: Decision; user?: string }> {
    if (mode === 'none') return { decision: { allowed: true } };
    const credentials = parseAuthorization(header);
    const challenge = (description: string): { decision: Decision } => ({
      decision: { allowed: false, refuse: 'challenge', description },
    });
    if (credentials?.scheme !== 'basic') return challenge('operator endpoints take the Basic credentials of a user in auth.admins');
    const ok = htpasswd !== undefined && credentials.user !== '' && (await htpasswd.verify(credentials.user, credentials.password));
    if (!ok) return challenge('invalid username or password');
    const allowed = parts.admins?.has(credentials.user) === true;
    return { decision: allowed ? { allowed: true } : { allowed: false, refuse: 'deny' }, user: credentials.user };
  }

  return {
    mode,
    admin,
    unrestricted: mode === 'none' && parts.open,
    ...(tokens === undefined ? {} : { tokens }),
    ...(parts.grants === undefined ? {} : { grants: parts.grants }),
    ...(parts.realm === undefined ? {} : { realm: parts.realm }),
    authenticate,
    decide,
    permits,
    lists: (caller, repository) => policy.allows(caller.user, repository, 'pull'),
  };
}

/** The scope a challenge names for a need (token.md: push challenges ask for `pull,push`). */
export function challengeScope(need: Need): string | undefined {
  if (need.access === 'ping' || need.access === 'admin') return undefined;
  if (need.access === 'catalog') return 'registry:catalog:*';
  const actions = need.access === 'push' ? ['pull', 'push'] : [need.access];
  return `repository:${need.repository ?? ''}:${actions.filter((a) => ACTIONS.includes(a as Action)).join(',')}`;
}
