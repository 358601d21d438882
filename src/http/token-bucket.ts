/**
 * Token buckets per client key, in memory, with bounded size. Free of HTTP:
 * `rate-limit.ts` decides what the key of a request is.
 *
 * A bucket holds up to `burst` tokens and gains `requestsPerSecond` a second;
 * each request takes one. A bucket that has refilled completely is the same
 * as no bucket, so idle clients are forgotten as they are met; past
 * `maxKeys` the least recently seen client is forgotten too (it starts again
 * with a full bucket, the price of a memory bound).
 */

export interface TokenBucketOptions {
  requestsPerSecond: number;
  burst: number;
  /** Most clients tracked at once. */
  maxKeys: number;
  /** Epoch milliseconds; injected so tests are deterministic. */
  clock: () => number;
}

export interface RateDecision {
  allowed: boolean;
  /** Whole seconds until one token is available again (0 when allowed). */
  retryAfterSeconds: number;
}

export interface TokenBuckets {
  /** Takes one token from `key`'s bucket if there is one. */
  take(key: string): RateDecision;
  /** Clients currently tracked (tests, metrics). */
  readonly size: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

/**
 * @example
 * const buckets = createTokenBuckets({ requestsPerSecond: 10, burst: 20, maxKeys: 10000, clock: Date.now });
 * if (!buckets.take('ip:10.0.0.1').allowed) refuse();
 */
export function createTokenBuckets(options: TokenBucketOptions): TokenBuckets {
  const { requestsPerSecond: rate, burst, maxKeys, clock } = options;
  if (!(rate > 0) || !(burst >= 1)) throw new Error('token buckets need requestsPerSecond > 0 and burst >= 1');
  /** Insertion order is recency order: a touched bucket moves to the end. */
  const buckets = new Map<string, Bucket>();

  function level(bucket: Bucket, now: number): number {
    return Math.min(burst, bucket.tokens + (Math.max(0, now - bucket.at) / 1000) * rate);
  }

  /** Forgets the oldest buckets while they are full again, and while there is no room for one more. */
  function evict(now: number): void {
    for (const [key, bucket] of buckets) {
      if (buckets.size < maxKeys && level(bucket, now) < burst) return;
      buckets.delete(key);
    }
  }

  return {
    take(key) {
      const now = clock();
      const bucket = buckets.get(key);
      const tokens = bucket === undefined ? burst : level(bucket, now);
      buckets.delete(key);
      evict(now);
      if (tokens >= 1) {
        buckets.set(key, { tokens: tokens - 1, at: now });
        return { allowed: true, retryAfterSeconds: 0 };
      }
      buckets.set(key, { tokens, at: now });
      return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - tokens) / rate)) };
    },
    get size() {
      return buckets.size;
    },
  };
}
