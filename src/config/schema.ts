/**
 * The configuration schema: the single source of the `Config` type, of
 * validation (errors name the bad field's path) and of `berth config schema`.
 * `berth.example.yaml` at the repository root documents every option.
 *
 * Storage and metadata are tagged unions on `driver`; `load.ts` validates
 * the tag first so an error says "storage.driver must be one of …" rather
 * than a wall of anyOf failures.
 */
import { Type, type Static } from '@sinclair/typebox';
import { GcSchema, QuotaSchema, RetentionRuleSchema } from './gc-schema.js';
import { AuthSchema } from './auth-schema.js';
import { AuditLogSchema, RateLimitSchema, TlsSchema } from './hardening-schema.js';

const Seconds = (def: number, description: string) =>
  Type.Integer({ minimum: 0, default: def, description });

export const FilesystemStorageSchema = Type.Object(
  {
    driver: Type.Literal('filesystem'),
    path: Type.Optional(Type.String({ description: 'Blob directory. Default: <dataDir>/storage.' })),
    fsync: Type.Boolean({ default: true, description: 'fsync every committed blob (durable across power loss).' }),
    directWrites: Type.Boolean({
      default: true,
      description:
        'Write blob bytes with O_DIRECT, past the page cache, where the filesystem allows it; the first read of a blob of 8 MiB or more written so is direct too.',
    }),
  },
  { additionalProperties: false },
);

export const MemoryStorageSchema = Type.Object(
  { driver: Type.Literal('memory') },
  { additionalProperties: false, description: 'Volatile; for tests.' },
);

export const S3StorageSchema = Type.Object(
  {
    driver: Type.Literal('s3'),
    bucket: Type.String({ minLength: 1 }),
    prefix: Type.Optional(Type.String()),
    region: Type.String({ default: 'us-east-1' }),
    endpoint: Type.Optional(Type.String({ description: 'Custom endpoint, e.g. http://127.0.0.1:7480' })),
    forcePathStyle: Type.Boolean({ default: false }),
    accessKeyId: Type.Optional(Type.String()),
    secretAccessKey: Type.Optional(Type.String()),
    partSizeBytes: Type.Integer({ minimum: 5 * 1024 * 1024, default: 16 * 1024 * 1024 }),
    redirect: Type.Boolean({ default: false, description: 'Redirect blob GETs to presigned URLs.' }),
    redirectExpirySeconds: Seconds(900, 'Lifetime of presigned URLs.'),
  },
  { additionalProperties: false },
);

export const StorageSchema = Type.Union([FilesystemStorageSchema, MemoryStorageSchema, S3StorageSchema]);

export const SqliteMetadataSchema = Type.Object(
  {
    driver: Type.Literal('sqlite'),
    path: Type.Optional(Type.String({ description: 'Database file. Default: <dataDir>/berth.db.' })),
    synchronous: Type.Union([Type.Literal('FULL'), Type.Literal('NORMAL')], { default: 'FULL' }),
    checkNestedCalls: Type.Boolean({
      default: false,
      description:
        'Development check: fail a database call made from inside a transaction instead of through it (it would deadlock). Costs 4–12 % CPU on small requests.',
    }),
  },
  { additionalProperties: false },
);

export const PostgresMetadataSchema = Type.Object(
  {
    driver: Type.Literal('postgres'),
    url: Type.String({ minLength: 1, description: 'postgres://user:password@host:5432/db' }),
    poolSize: Type.Integer({ minimum: 1, default: 10 }),
  },
  { additionalProperties: false },
);

export const MetadataSchema = Type.Union([SqliteMetadataSchema, PostgresMetadataSchema]);

export const ImmutableTagRuleSchema = Type.Object(
  {
    repositories: Type.Union([Type.String({ minLength: 1 }), Type.Array(Type.String({ minLength: 1 }), { minItems: 1 })], {
      description: "Repository glob(s): '*' within one path segment, '**' across segments.",
    }),
    tags: Type.Array(Type.String({ minLength: 1 }), {
      description: "Tag globs ('*': any run of tag characters, case-sensitive) that are immutable once pushed.",
    }),
    except: Type.Optional(
      Type.Array(Type.String({ minLength: 1 }), { description: 'Tag globs exempt from `tags` (they stay movable).' }),
    ),
  },
  { additionalProperties: false },
);

