/**
 * Checks one artifact type definition: its shape against the definition JSON
 * Schema, then the rules a schema cannot say (RFC 6838 syntax, duplicates,
 * a safe icon, a reachable source URL, a config schema ajv can compile).
 * Rules that span definitions (unique names and media types) belong to the
 * registry.
 */
import type { ArtifactTypeDefinition } from './artifact-type.js';
import { ArtifactTypeError, type DefinitionOrigin } from './artifact-type-error.js';
import { DEFINITION_SCHEMA } from './definition-schema.js';
import { isValidMediaTypePattern, normalizeMediaType, printable } from './media-type.js';
import type { SchemaCheck, SchemaCompiler } from './schema-compiler.js';

/** What an SVG icon must not contain: scripts, event handlers, external references. */
const UNSAFE_SVG = [
  /<script/i,
  /<foreignObject/i,
  /<!ENTITY/i,
  /<\?xml-stylesheet/i,
  /@import/i,
  /\son[a-z]+\s*=/i,
  /javascript:/i,
  /(?:href|src)\s*=\s*["'](?!#)/i,
  /url\(\s*["']?(?!#)/i,
];

function nameOf(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const name = (value as Record<string, unknown>)['name'];
  return typeof name === 'string' && name.length <= 64 ? printable(name) : undefined;
}

/** Checks the definition's JSON shape; throws for the first issue. */
function checkShape(value: unknown, shape: SchemaCheck, origin: DefinitionOrigin | undefined): void {
  const [issue] = shape(value);
  if (issue !== undefined) {
    throw new ArtifactTypeError(issue.message, { typeName: nameOf(value), pointer: issue.pointer, origin });
  }
}

function checkPatterns(
  def: ArtifactTypeDefinition,
  field: 'mediaTypes' | 'layerMediaTypes' | 'summaryLayerMediaTypes',
  fail: (pointer: string, problem: string) => never,
): void {
  const seen = new Map<string, number>();
  (def[field] ?? []).forEach((pattern, index) => {
    const pointer = `/${field}/${index}`;
    if (!isValidMediaTypePattern(pattern)) {
      fail(
        pointer,
        `"${printable(pattern)}" is not a valid media type (RFC 6838: type "/" subtype, letters, digits and !#$&-^_.+, optionally followed by one trailing * wildcard)`,
      );
    }
    if (field === 'mediaTypes' && pattern === '*') {
      fail(pointer, '"*" alone would claim every media type; name the media types of this type');
    }
    const key = pattern.endsWith('*') ? pattern.toLowerCase() : normalizeMediaType(pattern);
    const earlier = seen.get(key);
    if (earlier !== undefined) {
      fail(pointer, `"${printable(pattern)}" repeats ${field}[${earlier}] (case and parameters are ignored)`);
    }
    seen.set(key, index);
  });
}

function checkIcon(iconSvg: string, fail: (pointer: string, problem: string) => never): void {
  const svg = iconSvg.trim();
  if (!/^<svg[\s>]/.test(svg) || !svg.endsWith('</svg>')) {
    fail('/icon', 'must be one <svg>...</svg> element');
  }
  if (!/viewBox\s*=\s*["']0 0 24 24["']/.test(svg)) {
    fail('/icon', 'must have viewBox="0 0 24 24"');
  }
  const unsafe = UNSAFE_SVG.find((pattern) => pattern.test(svg));
  if (unsafe !== undefined) {
    fail('/icon', 'must not contain scripts, event handlers, entities or external references');
  }
}

function checkSource(source: string, fail: (pointer: string, problem: string) => never): void {
  let url: URL;
  try {
    url = new URL(source);
  } catch {
    fail('/source', `"${printable(source)}" is not a URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    fail('/source', `"${printable(source)}" must be an http or https URL`);
  }
}

/**
 * Validates one definition and compiles its config schema.
 *
 * @returns the compiled config check, or `undefined` when the type has no schema.
 * @throws ArtifactTypeError naming the type, the field's JSON pointer and the problem.
 *
 * @example
 * checkDefinition(def, compiler, compiler.compile(DEFINITION_SCHEMA));
 */
export function checkDefinition(
  value: unknown,
  compiler: SchemaCompiler,
  shape: SchemaCheck,
  origin?: DefinitionOrigin,
): SchemaCheck | undefined {
  checkShape(value, shape, origin);
  const def = value as ArtifactTypeDefinition;
  const fail = (pointer: string, problem: string): never => {
    throw new ArtifactTypeError(problem, { typeName: def.name, pointer, origin });
  };
  if (typeof def.icon !== 'string') fail('/icon', 'is required');
  if (!Array.isArray(def.layerMediaTypes)) fail('/layerMediaTypes', 'is required');
  if (typeof def.category !== 'string') fail('/category', 'is required');
  checkIcon(def.icon, fail);
  checkPatterns(def, 'mediaTypes', fail);
  checkPatterns(def, 'layerMediaTypes', fail);
  checkPatterns(def, 'summaryLayerMediaTypes', fail);
  if (def.source !== undefined) checkSource(def.source, fail);
  if (def.configSchema === undefined) return undefined;
  try {
    return compiler.compile(def.configSchema);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return fail('/configSchema', `is not a valid JSON Schema: ${reason.replace(/[^\x20-\x7e]+/g, ' ').slice(0, 500)}`);
  }
}

/**
 * Compiles the definition JSON Schema with a caller's compiler, for
 * {@link checkDefinition}.
 *
 * @example
 * const compiler = createSchemaCompiler();
 * checkDefinition(value, compiler, compileDefinitionSchema(compiler));
 */
export function compileDefinitionSchema(compiler: SchemaCompiler): SchemaCheck {
  return compiler.compile(DEFINITION_SCHEMA);
}
