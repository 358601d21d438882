/**
 * The `gc` lease held for a whole collection. Two collections at once
 * could undo each other's parking of blobs (`blob-reclaimer.ts`), so a run
 * renews its lease as it goes and stops if it ever loses it.
 */
import type { MetadataStore } from '../../metadata/store.js';
import type { Clock } from '../deps.js';

/** The lease name every instance (and `berth gc`) uses. */
export const GC_LEASE = 'gc';

export interface LeaseKeeper {
  /** Takes the lease; false when another holder has it. */
  acquire(): Promise<boolean>;
  /**
   * Renews the lease when a third of its TTL has passed since the last
   * renewal. @throws Error when another holder took it (the run must stop).
   */
  renewIfDue(): Promise<void>;
  /** Gives the lease up. Idempotent. */
  release(): Promise<void>;
}

/**
 * @example
 * const lease = createLeaseKeeper({ store: metadata, holder: 'cli-abc', ttlMs: 600_000, clock: Date.now });
 * if (!(await lease.acquire())) throw new Error('another GC is running');
 */
export function createLeaseKeeper(options: {
  store: Pick<MetadataStore, 'acquireLease' | 'releaseLease'>;
  holder: string;
  ttlMs: number;
  clock: Clock;
  name?: string;
}): LeaseKeeper {
  const name = options.name ?? GC_LEASE;
  let renewedAt: number | undefined;
  const take = async (): Promise<boolean> => {
    const now = options.clock();
    const held = await options.store.acquireLease(name, options.holder, options.ttlMs, now);
    if (held) renewedAt = now;
    return held;
  };
  return {
    acquire: take,
    async renewIfDue() {
      if (renewedAt !== undefined && options.clock() - renewedAt < options.ttlMs / 3) return;
      if (!(await take())) throw new Error(`lost the "${name}" lease to another instance; stopping this run`);
    },
    async release() {
      renewedAt = undefined;
      await options.store.releaseLease(name, options.holder);
    },
  };
}