export const RegistrySchema = Type.Object(
  {
    deleteEnabled: Type.Boolean({ default: true, description: 'Allow DELETE of manifests, tags and blobs.' }),
    maxManifestBytes: Type.Integer({ minimum: 1024, default: 4 * 1024 * 1024 }),
    maxBlobBytes: Type.Integer({ minimum: 0, default: 0, description: '0: no limit.' }),
    maxUploadsPerClient: Type.Integer({
      minimum: 0,
      default: 100,
      description: 'Open upload sessions per client (user, else IP) before 429; 0: no limit.',
    }),
    uploadTtlSeconds: Seconds(24 * 3600, 'Idle upload sessions expire after this long.'),
    uploadExpiryIntervalSeconds: Seconds(600, 'How often expired sessions are swept.'),
    chunkMinLength: Type.Integer({ minimum: 0, default: 0, description: 'OCI-Chunk-Min-Length; 0: none.' }),
    legacyDockerConversion: Type.Boolean({
      default: false,
      description: 'Convert OCI manifests to Docker schema2 for clients that accept only Docker types.',
    }),
    maxTagsPerPush: Type.Integer({ minimum: 1, default: 100 }),
    referrersPageSize: Type.Integer({ minimum: 1, default: 1000 }),
    defaultPageSize: Type.Integer({ minimum: 1, default: 1000, description: 'Tags/catalog page size without n.' }),
    maxPageSize: Type.Integer({ minimum: 1, default: 10000 }),
    deleteReferrersWithSubject: Type.Boolean({
      default: false,
      description:
        'Deleting a manifest by digest also deletes its referrers (signatures, SBOMs, …), recursively. Off: they stay until GC (gc.deleteOrphanReferrers) or retention (dropOrphanSignatures) removes them.',
    }),
    hashThreads: Type.Union([Type.Literal('auto'), Type.Integer({ minimum: 0, maximum: 64 })], {
      default: 'auto',
      description:
        'Worker threads that hash uploaded blob bytes, off the event loop; 0 hashes on it. auto: one per CPU beyond the first, at most 2.',
    }),
    immutableTags: Type.Array(ImmutableTagRuleSchema, {
      default: [],
      description:
        'Ordered; the first rule whose repositories glob matches decides. Its matching tags, once pushed, cannot be moved to another digest or deleted (403 DENIED), nor removed by deleting their manifest or by retention; pushing the same digest again is fine. Applies in every auth mode.',
    }),
  },
  { additionalProperties: false, default: {} },
);

export const LogSchema = Type.Object(
  {
    level: Type.Union(
      ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)),
      { default: 'info' },
    ),
    format: Type.Union([Type.Literal('json'), Type.Literal('pretty')], { default: 'json' }),
    requests: Type.Boolean({ default: true, description: 'Log one line per request.' }),
    audit: Type.Optional(AuditLogSchema),
  },
  { additionalProperties: false, default: {} },
);

export const HttpSchema = Type.Object(
  {
    requestTimeoutSeconds: Seconds(0, 'Whole-request limit; 0: none (large blobs take time).'),
    headersTimeoutSeconds: Seconds(30, 'Time to receive request headers (slowloris guard).'),
    idleTimeoutSeconds: Seconds(75, 'Keep-alive idle timeout.'),
    maxHeaderBytes: Type.Integer({ minimum: 1024, default: 16384 }),
    trustProxy: Type.Boolean({ default: false, description: 'Honour X-Forwarded-* headers.' }),
    shutdownGraceSeconds: Seconds(25, 'Time to finish in-flight requests on shutdown.'),
    bodyIdleTimeoutSeconds: Seconds(60, 'Close a connection whose request body sends nothing for this long; 0: never.'),
    tls: Type.Optional(TlsSchema),
    rateLimit: RateLimitSchema,
  },
  { additionalProperties: false, default: {} },
);

