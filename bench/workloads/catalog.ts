/** Catalog listing (`GET /v2/_catalog`), following Link pages. */
import { runFor, runJobs } from '../concurrency.js';
import { imageManifest, mountBaseImage, pushBaseImage } from '../manifests.js';
import { Latencies, perSec } from '../stats.js';
import { check } from '../verify.js';
import type { Workload } from './types.js';

const CONCURRENCY = 8;
/** distribution 2.8 rejects n above its `catalog.maxentries` (default 1000). */
const PAGE = 1000;

export const catalog: Workload = {
  name: 'catalog',
  summary: 'GET /v2/_catalog (all pages, n=1000) at concurrency 8 for 5 s after creating 50 repositories',
  async run(ctx) {
    const count = ctx.scale.count(50, 5);
    const reg = ctx.client(CONCURRENCY);
    const source = await pushBaseImage(reg, ctx.repo('src'), ctx.data.bytes({ id: ctx.blobId('layer'), size: 4096 }));
    const body = imageManifest(source.config, [source.layer]);
    const repos = Array.from({ length: count }, (_, i) => ctx.repo(`r${String(i).padStart(3, '0')}`));
    ctx.progress(`setup: creating ${count} repositories`);
    await runJobs(count, CONCURRENCY, async (i) => {
      const base = await mountBaseImage(reg, source, repos[i] ?? '');
      await reg.putManifest(base.repo, 'latest', body);
    });

    const latencies = new Latencies();
    const duration = ctx.scale.ms(5_000);
    let listed = 0;
    ctx.progress(`listing the catalog for ${(duration / 1000).toFixed(1)} s`);
    const { ops, ms } = await runFor(duration, CONCURRENCY, () =>
      latencies.time(async () => {
        const all = new Set(await reg.catalog(PAGE));
        check(
          repos.every((r) => all.has(r)),
          () => `catalog lacks some of the ${count} repositories just created`,
        );
        listed = all.size;
      }),
    );
    return [
      { name: 'lists/s', value: perSec(ops, ms), better: 'higher' },
      ...latencies.metrics(),
      { name: 'repositories', value: listed, better: 'higher' },
    ];
  },
};
