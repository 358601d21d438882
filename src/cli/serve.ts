/**
 * `berth serve`: run the registry until SIGINT/SIGTERM, then shut down
 * gracefully (finish in-flight requests, stop workers, close stores).
 */
import type { Command } from 'commander';
import { createLogger } from '../logging.js';
import { describeData, startServer } from '../server.js';
import { configFor, withConfigOptions, type CommonOptions } from './common.js';

export function registerServe(program: Command): void {
  withConfigOptions(
    program
      .command('serve')
      .description('Serve the registry (default: 127.0.0.1:5000, data in ./berth-data)')
      .option('-l, --listen <host:port>', 'address to listen on (default: 127.0.0.1:5000)'),
  )
    .addHelpText(
      'after',
      `
Every option can also be set in the config file or as an environment variable:
  BERTH_LISTEN=0.0.0.0:5000  BERTH_DATA_DIR=/var/lib/berth  BERTH_REGISTRY__DELETE_ENABLED=false
(nested keys joined with "__", camelCase written as SNAKE_CASE). Precedence: flags > env > file > defaults.

Examples:
  berth serve
  berth serve --listen 127.0.0.1:5001 --data-dir /tmp/berth
  berth serve --config berth.yaml --log-format pretty`,
    )
    .action(async (options: CommonOptions) => {
      const config = configFor(options);
      const logger = createLogger({ level: config.log.level, format: config.log.format });
      let server;
      try {
        server = await startServer(config, logger);
      } catch (err) {
        const e = err as NodeJS.ErrnoException;
        const hint =
          e.code === 'EADDRINUSE'
            ? `${config.listen} is already in use: stop the other process or choose --listen <host:port>`
            : e.code === 'EACCES'
              ? `no permission to use ${config.listen} or the data directory`
              : e.message;
        logger.fatal({ err }, `cannot start: ${hint}`);
        process.exitCode = 1;
        return;
      }
      const data = describeData(config);
      logger.info(
        { url: server.url, storage: data.storage, metadata: data.metadata, instanceId: server.instanceId },
        `berth listening on ${server.url}, storage ${data.storage}, metadata ${data.metadata}`,
      );
      const stop = (signal: string): void => {
        logger.info({ signal }, 'shutting down: finishing in-flight requests');
        server.close().then(
          () => logger.info('stopped'),
          (err: unknown) => {
            logger.error({ err }, 'shutdown failed');
            process.exitCode = 1;
          },
        );
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      // Certificates are also reloaded when their files change; SIGHUP forces a check.
      const tls = server.tls;
      if (tls !== undefined) process.on('SIGHUP', () => void tls.reload());
    });
}
