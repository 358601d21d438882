/**
 * The process logger: pino JSON lines (or pretty text for people), with
 * credentials redacted wherever they could appear.
 */
import pino, { type Logger } from 'pino';

/** Paths pino blanks out in every log line. */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  'headers.cookie',
  '*.password',
  '*.secret',
  '*.token',
  '*.secretAccessKey',
  'password',
  'secret',
  'token',
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
  return options.destination === undefined ? pino(base) : pino(base, options.destination as pino.DestinationStream);
}
