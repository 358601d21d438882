/** Tag listing of a repository with 500 tags. */
import { runFor, runJobs } from '../concurrency.js';
import { imageManifest, pushBaseImage } from '../manifests.js';
import { Latencies, perSec } from '../stats.js';
import { check } from '../verify.js';
import type { Workload } from './types.js';

const CONCURRENCY = 8;

export const tagList: Workload = {
  name: 'tag-list',
  summary: 'GET /tags/list of a repository with 500 tags at concurrency 8 for 5 s; every tag verified',
  async run(ctx) {
    const count = ctx.scale.count(500, 10);
    const repo = ctx.repo();
    const reg = ctx.client(CONCURRENCY);
    const base = await pushBaseImage(reg, repo, ctx.data.bytes({ id: ctx.blobId('layer'), size: 4096 }));
    const body = imageManifest(base.config, [base.layer]);
    ctx.progress(`setup: tagging one manifest ${count} times`);
    await runJobs(count, CONCURRENCY, async (i) => {
      await reg.putManifest(repo, `tag-${String(i).padStart(4, '0')}`, body);
    });

    const latencies = new Latencies();
    const duration = ctx.scale.ms(5_000);
    ctx.progress(`listing tags for ${(duration / 1000).toFixed(1)} s`);
    const { ops, ms } = await runFor(duration, CONCURRENCY, () =>
      latencies.time(async () => {
        const tags = await reg.listTags(repo);
        check(tags.length === count, () => `tag list of ${repo}: ${tags.length} tags, expected ${count}`);
        check(
          new Set(tags).size === count && tags.every((t) => t.startsWith('tag-')),
          () => `tag list of ${repo}: wrong tags`,
        );
      }),
    );
    return [{ name: 'lists/s', value: perSec(ops, ms), better: 'higher' }, ...latencies.metrics()];
  },
};
