/** Monolithic push of many 1 MiB blobs in parallel. */
import { nth, runJobs } from '../concurrency.js';
import { MiB } from '../data.js';
import { mbPerSec, perSec } from '../stats.js';
import type { Workload } from './types.js';

const CONCURRENCY = 8;

export const pushSmall: Workload = {
  name: 'push-small',
  summary: 'monolithic push (POST, PUT ?digest=) of 200 × 1 MiB blobs at concurrency 8',
  async run(ctx) {
    const count = ctx.scale.count(200);
    const specs = Array.from({ length: count }, (_, i) => ({ id: ctx.blobId(i), size: MiB }));
    const digests = specs.map((spec) => ctx.data.digest(spec));
    const repo = ctx.repo();
    const reg = ctx.client(CONCURRENCY);

    ctx.progress(`pushing ${count} × 1 MiB`);
    const ms = await runJobs(count, CONCURRENCY, async (i) => {
      const spec = nth(specs, i);
      await reg.pushBlob(repo, { digest: nth(digests, i), size: spec.size, body: ctx.data.bytes(spec) });
    });

    await runJobs(count, CONCURRENCY, (i) => reg.headBlob(repo, nth(digests, i), MiB));
    return [
      { name: 'MB/s', value: mbPerSec(count * MiB, ms), better: 'higher' },
      { name: 'blobs/s', value: perSec(count, ms), better: 'higher' },
    ];
  },
};