export const TypeRuleSchema = Type.Object(
  {
    repositories: Type.String({ minLength: 1, description: "Repository glob: '*' within a segment, '**' across." }),
    allow: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { description: 'Short names or media types; * wildcard.' })),
    deny: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { description: 'Checked before allow.' })),
    validate: Type.Optional(
      Type.Object(
        {
          schema: Type.Optional(Type.Boolean({ description: "Validate the config object against the type's JSON Schema." })),
          layers: Type.Optional(Type.Boolean({ description: "Layers must use the type's declared media types." })),
          requiredAnnotations: Type.Optional(Type.Array(Type.String({ minLength: 1 }))),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

/** Event actions a webhook endpoint can subscribe to. */
export const WEBHOOK_ACTIONS = ['push', 'pull', 'delete', 'mount', 'denied'] as const;

export const WebhookEndpointSchema = Type.Object(
  {
    name: Type.String({
      pattern: '^[A-Za-z0-9._-]{1,64}$',
      description: 'Unique; keys the delivery cursor, so renaming starts a new endpoint at the end of the log.',
    }),
    url: Type.String({ pattern: '^https?://[^/@\\s]+(/\\S*)?$', description: 'http(s) URL events are POSTed to (no user:password@; use headers).' }),
    actions: Type.Optional(
      Type.Array(Type.Union(WEBHOOK_ACTIONS.map((a) => Type.Literal(a))), {
        minItems: 1,
        description: 'Actions to send. Absent: all of them (pulls included).',
      }),
    ),
    repositories: Type.Optional(
      Type.Array(Type.String({ minLength: 1 }), { minItems: 1, description: "Repository globs: '*' within a segment, '**' across." }),
    ),
    artifactTypes: Type.Optional(
      Type.Array(Type.String({ minLength: 1 }), {
        minItems: 1,
        description: 'Short names or media types; events without an artifact type (blobs) do not match.',
      }),
    ),
    headers: Type.Optional(Type.Record(Type.String(), Type.String(), { description: 'Extra request headers.' })),
    timeoutSeconds: Type.Integer({ minimum: 1, default: 10, description: 'Per-request timeout.' }),
    secret: Type.Optional(
      Type.String({ minLength: 1, description: 'HMAC-SHA256 key: X-Berth-Signature: sha256=<hex of HMAC(raw body)>.' }),
    ),
    format: Type.Union([Type.Literal('distribution'), Type.Literal('cloudevents')], {
      default: 'distribution',
      description: "distribution's notification envelope, or a CloudEvents 1.0 JSON batch.",
    }),
    batchSize: Type.Integer({ minimum: 1, maximum: 1000, default: 10, description: 'Most events per request.' }),
    maxBackoffSeconds: Type.Integer({ minimum: 1, default: 300, description: 'Cap of the retry delay (1 s, doubling).' }),
  },
  { additionalProperties: false },
);

export const WebhooksSchema = Type.Object(
  {
    endpoints: Type.Array(WebhookEndpointSchema, { default: [] }),
    pollIntervalMs: Type.Integer({
      minimum: 0,
      default: 1000,
      description: 'How often the delivery worker looks for new events; 0: only when asked (tests).',
    }),
  },
  { additionalProperties: false, default: {} },
);

export const ConfigSchema = Type.Object(
  {
    listen: Type.String({ default: '127.0.0.1:5000', description: 'host:port to listen on.' }),
    dataDir: Type.String({ default: './berth-data', description: 'Where embedded data lives.' }),
    publicUrl: Type.Optional(Type.String({ description: 'External base URL, for absolute links.' })),
    storage: StorageSchema,
    metadata: MetadataSchema,
    registry: RegistrySchema,
    log: LogSchema,
    http: HttpSchema,
    // Sections owned by other modules validate their own content.
    types: Type.Array(Type.Unknown(), { default: [], description: 'Operator artifact types.' }),
    typesDir: Type.Optional(Type.String({ description: 'Directory of artifact type YAML/JSON files.' })),
    typeRules: Type.Array(TypeRuleSchema, { default: [], description: 'Per-repository type rules, first match wins.' }),
    auth: Type.Optional(AuthSchema),
    webhooks: WebhooksSchema,
    gc: GcSchema,
    retention: Type.Array(RetentionRuleSchema, {
      default: [],
      description: 'Retention rules; per manifest the first matching rule applies.',
    }),
    quotas: Type.Array(QuotaSchema, { default: [], description: 'Storage quotas; every matching quota applies.' }),
  },
  { additionalProperties: false },
);

export type Config = Static<typeof ConfigSchema>;
export type StorageConfig = Static<typeof StorageSchema>;
export type MetadataConfig = Static<typeof MetadataSchema>;
export type RegistryConfig = Static<typeof RegistrySchema>;
export type ImmutableTagRule = Static<typeof ImmutableTagRuleSchema>;
export type WebhooksConfig = Static<typeof WebhooksSchema>;
export type WebhookEndpointConfig = Static<typeof WebhookEndpointSchema>;
