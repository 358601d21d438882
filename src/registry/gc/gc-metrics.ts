/**
 * GC's Prometheus metrics (names reserved for it in `http/metrics.ts`):
 * `berth_gc_runs_total{result}` and `berth_gc_bytes_freed_total`.
 */
import { Counter, type Registry } from 'prom-client';

/** What a GC worker records after each run. */
export interface GcMetrics {
  run(result: 'success' | 'failure', freedBytes: number): void;
}

/**
 * Registers the counters on `register` (the server's metrics registry).
 *
 * @example
 * const metrics = createGcMetrics(server.metrics);
 * metrics.run('success', report.freedBytes);
 */
export function createGcMetrics(register: Registry): GcMetrics {
  const runs = new Counter({
    name: 'berth_gc_runs_total',
    help: 'Garbage collection runs, by result (success or failure).',
    labelNames: ['result'] as const,
    registers: [register],
  });
  const freed = new Counter({
    name: 'berth_gc_bytes_freed_total',
    help: 'Bytes of blob storage garbage collection deleted.',
    registers: [register],
  });
  runs.inc({ result: 'success' }, 0);
  runs.inc({ result: 'failure' }, 0);
  return {
    run(result, freedBytes) {
      runs.inc({ result });
      if (freedBytes > 0) freed.inc(freedBytes);
    },
  };
}
