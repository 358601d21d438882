/** Pull of the big blob, hashed as it arrives. */
import { mbPerSec } from '../stats.js';
import type { Workload } from './types.js';

export const pullLarge: Workload = {
  name: 'pull-large',
  summary: 'GET of the 256 MiB blob, 3 times in a row, sha256 of every body verified',
  async run(ctx) {
    const blob = await ctx.fixtures.bigBlob();
    const pulls = ctx.scale.count(3);
    const reg = ctx.client(1);
    ctx.progress(`pulling ${pulls} × ${(blob.spec.size / 1048576).toFixed(0)} MiB`);
    let bytes = 0;
    const start = performance.now();
    for (let i = 0; i < pulls; i++) bytes += await reg.pullBlob(blob.repo, blob.digest, blob.spec.size);
    const ms = performance.now() - start;
    return [{ name: 'MB/s', value: mbPerSec(bytes, ms), better: 'higher' }];
  },
};
