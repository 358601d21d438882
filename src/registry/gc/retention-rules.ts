/**
 * Retention rules (`retention[]` in config), compiled once at start-up so a
 * bad glob, regular expression or type name stops berth with the field's
 * path instead of failing in the middle of a run.
 *
 * Which rule applies:
 * - to a manifest (and its tags): the first rule whose `repositories` glob
 *   matches the repository and whose `artifactTypes` (if any) include the
 *   manifest's type;
 * - for repository-wide options (`dropOrphanSignatures` for orphans that
 *   predate the run, `unlinkUnreferencedBlobsOlderThanSeconds`): the first
 *   rule matching the repository that sets the option, whatever its types
 *   (signatures and blobs have types of their own, or none).
 */
import { compileRepositoryGlob } from '../../oci/repository-glob.js';
import type { TypeRegistry } from '../../artifact-types/index.js';
import type { RetentionRule } from '../../config/gc-schema.js';

export type { RetentionRule };

/** A rule ready to match. */
export interface CompiledRetentionRule {
  /** Position in `retention[]`, for reports. */
  index: number;
  rule: RetentionRule;
  matchesRepository(repo: string): boolean;
  matchesType(artifactType: string | null): boolean;
  /** True when `keepTags` pins the tag. */
  pinned(tag: string): boolean;
}

/** A retention setting that cannot work; the message names the field. */
export class RetentionConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RetentionConfigError';
  }
}

/**
 * Compiles `retention[]`. Artifact types are short names (looked up in
 * `types`) or media types (containing `/`, compared without case).
 *
 * @throws RetentionConfigError naming `retention[i].field`.
 * @example
 * const rules = compileRetentionRules([{ repositories: 'apps/**', keepLast: 10 }], types);
 */
export function compileRetentionRules(rules: readonly RetentionRule[], types: TypeRegistry): CompiledRetentionRule[] {
  return rules.map((rule, index) => {
    const where = `retention[${index}]`;
    let matchesRepository: (repo: string) => boolean;
    try {
      matchesRepository = compileRepositoryGlob(rule.repositories);
    } catch (err) {
      throw new RetentionConfigError(`${where}.repositories: ${(err as Error).message}`);
    }
    const names = new Set<string>();
    const mediaTypes = new Set<string>();
    for (const entry of rule.artifactTypes ?? []) {
      if (entry.includes('/')) mediaTypes.add(entry.toLowerCase());
      else if (types.get(entry) !== undefined) names.add(entry);
      else
        throw new RetentionConfigError(
          `${where}.artifactTypes: no artifact type is named "${entry}" (see \`berth types list\`)`,
        );
    }
    const patterns = (rule.keepTags ?? []).map((source, i) => {
      try {
        return new RegExp(source);
      } catch (err) {
        throw new RetentionConfigError(`${where}.keepTags[${i}]: ${(err as Error).message}`);
      }
    });
    const anyType = rule.artifactTypes === undefined;
    return {
      index,
      rule,
      matchesRepository,
      matchesType(artifactType) {
        if (anyType) return true;
        if (artifactType === null) return false;
        if (mediaTypes.has(artifactType.toLowerCase())) return true;
        const name = types.resolve(artifactType)?.name;
        return name !== undefined && names.has(name);
      },
      pinned: (tag) => patterns.some((p) => p.test(tag)),
    };
  });
}
