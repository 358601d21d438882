/** Random Range GETs of the big blob, bytes checked against the generator. */
import { nth, runJobs } from '../concurrency.js';
import { createRng } from '../data.js';
import { Latencies, mbPerSec, perSec } from '../stats.js';
import { check } from '../verify.js';
import type { Workload } from './types.js';

const CONCURRENCY = 8;
const MAX_RANGE = 1024 * 1024;

export const rangeGet: Workload = {
  name: 'range-get',
  summary: '400 GETs of random byte ranges (1 B to 1 MiB) of the 256 MiB blob at concurrency 8, bytes verified',
  async run(ctx) {
    const blob = await ctx.fixtures.bigBlob();
    const total = blob.spec.size;
    const count = ctx.scale.count(400);
    const rng = createRng(ctx.seed);
    const ranges = Array.from({ length: count }, () => {
      const length = 1 + Math.floor(rng() * MAX_RANGE);
      const start = Math.floor(rng() * (total - length));
      return { start, end: start + length - 1 };
    });
    const reg = ctx.client(CONCURRENCY);
    const latencies = new Latencies();
    let bytes = 0;

    ctx.progress(`${count} range GETs`);
    const ms = await runJobs(count, CONCURRENCY, async (i) => {
      const { start, end } = nth(ranges, i);
      const body = await latencies.time(() => reg.getRange(blob.repo, blob.digest, start, end, total));
      check(ctx.data.matches(blob.spec, start, body), () => `range ${start}-${end}: wrong bytes`);
      bytes += body.length;
    });
    return [
      { name: 'req/s', value: perSec(count, ms), better: 'higher' },
      { name: 'MB/s', value: mbPerSec(bytes, ms), better: 'higher' },
      ...latencies.metrics(),
    ];
  },
};
