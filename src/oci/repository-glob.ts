/**
 * Repository globs, shared by every rule that names repositories (access
 * rules, artifact-type rules, retention, quotas, webhook filters): `*`
 * matches within one path segment, `**` matches any run of segments,
 * everything else is literal.
 *
 *     library/*    matches library/nginx, not library/a/b
 *     team-a/**    matches team-a/app and team-a/x/y, not team-a itself
 *     **           matches every repository
 */

/** Characters a repository glob may use: the repository name alphabet, `/` and `*`. */
const GLOB_ALPHABET = /^[a-z0-9._\-/*]+$/;

/**
 * Why `glob` is not a usable repository glob, or undefined when it is.
 *
 * @example
 * globProblem('team-a/**'); // undefined
 * globProblem('Team//x');   // 'use lower-case …'
 */
export function globProblem(glob: string): string | undefined {
  if (glob.length === 0 || glob.length > 255) return 'must be 1 to 255 characters';
  if (!GLOB_ALPHABET.test(glob)) return 'use lower-case repository name characters, "/", "*" and "**"';
  if (glob.includes('***')) return '"***" is not a pattern: use "*" (one segment) or "**" (any depth)';
  if (glob.split('/').some((s) => s.length === 0)) return 'has an empty path segment';
  return undefined;
}

/**
 * True when `glob` is a usable repository glob.
 *
 * @example
 * isValidRepositoryGlob('charts/**'); // true
 */
export function isValidRepositoryGlob(glob: string): boolean {
  return globProblem(glob) === undefined;
}

/**
 * Compiles a repository glob to a matcher over whole repository names.
 *
 * @throws Error naming the problem when the glob is not valid.
 * @example
 * const m = compileRepositoryGlob('library/*');
 * m('library/nginx'); // true
 * m('library/a/b');   // false
 */
export function compileRepositoryGlob(glob: string): (repository: string) => boolean {
  const problem = globProblem(glob);
  if (problem !== undefined) throw new Error(`"${glob.slice(0, 255)}" is not a repository glob: ${problem}`);
  const source = glob
    .split(/(\*\*|\*)/)
    .map((part) => (part === '**' ? '.*' : part === '*' ? '[^/]*' : part.replace(/[.\\^$+?()[\]{}|-]/g, '\\$&')))
    .join('');
  const pattern = new RegExp(`^${source}$`);
  return (repository) => pattern.test(repository);
}
