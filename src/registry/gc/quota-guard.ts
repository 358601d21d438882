/**
 * Storage quotas per repository glob (`quotas` in config).
 *
 * A quota limits the bytes all repositories matching its glob hold
 * together: the distinct blobs linked into them plus their manifests' own
 * bytes (a layer shared by two of them counts once), summed by one query
 * (`MetadataStore.storageUsage`). A push that would take a matching quota
 * past its limit is refused with `QUOTA_EXCEEDED` (403 DENIED); pushing
 * content the repositories already hold adds nothing and always passes, so
 * retagging and deleting work when full.
 *
 * Checks run before the push's metadata transaction, so two pushes racing
 * into the last free bytes can both pass: the limit is exact for one pusher
 * at a time and may be passed by the size of the concurrent pushes.
 */
import { RegistryError } from '../../oci/errors.js';
import type { MetadataStore, RepositoryFilter } from '../../metadata/store.js';
import { compileRepositoryGlob } from '../../oci/repository-glob.js';
import { walkRepositories } from './walk.js';

/** One `quotas[]` entry. */
export interface QuotaRule {
  repositories: string;
  maxBytes: number;
}

/** What pushes ask before they store something. */
export interface QuotaGuard {
  /**
   * Refuses content that would take a quota matching `repo` past its limit.
   *
   * @throws RegistryError `QUOTA_EXCEEDED` with `{ repository, quota, usedBytes, limitBytes, requiredBytes, hint }`.
   */
  check(repo: string, adding: { digest: string; size: number }): Promise<void>;
  /**
   * Refuses to open an upload into a repository already over a quota, so a
   * client does not send a large blob only to have it refused at the end.
   *
   * @throws RegistryError `QUOTA_EXCEEDED`.
   */
  checkOpen(repo: string): Promise<void>;
}

const HINT =
  'delete tags or manifests you no longer need (and blobs pushed but never used); GC then frees their bytes (`berth gc`, or the scheduled run), or ask the operator to raise quotas[].maxBytes';

interface CompiledQuota extends QuotaRule {
  matches: (repo: string) => boolean;
  /** Usage filter: a prefix when the glob is one, else undefined (list names). */
  prefix: string | undefined;
}

/**
 * The SQL-friendly form of a glob: `team-a/**` is the prefix `team-a/`,
 * `**` every repository, a literal one name; other globs need the names.
 */
function prefixOf(glob: string): string | undefined {
  if (glob === '**') return '';
  if (glob.endsWith('/**') && !glob.slice(0, -3).includes('*')) return glob.slice(0, -2);
  return undefined;
}

/**
 * Checks every `quotas[]` glob (start-up, before opening stores).
 *
 * @throws Error naming `quotas[i].repositories`.
 */
export function checkQuotaRules(rules: readonly QuotaRule[]): void {
  compileQuotas(rules);
}

function compileQuotas(rules: readonly QuotaRule[]): CompiledQuota[] {
  return rules.map((rule, i) => {
    try {
      return { ...rule, matches: compileRepositoryGlob(rule.repositories), prefix: prefixOf(rule.repositories) };
    } catch (err) {
      throw new Error(`quotas[${i}].repositories: ${(err as Error).message}`);
    }
  });
}

/**
 * @throws Error naming the entry for a glob that is not valid.
 * @example
 * const quota = createQuotaGuard(metadata, [{ repositories: 'team-a/**', maxBytes: 10 * 2 ** 30 }]);
 * await quota.check('team-a/app', { digest, size });
 */
export function createQuotaGuard(metadata: MetadataStore, rules: readonly QuotaRule[]): QuotaGuard {
  const quotas = compileQuotas(rules);

  async function filterFor(quota: CompiledQuota, repo: string): Promise<RepositoryFilter> {
    if (quota.prefix !== undefined) return { prefix: quota.prefix };
    if (!quota.repositories.includes('*')) return { names: [quota.repositories] };
    const names = new Set([repo]);
    for await (const name of walkRepositories(metadata)) if (quota.matches(name)) names.add(name);
    return { names: [...names] };
  }

  function refuse(repo: string, quota: CompiledQuota, used: number, required: number): RegistryError {
    return new RegistryError('QUOTA_EXCEEDED', {
      repository: repo,
      quota: quota.repositories,
      usedBytes: used,
      limitBytes: quota.maxBytes,
      requiredBytes: required,
      hint: HINT,
    });
  }

  return {
    async check(repo, adding) {
      for (const quota of quotas) {
        if (!quota.matches(repo)) continue;
        const filter = await filterFor(quota, repo);
        const after = await metadata.storageUsage(filter, adding);
        if (after.bytes <= quota.maxBytes) continue;
        const before = await metadata.storageUsage(filter);
        if (after.bytes === before.bytes) continue; // held already: adds nothing, even over a lowered quota
        throw refuse(repo, quota, before.bytes, after.bytes - before.bytes);
      }
    },
    async checkOpen(repo) {
      for (const quota of quotas) {
        if (!quota.matches(repo)) continue;
        const used = await metadata.storageUsage(await filterFor(quota, repo));
        if (used.bytes > quota.maxBytes) throw refuse(repo, quota, used.bytes, 0);
      }
    },
  };
}
