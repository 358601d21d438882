/** Monolithic push of 256 MiB blobs, streamed from the data pool. */
import { MiB } from '../data.js';
import { mbPerSec } from '../stats.js';
import type { Workload } from './types.js';

export const pushLarge: Workload = {
  name: 'push-large',
  summary: 'monolithic push of 2 × 256 MiB blobs, one at a time, body streamed',
  async run(ctx) {
    const size = ctx.scale.bytes(256 * MiB);
    const count = ctx.scale.count(2);
    const repo = ctx.repo();
    const reg = ctx.client(1);
    const specs = Array.from({ length: count }, (_, i) => ({ id: ctx.blobId(i), size }));
    // The digest goes in the PUT URL, so it is computed by a hashing pass first (untimed).
    const digests = specs.map((spec) => ctx.data.digest(spec));

    let ms = 0;
    for (const [i, spec] of specs.entries()) {
      const digest = digests[i] ?? '';
      ctx.progress(`pushing ${(size / MiB).toFixed(0)} MiB blob ${i + 1}/${count}`);
      const start = performance.now();
      await reg.pushBlob(repo, { digest, size, body: ctx.data.chunks(spec) });
      ms += performance.now() - start;
      await reg.headBlob(repo, digest, size);
    }
    return [{ name: 'MB/s', value: mbPerSec(count * size, ms), better: 'higher' }];
  },
};
