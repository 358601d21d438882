/**
 * A least-recently-used cache of immutable byte strings (manifests by
 * digest), bounded by total bytes. Content-addressed entries never go stale,
 * so no invalidation is needed, even across instances.
 */
export interface ByteCache {
  get(key: string): Buffer | undefined;
  set(key: string, value: Buffer): void;
}

/**
 * @example
 * const cache = createByteCache(64 * 1024 * 1024);
 * cache.set(digest, bytes);
 */
export function createByteCache(maxBytes: number): ByteCache {
  const entries = new Map<string, Buffer>();
  let total = 0;
  return {
    get(key) {
      const value = entries.get(key);
      if (value !== undefined) {
        entries.delete(key); // move to the most recent end
        entries.set(key, value);
      }
      return value;
    },
    set(key, value) {
      if (value.byteLength > maxBytes / 8 || entries.has(key)) return;
      entries.set(key, value);
      total += value.byteLength;
      for (const [oldKey, old] of entries) {
        if (total <= maxBytes) break;
        entries.delete(oldKey);
        total -= old.byteLength;
      }
    },
  };
}
