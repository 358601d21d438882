/** Server memory while a 1 GiB blob is pushed and pulled: it must stay flat. */
import { MiB } from '../data.js';
import { startRssSampler, treeRss } from '../rss.js';
import { mbPerSec } from '../stats.js';
import type { Workload } from './types.js';

export const rss: Workload = {
  name: 'rss',
  summary: 'server RSS (VmRSS, sampled every 100 ms) while a 1 GiB blob is pushed then pulled; needs the pid',
  needsPid: true,
  async run(ctx) {
    const pid = ctx.target.pid;
    if (pid === undefined) throw new Error('rss: the server pid is unknown (use --pid)');
    const size = ctx.scale.bytes(1024 * MiB);
    const spec = { id: ctx.blobId('big'), size };
    const digest = ctx.data.digest(spec);
    const repo = ctx.repo();
    const reg = ctx.client(1);
    const idle = treeRss(pid);

    ctx.progress(`pushing ${(size / MiB).toFixed(0)} MiB while sampling RSS of pid ${pid}`);
    const pushSampler = startRssSampler(pid);
    let start = performance.now();
    await reg.pushBlob(repo, { digest, size, body: ctx.data.chunks(spec) });
    const pushMs = performance.now() - start;
    const push = pushSampler.stop();

    ctx.progress(`pulling ${(size / MiB).toFixed(0)} MiB while sampling RSS`);
    const pullSampler = startRssSampler(pid);
    start = performance.now();
    await reg.pullBlob(repo, digest, size);
    const pullMs = performance.now() - start;
    const pull = pullSampler.stop();

    return [
      { name: 'idle RSS MiB', value: idle / MiB, better: 'lower' },
      { name: 'peak RSS push MiB', value: push.peak / MiB, better: 'lower' },
      { name: 'peak RSS pull MiB', value: pull.peak / MiB, better: 'lower' },
      { name: 'push MB/s', value: mbPerSec(size, pushMs), better: 'higher' },
      { name: 'pull MB/s', value: mbPerSec(size, pullMs), better: 'higher' },
    ];
  },
};
