/**
 * JSON Schema (draft-07) for the OCI image config
 * (`application/vnd.oci.image.config.v1+json`), made self-contained from
 * image-spec `schema/config-schema.json` and the two `defs.json` definitions it
 * references (`mapStringObject`, `mapStringString`).
 *
 * Source: https://github.com/opencontainers/image-spec/blob/v1.1.1/schema/config-schema.json
 *
 * Changes from the spec's schema, each to accept what real images carry:
 * - draft-04 `id` became a comment: berth compiles draft-07 and later.
 * - `Env` and `ExposedPorts` also accept `null`, as the spec already does for
 *   `Entrypoint`, `Cmd`, `Volumes` and `Labels`: Go encoders write `null` for
 *   nil slices and maps, and Docker image configs (which share these fields)
 *   contain it.
 */

const stringArray = { type: 'array', items: { type: 'string' } } as const;
const stringArrayOrNull = { oneOf: [stringArray, { type: 'null' }] } as const;
const mapStringObject = {
  type: 'object',
  patternProperties: { '.{1,}': { type: 'object' } },
} as const;
const mapStringString = {
  type: 'object',
  patternProperties: { '.{1,}': { type: 'string' } },
} as const;

/** The OCI image config schema; also used for Docker image configs, a superset. */
export const OCI_IMAGE_CONFIG_SCHEMA: Readonly<Record<string, unknown>> = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  $comment: 'Adapted from https://opencontainers.org/schema/image/config (image-spec v1.1.1)',
  description: 'OpenContainer Config Specification',
  type: 'object',
  properties: {
    created: { type: 'string', format: 'date-time' },
    author: { type: 'string' },
    architecture: { type: 'string' },
    variant: { type: 'string' },
    os: { type: 'string' },
    'os.version': { type: 'string' },
    'os.features': stringArray,
    config: {
      type: 'object',
      properties: {
        User: { type: 'string' },
        ExposedPorts: { oneOf: [mapStringObject, { type: 'null' }] },
        Env: stringArrayOrNull,
        Entrypoint: stringArrayOrNull,
        Cmd: stringArrayOrNull,
        Volumes: { oneOf: [mapStringObject, { type: 'null' }] },
        WorkingDir: { type: 'string' },
        Labels: { oneOf: [mapStringString, { type: 'null' }] },
        StopSignal: { type: 'string' },
        ArgsEscaped: { type: 'boolean' },
      },
    },
    rootfs: {
      type: 'object',
      properties: {
        diff_ids: stringArray,
        type: { type: 'string', enum: ['layers'] },
      },
      required: ['diff_ids', 'type'],
    },
    history: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          created: { type: 'string', format: 'date-time' },
          author: { type: 'string' },
          created_by: { type: 'string' },
          comment: { type: 'string' },
          empty_layer: { type: 'boolean' },
        },
      },
    },
  },
  required: ['architecture', 'os', 'rootfs'],
};
