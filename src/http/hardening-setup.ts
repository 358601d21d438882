/**
 * From configuration to the hardening pieces `startServer` wires: the TLS
 * pair (read and checked before anything opens, so a bad file stops
 * start-up naming it), the audit log destination, and the options of
 * {@link registerHardening}.
 */
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import { createAuditLogger, type AuditLogger } from './audit-log.js';
import type { HardeningOptions } from './hardening.js';
import { createTlsReloader, readTlsPair, tlsServerOf, type TlsPair, type TlsReloader } from './tls.js';

export interface HardeningSetup {
  /** Spread into `createHttpApp`'s options. */
  appOptions: { tls?: TlsPair; hardening: HardeningOptions };
  /** `https` with TLS, else `http`. */
  scheme: 'http' | 'https';
  /** Once the app listens: starts watching the TLS files (undefined without TLS). */
  start(app: FastifyInstance): TlsReloader | undefined;
  /** Stops watching and closes the audit file; idempotent. */
  stop(): void;
}

/**
 * @throws Error naming `http.tls.certFile`/`keyFile` when they cannot be read or do not match.
 *
 * @example
 * const hardening = await setupHardening(config, logger, Date.now);
 * const app = createHttpApp({ registry, logger, ...hardening.appOptions });
 */
export async function setupHardening(config: Config, logger: Logger, clock: () => number): Promise<HardeningSetup> {
  const files = config.http.tls;
  const pair = files === undefined ? undefined : await readTlsPair(files);
  const audit: AuditLogger | undefined = config.log.audit === undefined ? undefined : createAuditLogger(config.log.audit, logger);
  const hardening: HardeningOptions = {
    rateLimit: config.http.rateLimit,
    bodyIdleTimeoutSeconds: config.http.bodyIdleTimeoutSeconds,
    maxUploadsPerClient: config.registry.maxUploadsPerClient,
    clock,
    ...(audit === undefined ? {} : { audit: audit.logger }),
  };
  let reloader: TlsReloader | undefined;
  let stopped = false;
  return {
    appOptions: pair === undefined ? { hardening } : { tls: pair, hardening },
    scheme: pair === undefined ? 'http' : 'https',
    start(app) {
      if (pair === undefined || files === undefined) return undefined;
      reloader = createTlsReloader({ server: tlsServerOf(app), files, initial: pair, logger: logger.child({ component: 'tls' }) });
      reloader.start();
      return reloader;
    },
    stop() {
      if (stopped) return;
      stopped = true;
      reloader?.stop();
      audit?.close();
    },
  };
}
