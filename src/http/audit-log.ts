/**
 * The audit log (issue 7): one JSON line per push (manifest PUT, blob upload
 * completed, blob mounted), delete, and refusal, saying who (`user`, or
 * `anonymous`, and the client address) did what (`action`, `repo`,
 * `reference`, `digest`) with what outcome (`status`), when (`time`) and in
 * which request (`requestId`).
 *
 * A refusal is a 403, or a 401 for a request that sent credentials (a wrong
 * password or a bad token), or a refused `POST /token` (the OAuth2 form,
 * whose wrong password is a 400). The 401 every client first receives, without
 * credentials, to learn where to log in is not recorded: it is the normal
 * start of each login and would drown the rest. Header values and query
 * strings are never recorded.
 *
 * Lines go to their own file (pino, synchronous appends, so a line is with
 * the operating system before the next request is audited) or, without a
 * file, into the main log marked `"audit": true`.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import pino, { type Logger } from 'pino';
import { BLOB_PATH, MANIFEST_PATH, rawPath } from './raw-path.js';
import { userOf } from './client-key.js';

export type AuditAction = 'push' | 'delete' | 'mount' | 'denied';

export interface AuditRecord {
  audit: true;
  action: AuditAction;
  /** The authenticated user, or `anonymous`. */
  user: string;
  /** Client address (`request.ip`: honours `http.trustProxy`). */
  ip: string;
  method: string;
  /** Path without the query string (refusals, where no repository may be known). */
  path?: string;
  repo?: string;
  /** Tag or digest named in the path (manifests). */
  reference?: string;
  /** Content digest pushed, mounted or deleted. */
  digest?: string;
  status: number;
  requestId: string;
}

/** The raw path, capped for the log line. */
function pathOf(request: FastifyRequest): string {
  return rawPath(request).slice(0, 300);
}

function header(reply: FastifyReply, name: string): string | undefined {
  const value = reply.getHeader(name);
  return typeof value === 'string' ? value : undefined;
}

function actionOf(request: FastifyRequest, reply: FastifyReply): AuditAction | undefined {
  const status = reply.statusCode;
  if (status === 403 || (status === 401 && request.headers.authorization !== undefined)) return 'denied';
  // The OAuth2 form of /token answers wrong credentials with 400 invalid_grant (RFC 6749 §5.2),
  // indistinguishable here from other refused token requests: all are recorded.
  if (request.method === 'POST' && (status === 400 || status === 401) && pathOf(request) === '/token') return 'denied';
  const route = request.routeId;
  const method = request.method;
  if (method === 'PUT' && status === 201 && (route === 'manifest' || route === 'upload-session')) return 'push';
  if (method === 'POST' && status === 201 && route === 'upload') return /[?&]mount=/.test(request.url) ? 'mount' : 'push';
  if (method === 'DELETE' && status === 202 && (route === 'manifest' || route === 'blob')) return 'delete';
  return undefined;
}

/**
 * The audit record of a finished request, or undefined when it is not audited.
 *
 * @example
 * auditRecordOf(request, reply); // { audit: true, action: 'push', user: 'alice', repo: 'app', reference: 'v1', … }
 */
export function auditRecordOf(request: FastifyRequest, reply: FastifyReply): AuditRecord | undefined {
  const action = actionOf(request, reply);
  if (action === undefined) return undefined;
  const path = pathOf(request);
  const manifest = MANIFEST_PATH.exec(path)?.groups;
  const digest = header(reply, 'Docker-Content-Digest') ?? BLOB_PATH.exec(path)?.groups?.digest;
  // Built in reading order: who, what, outcome.
  const record: AuditRecord = {
    audit: true,
    action,
    user: userOf(request) ?? 'anonymous',
    ip: request.ip,
    method: request.method,
    ...(request.repo === undefined ? {} : { repo: request.repo }),
    ...(manifest?.reference === undefined ? {} : { reference: manifest.reference }),
    ...(digest === undefined || (action === 'denied' && manifest !== undefined) ? {} : { digest }),
    ...(action === 'denied' ? { path } : {}),
    status: reply.statusCode,
    requestId: request.id,
  };
  return record;
}

/**
 * Records audited requests of `app` on `logger`.
 *
 * @example
 * registerAuditLog(app, createAuditLogger({ file: '/var/log/berth/audit.log' }, logger).logger);
 */
export function registerAuditLog(app: FastifyInstance, logger: Logger): void {
  app.addHook('onResponse', (request, reply, done) => {
    const record = auditRecordOf(request, reply);
    if (record !== undefined) logger.info(record, `audit ${record.action}`);
    done();
  });
}

export interface AuditLogger {
  logger: Logger;
  /** Flushes and closes the file (no-op for the main log). */
  close(): void;
}

/**
 * The audit log's destination: its own file, or the main logger (at `info`
 * even when the main log is quieter, since an audit trail is not chatter).
 */
export function createAuditLogger(config: { file?: string }, main: Logger): AuditLogger {
  if (config.file === undefined) return { logger: main.child({}, { level: 'info' }), close: () => undefined };
  const file = config.file;
  const destination = pino.destination({ dest: file, mkdir: true, sync: true, maxLength: AUDIT_BACKLOG_BYTES });
  // A failed append (a full disk) must not crash the registry, as pino's
  // stream would: the line waits and is retried with the next one.
  let failing = false;
  destination.on('error', (err: Error) => {
    failing = true;
    main.error({ err, file }, `audit log ${file} cannot be written: lines wait in memory (up to 1 MiB, then dropped)`);
  });
  destination.on('write', () => {
    failing = false;
  });
  const logger = pino({ level: 'info', base: { service: 'berth' }, timestamp: pino.stdTimeFunctions.isoTime }, destination);
  return {
    logger,
    close() {
      if (!failing) {
        destination.flushSync();
        destination.end();
        return;
      }
      // flushSync would retry a failing write forever.
      main.error({ file }, `audit log ${file}: lines still waiting were lost at shutdown`);
      destination.destroy();
    },
  };
}

/** Audit bytes that may wait while the file cannot be written; lines beyond are dropped. */
const AUDIT_BACKLOG_BYTES = 1024 * 1024;
