/**
 * Routing under `/v2/`. Repository names contain slashes, so the OCI paths
 * cannot be expressed as framework route patterns; each route module
 * declares its paths as anchored patterns here, matched against the raw
 * (undecoded) path. An encoded slash or dot therefore never forms a name:
 * it fails the name grammar with `NAME_INVALID`.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { RegistryError } from '../oci/errors.js';
import { assertName } from '../oci/names.js';
import type { Registry } from '../registry/registry.js';
import type { Action } from '../auth/access-rules.js';
import type { Need, RouteAccess } from '../auth/auth.js';
import { rawPath } from './raw-path.js';
import type { FreeChunk } from './free-chunk.js';

export type Method = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface RouteContext {
  request: FastifyRequest;
  reply: FastifyReply;
  registry: Registry;
  /** Captured path parts; `name` is validated before the handler runs. */
  params: Record<string, string>;
  query: URLSearchParams;
  /** Path without query, as received. */
  path: string;
  /** What the caller may do beyond the route's own check (mount sources, listings). */
  permissions: RequestPermissions;
  /** Frees an upload-body chunk once it is stored (see body.ts); absent, the garbage collector does. */
  freeChunk?: FreeChunk | undefined;
}

/** What {@link dispatch} passes on besides the request. */
export interface DispatchOptions {
  /** Runs before the handler when auth is on. */
  guard?: Guard | undefined;
  freeChunk?: FreeChunk | undefined;
}

/** What the authenticated caller of one request may do, for handlers that touch more than one repository. */
export interface RequestPermissions {
  /** What the request's credentials allow on another repository (a mount's source needs `pull`). */
  permits(repository: string, action: Action): boolean;
  /** Whether a repository shows in listings (catalog). */
  lists(repository: string): boolean;
  /** True when nothing is restricted: listings need no filtering, a mount without `from` may look everywhere. */
  readonly unrestricted: boolean;
}

/** Permissions when auth is off. */
export const UNRESTRICTED: RequestPermissions = { permits: () => true, lists: () => true, unrestricted: true };

/**
 * Authorizes one request before its handler runs.
 *
 * @throws RegistryError `UNAUTHORIZED` (with a challenge) or `DENIED`.
 */
export type Guard = (request: FastifyRequest, need: Need) => Promise<RequestPermissions>;

export type RouteHandler = (ctx: RouteContext) => Promise<unknown>;

export interface V2Route {
  /** For logs and metrics: `manifest`, `blob`, `upload`, … */
  id: string;
  pattern: RegExp;
  methods: Partial<Record<Method, RouteHandler>>;
  /**
   * What each method needs (issue 7: every endpoint enforces its action).
   * Undeclared: with a repository name, GET/HEAD pull, DELETE delete, others
   * push; without one, `ping`.
   */
  access?: Partial<Record<Method, RouteAccess>>;
}

/** Named capture for a repository name (validated later by the name grammar). */
export const NAME = '(?<name>[^?#]+?)';

/** Builds an anchored pattern for `/v2/<name>/<rest>`. */
export function repoPath(rest: string): RegExp {
  return new RegExp(`^/v2/${NAME}/${rest}$`);
}

export interface MatchedRoute {
  route: V2Route;
  params: Record<string, string>;
}

/** Finds the route for a path; `undefined` when none matches. */
export function matchRoute(routes: readonly V2Route[], path: string): MatchedRoute | undefined {
  for (const route of routes) {
    const m = route.pattern.exec(path);
    if (m !== null) return { route, params: { ...(m.groups ?? {}) } };
  }
  return undefined;
}

/**
 * Parses a query string as RFC 3986 does: `+` is a literal plus, not the
 * space of form encoding. Media types carry `+` (`?artifactType=…+json`) and
 * no parameter the API reads may contain a space.
 */
export function parseQuery(raw: string): URLSearchParams {
  return new URLSearchParams(raw.replaceAll('+', '%2B'));
}

function accessOf(route: V2Route, method: Method, name: string | undefined): Need {
  const declared = route.access?.[method];
  const access = declared ?? (name === undefined ? 'ping' : method === 'GET' || method === 'HEAD' ? 'pull' : method === 'DELETE' ? 'delete' : 'push');
  if (access === 'ping' || access === 'catalog' || access === 'admin') return { access };
  if (name === undefined) throw new Error(`route ${route.id} declares ${access} but captures no repository name`);
  return { access, repository: name };
}

/** Dispatches one request to its route's method handler, after `guard` (when auth is on) allows it. */
export async function dispatch(
  routes: readonly V2Route[],
  registry: Registry,
  request: FastifyRequest,
  reply: FastifyReply,
  { guard, freeChunk }: DispatchOptions = {},
): Promise<unknown> {
  const path = rawPath(request);
  const matched = matchRoute(routes, path);
  if (matched === undefined) throw new RegistryError('UNKNOWN_ENDPOINT', { path: path.slice(0, 200) });
  const handler = matched.route.methods[request.method as Method];
  if (handler === undefined) {
    reply.header('Allow', Object.keys(matched.route.methods).join(', '));
    throw new RegistryError('METHOD_NOT_ALLOWED', { method: request.method });
  }
  if (matched.params.name !== undefined) assertName(matched.params.name);
  request.routeId = matched.route.id;
  if (matched.params.name !== undefined) request.repo = matched.params.name;
  const need = accessOf(matched.route, request.method as Method, matched.params.name);
  const permissions = guard === undefined ? UNRESTRICTED : await guard(request, need);
  return handler({
    request,
    reply,
    registry,
    params: matched.params,
    query: parseQuery((request.raw.url ?? '').slice(path.length + 1)), // after the `?`, if any
    path,
    permissions,
    freeChunk,
  });
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Route id for logs and metrics. */
    routeId?: string;
    /** Repository the request addresses, for logs and auth. */
    repo?: string;
  }
}
