/**
 * The `auth` section of the configuration: who may pull, push and delete
 * what (issue 7). Kept beside `schema.ts`, which embeds it; checks that need
 * more than a schema (globs, group references, mode requirements) live in
 * `src/auth/config-check.ts` and run in `loadConfig`.
 */
import { Type, type Static } from '@sinclair/typebox';

const Action = Type.Union([Type.Literal('pull'), Type.Literal('push'), Type.Literal('delete')]);

export const AccessRuleSchema = Type.Object(
  {
    repositories: Type.Union([Type.String({ minLength: 1 }), Type.Array(Type.String({ minLength: 1 }), { minItems: 1 })], {
      description: "Repository glob(s): '*' within one path segment, '**' across segments.",
    }),
    allow: Type.Record(Type.String({ minLength: 1 }), Type.Array(Action), {
      description: 'Principal → actions. Principals: a user name, @group, $authenticated, $anonymous (everyone).',
    }),
  },
  { additionalProperties: false },
);

export const TrustedIssuerSchema = Type.Object(
  {
    issuer: Type.String({ minLength: 1, description: 'The `iss` of the external token server.' }),
    jwks: Type.String({ minLength: 1, description: 'Its public keys: a JWKS file path, or an https:// URL.' }),
  },
  { additionalProperties: false },
);

export const TokenAuthSchema = Type.Object(
  {
    service: Type.String({ minLength: 1, default: 'berth', description: 'Audience of tokens; the `service` of challenges.' }),
    issuer: Type.String({ minLength: 1, default: 'berth', description: 'The `iss` of tokens berth signs.' }),
    issue: Type.Boolean({ default: true, description: 'Serve /token and sign tokens (false: only trust external issuers).' }),
    realm: Type.Optional(
      Type.String({ minLength: 1, description: 'Token endpoint URL in challenges. Default: <publicUrl or request origin>/token.' }),
    ),
    signingKey: Type.Optional(
      Type.String({ minLength: 1, description: 'PEM private key (EC or RSA). Default: generated in <dataDir>/auth/.' }),
    ),
    keyType: Type.Union([Type.Literal('ES256'), Type.Literal('RS256')], {
      default: 'ES256',
      description: 'Kind of key generated when signingKey is not set.',
    }),
    ttlSeconds: Type.Integer({ minimum: 60, maximum: 86400, default: 300, description: 'Access token lifetime.' }),
    refreshTtlSeconds: Type.Integer({ minimum: 0, default: 30 * 86400, description: 'Refresh token lifetime; 0: no expiry.' }),
    leewaySeconds: Type.Integer({ minimum: 0, maximum: 300, default: 30, description: 'Clock skew allowed on exp/nbf.' }),
    trust: Type.Array(TrustedIssuerSchema, { default: [], description: 'External token issuers whose tokens are accepted.' }),
  },
  { additionalProperties: false, default: {} },
);

export const AuthSchema = Type.Object(
  {
    mode: Type.Union([Type.Literal('none'), Type.Literal('basic'), Type.Literal('token')], {
      description: 'none: no authentication; basic: htpasswd users over Basic auth; token: Docker token auth.',
    }),
    htpasswd: Type.Optional(Type.String({ minLength: 1, description: 'htpasswd file with bcrypt hashes (berth user add).' })),
    bcryptCost: Type.Integer({ minimum: 4, maximum: 15, default: 10, description: 'bcrypt cost `berth user add` uses.' }),
    groups: Type.Record(Type.String(), Type.Array(Type.String()), { default: {}, description: 'Group name → user names.' }),
    admins: Type.Array(Type.String({ minLength: 1 }), {
      default: [],
      description:
        'Users and @groups who may read the operator endpoints (GET /metrics, GET /v2/_berth/webhooks) with their ' +
        'htpasswd credentials over Basic auth, in every mode. Mode none: everyone may. Default: nobody.',
    }),
    rules: Type.Optional(
      Type.Array(AccessRuleSchema, {
        description:
          'Ordered; the first rule whose glob matches decides; no match: no access. ' +
          'Default: every logged-in user may do everything (mode none: everyone may).',
      }),
    ),
    token: TokenAuthSchema,
  },
  { additionalProperties: false },
);

export type AuthConfig = Static<typeof AuthSchema>;
export type AccessRuleConfigEntry = Static<typeof AccessRuleSchema>;
