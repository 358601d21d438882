/**
 * Files the filesystem driver wrote past the page cache and has not read
 * since (see direct-io.ts).
 *
 * A blob written with `O_DIRECT` is not in memory, so reading it through the
 * page cache first fills the cache, which on the machine berth was measured
 * on cost ~1.6 ms of CPU per MiB (415 ms per 256 MiB), against ~0.1 ms per
 * MiB read directly. So the first read of such a file is direct, and later
 * ones go through the page cache as usual: a blob pulled once right after its
 * push never pays for the cache, and one pulled again and again is cached
 * from its second read on. The driver marks only files of 8 MiB or more
 * (fs-driver.ts); for 1 MiB blobs a direct read saved nothing measurable.
 * What is remembered is a hint: a file written directly by another process,
 * or forgotten because more than {@link ColdFiles.limit} were written since,
 * is read through the cache.
 */
export class ColdFiles {
  private readonly paths = new Set<string>();

  /** @param limit at most this many paths are remembered; the oldest go first */
  constructor(readonly limit: number) {}

  /** `path` was just written past the page cache. */
  mark(path: string): void {
    this.paths.delete(path);
    this.paths.add(path);
    if (this.paths.size > this.limit) {
      const oldest = this.paths.values().next();
      if (oldest.done !== true) this.paths.delete(oldest.value);
    }
  }

  /** The file at `from` is now at `to` (replacing what was there). */
  moved(from: string, to: string): void {
    const wasCold = this.paths.delete(from);
    this.paths.delete(to);
    if (wasCold) this.mark(to);
  }

  /** `path` was removed, or rewritten through the page cache. */
  forget(path: string): void {
    this.paths.delete(path);
  }

  /** Whether `path` is still cold; it counts as read (warm) from now on. */
  take(path: string): boolean {
    return this.paths.delete(path);
  }
}
