/**
 * Answers to requests Node's HTTP parser refuses before any route or hook
 * sees them (`clientError`): headers larger than `http.maxHeaderBytes`
 * (431), headers (or, when set, the whole request) not received in time (408), and
 * bytes that are not HTTP (400). Each gets the registry's JSON error body and
 * the connection is closed, as Node itself would close it.
 */
import type { Socket } from 'node:net';
import type { FastifyBaseLogger } from 'fastify';
import { RegistryError, type ErrorCode } from '../oci/errors.js';

const PARSER_CODES: Record<string, { code: ErrorCode; detail: string }> = {
  HPE_HEADER_OVERFLOW: { code: 'HEADERS_TOO_LARGE', detail: 'send smaller request headers (see http.maxHeaderBytes)' },
  ERR_HTTP_REQUEST_TIMEOUT: {
    code: 'CLIENT_TIMEOUT',
    detail: 'the headers must arrive within http.headersTimeoutSeconds, the whole request within http.requestTimeoutSeconds',
  },
};
const MALFORMED = { code: 'MALFORMED_REQUEST', detail: 'the bytes received are not an HTTP/1.1 request' } as const;

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  408: 'Request Timeout',
  431: 'Request Header Fields Too Large',
};

/** The raw HTTP/1.1 response for a parser error code (exported for tests). */
export function clientErrorResponse(parserCode: string | undefined): string {
  const { code, detail } = (parserCode === undefined ? undefined : PARSER_CODES[parserCode]) ?? MALFORMED;
  const error = new RegistryError(code, detail);
  const body = JSON.stringify({ errors: [error.toJSON()] });
  return (
    `HTTP/1.1 ${error.status} ${REASONS[error.status] ?? 'Error'}\r\n` +
    'Content-Type: application/json\r\n' +
    `Content-Length: ${Buffer.byteLength(body)}\r\n` +
    'Docker-Distribution-API-Version: registry/2.0\r\n' +
    'Connection: close\r\n\r\n' +
    body
  );
}

/**
 * Fastify's `clientErrorHandler`.
 *
 * @example
 * Fastify({ clientErrorHandler: createClientErrorHandler(logger) });
 */
export function createClientErrorHandler(logger: FastifyBaseLogger): (err: Error & { code?: string }, socket: Socket) => void {
  return (err, socket) => {
    // A reset connection has nobody left to answer.
    if (err.code === 'ECONNRESET' || socket.destroyed) return;
    logger.debug({ code: err.code, remote: socket.remoteAddress }, 'malformed request');
    // As Node does without a listener: answer unless a response already began on this connection, then close.
    const inProgress = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
    if (socket.writable && inProgress?.headersSent !== true) socket.write(clientErrorResponse(err.code));
    socket.destroy();
  };
}
