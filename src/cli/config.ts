/**
 * `berth config check|schema|default`.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { ConfigError, loadConfig } from '../config/load.js';
import { ConfigSchema } from '../config/schema.js';

/** The commented default config shipped at the repository root. */
export const DEFAULT_CONFIG_PATH = fileURLToPath(new URL('../../berth.example.yaml', import.meta.url));

export function registerConfig(program: Command): void {
  const config = program.command('config').description('Check, explain or print configuration');

  config
    .command('check')
    .argument('<file>', 'YAML config file')
    .description('Validate a config file (with BERTH_* environment overrides) and name every bad field')
    .action((file: string) => {
      try {
        const c = loadConfig({ file, env: process.env });
        process.stdout.write(`${file}: valid (storage: ${c.storage.driver}, metadata: ${c.metadata.driver}, listen: ${c.listen})\n`);
      } catch (err) {
        if (!(err instanceof ConfigError)) throw err;
        process.stderr.write(`${err.message}\n`);
        process.exitCode = 2;
      }
    });

  config
    .command('schema')
    .description('Print the JSON Schema of the config file')
    .action(() => {
      process.stdout.write(`${JSON.stringify(ConfigSchema, null, 2)}\n`);
    });

  config
    .command('default')
    .description('Print the commented default config file')
    .action(() => {
      process.stdout.write(readFileSync(DEFAULT_CONFIG_PATH, "utf8"));
    });
}
