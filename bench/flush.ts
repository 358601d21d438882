/**
 * Flushing the machine's dirty pages between measured phases.
 *
 * docker-registry never fsyncs: what it writes stays dirty in the page cache
 * and the kernel writes it back later (after ~30 s), in the middle of
 * whatever runs then, often the other registry's measured phase. Calling
 * sync(1) before each workload and after each fixture upload makes that
 * writeback happen here, untimed, for both targets alike.
 */
import { execFileSync } from 'node:child_process';

/** Writes every dirty page to disk and waits (untimed by the caller). */
export function flushDirtyPages(): void {
  execFileSync('sync', { stdio: 'ignore' });
}
