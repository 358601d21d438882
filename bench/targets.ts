/** Getting the registries under test ready: a given URL, or servers the bench starts. */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { startBerth } from './berth-process.js';
import { createRegistryClient } from './client.js';
import type { BenchOptions } from './options.js';
import { startReference } from './reference.js';
import type { ServerProcess } from './server-process.js';
import type { Target } from './workloads/types.js';

export interface PreparedTargets {
  targets: Target[];
  /** Servers to stop at the end. */
  servers: ServerProcess[];
  /** Lines for the report (e.g. why berth is missing). */
  notes: string[];
}

const message = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/**
 * Starts or checks the targets of a run. `onServer` is called as soon as a
 * server process exists, so an interrupted start-up still kills it.
 *
 * @throws Error when the --url registry does not answer or the reference cannot start.
 */
export async function prepareTargets(
  options: BenchOptions,
  workDir: string,
  repoRoot: string,
  onServer: (server: ServerProcess) => void,
  progress: (message: string) => void,
): Promise<PreparedTargets> {
  const mode = options.mode;
  if (mode.kind === 'url') {
    const reg = createRegistryClient(mode.url, 1);
    try {
      await reg.ping();
    } catch (err) {
      throw new Error(`${mode.url} is not answering as a registry: ${message(err)}`);
    } finally {
      reg.close();
    }
    return { targets: [{ name: 'target', url: mode.url, pid: mode.pid }], servers: [], notes: [] };
  }

  const servers: ServerProcess[] = [];
  const targets: Target[] = [];
  const notes: string[] = [];
  const referenceDir = join(workDir, 'reference');
  mkdirSync(referenceDir);
  progress('starting docker-registry (reference)');
  const reference = await startReference(options.referenceBinary, referenceDir);
  onServer(reference);
  servers.push(reference);
  targets.push({ name: 'reference', url: reference.url, pid: reference.pid });
  progress(`reference ready on ${reference.url} (pid ${String(reference.pid)})`);
  if (mode.kind === 'reference') return { targets, servers, notes };

  const berthDir = join(workDir, 'berth');
  mkdirSync(berthDir);
  progress('starting berth');
  try {
    const berth = await startBerth({ repoRoot, workDir: berthDir, command: options.berthCommand });
    onServer(berth);
    servers.push(berth);
    targets.push({ name: 'berth', url: berth.url, pid: berth.pid });
    progress(`berth ready on ${berth.url} (pid ${String(berth.pid)})`);
  } catch (err) {
    const why = message(err);
    process.stderr.write(`\nbench: berth is not available, running the reference alone.\n${why}\n\n`);
    notes.push(`berth is not available, so this is a reference-only run: ${why.split('\n')[0] ?? why}`);
  }
  return { targets, servers, notes };
}
