/**
 * The one error table. Every error a client can see is declared here once,
 * with the code sent on the wire, its HTTP status and its message.
 *
 * distribution-spec: "Error Codes" lists code-1 … code-14; the Docker-era
 * extras (`TAG_INVALID`, `PAGINATION_NUMBER_INVALID`, …) and berth's own
 * conditions map onto a spec code (a 4xx `code` MUST be one of the spec's),
 * with their own status. Services throw {@link RegistryError}; only the
 * HTTP error handler turns one into a response.
 */
export const ERROR_TABLE = {
  BLOB_UNKNOWN: { code: 'BLOB_UNKNOWN', status: 404, message: 'blob unknown to registry' },
  BLOB_UPLOAD_INVALID: { code: 'BLOB_UPLOAD_INVALID', status: 400, message: 'blob upload invalid' },
  BLOB_UPLOAD_UNKNOWN: { code: 'BLOB_UPLOAD_UNKNOWN', status: 404, message: 'blob upload unknown to registry' },
  DIGEST_INVALID: { code: 'DIGEST_INVALID', status: 400, message: 'provided digest did not match uploaded content' },
  MANIFEST_BLOB_UNKNOWN: {
    code: 'MANIFEST_BLOB_UNKNOWN',
    status: 400,
    message: 'manifest references a manifest or blob unknown to registry',
  },
  MANIFEST_INVALID: { code: 'MANIFEST_INVALID', status: 400, message: 'manifest invalid' },
  MANIFEST_UNKNOWN: { code: 'MANIFEST_UNKNOWN', status: 404, message: 'manifest unknown to registry' },
  NAME_INVALID: { code: 'NAME_INVALID', status: 400, message: 'invalid repository name' },
  NAME_UNKNOWN: { code: 'NAME_UNKNOWN', status: 404, message: 'repository name not known to registry' },
  SIZE_INVALID: { code: 'SIZE_INVALID', status: 400, message: 'provided length did not match content length' },
  UNAUTHORIZED: { code: 'UNAUTHORIZED', status: 401, message: 'authentication required' },
  DENIED: { code: 'DENIED', status: 403, message: 'requested access to the resource is denied' },
  UNSUPPORTED: { code: 'UNSUPPORTED', status: 405, message: 'the operation is unsupported' },
  TOOMANYREQUESTS: { code: 'TOOMANYREQUESTS', status: 429, message: 'too many requests' },
  // Docker Registry v2 legacy codes the spec says clients may meet.
  TAG_INVALID: { code: 'TAG_INVALID', status: 400, message: 'invalid tag' },
  PAGINATION_NUMBER_INVALID: {
    code: 'PAGINATION_NUMBER_INVALID',
    status: 400,
    message: 'invalid number of results requested',
  },
  // berth's own conditions, each sent with the spec code that fits it best.
  RANGE_INVALID: { code: 'BLOB_UPLOAD_INVALID', status: 416, message: 'requested range not satisfiable' },
  MANIFEST_TOO_LARGE: { code: 'MANIFEST_INVALID', status: 413, message: 'manifest exceeds the size limit' },
  BLOB_TOO_LARGE: { code: 'SIZE_INVALID', status: 413, message: 'blob exceeds the size limit' },
  TOO_MANY_TAGS: { code: 'MANIFEST_INVALID', status: 414, message: 'too many tags in one request' },
  QUOTA_EXCEEDED: { code: 'DENIED', status: 403, message: 'repository storage quota exceeded' },
  TAG_IMMUTABLE: { code: 'DENIED', status: 403, message: 'tag is immutable' },
  UNKNOWN_ENDPOINT: { code: 'UNSUPPORTED', status: 404, message: 'no such endpoint' },
  METHOD_NOT_ALLOWED: { code: 'UNSUPPORTED', status: 405, message: 'method not allowed on this endpoint' },
  UNSUPPORTED_MEDIA_TYPE: { code: 'UNSUPPORTED', status: 415, message: 'unsupported content type' },
  BAD_PARAMETER: { code: 'UNSUPPORTED', status: 400, message: 'invalid request parameter' },
  HEADERS_TOO_LARGE: { code: 'UNSUPPORTED', status: 431, message: 'request header fields too large' },
  CLIENT_TIMEOUT: { code: 'UNSUPPORTED', status: 408, message: 'request not received in time' },
  MALFORMED_REQUEST: { code: 'UNSUPPORTED', status: 400, message: 'malformed HTTP request' },
  // Server conditions (5xx), sent with UNKNOWN like any server fault, but with a status and message that say what to do.
  STORAGE_FULL: { code: 'UNKNOWN', status: 507, message: 'the registry is out of storage space' },
} as const satisfies Record<string, { code: string; status: number; message: string }>;

/** A reason a service can name: the keys of {@link ERROR_TABLE}. */
export type ErrorCode = keyof typeof ERROR_TABLE;

/** What goes on the wire as `code`: one of the spec's table (plus the legacy ones, and UNKNOWN for server conditions). */
export type WireCode = (typeof ERROR_TABLE)[ErrorCode]['code'];

/** Options carried beside the code: extra headers (e.g. `Range`, `Retry-After`). */
export interface RegistryErrorOptions {
  headers?: Record<string, string>;
  cause?: unknown;
}

/**
 * The error every service throws for a client-visible failure.
 *
 * @example
 * throw new RegistryError('BLOB_UNKNOWN', { digest });
 */
export class RegistryError extends Error {
  readonly code: ErrorCode;
  readonly detail: unknown;
  readonly headers: Record<string, string>;

  constructor(code: ErrorCode, detail?: unknown, options: RegistryErrorOptions = {}) {
    super(
      typeof detail === 'string' ? `${ERROR_TABLE[code].message}: ${detail}` : ERROR_TABLE[code].message,
      options.cause === undefined ? undefined : { cause: options.cause },
    );
    this.name = 'RegistryError';
    this.code = code;
    this.detail = detail;
    this.headers = options.headers ?? {};
  }

  /** The HTTP status the error table assigns to this code. */
  get status(): number {
    return ERROR_TABLE[this.code].status;
  }

  /** The body element of `{"errors":[...]}`. */
  toJSON(): { code: WireCode; message: string; detail?: unknown } {
    const entry = ERROR_TABLE[this.code];
    const body: { code: WireCode; message: string; detail?: unknown } = {
      code: entry.code,
      message: entry.message,
    };
    if (this.detail !== undefined) body.detail = this.detail;
    return body;
  }
}

/** True when `err` is a {@link RegistryError} with one of the given codes. */
export function isRegistryError(err: unknown, ...codes: ErrorCode[]): err is RegistryError {
  return err instanceof RegistryError && (codes.length === 0 || codes.includes(err.code));
}
