/**
 * The one place an error becomes a response: `{"errors":[{code,message,detail}]}`
 * with the status from the error table. Unknown errors become a 500 that
 * names the request id and is logged with its stack, never shown.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { RegistryError, type ErrorCode } from '../oci/errors.js';

/** Fastify's own client errors, mapped onto the table. */
const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'MANIFEST_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'SIZE_INVALID',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'BAD_PARAMETER',
  FST_ERR_CTP_INVALID_JSON_BODY: 'BAD_PARAMETER',
  FST_ERR_BAD_URL: 'UNKNOWN_ENDPOINT',
  FST_ERR_ASYNC_CONSTRAINT: 'BAD_PARAMETER',
  FST_ERR_VALIDATION: 'BAD_PARAMETER',
};

/**
 * Errors of a full disk or quota under blob storage (`ENOSPC`, `EDQUOT`; the
 * S3 driver marks a `QuotaExceeded` refusal `EDQUOT`), SQLite (`SQLITE_FULL`)
 * or PostgreSQL (SQLSTATE `53100`, `disk_full`).
 */
const STORAGE_FULL_CODES = new Set(['ENOSPC', 'EDQUOT', 'SQLITE_FULL', '53100']);

/** Turns anything thrown into a RegistryError, or undefined for a server fault. */
export function toRegistryError(err: unknown): RegistryError | undefined {
  if (err instanceof RegistryError) return err;
  const fe = err as Partial<FastifyError> & { code?: string };
  const mapped = fe.code === undefined ? undefined : FASTIFY_CODES[fe.code];
  if (mapped !== undefined) return new RegistryError(mapped, fe.message);
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    return new RegistryError(fe.statusCode === 413 ? 'MANIFEST_TOO_LARGE' : 'BAD_PARAMETER', fe.message);
  }
  if (fe.code === 'ECONNRESET' || fe.code === 'ERR_STREAM_PREMATURE_CLOSE' || fe.code === 'ABORT_ERR') {
    return new RegistryError('BLOB_UPLOAD_INVALID', 'the request body ended early');
  }
  if (fe.code !== undefined && STORAGE_FULL_CODES.has(fe.code)) {
    return new RegistryError(
      'STORAGE_FULL',
      'nothing of this request was stored; retry once the operator has freed space (deleting unused artifacts, then `berth gc`)',
    );
  }
  return undefined;
}

/**
 * Sends an error response; the Fastify error handler. An error that comes
 * before the request body was all read (a blob over the size limit, a full
 * disk) closes the connection after the response: the client may still be
 * sending a body nobody reads, and a kept-alive connection would wait on it
 * forever (curl stops sending and reconnects; undici's fetch keeps sending).
 */
export function sendError(err: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (!request.raw.complete) reply.header('Connection', 'close');
  const known = toRegistryError(err);
  if (known === undefined) {
    request.log.error({ err }, 'unhandled error');
    return reply
      .code(500)
      .type('application/json')
      .send({
        errors: [
          {
            code: 'UNKNOWN',
            message: 'internal server error',
            detail: { requestId: request.id },
          },
        ],
      });
  }
  if (known.status >= 500) {
    const cause = err === known ? undefined : (err as { code?: unknown; message?: unknown });
    request.log.warn({ code: known.code, cause: cause && { code: cause.code, message: cause.message } }, known.message);
  }
  for (const [name, value] of Object.entries(known.headers)) reply.header(name, value);
  return reply
    .code(known.status)
    .type('application/json')
    .send({ errors: [known.toJSON()] });
}
