/**
 * Resource scopes (docker-auth scope.md, "Resource Scope Grammar"):
 * `repository:samalba/my-app:pull,push`, `registry:catalog:*`. A scope list
 * separates entries with spaces. The name may itself hold one `:` (a
 * registry host's port), so the type is everything before the first `:`
 * and the actions everything after the last.
 */

/** One resource and the actions asked for (or granted) on it: a JWT `access` entry. */
export interface ResourceScope {
  type: string;
  name: string;
  actions: string[];
}

/** A scope string that does not follow the grammar. */
export class ScopeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ScopeError';
  }
}

const TYPE = /^([a-z0-9]+)(?:\([a-z0-9]+\))?$/;
const ACTION = /^(?:[a-z]*|\*)$/;
const NAME = /^[A-Za-z0-9._\-/:]+$/;

/**
 * Parses one resource scope. A resource class (`repository(plugin)`) is
 * dropped: scope.md says it is deprecated and equal to the bare type.
 *
 * @throws ScopeError when the entry does not follow the grammar.
 * @example
 * parseResourceScope('repository:localhost:5000/app:pull,push');
 * // { type: 'repository', name: 'localhost:5000/app', actions: ['pull', 'push'] }
 */
export function parseResourceScope(text: string): ResourceScope {
  const first = text.indexOf(':');
  const last = text.lastIndexOf(':');
  if (first <= 0 || last === first) throw new ScopeError(`"${text.slice(0, 80)}" is not type:name:actions`);
  const type = TYPE.exec(text.slice(0, first))?.[1];
  const name = text.slice(first + 1, last);
  const actions = text.slice(last + 1).split(',');
  if (type === undefined) throw new ScopeError(`"${text.slice(0, 80)}": bad resource type`);
  if (name === '' || name.length > 512 || !NAME.test(name)) throw new ScopeError(`"${text.slice(0, 80)}": bad resource name`);
  if (!actions.every((a) => ACTION.test(a))) throw new ScopeError(`"${text.slice(0, 80)}": bad action`);
  return { type, name, actions: [...new Set(actions.filter((a) => a !== ''))] };
}

/**
 * Parses scope parameters: each value may hold several space-separated
 * entries (the POST form), and the GET form repeats the parameter. Entries
 * for the same resource are merged.
 *
 * @throws ScopeError for a malformed entry or more than `max` entries.
 */
export function parseScopes(values: readonly string[], max = 64): ResourceScope[] {
  const merged = new Map<string, ResourceScope>();
  for (const value of values) {
    for (const entry of value.split(' ')) {
      if (entry === '') continue;
      const scope = parseResourceScope(entry);
      const key = `${scope.type}:${scope.name}`;
      const seen = merged.get(key);
      if (seen === undefined) merged.set(key, scope);
      else seen.actions = [...new Set([...seen.actions, ...scope.actions])];
      if (merged.size > max) throw new ScopeError(`more than ${max} scopes in one request`);
    }
  }
  return [...merged.values()];
}

/**
 * Formats scopes as a scope list, one entry per resource.
 *
 * @example
 * formatScopes([{ type: 'repository', name: 'app', actions: ['pull', 'push'] }]); // 'repository:app:pull,push'
 */
export function formatScopes(scopes: readonly ResourceScope[]): string {
  return scopes
    .filter((s) => s.actions.length > 0)
    .map((s) => `${s.type}:${s.name}:${s.actions.join(',')}`)
    .join(' ');
}
