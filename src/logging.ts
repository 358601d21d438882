/**
 * The process logger: pino JSON lines (or pretty text for people), with
 * credentials redacted wherever they could appear.
 */
import pino, { type Logger } from 'pino';

/** Paths pino blanks out in every log line. */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["proxy-authorization"]',
  'headers.authorization',
  'headers.cookie',
  'headers["proxy-authorization"]',
  '*.headers.authorization',
  '*.headers.cookie',
  'authorization',
  '*.authorization',
  '*.password',
  '*.secret',
  '*.token',
  '*.access_token',
  '*.refresh_token',
  '*.accessToken',
  '*.refreshToken',
  '*.secretAccessKey',
  'password',
  'secret',
  'token',
  'access_token',
  'refresh_token',
];

export interface LoggerOptions {
  level: string;
  format: 'json' | 'pretty';
  /** Write somewhere other than stdout (tests). */
  destination?: NodeJS.WritableStream;
}

/**
 * @example
 * const logger = createLogger({ level: 'info', format: 'pretty' });
 */
export function createLogger(options: LoggerOptions): Logger {
  const base = {
    level: options.level,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    base: { service: 'berth' },
  };
  if (options.format === 'pretty') {
    return pino({
      ...base,
      transport: { target: 'pino-pretty', options: { colorize: process.stdout.isTTY, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname,service' } },
    });
  }
  return pino(base, (options.destination as pino.DestinationStream | undefined) ?? stdoutDestination());
}

/** Log bytes that may wait while stdout is slow; lines beyond are dropped. */
const STDOUT_BACKLOG_BYTES = 1024 * 1024;

/**
 * stdout for JSON lines, as pino's default but for write errors. pino's own
 * stream stops logging on EPIPE and rethrows every other error, so a full
 * disk under a log file (ENOSPC) would crash the registry with its next log
 * line. Here a failed write drops the lines waiting with it (the stream is
 * destroyed, which leaves fd 1 open and unhooks its flush at exit, so the
 * process can still exit), the next line starts a fresh stream, and logging
 * resumes once the disk has room again.
 */
function stdoutDestination(): pino.DestinationStream {
  let current: ReturnType<typeof pino.destination> | undefined;
  const stream = (): ReturnType<typeof pino.destination> => {
    if (current !== undefined) return current;
    const fresh = pino.destination({ dest: 1, sync: false, maxLength: STDOUT_BACKLOG_BYTES });
    fresh.on('error', () => {
      if (current === fresh) current = undefined;
      fresh.destroy();
    });
    current = fresh;
    return fresh;
  };
  return {
    write: (line: string) => stream().write(line),
    flush: (cb?: (err?: Error) => void) => (current === undefined ? cb?.() : current.flush(cb)),
  } as pino.DestinationStream;
}
