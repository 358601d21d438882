/**
 * Starts the real berth server in process on an ephemeral loopback port,
 * with a temporary data directory removed on close.
 *
 * Storage and metadata follow `BERTH_TEST_BACKEND` (see `backend.ts`):
 * filesystem + SQLite under the data directory by default, or PostgreSQL +
 * S3 with a database and bucket per data directory.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino, { type Logger } from 'pino';
import { loadConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import { startServer, type RunningServer, type ServerOverrides } from '../../src/server.js';
import { postgresS3Backend, releasePostgresS3Backend, testBackend } from './backend.js';

export interface TestServer extends RunningServer {
  dataDir: string;
  config: Config;
}

export interface TestServerOptions extends ServerOverrides {
  /** Dotted-path config overrides, e.g. `{ 'registry.deleteEnabled': false }`. */
  config?: Record<string, unknown>;
  /**
   * Reuse a data directory (restart tests); not removed on close. Under
   * `postgres-s3` the same directory also means the same database and bucket.
   */
  dataDir?: string;
  /** The server's logger (tests that read the log); default: silent. */
  logger?: Logger;
}

/**
 * @example
 * const server = await startTestServer();
 * after(() => server.close());
 */
export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const own = options.dataDir === undefined;
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'berth-test-'));
  // Tests run the SQLite store's development check (metadata.checkNestedCalls).
  let backend: Record<string, unknown> = { 'storage.fsync': false, 'metadata.checkNestedCalls': true };
  if (testBackend() === 'postgres-s3') {
    const { storage, metadata } = await postgresS3Backend(dataDir);
    backend = { storage, metadata };
  }
  const config = loadConfig({
    overrides: { listen: '127.0.0.1:0', dataDir, 'log.level': 'silent', ...backend, ...options.config },
  });
  const server = await startServer(config, options.logger ?? pino({ level: 'silent' }), options);
  return {
    ...server,
    dataDir,
    config,
    async close() {
      await server.close();
      if (own) {
        rmSync(dataDir, { recursive: true, force: true });
        await releasePostgresS3Backend(dataDir);
      }
    },
  };
}
