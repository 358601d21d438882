/**
 * Compiles JSON Schemas (type config schemas, the definition file format)
 * with ajv, and turns ajv's errors into JSON pointers and messages.
 *
 * A compiler owns its ajv instances; nothing here is shared between
 * registries. Schemas are compiled in strict mode, so a misspelt keyword
 * (`"requried"`) fails at start-up instead of silently checking nothing.
 */
import { Ajv, type ErrorObject, type Options, type ValidateFunction } from 'ajv';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { pointerToken } from './artifact-type-error.js';

// ajv-formats is CommonJS: under NodeNext its default import is the module object.
const addFormats = addFormatsModule.default;

/** One place where a value breaks a schema. */
export interface SchemaIssue {
  /** JSON pointer into the validated value; `''` is the value itself. */
  readonly pointer: string;
  /** ajv's message, e.g. `must have required property 'version'`. */
  readonly message: string;
}

/** Checks a value against one compiled schema; `[]` means valid. */
export type SchemaCheck = (value: unknown) => SchemaIssue[];

/** Compiles schemas; see {@link createSchemaCompiler}. */
export interface SchemaCompiler {
  /**
   * Compiles a schema.
   *
   * @throws Error with ajv's reason when the schema itself is invalid.
   */
  compile(schema: Readonly<Record<string, unknown>>): SchemaCheck;
}

/** At most this many issues are reported for one value. */
export const MAX_SCHEMA_ISSUES = 20;

type Draft = 'draft-07' | '2019-09' | '2020-12';

function draftOf(schema: Readonly<Record<string, unknown>>): Draft {
  const declared = schema['$schema'];
  if (declared === undefined) return 'draft-07';
  if (typeof declared !== 'string') throw new Error('"$schema" must be a string');
  if (declared.includes('2020-12')) return '2020-12';
  if (declared.includes('2019-09')) return '2019-09';
  if (declared.includes('draft-07')) return 'draft-07';
  throw new Error(
    `"$schema" is "${declared}"; berth compiles draft-07, 2019-09 and 2020-12 schemas (draft-04 and draft-06 are not supported)`,
  );
}

/** The pointer of an issue, including the missing or extra property when ajv names one. */
function issuePointer(error: ErrorObject): string {
  const params = error.params as Record<string, unknown>;
  const extra =
    error.keyword === 'required' || error.keyword === 'dependentRequired'
      ? params['missingProperty']
      : error.keyword === 'additionalProperties'
        ? params['additionalProperty']
        : error.keyword === 'unevaluatedProperties'
          ? params['unevaluatedProperty']
          : undefined;
  return typeof extra === 'string' ? `${error.instancePath}/${pointerToken(extra)}` : error.instancePath;
}

function toIssues(validate: ValidateFunction, value: unknown): SchemaIssue[] {
  if (validate(value)) return [];
  return (validate.errors ?? []).slice(0, MAX_SCHEMA_ISSUES).map((error) => ({
    pointer: issuePointer(error),
    message: error.message ?? `fails "${error.keyword}"`,
  }));
}

/**
 * Creates a schema compiler. Schemas are draft-07 unless their `$schema`
 * names 2019-09 or 2020-12; formats come from ajv-formats.
 *
 * @example
 * const check = createSchemaCompiler().compile({ type: 'object', required: ['name'] });
 * check({}); // [{ pointer: '/name', message: "must have required property 'name'" }]
 */
export function createSchemaCompiler(): SchemaCompiler {
  const instances = new Map<Draft, Ajv | Ajv2019 | Ajv2020>();
  const options: Options = { allErrors: true, strict: true, strictRequired: false, logger: false };
  const instance = (draft: Draft): Ajv | Ajv2019 | Ajv2020 => {
    let ajv = instances.get(draft);
    if (ajv === undefined) {
      ajv = draft === '2020-12' ? new Ajv2020(options) : draft === '2019-09' ? new Ajv2019(options) : new Ajv(options);
      addFormats(ajv);
      instances.set(draft, ajv);
    }
    return ajv;
  };
  const compiled = new WeakMap<object, SchemaCheck>();
  return {
    compile(schema) {
      const known = compiled.get(schema);
      if (known !== undefined) return known;
      const validate = instance(draftOf(schema)).compile(schema);
      const check: SchemaCheck = (value) => toIssues(validate, value);
      compiled.set(schema, check);
      return check;
    },
  };
}
