/**
 * Runs workloads against targets: rounds × workloads × targets, interleaved so
 * that each workload runs on every target back to back (the order of targets
 * alternates between rounds, so neither always goes first on a warm machine).
 */
import { createHash } from 'node:crypto';
import { createRegistryClient, type RegistryClient } from './client.js';
import type { DataPool } from './data.js';
import type { Metric } from './stats.js';
import { WrongAnswer } from './verify.js';
import { createFixtures } from './workloads/fixtures.js';
import type { Fixtures, Scale, Target, Workload, WorkloadContext } from './workloads/types.js';

export type RoundResult =
  | { readonly status: 'ok'; readonly metrics: Metric[] }
  | { readonly status: 'failed'; readonly error: string }
  | { readonly status: 'skipped'; readonly reason: string };

export interface WorkloadResults {
  readonly workload: Workload;
  /** Per target name, one result per round. */
  readonly byTarget: Map<string, RoundResult[]>;
}

export interface RunOptions {
  targets: readonly Target[];
  workloads: readonly Workload[];
  rounds: number;
  scale: Scale;
  data: DataPool;
  /** Unique per bench run: names repositories and blobs. */
  runId: string;
  progress: (message: string) => void;
  /** Writes the machine's dirty pages back, untimed, before each workload and after fixture uploads. */
  flush: () => void;
}

function seedOf(...parts: (string | number)[]): number {
  return createHash('sha256').update(parts.join('/')).digest().readUInt32BE(0);
}

async function runOne(
  workload: Workload,
  target: Target,
  round: number,
  fixtures: Fixtures,
  options: RunOptions,
): Promise<RoundResult> {
  if (workload.needsPid === true && target.pid === undefined) {
    return { status: 'skipped', reason: 'the server pid is unknown (pass --pid, or use --compare)' };
  }
  const clients: RegistryClient[] = [];
  const tag = `[round ${round}/${options.rounds}] ${workload.name} @ ${target.name}`;
  const context: WorkloadContext = {
    target,
    round,
    scale: options.scale,
    data: options.data,
    fixtures,
    seed: seedOf(options.runId, workload.name, round),
    repo: (suffix) => `bench-${options.runId}/${workload.name}-r${round}${suffix === undefined ? '' : `-${suffix}`}`,
    blobId: (suffix) => `${options.runId}/${workload.name}/r${round}/${suffix}`,
    client: (concurrency) => {
      const client = createRegistryClient(target.url, concurrency);
      clients.push(client);
      return client;
    },
    progress: (message) => options.progress(`${tag}: ${message}`),
  };
  try {
    options.flush();
    const metrics = await workload.run(context);
    options.progress(`${tag}: ok`);
    return { status: 'ok', metrics };
  } catch (err) {
    const error =
      err instanceof WrongAnswer
        ? `wrong answer: ${err.message}`
        : `error: ${err instanceof Error ? err.message : String(err)}`;
    options.progress(`${tag}: FAILED, ${error}`);
    return { status: 'failed', error };
  } finally {
    for (const client of clients) client.close();
  }
}

/** Runs everything; never throws for a failing workload (it is recorded as failed). */
export async function runBench(options: RunOptions): Promise<WorkloadResults[]> {
  const results = options.workloads.map((workload) => ({
    workload,
    byTarget: new Map(options.targets.map((t) => [t.name, [] as RoundResult[]])),
  }));
  const fixtures = new Map(
    options.targets.map((target) => [
      target.name,
      createFixtures({
        data: options.data,
        scale: options.scale,
        runId: options.runId,
        client: (concurrency) => createRegistryClient(target.url, concurrency),
        progress: (message) => options.progress(`${target.name}: ${message}`),
        flush: options.flush,
      }),
    ]),
  );
  for (let round = 1; round <= options.rounds; round++) {
    const order = round % 2 === 1 ? options.targets : [...options.targets].reverse();
    for (const result of results) {
      for (const target of order) {
        const targetFixtures = fixtures.get(target.name);
        if (targetFixtures === undefined) continue;
        const outcome = await runOne(result.workload, target, round, targetFixtures, options);
        result.byTarget.get(target.name)?.push(outcome);
      }
    }
  }
  return results;
}
