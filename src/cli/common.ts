/**
 * Options shared by subcommands that read the configuration.
 */
import type { Command } from 'commander';
import { ConfigError, loadConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';

export interface CommonOptions {
  config?: string;
  dataDir?: string;
  listen?: string;
  logLevel?: string;
  logFormat?: string;
}

/** Adds `--config`, `--data-dir`, `--log-level`, `--log-format`. */
export function withConfigOptions(cmd: Command): Command {
  return cmd
    .option('-c, --config <file>', 'YAML config file (default: none; env BERTH_CONFIG)')
    .option('-d, --data-dir <dir>', 'data directory for embedded storage and metadata (default: ./berth-data)')
    .option('--log-level <level>', 'fatal, error, warn, info, debug, trace or silent')
    .option('--log-format <format>', 'json (default) or pretty');
}

/** Loads the config for a command, or prints the error and exits 2. */
export function configFor(options: CommonOptions): Config {
  try {
    const overrides: Record<string, unknown> = {
      listen: options.listen,
      dataDir: options.dataDir,
      'log.level': options.logLevel,
      'log.format': options.logFormat,
    };
    const load: Parameters<typeof loadConfig>[0] = { env: process.env, overrides };
    if (options.config !== undefined) load.file = options.config;
    return loadConfig(load);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`berth: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
}
