/**
 * Loading configuration: YAML file, then `BERTH_…` environment variables,
 * then CLI flags; defaults filled from the schema; validated once at start-up
 * with errors that name the bad field's path.
 */
import { readFileSync } from 'node:fs';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { parse as parseYaml } from 'yaml';
import {
  ConfigSchema,
  FilesystemStorageSchema,
  MemoryStorageSchema,
  PostgresMetadataSchema,
  S3StorageSchema,
  SqliteMetadataSchema,
  type Config,
} from './schema.js';
import { authProblems, listenProblem } from '../auth/config-check.js';
import { compileImmutableTagRules, ImmutableTagRuleError } from '../registry/immutable-tags.js';

/** A configuration problem; `message` names the file and field and says what to do. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

export interface LoadConfigOptions {
  /** Path of a YAML (or JSON) config file. */
  file?: string;
  /** Environment to read `BERTH_…` overrides from. */
  env?: NodeJS.ProcessEnv;
  /** Highest-precedence overrides (CLI flags), as dotted paths: `{ 'listen': '0.0.0.0:5000' }`. */
  overrides?: Record<string, unknown>;
}

const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: false, coerceTypes: false });
const validateRoot = ajv.compile(ConfigSchema);
const branches: Record<string, Record<string, ValidateFunction>> = {
  storage: {
    filesystem: ajv.compile(FilesystemStorageSchema),
    memory: ajv.compile(MemoryStorageSchema),
    s3: ajv.compile(S3StorageSchema),
  },
  metadata: {
    sqlite: ajv.compile(SqliteMetadataSchema),
    postgres: ajv.compile(PostgresMetadataSchema),
  },
};

function formatErrors(errors: ErrorObject[] | null | undefined, prefix: string): string {
  const all = errors ?? [];
  const pathOf = (e: ErrorObject): string =>
    `${prefix}${e.instancePath.replace(/^\//, '').replaceAll('/', '.')}`.replace(/\.$/, '');
  const under = (path: string, key: string): string => (path ? `${path}.${key}` : key);
  // A value that fits no branch of a union gets one line listing what each branch wants.
  const unions = new Set(all.filter((e) => e.keyword === 'anyOf' || e.keyword === 'oneOf').map(pathOf));
  // A literal branch fails twice ("must be string", "must be equal to constant"): keep the constant.
  const literalTypes = new Set(
    all
      .filter((e) => e.keyword === 'const')
      .map((e) => `${pathOf(e)} ${typeof (e.params as { allowedValue: unknown }).allowedValue}`),
  );
  /** path → its messages, in the order ajv reported them. */
  const byPath = new Map<string, string[]>();
  for (const e of all) {
    const path = pathOf(e);
    let field = path || '(root)';
    let message: string;
    if (e.keyword === 'anyOf' || e.keyword === 'oneOf') continue;
    if (e.keyword === 'type' && literalTypes.has(`${path} ${String((e.params as { type: unknown }).type)}`)) continue;
    if (e.keyword === 'required') {
      field = under(path, (e.params as { missingProperty: string }).missingProperty);
      message = 'is required';
    } else if (e.keyword === 'additionalProperties') {
      field = under(path, (e.params as { additionalProperty: string }).additionalProperty);
      message = 'unknown option';
    } else if (e.keyword === 'const') {
      message = `must be ${JSON.stringify((e.params as { allowedValue: unknown }).allowedValue)}`;
    } else {
      message = e.message ?? 'invalid';
    }
    const messages = byPath.get(field) ?? [];
    if (!messages.includes(message)) messages.push(message);
    byPath.set(field, messages);
  }
  return [...byPath]
    .flatMap(([field, messages]) =>
      unions.has(field) ? [`${field}: ${messages.join(', or ')}`] : messages.map((m) => `${field}: ${m}`),
    )
    .join('\n  ');
}

/** `BERTH_REGISTRY__MAX_MANIFEST_BYTES` → `registry.maxManifestBytes`. */
export function envPath(name: string): string {
  return name
    .slice('BERTH_'.length)
    .split('__')
    .map((part) => part.toLowerCase().replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase()))
    .join('.');
}

