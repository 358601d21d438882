/**
 * Configuration of garbage collection (`gc`), retention rules
 * (`retention`) and storage quotas (`quotas`). Part of the one config
 * schema (`schema.ts`); `berth.example.yaml` documents every option.
 * What the schema cannot say (globs, regular expressions, type names) is
 * checked at start-up by `registry/gc/config-check.ts`.
 */
import { Type, type Static } from '@sinclair/typebox';

const Glob = Type.String({ minLength: 1, description: "Repository glob: '*' within a segment, '**' across." });

export const GcSchema = Type.Object(
  {
    intervalSeconds: Type.Integer({
      minimum: 0,
      default: 0,
      description: 'Run retention then GC in the background this often; 0: never (run `berth gc`).',
    }),
    gracePeriodSeconds: Type.Integer({
      minimum: 0,
      default: 3600,
      description:
        'Stored files and stray upload directories younger than this are never swept: it protects bytes a push wrote but has not linked yet.',
    }),
    deleteUntagged: Type.Object(
      {
        enabled: Type.Boolean({ default: false }),
        olderThanSeconds: Type.Integer({ minimum: 0, default: 7 * 24 * 3600 }),
      },
      {
        additionalProperties: false,
        default: {},
        description:
          'Delete manifests no tag points at, pushed longer ago than olderThanSeconds, unless an index or a kept subject holds them.',
      },
    ),
    deleteOrphanReferrers: Type.Boolean({
      default: false,
      description:
        'Delete untagged referrers whose subject is gone from the repository (older than the grace period, since a referrer may be pushed before its subject).',
    }),
    applyRetention: Type.Boolean({ default: true, description: 'Scheduled runs apply `retention` before collecting.' }),
  },
  { additionalProperties: false, default: {} },
);

export const RetentionRuleSchema = Type.Object(
  {
    repositories: Glob,
    artifactTypes: Type.Optional(
      Type.Array(Type.String({ minLength: 1 }), {
        minItems: 1,
        description: 'Short names (helm-chart) or media types; absent: every type.',
      }),
    ),
    keepLast: Type.Optional(Type.Integer({ minimum: 0, description: 'Keep the N most recently pushed tags.' })),
    keepLastSemver: Type.Optional(
      Type.Integer({ minimum: 0, description: 'Keep the N highest semantic-version tags (others are not counted).' }),
    ),
    keepTags: Type.Optional(
      Type.Array(Type.String({ minLength: 1 }), { description: 'Regular expressions; matching tags are always kept.' }),
    ),
    deleteUntaggedOlderThanSeconds: Type.Optional(
      Type.Integer({ minimum: 0, description: 'Delete manifests with no tag pushed longer ago than this.' }),
    ),
    dropOrphanSignatures: Type.Optional(
      Type.Boolean({
        description:
          'Delete referrers (and sha256-<hex>.sig/.att/.sbom tags) whose subject is gone or deleted by this rule.',
      }),
    ),
    unlinkUnreferencedBlobsOlderThanSeconds: Type.Optional(
      Type.Integer({
        minimum: 0,
        description:
          'Unlink blobs no manifest of the repository references, linked longer ago than this (frees quota; GC frees bytes).',
      }),
    ),
  },
  { additionalProperties: false },
);

export const QuotaSchema = Type.Object(
  {
    repositories: Glob,
    maxBytes: Type.Integer({
      minimum: 0,
      description: 'Most bytes (distinct blobs and manifests) all repositories matching the glob may hold together.',
    }),
  },
  { additionalProperties: false },
);

export type GcConfig = Static<typeof GcSchema>;
export type RetentionRule = Static<typeof RetentionRuleSchema>;
export type QuotaConfig = Static<typeof QuotaSchema>;
