/**
 * Repository governance: which artifact types a repository accepts, and what
 * to validate when it accepts one. Pure: decisions depend only on the rules,
 * the registry, the repository name and the identified type.
 */
import { ArtifactTypeError } from './artifact-type-error.js';
import type { IdentifiedType } from './identify.js';
import { isValidMediaTypePattern, mediaTypeMatches, printable } from './media-type.js';
import { compileRepositoryGlob } from '../oci/repository-glob.js';
import type { RegisteredArtifactType, TypeRegistry } from './type-registry.js';
import type { ValidationOptions } from './validate.js';

/** One ordered rule from the config file. */
export interface TypeRule {
  /** Repository glob: `*` within one segment, `**` across segments. */
  repositories: string;
  /** Types the repository accepts: short names or media types, with trailing `*` wildcards. */
  allow?: readonly string[];
  /** Types the repository refuses; checked before `allow`. */
  deny?: readonly string[];
  /** Checks to run on accepted pushes. */
  validate?: { schema?: boolean; layers?: boolean; requiredAnnotations?: readonly string[] };
}

/** The outcome of {@link TypePolicy.check}. */
export interface TypeDecision {
  allowed: boolean;
  /** Set when refused: the OCI error code to answer with. */
  code?: 'DENIED';
  /** When refused: names the type and what the repository accepts. */
  detail?: string;
  /** The resolved type; absent for a media type no type claims. */
  type?: RegisteredArtifactType;
  /** When accepted by a rule with `validate`: what to pass to `validateArtifact`. */
  validation?: ValidationOptions;
  /** Index of the deciding rule; absent when no rule matched (default: allow). */
  ruleIndex?: number;
}

/** Decides pushes by repository; see {@link createTypePolicy}. */
export interface TypePolicy {
  /**
   * Decides whether `repository` accepts an artifact identified as `identified`.
   *
   * @example
   * policy.check('charts/web', { mediaType: 'application/vnd.oci.image.config.v1+json', source: 'config' });
   * // { allowed: false, code: 'DENIED', detail: "artifact type 'oci-image' ... repository 'charts/web' accepts only: helm-chart ...", ... }
   */
  check(repository: string, identified: IdentifiedType): TypeDecision;
}

interface Matcher {
  readonly entry: string;
  readonly matches: (type: RegisteredArtifactType | undefined, mediaType: string) => boolean;
}

interface CompiledRule {
  readonly rule: TypeRule;
  readonly index: number;
  readonly matchesRepository: (repository: string) => boolean;
  readonly allow: readonly Matcher[] | undefined;
  readonly deny: readonly Matcher[];
  readonly validation: ValidationOptions | undefined;
}

/** Short names: lower-kebab, optionally ending in `*`. */
const NAME_ENTRY = /^(?:\*|[a-z0-9]+(?:-[a-z0-9]+)*(?:-?\*)?)$/;

function compileEntry(entry: string, registry: TypeRegistry, fail: (problem: string) => never): Matcher {
  if (entry.includes('/')) {
    if (!isValidMediaTypePattern(entry)) fail(`"${printable(entry)}" is not a valid media type or media type pattern`);
    return { entry, matches: (_type, mediaType) => mediaTypeMatches(entry, mediaType) };
  }
  if (!NAME_ENTRY.test(entry)) fail(`"${printable(entry)}" is neither a type name (lower-kebab) nor a media type`);
  if (entry === '*') return { entry, matches: () => true }; // every type, registered or not
  if (entry.endsWith('*')) {
    const prefix = entry.slice(0, -1);
    return { entry, matches: (type) => type !== undefined && type.name.startsWith(prefix) };
  }
  if (registry.get(entry) === undefined) {
    fail(
      `"${entry}" is not a known artifact type; known types: ${registry
        .list()
        .map((t) => t.name)
        .join(', ')}`,
    );
  }
  return { entry, matches: (type) => type?.name === entry };
}

