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
  return options.destination === undefined ? pino(base) : pino(base, options.destination as pino.DestinationStream);
}
