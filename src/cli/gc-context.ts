/**
 * What `berth gc`, `berth retention` and `berth scrub` share: the config,
 * the stores it names (opened directly: these commands maintain the data,
 * they are not registry clients), a logger on stderr, and the outbox
 * recorder so deletes reach the webhooks like any other delete.
 */
import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import { createLogger } from '../logging.js';
import { loadArtifactTypes, openMetadata, openStorage, randomId } from '../server.js';
import { createWebhooks } from '../events/webhooks.js';
import { createNoEventRecorder } from '../registry/event-recorder.js';
import type { GcDeps } from '../registry/gc/collector.js';
import type { TypeRegistry } from '../artifact-types/index.js';
import { configFor, type CommonOptions } from './common.js';

export interface MaintenanceContext {
  config: Config;
  deps: GcDeps;
  types: TypeRegistry;
  /** A holder id for leases this process takes. */
  holder: string;
  close(): Promise<void>;
}

/** Logs go to stderr, at `warn` unless `--log-level` says otherwise, so stdout holds only the result. */
export function maintenanceLogger(options: CommonOptions, config: Config): Logger {
  return createLogger({ level: options.logLevel ?? 'warn', format: config.log.format, destination: process.stderr });
}

/**
 * Loads the config and opens its stores.
 *
 * @throws what opening the stores throws (the caller prints it).
 */
export async function openMaintenance(options: CommonOptions): Promise<MaintenanceContext> {
  const config = configFor(options);
  const logger = maintenanceLogger(options, config);
  const { types } = await loadArtifactTypes(config);
  const storage = await openStorage(config);
  const metadata = await openMetadata(config);
  const webhooks = createWebhooks({ config: config.webhooks, metadata, logger, clock: Date.now });
  const events = webhooks.recorder ?? createNoEventRecorder();
  return {
    config,
    types,
    holder: `cli-${randomId()}`,
    deps: { storage, metadata, clock: Date.now, logger, events },
    async close() {
      await webhooks.recorder?.flush();
      await metadata.close();
      await storage.close?.();
    },
  };
}

/** `1536` → `1.5 KiB`. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(1)} ${units[unit]}`;
}

/** Prints an error as one line and sets exit code 1. */
export function failWith(err: unknown): void {
  process.stderr.write(`berth: ${(err as Error).message}\n`);
  process.exitCode = 1;
}

/**
 * Opens the configured stores, runs one maintenance command, reports any
 * failure in one line (exit code 1) and always closes the stores.
 *
 * @example
 * .action((options) => withMaintenance(options, async (ctx) => { … }));
 */
export async function withMaintenance(
  options: CommonOptions,
  run: (ctx: MaintenanceContext) => Promise<void>,
): Promise<void> {
  let ctx: MaintenanceContext;
  try {
    ctx = await openMaintenance(options);
  } catch (err) {
    failWith(err);
    return;
  }
  try {
    await run(ctx);
  } catch (err) {
    failWith(err);
  } finally {
    await ctx.close();
  }
}