function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.');
  let node = target;
  for (const key of keys.slice(0, -1)) {
    const next = node[key];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[keys[keys.length - 1] as string] = value;
}

function parseScalar(raw: string): unknown {
  try {
    return parseYaml(raw) as unknown;
  } catch {
    return raw;
  }
}

/** Environment variables that are not configuration paths. */
const NON_CONFIG_ENV = new Set(['BERTH_CONFIG']);

function readFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read config file ${file}: ${(err as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new ConfigError(`config file ${file} is not valid YAML: ${(err as Error).message}`);
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object' || Array.isArray(doc)) {
    throw new ConfigError(`config file ${file} must hold a mapping of options`);
  }
  return doc as Record<string, unknown>;
}

function validateBranch(raw: Record<string, unknown>, section: 'storage' | 'metadata', where: string): void {
  const defaults = { storage: 'filesystem', metadata: 'sqlite' } as const;
  const value = (raw[section] ??= { driver: defaults[section] }) as Record<string, unknown>;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ConfigError(`${where}${section}: must be a mapping with a "driver"`);
  }
  value.driver ??= defaults[section];
  const choices = branches[section] as Record<string, ValidateFunction>;
  const validate = choices[String(value.driver)];
  if (validate === undefined) {
    throw new ConfigError(
      `${where}${section}.driver: "${String(value.driver)}" is not one of ${Object.keys(choices).join(', ')}`,
    );
  }
  if (!validate(value)) {
    throw new ConfigError(`${where}invalid configuration:\n  ${formatErrors(validate.errors, `${section}.`)}`);
  }
}

/**
 * Loads, merges and validates the configuration.
 *
 * @throws ConfigError naming the file and every bad field.
 * @example
 * const config = loadConfig({ file: 'berth.yaml', env: process.env, overrides: { listen: ':5001' } });
 */
export function loadConfig(options: LoadConfigOptions = {}): Config {
  const env = options.env ?? {};
  const file = options.file ?? env.BERTH_CONFIG;
  const raw: Record<string, unknown> = file === undefined ? {} : readFile(file);
  for (const [name, value] of Object.entries(env)) {
    if (name.startsWith('BERTH_') && !NON_CONFIG_ENV.has(name) && value !== undefined) {
      setPath(raw, envPath(name), parseScalar(value));
    }
  }
  for (const [path, value] of Object.entries(options.overrides ?? {})) {
    if (value !== undefined) setPath(raw, path, value);
  }
  const where = file === undefined ? '' : `${file}: `;
  validateBranch(raw, 'storage', where);
  validateBranch(raw, 'metadata', where);
  for (const key of ['registry', 'log', 'http', 'webhooks'] as const) raw[key] ??= {};
  if (raw.auth === 'none') raw.auth = { mode: 'none' }; // `auth: none` is short for `auth: { mode: none }`
  if (!validateRoot(raw)) {
    throw new ConfigError(`${where}invalid configuration:\n  ${formatErrors(validateRoot.errors, '')}`);
  }
  const config = raw as Config;
  const { host, port } = parseListen(config.listen, `${where}listen`);
  const authErrors = config.auth === undefined ? [] : authProblems(config.auth);
  if (authErrors.length > 0) throw new ConfigError(`${where}invalid configuration:\n  ${authErrors.join('\n  ')}`);
  try {
    compileImmutableTagRules(config.registry.immutableTags);
  } catch (err) {
    if (!(err instanceof ImmutableTagRuleError)) throw err;
    throw new ConfigError(`${where}invalid configuration:\n  ${err.message}`);
  }
  const unsafe = listenProblem(host, port, config.auth);
  if (unsafe !== undefined) throw new ConfigError(`${where}${unsafe}`);
  return config;
}

/**
 * Splits `host:port` (or `[v6]:port`, or `:port` for all interfaces).
 *
 * @throws ConfigError when the value is not host:port with a port 0–65535.
 */
export function parseListen(listen: string, where = 'listen'): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(listen);
  const port = Number(m?.[3]);
  if (m === null || port > 65535) {
    throw new ConfigError(`${where}: "${listen}" must be host:port, e.g. 127.0.0.1:5000`);
  }
  const host = m[1] ?? m[2] ?? '';
  return { host: host === '' ? '0.0.0.0' : host, port };
}
