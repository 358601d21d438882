/** Chunked push: POST, 8 MiB PATCHes with Content-Range, closing PUT. */
import { MiB } from '../data.js';
import { mbPerSec } from '../stats.js';
import type { Workload } from './types.js';

const CHUNK = 8 * MiB;

export const pushChunked: Workload = {
  name: 'push-chunked',
  summary: 'chunked push of a 512 MiB blob in 8 MiB PATCHes with Content-Range',
  async run(ctx) {
    const size = ctx.scale.bytes(512 * MiB);
    const spec = { id: ctx.blobId('chunked'), size };
    const repo = ctx.repo();
    const reg = ctx.client(1);
    const patches = Math.ceil(size / CHUNK);
    // The digest goes in the closing PUT's URL. As for push-large, it is
    // computed by a hashing pass first (untimed): a client pushing a layer it
    // stores knows its digest, and hashing on the clock would measure the
    // client's CPU, taken from the same two cores as the registry's.
    const digest = ctx.data.digest(spec);
    const chunks = (function* () {
      for (let start = 0; start < size; start += CHUNK) yield ctx.data.chunks(spec, start, start + CHUNK);
    })();

    ctx.progress(`pushing ${(size / MiB).toFixed(0)} MiB in ${patches} PATCHes`);
    const start = performance.now();
    await reg.pushBlobChunked(repo, { digest, size }, chunks, CHUNK);
    const ms = performance.now() - start;

    await reg.headBlob(repo, digest, size);
    return [{ name: 'MB/s', value: mbPerSec(size, ms), better: 'higher' }];
  },
};
