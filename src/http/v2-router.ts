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
}

export type RouteHandler = (ctx: RouteContext) => Promise<unknown>;

export interface V2Route {
  /** For logs and metrics: `manifest`, `blob`, `upload`, … */
  id: string;
  pattern: RegExp;
  methods: Partial<Record<Method, RouteHandler>>;
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

/** Dispatches one request to its route's method handler. */
export async function dispatch(routes: readonly V2Route[], registry: Registry, request: FastifyRequest, reply: FastifyReply): Promise<unknown> {
  const url = request.raw.url ?? '/';
  const q = url.indexOf('?');
  const path = q === -1 ? url : url.slice(0, q);
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
  return handler({
    request,
    reply,
    registry,
    params: matched.params,
    query: parseQuery(q === -1 ? '' : url.slice(q + 1)),
    path,
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
