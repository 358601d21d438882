/**
 * The token endpoint's logic (token.md "Requesting a Token", oauth.md):
 * authenticate the caller (anonymous, password or refresh token), intersect
 * each requested scope with what the rules allow, sign the result. Getting
 * less than was asked is not an error (token.md); only bad credentials and
 * malformed requests are.
 */
import { isValidName } from '../oci/names.js';
import { ACTIONS, type AccessPolicy } from './access-rules.js';
import type { Htpasswd } from './htpasswd.js';
import { formatScopes, parseScopes, ScopeError, type ResourceScope } from './scope.js';
import { TokenError, type TokenService } from './token-service.js';

/** How the caller of the token endpoint proves who it is. */
export type GrantRequest =
  | { grant: 'anonymous'; service?: string; scopes: string[] }
  | { grant: 'password'; user: string; password: string; service?: string; scopes: string[]; offline: boolean }
  | { grant: 'refresh_token'; refreshToken: string; service?: string; scopes: string[] };

/** The token endpoint's answer: token.md's fields and oauth.md's. */
export interface TokenResponse {
  token: string;
  access_token: string;
  expires_in: number;
  issued_at: string;
  /** oauth.md: the granted scope list (possibly empty). */
  scope: string;
  refresh_token?: string;
}

/**
 * Why a token request failed: `invalid_credentials` is a 401; the rest are
 * RFC 6749 §5.2 error codes (400).
 */
export type GrantErrorKind = 'invalid_credentials' | 'invalid_request' | 'invalid_grant' | 'unsupported_grant_type';

export class GrantError extends Error {
  constructor(
    readonly kind: GrantErrorKind,
    message: string,
  ) {
    super(message);
    this.name = 'GrantError';
  }
}

export interface TokenGrants {
  /** @throws GrantError */
  grant(request: GrantRequest): Promise<TokenResponse>;
}

export interface TokenGrantsDeps {
  tokens: TokenService;
  policy: AccessPolicy;
  htpasswd?: Htpasswd;
}

/**
 * @example
 * const grants = createTokenGrants({ tokens, policy, htpasswd });
 * await grants.grant({ grant: 'password', user: 'alice', password, scopes: ['repository:app:pull,push'], offline: false });
 */
export function createTokenGrants(deps: TokenGrantsDeps): TokenGrants {
  const { tokens, policy, htpasswd } = deps;

  function granted(user: string | undefined, scope: ResourceScope): ResourceScope {
    const none = { ...scope, actions: [] };
    if (scope.type === 'registry') {
      // Anyone may ask for the catalog; it lists only repositories they may pull.
      return scope.name === 'catalog' && scope.actions.includes('*') ? { ...scope, actions: ['*'] } : none;
    }
    if (scope.type !== 'repository' || !isValidName(scope.name)) return none;
    const allowed = policy.actionsFor(user, scope.name);
    const asked = scope.actions.includes('*') ? ACTIONS : scope.actions;
    return { ...scope, actions: ACTIONS.filter((a) => asked.includes(a) && allowed.has(a)) };
  }

  async function subjectOf(request: GrantRequest): Promise<string | undefined> {
    switch (request.grant) {
      case 'anonymous':
        return undefined;
      case 'password': {
        const ok = htpasswd !== undefined && request.user !== '' && (await htpasswd.verify(request.user, request.password));
        if (!ok) throw new GrantError('invalid_credentials', 'invalid username or password');
        return request.user;
      }
      case 'refresh_token': {
        let claims;
        try {
          claims = await tokens.verifyRefresh(request.refreshToken);
        } catch (err) {
          if (err instanceof TokenError) throw new GrantError('invalid_grant', err.message);
          throw err;
        }
        // A changed password or a removed user ends the refresh tokens issued before.
        if (htpasswd === undefined || (await htpasswd.fingerprint(claims.subject)) !== claims.fingerprint) {
          throw new GrantError('invalid_grant', 'refresh token no longer valid: log in again');
        }
        return claims.subject;
      }
    }
  }

  return {
    async grant(request) {
      if (request.service !== undefined && request.service !== '' && request.service !== tokens.service) {
        throw new GrantError('invalid_request', `unknown service "${request.service.slice(0, 100)}"; this is "${tokens.service}"`);
      }
      let scopes: ResourceScope[];
      try {
        scopes = parseScopes(request.scopes);
      } catch (err) {
        if (err instanceof ScopeError) throw new GrantError('invalid_request', `invalid scope: ${err.message}`);
        throw err;
      }
      const user = await subjectOf(request);
      const access = scopes.map((s) => granted(user, s));
      const issued = await tokens.issueAccess(user ?? '', access);
      const response: TokenResponse = {
        token: issued.token,
        access_token: issued.token,
        expires_in: issued.expiresIn,
        issued_at: issued.issuedAt,
        scope: formatScopes(access),
      };
      if (request.grant === 'refresh_token') response.refresh_token = request.refreshToken;
      else if (request.grant === 'password' && request.offline && htpasswd !== undefined) {
        const fingerprint = await htpasswd.fingerprint(request.user);
        if (fingerprint !== undefined) response.refresh_token = await tokens.issueRefresh(request.user, fingerprint);
      }
      return response;
    },
  };
}
