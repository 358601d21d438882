/**
 * Repository globs for type rules: `*` matches within one path segment,
 * `**` matches across segments. Everything else is literal.
 *
 *     team-*\/app   matches team-a/app, not team-a/b/app
 *     images/**     matches images/app and images/a/b, not images
 *     **            matches every repository
 */

/** Characters a repository glob may use: the repository name alphabet, `/` and `*`. */
const GLOB_ALPHABET = /^[a-z0-9._\-/*]+$/;

/**
 * True when `glob` is a usable repository glob: lower-case repository name
 * characters, `/` and `*`, no empty segment, no run of three or more `*`.
 *
 * @example
 * isValidRepositoryGlob('charts/**'); // true
 * isValidRepositoryGlob('Charts//x'); // false
 */
export function isValidRepositoryGlob(glob: string): boolean {
  return (
    glob.length > 0 &&
    glob.length <= 255 &&
    GLOB_ALPHABET.test(glob) &&
    !glob.includes('***') &&
    glob.split('/').every((segment) => segment.length > 0)
  );
}

/**
 * Compiles a repository glob to a matcher over whole repository names.
 *
 * @throws Error when the glob is not valid (see {@link isValidRepositoryGlob}).
 *
 * @example
 * const matches = compileRepositoryGlob('team-*\/app');
 * matches('team-a/app'); // true
 * matches('team-a/b/app'); // false
 */
export function compileRepositoryGlob(glob: string): (repository: string) => boolean {
  if (!isValidRepositoryGlob(glob)) {
    throw new Error(
      `"${glob.slice(0, 255)}" is not a repository glob: use lower-case repository name characters, "/", "*" (one segment) and "**" (any depth)`,
    );
  }
  const source = glob
    .split(/(\*\*|\*)/)
    .map((part) => (part === '**' ? '.*' : part === '*' ? '[^/]*' : part.replace(/[.\\^$+?()[\]{}|-]/g, '\\$&')))
    .join('');
  const pattern = new RegExp(`^${source}$`);
  return (repository) => pattern.test(repository);
}
