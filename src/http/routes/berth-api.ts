/**
 * berth's own JSON API under `/v2/_berth/` (an extension namespace per
 * distribution-spec extensions.md): artifact types, repositories and
 * artifacts with their types, and a catalog filterable by type.
 */
import { RegistryError } from '../../oci/errors.js';
import { assertName } from '../../oci/names.js';
import { nextLink, pageNumber, singleParam } from '../headers.js';
import type { RouteContext, V2Route } from '../v2-router.js';
import { filteredPage } from '../filtered-page.js';
import type { ExtensionInfo } from './discover.js';

const DEFAULT_PAGE = 100;
const MAX_PAGE = 1000;

function pageOf(ctx: RouteContext): { type?: string; last?: string; limit: number } {
  const n = pageNumber(ctx.query);
  const request: { type?: string; last?: string; limit: number } = { limit: Math.min(n ?? DEFAULT_PAGE, MAX_PAGE) };
  const type = singleParam(ctx.query, 'type');
  if (type !== undefined && type !== '') request.type = type;
  const last = singleParam(ctx.query, 'last');
  if (last !== undefined) request.last = last;
  return request;
}

function link(ctx: RouteContext, request: { type?: string; limit: number }, last: string | undefined): void {
  if (last !== undefined) ctx.reply.header('Link', nextLink(ctx.path, { type: request.type, n: request.limit, last }));
}

async function types(ctx: RouteContext): Promise<unknown> {
  return ctx.reply.send(await ctx.registry.artifacts.types());
}

async function oneType(ctx: RouteContext): Promise<unknown> {
  return ctx.reply.send(await ctx.registry.artifacts.type(ctx.params.type as string));
}

async function icon(ctx: RouteContext): Promise<unknown> {
  const t = await ctx.registry.artifacts.type(ctx.params.type as string);
  return ctx.reply.type('image/svg+xml').header('Cache-Control', 'max-age=3600').send(t.icon);
}

async function repositories(ctx: RouteContext): Promise<unknown> {
  const request = pageOf(ctx);
  const { artifacts } = ctx.registry;
  const page = ctx.permissions.unrestricted
    ? await artifacts.repositories(request)
    : await filteredPage(
        (after, limit) => {
          const { last: _last, ...rest } = request;
          return artifacts.repositories(after === undefined ? { ...rest, limit } : { ...rest, limit, last: after });
        },
        (repository) => ctx.permissions.lists(repository),
        request.limit,
        request.last,
      );
  link(ctx, request, page.more ? page.items.at(-1) : undefined);
  return ctx.reply.send({ repositories: page.items });
}

async function artifacts(ctx: RouteContext): Promise<unknown> {
  const name = assertName(ctx.params.name as string);
  const request = pageOf(ctx);
  const page = await ctx.registry.artifacts.artifacts(name, request);
  link(ctx, request, page.more ? page.items.at(-1)?.digest : undefined);
  return ctx.reply.send({ name, artifacts: page.items });
}

function notFound(): Promise<never> {
  return Promise.reject(new RegistryError('UNKNOWN_ENDPOINT', 'see /v2/_oci/ext/discover for berth endpoints'));
}

export const berthApiRoutes: V2Route[] = [
  { id: 'berth-types', pattern: /^\/v2\/_berth\/types$/, methods: { GET: types } },
  { id: 'berth-type', pattern: /^\/v2\/_berth\/types\/(?<type>[a-z0-9-]{1,100})$/, methods: { GET: oneType } },
  { id: 'berth-type-icon', pattern: /^\/v2\/_berth\/types\/(?<type>[a-z0-9-]{1,100})\/icon\.svg$/, methods: { GET: icon } },
  {
    id: 'berth-repositories',
    pattern: /^\/v2\/_berth\/(?:repositories|catalog)$/,
    methods: { GET: repositories },
    // Like /v2/_catalog: listed only where the caller may pull.
    access: { GET: 'catalog' },
  },
  {
    id: 'berth-artifacts',
    pattern: /^\/v2\/_berth\/repositories\/(?<name>[^?#]+)\/artifacts$/,
    methods: { GET: artifacts },
  },
  { id: 'berth-unknown', pattern: /^\/v2\/_berth(?:\/.*)?$/, methods: { GET: notFound } },
];

/** The `_berth` entry of `/v2/_oci/ext/discover`. */
export const BERTH_EXTENSION: ExtensionInfo = {
  name: '_berth',
  url: 'https://github.com/berth-registry/berth#berth-api',
  description: 'Artifact types, repositories and artifacts with their types, catalog filtered by type',
  endpoints: [
    '/v2/_berth/types',
    '/v2/_berth/types/{name}',
    '/v2/_berth/types/{name}/icon.svg',
    '/v2/_berth/repositories?type={type}&n={n}&last={last}',
    '/v2/_berth/repositories/{name}/artifacts?type={type}&n={n}&last={last}',
    '/v2/_berth/catalog?type={type}&n={n}&last={last}',
  ],
};

/** The `_oci` entry: the discovery endpoint itself. */
export const OCI_EXTENSION: ExtensionInfo = {
  name: '_oci',
  url: 'https://github.com/opencontainers/distribution-spec/blob/main/extensions/_oci.md',
  description: 'Extension discovery',
  endpoints: ['/v2/_oci/ext/discover'],
};
