/** Pull of many 1 MiB blobs in parallel. */
import { nth, runJobs } from '../concurrency.js';
import { MiB } from '../data.js';
import { mbPerSec, perSec } from '../stats.js';
import type { Workload } from './types.js';

const CONCURRENCY = 8;

export const pullSmall: Workload = {
  name: 'pull-small',
  summary: 'GET of 400 distinct 1 MiB blobs at concurrency 8, sha256 and Docker-Content-Digest verified',
  async run(ctx) {
    const blobs = await ctx.fixtures.smallBlobs();
    const reg = ctx.client(CONCURRENCY);
    ctx.progress(`pulling ${blobs.length} × 1 MiB`);
    const ms = await runJobs(blobs.length, CONCURRENCY, async (i) => {
      const blob = nth(blobs, i);
      await reg.pullBlob(blob.repo, blob.digest, MiB);
    });
    return [
      { name: 'MB/s', value: mbPerSec(blobs.length * MiB, ms), better: 'higher' },
      { name: 'blobs/s', value: perSec(blobs.length, ms), better: 'higher' },
    ];
  },
};
