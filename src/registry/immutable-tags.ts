/**
 * Immutable tags (`registry.immutableTags`, issue 7): tags that, once
 * pushed, keep pointing at the same manifest. They cannot be moved to
 * another digest, deleted, or removed with the manifest they point at;
 * retention leaves them alone. Independent of the auth mode.
 *
 * Rules are ordered; the first rule whose `repositories` glob matches a
 * repository decides for all of its tags (a later rule never applies
 * there). Within that rule a tag is immutable when one of `tags` matches
 * it and none of `except` does. Pure: no I/O, no clock.
 *
 * @example
 * const policy = compileImmutableTagRules([{ repositories: 'releases/**', tags: ['v*'], except: ['*-rc*'] }]);
 * policy.ruleFor('releases/app', 'v1.2.0'); // { index: 0, … }
 * policy.ruleFor('releases/app', 'v1.3.0-rc1'); // undefined
 * policy.ruleFor('scratch/app', 'v1.2.0'); // undefined
 */
import { compileRepositoryGlob } from '../oci/repository-glob.js';
import { RegistryError } from '../oci/errors.js';
import type { ImmutableTagError } from '../metadata/immutable-tag-error.js';

/** One rule as written in the config file. */
export interface ImmutableTagRuleConfig {
  /** One repository glob or several (`*` within a segment, `**` across); the rule applies when any matches. */
  repositories: string | string[];
  /** Tag globs (`*`: any run of tag characters) that are immutable. */
  tags: string[];
  /** Tag globs exempt from `tags`. */
  except?: string[];
}

/** The rule that makes a tag immutable, for error details and logs. */
export interface ImmutableTagMatch {
  /** Position in `registry.immutableTags`. */
  index: number;
  /** `registry.immutableTags[<index>]`. */
  name: string;
  repositories: string[];
  tags: string[];
}

/** Decisions over compiled rules. */
export interface ImmutableTagPolicy {
  /** True when no rule is configured: every tag may move. */
  readonly empty: boolean;
  /** The rule that makes `tag` immutable in `repo`, or undefined when the tag may move. */
  ruleFor(repo: string, tag: string): ImmutableTagMatch | undefined;
  /** The tags of `tags` that are immutable in `repo`, in their order. */
  immutableOf(repo: string, tags: readonly string[]): string[];
  /** A predicate over tag names for one repository (compiled once per call). */
  forRepository(repo: string): (tag: string) => boolean;
}

/** A rule that makes no sense; `message` names the field (`registry.immutableTags[i].tags[j]`). */
export class ImmutableTagRuleError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ImmutableTagRuleError';
  }
}

/** Tag characters (distribution-spec tag grammar) plus the `*` wildcard. */
const TAG_GLOB = /^[A-Za-z0-9_.*-]{1,128}$/;

/**
 * Compiles a tag glob: `*` matches any run of tag characters (tags hold no
 * `/`), everything else is literal and case-sensitive, as tags are.
 *
 * @throws Error naming the problem when the glob cannot match tags.
 * @example
 * compileTagGlob('latest-*')('latest-2024'); // true
 */
export function compileTagGlob(glob: string): (tag: string) => boolean {
  if (!TAG_GLOB.test(glob)) {
    throw new Error(`"${glob.slice(0, 128)}" is not a tag glob: use 1 to 128 tag characters (A-Z a-z 0-9 _ . -) and "*"`);
  }
  const source = glob
    .split('*')
    .map((part) => part.replace(/[.\\^$+?()[\]{}|-]/g, '\\$&'))
    .join('.*');
  const pattern = new RegExp(`^${source}$`);
  return (tag) => pattern.test(tag);
}

interface CompiledRule {
  match: ImmutableTagMatch;
  repository: (repo: string) => boolean;
  tag: (tag: string) => boolean;
}

/** Compiles each glob; an error names `at[i]` (or `at` for a lone string). */
function compileGlobs<T>(globs: string | readonly string[], at: string, compile: (glob: string) => T): T[] {
  const list = typeof globs === 'string' ? [globs] : globs;
  return list.map((glob, i) => {
    try {
      return compile(glob);
    } catch (err) {
      throw new ImmutableTagRuleError(`${at}${typeof globs === 'string' ? '' : `[${i}]`}: ${(err as Error).message}`);
    }
  });
}

/**
 * Checks and compiles `registry.immutableTags`.
 *
 * @param label the config path used in error messages.
 * @throws ImmutableTagRuleError naming `<label>[i].<field>[j]`.
 */
export function compileImmutableTagRules(
  rules: readonly ImmutableTagRuleConfig[],
  label = 'registry.immutableTags',
): ImmutableTagPolicy {
  const compiled: CompiledRule[] = rules.map((rule, index) => {
    const where = `${label}[${index}]`;
    const repositories = typeof rule.repositories === 'string' ? [rule.repositories] : rule.repositories;
    if (repositories.length === 0) throw new ImmutableTagRuleError(`${where}.repositories: name at least one glob`);
    const repoMatchers = compileGlobs(rule.repositories, `${where}.repositories`, compileRepositoryGlob);
    const tagMatchers = compileGlobs(rule.tags, `${where}.tags`, compileTagGlob);
    const exceptMatchers = compileGlobs(rule.except ?? [], `${where}.except`, compileTagGlob);
    return {
      match: { index, name: where, repositories, tags: rule.tags },
      repository: (repo) => repoMatchers.some((m) => m(repo)),
      tag: (tag) => tagMatchers.some((m) => m(tag)) && !exceptMatchers.some((m) => m(tag)),
    };
  });

  const ruleOf = (repo: string): CompiledRule | undefined => compiled.find((r) => r.repository(repo));

  return {
    empty: compiled.length === 0,
    ruleFor(repo, tag) {
      const rule = ruleOf(repo);
      return rule !== undefined && rule.tag(tag) ? rule.match : undefined;
    },
    immutableOf(repo, tags) {
      const rule = ruleOf(repo);
      return rule === undefined ? [] : tags.filter((t) => rule.tag(t));
    },
    forRepository(repo) {
      const rule = ruleOf(repo);
      return rule === undefined ? () => false : rule.tag;
    },
  };
}

/**
 * The client-facing refusal for a store's {@link ImmutableTagError}: 403
 * `DENIED` (`TAG_IMMUTABLE`) with a detail naming the tag, where it points,
 * the rule that protects it and what to do instead.
 *
 * @example
 * throw immutableTagDenied(policy, err); // { repository, tag, digest, rule, hint }
 */
export function immutableTagDenied(policy: ImmutableTagPolicy, err: ImmutableTagError): RegistryError {
  const rule = policy.ruleFor(err.repo, err.tag);
  const hint =
    err.change === 'move'
      ? `tag "${err.tag}" is immutable and already points at ${err.digest}: push the new manifest under a new tag (e.g. the next version) instead of moving this one`
      : `tag "${err.tag}" is immutable and points at ${err.digest}: neither the tag nor its manifest can be deleted; push new content under a new tag`;
  return new RegistryError('TAG_IMMUTABLE', {
    repository: err.repo,
    tag: err.tag,
    digest: err.digest,
    rule: rule === undefined ? 'registry.immutableTags' : `${rule.name} (repositories: ${rule.repositories.join(', ')}; tags: ${rule.tags.join(', ')})`,
    hint,
  });
}
