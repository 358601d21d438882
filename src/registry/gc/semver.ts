/**
 * Semantic versions in tags, for `keepLastSemver` retention (semver.org
 * 2.0.0, with an optional leading `v`; tags cannot hold `+build`).
 */

/** A parsed version: numeric core and pre-release identifiers. */
export interface SemVer {
  major: number;
  minor: number;
  patch: number;
  prerelease: (string | number)[];
}

const SEMVER =
  /^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?$/;

/**
 * Parses a tag as a semantic version, or undefined when it is not one.
 *
 * @example
 * parseSemver('v1.2.3-rc.1') // { major: 1, minor: 2, patch: 3, prerelease: ['rc', 1] }
 * parseSemver('latest')      // undefined
 */
export function parseSemver(tag: string): SemVer | undefined {
  const m = SEMVER.exec(tag);
  if (m === null) return undefined;
  const numbers = [m[1], m[2], m[3]].map(Number);
  if (numbers.some((n) => !Number.isSafeInteger(n))) return undefined;
  const [major = 0, minor = 0, patch = 0] = numbers;
  const prerelease = m[4] === undefined ? [] : m[4].split('.').map((id) => (/^\d+$/.test(id) ? Number(id) : id));
  return { major, minor, patch, prerelease };
}

/**
 * Orders versions by semver precedence (negative: `a` is lower).
 *
 * @example
 * ['1.10.0', '1.2.0', '1.2.0-rc.1'].map(parseSemver).sort(compareSemver) // 1.2.0-rc.1, 1.2.0, 1.10.0
 */
export function compareSemver(a: SemVer, b: SemVer): number {
  const core = a.major - b.major || a.minor - b.minor || a.patch - b.patch;
  if (core !== 0) return core;
  if (a.prerelease.length === 0 || b.prerelease.length === 0) return b.prerelease.length - a.prerelease.length;
  for (let i = 0; i < Math.max(a.prerelease.length, b.prerelease.length); i++) {
    const x = a.prerelease[i];
    const y = b.prerelease[i];
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    if (x === y) continue;
    if (typeof x === 'number' && typeof y === 'number') return x - y;
    if (typeof x === 'number') return -1;
    if (typeof y === 'number') return 1;
    return x < y ? -1 : 1;
  }
  return 0;
}
