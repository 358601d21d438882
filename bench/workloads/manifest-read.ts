/** Manifest GET by tag and HEAD by digest under load: the hottest small requests. */
import type { RegistryClient } from '../client.js';
import { nth, runFor, runJobs } from '../concurrency.js';
import { imageManifest, pushBaseImage } from '../manifests.js';
import { Latencies, perSec, type Metric } from '../stats.js';
import type { Workload, WorkloadContext } from './types.js';

const CONCURRENCY = 32;
const MANIFESTS = 32;

interface Tagged {
  tag: string;
  digest: string;
  body: Buffer;
}

async function setup(ctx: WorkloadContext, reg: RegistryClient, repo: string): Promise<Tagged[]> {
  const base = await pushBaseImage(reg, repo, ctx.data.bytes({ id: ctx.blobId('layer'), size: 4096 }));
  const tagged: Tagged[] = [];
  await runJobs(MANIFESTS, 8, async (i) => {
    const body = imageManifest(base.config, [base.layer], { 'org.berth.bench.index': String(i) });
    const digest = await reg.putManifest(repo, `t${i}`, body);
    tagged.push({ tag: `t${i}`, digest, body });
  });
  return tagged;
}

async function measure(
  ctx: WorkloadContext,
  label: string,
  op: (reg: RegistryClient, repo: string, manifest: Tagged) => Promise<void>,
): Promise<Metric[]> {
  const repo = ctx.repo();
  const reg = ctx.client(CONCURRENCY);
  const tagged = await setup(ctx, reg, repo);
  const latencies = new Latencies();
  const duration = ctx.scale.ms(10_000);
  ctx.progress(`${label} at concurrency ${CONCURRENCY} for ${(duration / 1000).toFixed(1)} s`);
  const { ops, ms } = await runFor(duration, CONCURRENCY, (w, n) =>
    latencies.time(() => op(reg, repo, nth(tagged, (w + n) % tagged.length))),
  );
  return [{ name: 'req/s', value: perSec(ops, ms), better: 'higher' }, ...latencies.metrics()];
}

export const manifestGet: Workload = {
  name: 'manifest-get',
  summary: 'GET manifest by tag at concurrency 32 for 10 s; body, Content-Type and digest verified',
  run: (ctx) => measure(ctx, 'manifest GET by tag', (reg, repo, m) => reg.getManifest(repo, m.tag, m.body)),
};

export const manifestHead: Workload = {
  name: 'manifest-head',
  summary: 'HEAD manifest by digest at concurrency 32 for 10 s; Content-Length and digest verified',
  run: (ctx) =>
    measure(ctx, 'manifest HEAD by digest', (reg, repo, m) => reg.headManifest(repo, m.digest, m.body.length)),
};
