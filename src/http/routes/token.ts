/**
 * The token endpoint (docker-auth token.md, oauth.md), served when berth
 * issues tokens:
 *   GET  /token?service=…&scope=…[&offline_token=true]  with Basic credentials or none
 *   POST /token  (application/x-www-form-urlencoded; grant_type=password | refresh_token)
 * GET failures use the registry error format (a 401 with a Basic challenge
 * for wrong credentials); POST failures use RFC 6749 §5.2's
 * `{"error","error_description"}`, the format OAuth2 clients parse.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { parseAuthorization } from '../../auth/credentials.js';
import { GrantError, type GrantRequest, type TokenGrants, type TokenResponse } from '../../auth/token-grants.js';
import { RegistryError } from '../../oci/errors.js';
import { contentLength } from '../headers.js';
import { BASIC_REALM } from '../auth-hook.js';

/** Largest form body accepted on POST /token. */
export const MAX_FORM_BYTES = 8 * 1024;

function queryOf(request: FastifyRequest): URLSearchParams {
  const url = request.raw.url ?? '';
  const q = url.indexOf('?');
  return new URLSearchParams(q === -1 ? '' : url.slice(q + 1));
}

function serviceOf(params: URLSearchParams): { service?: string } {
  const value = params.get('service');
  return value === null ? {} : { service: value };
}

function sendToken(reply: FastifyReply, body: TokenResponse): FastifyReply {
  // RFC 6749 §5.1: token responses are never cached.
  return reply.header('Cache-Control', 'no-store').header('Pragma', 'no-cache').type('application/json').send(body);
}

async function readForm(request: FastifyRequest): Promise<URLSearchParams | undefined> {
  const declared = contentLength(request.headers['content-length']);
  if (declared !== undefined && declared > MAX_FORM_BYTES) return undefined;
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of request.raw) {
    total += (chunk as Buffer).byteLength;
    if (total > MAX_FORM_BYTES) return undefined;
    chunks.push(chunk as Buffer);
  }
  return new URLSearchParams(Buffer.concat(chunks, total).toString('utf8'));
}

function oauthError(reply: FastifyReply, status: number, error: string, description: string): FastifyReply {
  return reply.code(status).header('Cache-Control', 'no-store').type('application/json').send({ error, error_description: description });
}

async function getToken(grants: TokenGrants, request: FastifyRequest, reply: FastifyReply): Promise<unknown> {
  const query = queryOf(request);
  const credentials = parseAuthorization(request.headers.authorization);
  const common = { scopes: query.getAll('scope'), ...serviceOf(query) };
  const grant: GrantRequest =
    credentials?.scheme === 'basic'
      ? { grant: 'password', user: credentials.user, password: credentials.password, offline: query.get('offline_token') === 'true', ...common }
      : { grant: 'anonymous', ...common };
  try {
    return sendToken(reply, await grants.grant(grant));
  } catch (err) {
    if (!(err instanceof GrantError)) throw err;
    if (err.kind === 'invalid_credentials') {
      throw new RegistryError('UNAUTHORIZED', err.message, { headers: { 'WWW-Authenticate': `Basic realm="${BASIC_REALM}", charset="UTF-8"` } });
    }
    throw new RegistryError('BAD_PARAMETER', err.message);
  }
}

async function postToken(grants: TokenGrants, request: FastifyRequest, reply: FastifyReply): Promise<unknown> {
  const type = (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded') {
    return oauthError(reply, 400, 'invalid_request', 'send the parameters as application/x-www-form-urlencoded');
  }
  const form = await readForm(request);
  if (form === undefined) return oauthError(reply, 413, 'invalid_request', `the form is larger than ${MAX_FORM_BYTES} bytes`);
  const common = { scopes: form.getAll('scope'), ...serviceOf(form) };
  let grant: GrantRequest;
  switch (form.get('grant_type')) {
    case 'password':
      grant = {
        grant: 'password',
        user: form.get('username') ?? '',
        password: form.get('password') ?? '',
        offline: form.get('access_type') === 'offline',
        ...common,
      };
      break;
    case 'refresh_token':
      grant = { grant: 'refresh_token', refreshToken: form.get('refresh_token') ?? '', ...common };
      break;
    default:
      return oauthError(reply, 400, 'unsupported_grant_type', 'grant_type must be password or refresh_token');
  }
  try {
    return sendToken(reply, await grants.grant(grant));
  } catch (err) {
    if (!(err instanceof GrantError)) throw err;
    // RFC 6749 §5.2: wrong resource-owner credentials are an invalid grant.
    const error = err.kind === 'invalid_credentials' ? 'invalid_grant' : err.kind;
    return oauthError(reply, 400, error, err.message);
  }
}

/**
 * Adds `GET /token` and `POST /token` to the app.
 *
 * @example
 * if (auth.grants !== undefined) registerTokenRoutes(app, auth.grants);
 */
export function registerTokenRoutes(app: FastifyInstance, grants: TokenGrants): void {
  app.get('/token', (request, reply) => getToken(grants, request, reply));
  app.post('/token', (request, reply) => postToken(grants, request, reply));
}
