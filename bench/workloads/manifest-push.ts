/** Many small manifest pushes with tags. */
import { nth, runJobs } from '../concurrency.js';
import { imageManifest, pushBaseImage } from '../manifests.js';
import { Latencies, perSec } from '../stats.js';
import { check } from '../verify.js';
import type { Workload } from './types.js';

const CONCURRENCY = 8;

export const manifestPush: Workload = {
  name: 'manifest-push',
  summary: '500 distinct OCI image manifests PUT by tag at concurrency 8 (config and layer pushed first)',
  async run(ctx) {
    const count = ctx.scale.count(500);
    const repo = ctx.repo();
    const reg = ctx.client(CONCURRENCY);
    const base = await pushBaseImage(reg, repo, ctx.data.bytes({ id: ctx.blobId('layer'), size: 4096 }));
    const bodies = Array.from({ length: count }, (_, i) =>
      imageManifest(base.config, [base.layer], { 'org.berth.bench.index': String(i) }),
    );
    const digests: string[] = new Array<string>(count).fill('');
    const latencies = new Latencies();

    ctx.progress(`pushing ${count} manifests`);
    const ms = await runJobs(count, CONCURRENCY, async (i) => {
      digests[i] = await latencies.time(() => reg.putManifest(repo, `t${i}`, nth(bodies, i)));
    });

    await runJobs(count, CONCURRENCY, (i) => reg.getManifest(repo, `t${i}`, nth(bodies, i)));
    const tags = new Set(await reg.listTags(repo));
    check(tags.size === count, () => `tag list of ${repo} has ${tags.size} tags, expected ${count}`);
    return [{ name: 'manifests/s', value: perSec(count, ms), better: 'higher' }, ...latencies.metrics()];
  },
};
