/** Small statistics helpers: medians, percentiles, throughput. */

/** One number a workload reports. */
export interface Metric {
  /** Short label, e.g. `MB/s`, `p99 ms`. */
  readonly name: string;
  readonly value: number;
  /** Which direction is good; decides nothing but how the report reads. */
  readonly better: 'higher' | 'lower';
}

/** MB/s with MB = 10^6 bytes (like `dd` and most network tools). */
export function mbPerSec(bytes: number, ms: number): number {
  return ms > 0 ? bytes / 1e6 / (ms / 1000) : 0;
}

/** Operations per second. */
export function perSec(count: number, ms: number): number {
  return ms > 0 ? count / (ms / 1000) : 0;
}

/** Median of a non-empty list (mean of the two middle values for even lengths). */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const hi = sorted[mid] ?? Number.NaN;
  if (sorted.length % 2 === 1) return hi;
  const lo = sorted[mid - 1] ?? Number.NaN;
  return (lo + hi) / 2;
}

/** Nearest-rank percentile (p in 0..100) of a list. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1] ?? Number.NaN;
}

/** Records request latencies in milliseconds. */
export class Latencies {
  private readonly samples: number[] = [];

  /** Times one async call and records it. */
  async time<T>(fn: () => Promise<T>): Promise<T> {
    const start = performance.now();
    const result = await fn();
    this.samples.push(performance.now() - start);
    return result;
  }

  get count(): number {
    return this.samples.length;
  }

  /** p50 and p99 as metrics, prefixed (e.g. `GET p99 ms`). */
  metrics(prefix = ''): Metric[] {
    const label = prefix === '' ? '' : `${prefix} `;
    return [
      { name: `${label}p50 ms`, value: percentile(this.samples, 50), better: 'lower' },
      { name: `${label}p99 ms`, value: percentile(this.samples, 99), better: 'lower' },
    ];
  }
}