function compileRule(rule: TypeRule, index: number, registry: TypeRegistry, label: string): CompiledRule {
  const fail = (pointer: string, problem: string): never => {
    throw new ArtifactTypeError(problem, { origin: { label, pointer: `/${index}` }, pointer });
  };
  let matchesRepository: (repository: string) => boolean;
  try {
    matchesRepository = compileRepositoryGlob(rule.repositories);
  } catch (error) {
    return fail('/repositories', error instanceof Error ? error.message : String(error));
  }
  const compileList = (field: 'allow' | 'deny', list: readonly string[]): Matcher[] =>
    list.map((entry, i) => compileEntry(entry, registry, (problem) => fail(`/${field}/${i}`, problem)));
  const v = rule.validate;
  return {
    rule,
    index,
    matchesRepository,
    allow: rule.allow === undefined ? undefined : compileList('allow', rule.allow),
    deny: compileList('deny', rule.deny ?? []),
    validation:
      v === undefined
        ? undefined
        : {
            schema: v.schema ?? false,
            layers: v.layers ?? false,
            ...(v.requiredAnnotations === undefined ? {} : { requiredAnnotations: v.requiredAnnotations }),
          },
  };
}

function describeType(type: RegisteredArtifactType | undefined, mediaType: string): string {
  return type === undefined
    ? `artifact type '${printable(mediaType)}' (not a registered type)`
    : `artifact type '${type.name}' (${printable(mediaType)})`;
}

function refusal(rule: CompiledRule, repository: string, what: string, deniedBy: Matcher | undefined): string {
  const where = `repository '${printable(repository)}' (rule for '${rule.rule.repositories}')`;
  if (deniedBy !== undefined) {
    const accepts =
      rule.allow === undefined
        ? 'every other type'
        : rule.allow.length === 0
          ? 'no types'
          : `only: ${rule.allow.map((m) => m.entry).join(', ')}`;
    return `${what} is not accepted in ${where}: it refuses ${deniedBy.entry}; it accepts ${accepts}`;
  }
  const accepts =
    rule.allow === undefined || rule.allow.length === 0 ? 'no types' : rule.allow.map((m) => m.entry).join(', ');
  return `${what} is not accepted in ${where}; it accepts only: ${accepts}`;
}

/**
 * Compiles ordered type rules. For a push, the first rule whose
 * `repositories` glob matches decides: `deny` entries refuse, then, when the
 * rule has an `allow` list, only its entries are accepted; a rule without
 * `allow` accepts everything it does not deny. No matching rule: every type
 * is accepted, without validation.
 *
 * Entries are type short names (`helm-chart`, `cosign-*`, `*`) or media types
 * (`application/vnd.cncf.helm.config.v1+json`, `application/vnd.cncf.*`); a
 * media type entry is compared with the identifying media type.
 *
 * @param options.label names the rules' place in messages (default `type rules`),
 *   e.g. `config typeRules`: errors read `config typeRules: /2/allow/0: ...`.
 * @throws ArtifactTypeError at start-up for a bad glob, an entry that is
 *   neither a name nor a media type, or a name no type has.
 *
 * @example
 * const policy = createTypePolicy(
 *   [{ repositories: 'charts/**', allow: ['helm-chart', 'cosign-signature'], validate: { schema: true } }],
 *   registry,
 * );
 */
export function createTypePolicy(
  rules: readonly TypeRule[],
  registry: TypeRegistry,
  options: { label?: string } = {},
): TypePolicy {
  const label = options.label ?? 'type rules';
  const compiled = rules.map((rule, index) => compileRule(rule, index, registry, label));
  return {
    check(repository, identified) {
      const type = registry.resolve(identified.mediaType);
      const withType = type === undefined ? {} : { type };
      const rule = compiled.find((candidate) => candidate.matchesRepository(repository));
      if (rule === undefined) return { allowed: true, ...withType };
      const matches = (m: Matcher): boolean => m.matches(type, identified.mediaType);
      const what = describeType(type, identified.mediaType);
      const deniedBy = rule.deny.find(matches);
      if (deniedBy !== undefined || (rule.allow !== undefined && !rule.allow.some(matches))) {
        return {
          allowed: false,
          code: 'DENIED',
          detail: refusal(rule, repository, what, deniedBy),
          ruleIndex: rule.index,
          ...withType,
        };
      }
      return {
        allowed: true,
        ruleIndex: rule.index,
        ...withType,
        ...(rule.validation === undefined ? {} : { validation: rule.validation }),
      };
    },
  };
}
