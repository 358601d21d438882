/** A mixed load: 16 clients, 90% GETs (manifests and blobs), 10% pushes (blob + manifest). */
import { nth, runFor, runJobs } from '../concurrency.js';
import { createRng, sha256 } from '../data.js';
import { imageManifest, layerDescriptor, pushBaseImage } from '../manifests.js';
import { Latencies, perSec } from '../stats.js';
import type { Workload } from './types.js';

const CLIENTS = 16;
const ITEMS = 16;
const BLOB = 64 * 1024;
const PUSH_SHARE = 0.1;

export const mixed: Workload = {
  name: 'mixed',
  summary: '16 clients for 15 s: 90% GETs (manifest by tag or 64 KiB blob), 10% pushes (64 KiB blob + tagged manifest)',
  async run(ctx) {
    const repo = ctx.repo();
    const reg = ctx.client(CLIENTS);
    const base = await pushBaseImage(reg, repo, ctx.data.bytes({ id: ctx.blobId('layer'), size: 4096 }));
    const blobs = Array.from({ length: ITEMS }, (_, i) => {
      const spec = { id: ctx.blobId(`get-${i}`), size: BLOB };
      return { spec, digest: ctx.data.digest(spec) };
    });
    const manifests = Array.from({ length: ITEMS }, (_, i) =>
      imageManifest(base.config, [base.layer], { 'org.berth.bench.index': String(i) }),
    );
    ctx.progress('setup: pushing blobs and manifests to read');
    await runJobs(ITEMS, 8, async (i) => {
      const blob = nth(blobs, i);
      await reg.pushBlob(repo, { digest: blob.digest, size: BLOB, body: ctx.data.bytes(blob.spec) });
      await reg.putManifest(repo, `t${i}`, nth(manifests, i));
    });

    const rngs = Array.from({ length: CLIENTS }, (_, w) => createRng(ctx.seed + w));
    const gets = new Latencies();
    const pushes = new Latencies();
    const duration = ctx.scale.ms(15_000);
    ctx.progress(`mixed load, ${CLIENTS} clients for ${(duration / 1000).toFixed(1)} s`);
    const { ops, ms } = await runFor(duration, CLIENTS, async (w, n) => {
      const rng = nth(rngs, w);
      const roll = rng();
      const pick = Math.floor(rng() * ITEMS);
      if (roll < PUSH_SHARE) {
        const layerBytes = ctx.data.bytes({ id: ctx.blobId(`push-${w}-${n}`), size: BLOB });
        const layer = layerDescriptor(layerBytes);
        const manifest = imageManifest(base.config, [layer]);
        await pushes.time(async () => {
          await reg.pushBlob(repo, { digest: sha256(layerBytes), size: BLOB, body: layerBytes });
          await reg.putManifest(repo, `p${w}-${n}`, manifest);
        });
      } else if (roll < PUSH_SHARE + (1 - PUSH_SHARE) / 2) {
        await gets.time(() => reg.getManifest(repo, `t${pick}`, nth(manifests, pick)));
      } else {
        const blob = nth(blobs, pick);
        await gets.time(() => reg.pullBlob(repo, blob.digest, BLOB));
      }
    });
    return [
      { name: 'ops/s', value: perSec(ops, ms), better: 'higher' },
      ...gets.metrics('GET'),
      ...pushes.metrics('push'),
    ];
  },
};
