/** Shared read-only fixtures, pushed once per target on first use (untimed). */
import type { RegistryClient } from '../client.js';
import { nth, runJobs } from '../concurrency.js';
import { MiB, type DataPool } from '../data.js';
import type { Fixtures, Scale } from './types.js';

export interface FixtureOptions {
  data: DataPool;
  scale: Scale;
  /** Repository namespace and blob-id prefix of this bench run. */
  runId: string;
  client: (concurrency: number) => RegistryClient;
  progress: (message: string) => void;
  /** Writes dirty pages back after an upload, so the writeback is not measured later. */
  flush: () => void;
}

/** A memoised async value; a failure is not remembered, so the next caller retries. */
function once<T>(make: () => Promise<T>): () => Promise<T> {
  let value: Promise<T> | undefined;
  return () => {
    if (value === undefined) {
      const attempt = make();
      value = attempt;
      attempt.catch(() => {
        if (value === attempt) value = undefined;
      });
    }
    return value;
  };
}

/**
 * Creates the fixtures of one target. Reading the same blobs in every round is
 * as valid as reading fresh ones (the page cache is warm after a push either
 * way) and saves pushing them again.
 */
export function createFixtures(options: FixtureOptions): Fixtures {
  const { data, scale, runId, progress } = options;
  const repo = `bench-${runId}/fixture`;

  async function withClient<T>(concurrency: number, use: (reg: RegistryClient) => Promise<T>): Promise<T> {
    const reg = options.client(concurrency);
    try {
      return await use(reg);
    } finally {
      reg.close();
    }
  }

  const bigBlob = once(() =>
    withClient(1, async (reg) => {
      const spec = { id: `${runId}/fixture/big`, size: scale.bytes(256 * MiB) };
      const digest = data.digest(spec);
      progress(`setup: pushing the ${(spec.size / MiB).toFixed(0)} MiB fixture blob`);
      await reg.pushBlob(repo, { digest, size: spec.size, body: data.chunks(spec) });
      options.flush();
      return { repo, spec, digest };
    }),
  );

  const smallBlobs = once(() =>
    withClient(8, async (reg) => {
      const count = scale.count(400);
      const blobs = Array.from({ length: count }, (_, i) => {
        const spec = { id: `${runId}/fixture/small/${i}`, size: MiB };
        return { repo, spec, digest: data.digest(spec) };
      });
      progress(`setup: pushing ${count} × 1 MiB fixture blobs`);
      await runJobs(count, 8, async (i) => {
        const blob = nth(blobs, i);
        await reg.pushBlob(repo, { digest: blob.digest, size: MiB, body: data.bytes(blob.spec) });
      });
      options.flush();
      return blobs;
    }),
  );

  return { bigBlob, smallBlobs };
}
