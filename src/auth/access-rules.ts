/**
 * Ordered per-repository access rules. The first rule whose glob matches the
 * repository decides what every caller may do there; when no rule matches,
 * nobody may do anything. Pure: no I/O, no clock.
 *
 * A rule grants actions to principals:
 *   - a user name (`alice`),
 *   - a group defined in `auth.groups` (`@devs`),
 *   - `$authenticated`: every logged-in user,
 *   - `$anonymous`: every caller, logged in or not (whatever an anonymous
 *     caller may do, a logged-in one may too).
 *
 * @example
 * const policy = compileAccessPolicy(
 *   [{ repositories: 'team-a/**', allow: { '@devs': ['pull', 'push'], $anonymous: ['pull'] } }],
 *   { devs: ['alice'] },
 * );
 * policy.allows('alice', 'team-a/app', 'push'); // true
 * policy.allows(undefined, 'team-a/app', 'push'); // false
 */
import { compileRepositoryGlob } from '../oci/repository-glob.js';
import { USER_NAME } from './user-name.js';

/** What a caller may do to a repository. */
export type Action = 'pull' | 'push' | 'delete';

/** Every action, in the order scopes list them. */
export const ACTIONS: readonly Action[] = ['pull', 'push', 'delete'];

/** One rule as written in the config file. */
export interface AccessRuleConfig {
  /** One glob or several; the rule applies when any matches. */
  repositories: string | string[];
  /** Principal (`alice`, `@group`, `$authenticated`, `$anonymous`) → actions. */
  allow: Record<string, Action[]>;
}

/** Decisions over compiled rules. */
export interface AccessPolicy {
  /**
   * The actions `user` (undefined: anonymous) may take on `repository`,
   * from the first rule that matches; empty when none matches.
   */
  actionsFor(user: string | undefined, repository: string): ReadonlySet<Action>;
  allows(user: string | undefined, repository: string, action: Action): boolean;
  /** True when some rule grants `$anonymous` at least one action. */
  readonly anonymousAccess: boolean;
}

/** A rule set that makes no sense; `message` names the rule and field. */
export class AccessRuleError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AccessRuleError';
  }
}

interface CompiledRule {
  matches: (repository: string) => boolean;
  users: Map<string, Set<Action>>;
  authenticated: Set<Action>;
  anonymous: Set<Action>;
}

function union(into: Set<Action>, from: Iterable<Action> | undefined): void {
  for (const a of from ?? []) into.add(a);
}

function compileRule(rule: AccessRuleConfig, groups: Record<string, string[]>, where: string): CompiledRule {
  const globs = typeof rule.repositories === 'string' ? [rule.repositories] : rule.repositories;
  if (globs.length === 0) throw new AccessRuleError(`${where}.repositories: name at least one glob`);
  const matchers = globs.map((g, i) => {
    try {
      return compileRepositoryGlob(g);
    } catch (err) {
      throw new AccessRuleError(`${where}.repositories${globs.length > 1 ? `[${i}]` : ''}: ${(err as Error).message}`);
    }
  });
  const compiled: CompiledRule = {
    matches: (repository) => matchers.some((m) => m(repository)),
    users: new Map(),
    authenticated: new Set(),
    anonymous: new Set(),
  };
  for (const [principal, actions] of Object.entries(rule.allow)) {
    const at = `${where}.allow.${principal}`;
    for (const a of actions) {
      if (!ACTIONS.includes(a)) throw new AccessRuleError(`${at}: "${String(a)}" is not one of ${ACTIONS.join(', ')}`);
    }
    if (principal === '$anonymous') union(compiled.anonymous, actions);
    else if (principal === '$authenticated') union(compiled.authenticated, actions);
    else if (principal.startsWith('@')) {
      const members = groups[principal.slice(1)];
      if (members === undefined) {
        throw new AccessRuleError(`${at}: no group "${principal.slice(1)}" in auth.groups`);
      }
      for (const user of members) union(getOrAdd(compiled.users, user), actions);
    } else if (principal.startsWith('$')) {
      throw new AccessRuleError(`${at}: unknown principal; use $anonymous, $authenticated, @group or a user name`);
    } else {
      if (!USER_NAME.test(principal)) throw new AccessRuleError(`${at}: not a valid user name`);
      union(getOrAdd(compiled.users, principal), actions);
    }
  }
  return compiled;
}

/**
 * The user names a list of principals covers (user names and `@group`s), e.g. `auth.admins`.
 *
 * @throws AccessRuleError naming `where[i]` for an unknown group or an invalid name.
 * @example
 * compilePrincipals(['root', '@ops'], { ops: ['alice'] }, 'auth.admins'); // Set { 'root', 'alice' }
 */
export function compilePrincipals(principals: readonly string[], groups: Record<string, string[]>, where: string): ReadonlySet<string> {
  const users = new Set<string>();
  principals.forEach((principal, i) => {
    if (principal.startsWith('@')) {
      const members = groups[principal.slice(1)];
      if (members === undefined) throw new AccessRuleError(`${where}[${i}]: no group "${principal.slice(1)}" in auth.groups`);
      for (const user of members) users.add(user);
    } else if (USER_NAME.test(principal)) users.add(principal);
    else throw new AccessRuleError(`${where}[${i}]: "${principal}" is not a user name or @group`);
  });
  return users;
}

function getOrAdd(map: Map<string, Set<Action>>, key: string): Set<Action> {
  let set = map.get(key);
  if (set === undefined) map.set(key, (set = new Set()));
  return set;
}

/**
 * Checks group definitions and compiles the rules.
 *
 * @throws AccessRuleError naming `auth.rules[i]…` or `auth.groups.<name>`.
 */
export function compileAccessPolicy(rules: readonly AccessRuleConfig[], groups: Record<string, string[]> = {}): AccessPolicy {
  for (const [name, members] of Object.entries(groups)) {
    if (!/^[A-Za-z0-9._-]{1,64}$/.test(name)) throw new AccessRuleError(`auth.groups.${name}: not a valid group name`);
    const bad = members.find((m) => !USER_NAME.test(m));
    if (bad !== undefined) throw new AccessRuleError(`auth.groups.${name}: "${bad}" is not a valid user name`);
  }
  const compiled = rules.map((rule, i) => compileRule(rule, groups, `auth.rules[${i}]`));
  const NONE: ReadonlySet<Action> = new Set();

  function actionsFor(user: string | undefined, repository: string): ReadonlySet<Action> {
    const rule = compiled.find((r) => r.matches(repository));
    if (rule === undefined) return NONE;
    const actions = new Set(rule.anonymous);
    if (user !== undefined) {
      union(actions, rule.authenticated);
      union(actions, rule.users.get(user));
    }
    return actions;
  }

  return {
    actionsFor,
    allows: (user, repository, action) => actionsFor(user, repository).has(action),
    anonymousAccess: compiled.some((r) => r.anonymous.size > 0),
  };
}

/** The rules used when none are configured: every logged-in user may do everything. */
export const DEFAULT_AUTHENTICATED_RULES: readonly AccessRuleConfig[] = [
  { repositories: '**', allow: { $authenticated: ['pull', 'push', 'delete'] } },
];

/** The rules of `mode: none` without rules: everyone may do everything. */
export const OPEN_RULES: readonly AccessRuleConfig[] = [
  { repositories: '**', allow: { $anonymous: ['pull', 'push', 'delete'] } },
];
