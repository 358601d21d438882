/**
 * The HTTP side of authorization: reads the `Authorization` header, asks
 * {@link Auth} for a decision on what the route needs, and refuses with 401
 * `UNAUTHORIZED` plus a challenge (token.md: `Bearer realm,service,scope`,
 * or `Basic realm="berth"`) or 403 `DENIED`.
 */
import type { FastifyRequest } from 'fastify';
import { AuthenticationError, challengeScope, type Auth, type Caller, type ChallengeError, type Need } from '../auth/auth.js';
import { RegistryError } from '../oci/errors.js';
import type { Guard, RequestPermissions } from './v2-router.js';

/** The realm of Basic challenges. */
export const BASIC_REALM = 'berth';

/** Where clients reach this registry: `publicUrl`, else the request's own origin. */
export function originOf(request: FastifyRequest, publicUrl: string | undefined): string {
  if (publicUrl !== undefined) return publicUrl.replace(/\/+$/, '');
  const host = request.host.replace(/[^A-Za-z0-9.\-:[\]]/g, '');
  return `${request.protocol}://${host === '' ? 'localhost' : host}`;
}

export interface ChallengeOptions {
  publicUrl?: string;
  error?: ChallengeError;
  description?: string;
}

/**
 * The `WWW-Authenticate` value for a refusal of `need`.
 *
 * @example
 * challenge(auth, request, { access: 'push', repository: 'app' });
 * // 'Bearer realm="http://127.0.0.1:5000/token",service="berth",scope="repository:app:pull,push"'
 */
export function challenge(auth: Auth, request: FastifyRequest, need: Need | undefined, options: ChallengeOptions = {}): string {
  if (auth.mode !== 'token' || auth.tokens === undefined) return `Basic realm="${BASIC_REALM}", charset="UTF-8"`;
  const realm = auth.realm ?? `${originOf(request, options.publicUrl)}/token`;
  const parts = [`realm="${realm}"`, `service="${auth.tokens.service}"`];
  const scope = need === undefined ? undefined : challengeScope(need);
  if (scope !== undefined) parts.push(`scope="${scope}"`);
  if (options.error !== undefined) parts.push(`error="${options.error}"`);
  if (options.description !== undefined) parts.push(`error_description="${options.description.replace(/["\\]/g, '')}"`);
  return `Bearer ${parts.join(',')}`;
}

/** distribution's error detail: the access the request needed. */
function detailOf(need: Need): unknown {
  if (need.access === 'ping') return undefined;
  if (need.access === 'admin') return { reason: 'operator endpoint: only users in auth.admins may read it' };
  if (need.access === 'catalog') return [{ Type: 'registry', Name: 'catalog', Action: '*' }];
  const actions = need.access === 'push' ? ['pull', 'push'] : [need.access];
  return actions.map((Action) => ({ Type: 'repository', Name: need.repository, Action }));
}

/** 401 with the challenge for `need`. */
export function unauthorized(auth: Auth, request: FastifyRequest, need: Need | undefined, options: ChallengeOptions = {}): RegistryError {
  return new RegistryError('UNAUTHORIZED', need === undefined ? options.description : detailOf(need), {
    headers: { 'WWW-Authenticate': challenge(auth, request, need, options) },
  });
}

/**
 * Lets through the callers {@link Auth.admin} accepts (operator endpoints:
 * `/metrics`, `/v2/_berth/webhooks`); refuses with 401 and a Basic challenge
 * (in every mode: these endpoints take Basic credentials) or 403 `DENIED`.
 *
 * @example
 * app.get('/metrics', { preHandler: createAdminGuard(auth) }, handler);
 */
export function createAdminGuard(auth: Auth): (request: FastifyRequest) => Promise<void> {
  return async (request) => {
    const { decision, user } = await auth.admin(request.headers.authorization);
    if (user !== undefined) request.user = user;
    if (decision.allowed) return;
    const need: Need = { access: 'admin' };
    if (decision.refuse === 'deny') throw new RegistryError('DENIED', detailOf(need));
    throw new RegistryError('UNAUTHORIZED', decision.description, {
      headers: { 'WWW-Authenticate': `Basic realm="${BASIC_REALM}", charset="UTF-8"` },
    });
  };
}

/**
 * The guard `dispatch` runs before every `/v2/` handler.
 *
 * @example
 * const guard = createAuthGuard(auth, { publicUrl: config.publicUrl });
 * dispatch(routes, registry, request, reply, { guard });
 */
export function createAuthGuard(auth: Auth, options: { publicUrl?: string } = {}): Guard {
  const base = options.publicUrl === undefined ? {} : { publicUrl: options.publicUrl };
  const admin = createAdminGuard(auth);
  return async (request, need): Promise<RequestPermissions> => {
    if (need.access === 'admin') {
      await admin(request);
      return { permits: () => false, lists: () => false, unrestricted: false };
    }
    let caller: Caller;
    try {
      caller = await auth.authenticate(request.headers.authorization);
    } catch (err) {
      if (!(err instanceof AuthenticationError)) throw err;
      throw unauthorized(auth, request, need, { ...base, ...(err.error === undefined ? {} : { error: err.error }), description: err.message });
    }
    if (caller.user !== undefined) request.user = caller.user;
    const decision = auth.decide(caller, need);
    if (!decision.allowed) {
      if (decision.refuse === 'deny') throw new RegistryError('DENIED', detailOf(need));
      throw unauthorized(auth, request, need, {
        ...base,
        ...(decision.error === undefined ? {} : { error: decision.error }),
        ...(decision.description === undefined ? {} : { description: decision.description }),
      });
    }
    return {
      permits: (repository, action) => auth.permits(caller, repository, action),
      lists: (repository) => auth.lists(caller, repository),
      unrestricted: auth.unrestricted,
    };
  };
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The authenticated user, for logs. */
    user?: string;
  }
}
