/**
 * Configuration of berth's hardening (issue 7, "Hardening"): TLS, per-client
 * rate limiting and the audit log. Kept beside `schema.ts`, which embeds these
 * objects in its `http` and `log` sections; `berth.example.yaml` documents them.
 */
import { Type, type Static } from '@sinclair/typebox';

export const TlsSchema = Type.Object(
  {
    certFile: Type.String({ minLength: 1, description: 'PEM certificate chain (leaf first).' }),
    keyFile: Type.String({ minLength: 1, description: 'PEM private key of the certificate.' }),
  },
  {
    additionalProperties: false,
    description: 'Serve HTTPS. Both files are re-read when they change; a bad new pair is logged and the old one kept.',
  },
);

export const RateLimitSchema = Type.Object(
  {
    requestsPerSecond: Type.Number({
      minimum: 0,
      default: 0,
      description: 'Sustained requests per second per client (user when authenticated, else IP); 0: no limit.',
    }),
    burst: Type.Integer({ minimum: 1, default: 200, description: 'Requests a client may make at once before the rate applies.' }),
    maxClients: Type.Integer({
      minimum: 100,
      default: 100000,
      description: 'Clients tracked at once; past it the least recently seen is forgotten (memory bound).',
    }),
  },
  { additionalProperties: false, default: {} },
);

export const AuditLogSchema = Type.Object(
  {
    file: Type.Optional(
      Type.String({ minLength: 1, description: 'Append JSON lines here. Absent: into the main log, marked "audit": true.' }),
    ),
  },
  { additionalProperties: false, description: 'Who pushed, deleted or was denied what. Absent: no audit log.' },
);

export type TlsConfig = Static<typeof TlsSchema>;
export type RateLimitConfig = Static<typeof RateLimitSchema>;
export type AuditLogConfig = Static<typeof AuditLogSchema>;
