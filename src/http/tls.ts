/**
 * HTTPS (issue 7, "Hardening"): the certificate and key come from PEM files
 * (`http.tls.certFile`, `http.tls.keyFile`) and are re-read when they change,
 * so a renewed certificate (certbot, cert-manager, a secret mount) is served
 * to new connections without a restart. A new pair that does not load (bad
 * PEM, key not matching the certificate, a file half-written) is logged and
 * the pair being served is kept.
 *
 * Changes are noticed by watching the directories holding the files (a
 * rename or symlink swap replaces the file itself, which a watch on the
 * file would miss); `reload()` (SIGHUP in `berth serve`) does the same on
 * demand.
 */
import { watch, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createSecureContext, type Server as TlsServer } from 'node:tls';
import { X509Certificate } from 'node:crypto';
import { createServer as createHttpsServer } from 'node:https';
import type { ServerOptions } from 'node:http';
import { dirname, resolve } from 'node:path';
import type { FastifyInstance, FastifyServerFactory } from 'fastify';
import type { Logger } from 'pino';

export interface TlsFiles {
  certFile: string;
  keyFile: string;
}

export interface TlsPair {
  cert: Buffer;
  key: Buffer;
}

/**
 * Reads a certificate and key and checks that they load together.
 *
 * @throws Error naming the file or the mismatch.
 */
export async function readTlsPair(files: TlsFiles): Promise<TlsPair> {
  const read = async (label: string, path: string): Promise<Buffer> => {
    try {
      return await readFile(path);
    } catch (err) {
      throw new Error(`http.tls.${label}: cannot read ${path}: ${(err as Error).message}`, { cause: err });
    }
  };
  const pair = { cert: await read('certFile', files.certFile), key: await read('keyFile', files.keyFile) };
  try {
    createSecureContext(pair);
    new X509Certificate(pair.cert);
  } catch (err) {
    throw new Error(
      `http.tls: ${files.certFile} and ${files.keyFile} do not load as a certificate and its key: ${(err as Error).message}`,
      { cause: err },
    );
  }
  return pair;
}

/** SHA-256 fingerprint of a PEM certificate (its first, leaf, certificate), as `AA:BB:…`. */
export function fingerprintOf(cert: Buffer): string {
  return new X509Certificate(cert).fingerprint256;
}

/**
 * A Fastify `serverFactory` for HTTPS with `options` (e.g. `maxHeaderSize`).
 * The server is an `https.Server`, with the same request API as the
 * `http.Server` the app is typed with.
 */
export function httpsServerFactory(pair: TlsPair, options: ServerOptions): FastifyServerFactory {
  return (handler) => createHttpsServer({ ...options, cert: pair.cert, key: pair.key }, handler);
}

/**
 * The TLS server behind an app created with {@link httpsServerFactory}.
 *
 * @throws Error when the app does not serve TLS.
 */
export function tlsServerOf(app: FastifyInstance): TlsServer {
  const server = app.server as unknown as Partial<TlsServer>;
  if (typeof server.setSecureContext !== 'function') throw new Error('the HTTP app does not serve TLS');
  return server as TlsServer;
}

export type ReloadOutcome = 'reloaded' | 'unchanged' | 'failed';

export interface TlsReloader {
  /** Re-reads both files and serves them if they changed and load. Never rejects. */
  reload(): Promise<ReloadOutcome>;
  /** Fingerprint of the certificate being served. */
  readonly fingerprint: string;
  /** Starts watching the files' directories. */
  start(): void;
  stop(): void;
}

export interface TlsReloaderOptions {
  server: Pick<TlsServer, 'setSecureContext'>;
  files: TlsFiles;
  /** The pair the server was started with. */
  initial: TlsPair;
  logger: Logger;
  /** Quiet time after a change before reading, so both files of a renewal are in place. */
  debounceMs?: number;
}

/**
 * @example
 * const tls = createTlsReloader({ server: tlsServerOf(app), files, initial: pair, logger });
 * tls.start();
 * process.on('SIGHUP', () => void tls.reload());
 */
export function createTlsReloader(options: TlsReloaderOptions): TlsReloader {
  const { files, logger } = options;
  let current = options.initial;
  let fingerprint = fingerprintOf(current.cert);
  let queue: Promise<ReloadOutcome> = Promise.resolve('unchanged');
  let watchers: FSWatcher[] = [];
  let timer: NodeJS.Timeout | undefined;

  async function load(): Promise<ReloadOutcome> {
    let pair: TlsPair;
    try {
      pair = { cert: await readFile(files.certFile), key: await readFile(files.keyFile) };
    } catch (err) {
      logger.warn({ err, ...files }, 'TLS files unreadable: keeping the current certificate');
      return 'failed';
    }
    if (pair.cert.equals(current.cert) && pair.key.equals(current.key)) return 'unchanged';
    let next: string;
    let validTo: string;
    try {
      createSecureContext(pair);
      const x509 = new X509Certificate(pair.cert);
      next = x509.fingerprint256;
      validTo = x509.validTo;
      options.server.setSecureContext(pair);
    } catch (err) {
      logger.warn(
        { ...files, error: (err as Error).message },
        'the new TLS certificate and key do not load together: keeping the current certificate',
      );
      return 'failed';
    }
    current = pair;
    logger.info({ fingerprint: next, previous: fingerprint, validTo }, 'TLS certificate reloaded');
    fingerprint = next;
    return 'reloaded';
  }

  const reloader: TlsReloader = {
    reload() {
      queue = queue.then(load, load);
      return queue;
    },
    get fingerprint() {
      return fingerprint;
    },
    start() {
      const dirs = new Set([dirname(resolve(files.certFile)), dirname(resolve(files.keyFile))]);
      const onChange = (): void => {
        clearTimeout(timer);
        timer = setTimeout(() => void reloader.reload(), options.debounceMs ?? 200);
        timer.unref();
      };
      for (const dir of dirs) {
        try {
          const watcher = watch(dir, { persistent: false }, onChange);
          watcher.on('error', (err) => logger.warn({ err, dir }, 'watching TLS files failed: reload with SIGHUP'));
          watchers.push(watcher);
        } catch (err) {
          logger.warn({ err, dir }, 'cannot watch TLS files: reload with SIGHUP');
        }
      }
    },
    stop() {
      clearTimeout(timer);
      for (const w of watchers) w.close();
      watchers = [];
    },
  };
  return reloader;
}
