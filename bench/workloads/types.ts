/** The contract between the runner and each workload. */
import type { RegistryClient } from '../client.js';
import type { BlobSpec, DataPool } from '../data.js';
import type { Metric } from '../stats.js';

/** A registry under test. */
export interface Target {
  /** `reference`, `berth`, or `target` for --url. */
  readonly name: string;
  readonly url: string;
  /** The server's process id, when known (enables the RSS workload). */
  readonly pid: number | undefined;
}

/** BENCH_SCALE applied to counts, sizes and durations. */
export interface Scale {
  readonly factor: number;
  /** A scaled count, at least `min`. */
  count(n: number, min?: number): number;
  /** A scaled byte size, at least 1 MiB. */
  bytes(n: number): number;
  /** A scaled duration in ms, at least 250 ms. */
  ms(n: number): number;
}

/** A blob already in a registry. */
export interface StoredBlob {
  readonly repo: string;
  readonly spec: BlobSpec;
  readonly digest: string;
}

/** Data several workloads read; pushed once per target, lazily, untimed. */
export interface Fixtures {
  /** The "big blob" (256 MiB at scale 1) used by pull-large and range-get. */
  bigBlob(): Promise<StoredBlob>;
  /** 400 distinct 1 MiB blobs (at scale 1) in one repository, used by pull-small. */
  smallBlobs(): Promise<StoredBlob[]>;
}

export interface WorkloadContext {
  readonly target: Target;
  readonly round: number;
  readonly scale: Scale;
  readonly data: DataPool;
  readonly fixtures: Fixtures;
  /** Same for both targets in a round, so they see the same random choices. */
  readonly seed: number;
  /** A repository name unique to this run, workload and round. */
  repo(suffix?: string): string;
  /** A blob id unique to this run, workload and round, equal across targets. */
  blobId(suffix: string | number): string;
  /** A verifying client with `concurrency` keep-alive sockets, closed after the workload. */
  client(concurrency: number): RegistryClient;
  /** A progress line on stderr. */
  progress(message: string): void;
}

export interface Workload {
  /** The name used by --only, kebab-case. */
  readonly name: string;
  /** One line for --help and the report. */
  readonly summary: string;
  /** Runs only against a target whose process id is known. */
  readonly needsPid?: boolean;
  /** Sets up (untimed), measures, verifies. Throws WrongAnswer on a wrong response. */
  run(ctx: WorkloadContext): Promise<Metric[]>;
}
