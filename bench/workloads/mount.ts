/** Cross-repository blob mounts. */
import { nth, runJobs } from '../concurrency.js';
import { Latencies, perSec } from '../stats.js';
import type { Workload } from './types.js';

const CONCURRENCY = 8;
const BLOB = 4096;

export const mount: Workload = {
  name: 'mount',
  summary: '100 POST ?mount=&from= of distinct blobs into another repository at concurrency 8, expecting 201',
  async run(ctx) {
    const count = ctx.scale.count(100, 10);
    const from = ctx.repo('from');
    const into = ctx.repo('into');
    const reg = ctx.client(CONCURRENCY);
    const specs = Array.from({ length: count }, (_, i) => ({ id: ctx.blobId(i), size: BLOB }));
    const digests = specs.map((spec) => ctx.data.digest(spec));
    ctx.progress(`setup: pushing ${count} blobs to mount`);
    await runJobs(count, CONCURRENCY, (i) =>
      reg.pushBlob(from, { digest: nth(digests, i), size: BLOB, body: ctx.data.bytes(nth(specs, i)) }),
    );

    const latencies = new Latencies();
    ctx.progress(`mounting ${count} blobs`);
    const ms = await runJobs(count, CONCURRENCY, (i) =>
      latencies.time(() => reg.mountBlob(into, from, nth(digests, i))),
    );

    await runJobs(count, CONCURRENCY, (i) => reg.headBlob(into, nth(digests, i), BLOB));
    return [{ name: 'mounts/s', value: perSec(count, ms), better: 'higher' }, ...latencies.metrics()];
  },
};
