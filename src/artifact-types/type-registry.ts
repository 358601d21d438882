/**
 * The type registry: the validated set of artifact types and the lookup from
 * an identifying media type to a type.
 */
import type { ArtifactTypeDefinition } from './artifact-type.js';
import { ArtifactTypeError, type DefinitionOrigin } from './artifact-type-error.js';
import { checkDefinition, compileDefinitionSchema } from './definition-check.js';
import { normalizeMediaType, printable } from './media-type.js';
import { createSchemaCompiler, type SchemaCheck } from './schema-compiler.js';

/** A definition as the registry holds it: frozen, with its config schema compiled. */
export interface RegisteredArtifactType extends ArtifactTypeDefinition {
  /**
   * Checks a parsed config object against `configSchema`; absent when the type
   * has none. A function, so `JSON.stringify` leaves it out of API responses.
   */
  readonly checkConfig?: SchemaCheck;
}

/** Looks types up by media type or name. Immutable once created. */
export interface TypeRegistry {
  /**
   * The type a media type identifies, or `undefined` for an unknown media type
   * (which is still an artifact type, shown by its media type).
   * Case and parameters are ignored; an exact media type beats any wildcard,
   * and among wildcards the longest prefix wins.
   */
  resolve(mediaType: string): RegisteredArtifactType | undefined;
  /** The type with this short name. */
  get(name: string): RegisteredArtifactType | undefined;
  /** Every type, built-ins first in their order, then operator types in theirs. */
  list(): readonly RegisteredArtifactType[];
}

/** A definition with where it came from, for error messages. */
export interface SourcedDefinition {
  readonly definition: ArtifactTypeDefinition;
  readonly origin: DefinitionOrigin;
}

function isSourced(entry: ArtifactTypeDefinition | SourcedDefinition): entry is SourcedDefinition {
  return 'definition' in entry && 'origin' in entry;
}

interface Claim {
  readonly pattern: string;
  readonly type: RegisteredArtifactType;
}

/**
 * Validates definitions and builds a registry. A later definition with the
 * same `name` as an earlier one replaces it in place: that is how operator
 * types override built-ins. Each media type may be claimed by one type only;
 * to move a built-in's media type to another meaning, override the built-in
 * by name.
 *
 * Entries may be wrapped as `{ definition, origin }` so that errors name the
 * file or config path the definition came from.
 *
 * @throws ArtifactTypeError naming the type (and origin) and the bad field:
 *   a name that is not lower-kebab, an invalid or duplicate media type, an
 *   unsafe icon, a config schema ajv cannot compile, ...
 *
 * @example
 * const registry = createTypeRegistry([...BUILTIN_TYPES, ...operatorTypes]);
 * registry.resolve('application/vnd.cncf.helm.config.v1+json')?.name; // 'helm-chart'
 */
export function createTypeRegistry(definitions: readonly (ArtifactTypeDefinition | SourcedDefinition)[]): TypeRegistry {
  const compiler = createSchemaCompiler();
  const shape = compileDefinitionSchema(compiler);
  const byName = new Map<string, RegisteredArtifactType>();
  const origins = new Map<string, DefinitionOrigin | undefined>();

  for (const entry of definitions) {
    const [definition, origin] = isSourced(entry) ? [entry.definition, entry.origin] : [entry, undefined];
    const checkConfig = checkDefinition(definition, compiler, shape, origin);
    const registered: RegisteredArtifactType = Object.freeze({
      ...definition,
      ...(checkConfig === undefined ? {} : { checkConfig }),
    });
    byName.set(definition.name, registered);
    origins.set(definition.name, origin);
  }

  const types = Object.freeze([...byName.values()]);
  const exact = new Map<string, Claim>();
  const wildcards: Claim[] = [];
  for (const type of types) {
    type.mediaTypes.forEach((pattern, index) => {
      const isWildcard = pattern.endsWith('*');
      const key = isWildcard ? pattern.slice(0, -1).toLowerCase() : normalizeMediaType(pattern);
      const earlier = isWildcard ? wildcards.find((claim) => claim.pattern === key) : exact.get(key);
      if (earlier !== undefined) {
        throw new ArtifactTypeError(
          `"${printable(pattern)}" is already claimed by artifact type "${earlier.type.name}"; ` +
            `to give it another meaning, override "${earlier.type.name}" by defining a type with that name`,
          { typeName: type.name, pointer: `/mediaTypes/${index}`, origin: origins.get(type.name) },
        );
      }
      const claim = { pattern: key, type };
      if (isWildcard) wildcards.push(claim);
      else exact.set(key, claim);
    });
  }
  wildcards.sort((a, b) => b.pattern.length - a.pattern.length);

  return {
    resolve(mediaType) {
      const key = normalizeMediaType(mediaType);
      const hit = exact.get(key) ?? wildcards.find((claim) => key.startsWith(claim.pattern));
      return hit?.type;
    },
    get(name) {
      return byName.get(name);
    },
    list() {
      return types;
    },
  };
}
