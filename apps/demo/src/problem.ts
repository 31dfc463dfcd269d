import { CodeAnalysisError, RecordDecodeError } from '@mainframe-kb/plugin-code';
import { StorageError, StorageErrorCode, ValidationError } from '@mainframe-kb/storage-core';
import type { Context } from 'hono';

/**
 * An RFC 9457 problem: every refusal and failure of the API is one, with `code` carrying storage-core's
 * error code (or the API's own: UNAUTHENTICATED, PAYLOAD_TOO_LARGE, ROUTE_NOT_FOUND) for programs to act on.
 */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  /** The fields a request got wrong, for a VALIDATION problem. */
  issues?: { path: string; message: string }[];
  /** What the error carried (the operation refused, the role it needs, the entry's current version…). */
  details?: unknown;
}

/** HTTP status of each storage-core error code; a code not listed is a 500. */
const STATUS: Record<string, number> = {
  [StorageErrorCode.VALIDATION]: 422,
  [StorageErrorCode.NOT_FOUND]: 404,
  [StorageErrorCode.CONFLICT]: 409,
  [StorageErrorCode.FORBIDDEN]: 403,
  [StorageErrorCode.READ_ONLY]: 409,
  [StorageErrorCode.EXTENSION_NOT_ENABLED]: 501,
  [StorageErrorCode.EXTENSION_NOT_INSTALLED]: 501,
  [StorageErrorCode.UNSUPPORTED]: 400,
  [StorageErrorCode.BUSY]: 503,
  [StorageErrorCode.CLOSED]: 503,
  [StorageErrorCode.MIGRATION_PENDING]: 503,
  [StorageErrorCode.MIGRATION_LOCKED]: 503,
  [StorageErrorCode.DISK_FULL]: 507,
  // The data given (an export file, a backup and its passphrase) fails its checksums or authentication.
  [StorageErrorCode.INTEGRITY]: 422,
  // The request conflicts with how the store or its repository is configured (e.g. another encryption key).
  [StorageErrorCode.CONFIG_INVALID]: 409,
  UNAUTHENTICATED: 401,
  PAYLOAD_TOO_LARGE: 413,
  ROUTE_NOT_FOUND: 404,
  UNSUPPORTED_MEDIA_TYPE: 415,
  MALFORMED_REQUEST: 400,
  INTERNAL: 500,
};

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  503: 'Service Unavailable',
  507: 'Insufficient Storage',
};

export function statusOf(code: string): number {
  return STATUS[code] ?? 500;
}

export function problem(code: string, detail: string, extra: Partial<Problem> = {}): Problem {
  const status = extra.status ?? statusOf(code);
  return {
    type: `urn:mainframe-kb:problem:${code.toLowerCase().replaceAll('_', '-')}`,
    title: TITLES[status] ?? 'Error',
    status,
    detail,
    code,
    ...extra,
  };
}

/** The problem an error thrown by a handler (or by the store under it) becomes. */
export function problemOf(error: unknown): Problem {
  if (error instanceof StorageError) {
    // `details` carries what the error knows (the operation refused, the record and line of a bad import…);
    // a ValidationError's issues are its own field.
    const { issues: _issues, ...details } = error.details as Record<string, unknown>;
    return problem(error.code, error.message, {
      ...(error instanceof ValidationError ? { issues: error.issues.map((i) => ({ ...i })) } : {}),
      ...(Object.keys(details).length > 0 ? { details } : {}),
    });
  }
  if (error instanceof CodeAnalysisError) {
    // plugin-code's analysis and decoding errors name what was wrong with the input (reason, record, byte).
    const where =
      error instanceof RecordDecodeError ? { record: error.recordIndex, byteOffset: error.byteOffset } : {};
    return problem(error.reason, error.message, { status: 422, details: { reason: error.reason, ...where } });
  }
  const coded = error as { code?: unknown; message?: unknown } | null;
  // Plugin errors (backup, io-formats, code analysis) carry their own string codes and a message for people.
  // A system error (ENOENT, EACCES…) names server paths: it stays in the log, the client gets a 500.
  const system = coded !== null && typeof coded === 'object' && 'syscall' in coded;
  if (!system && typeof coded?.code === 'string' && /^[A-Z][A-Z_]+$/.test(coded.code)) {
    const message = typeof coded.message === 'string' ? coded.message : coded.code;
    return problem(coded.code, message, {
      status: statusOf(coded.code) === 500 ? 400 : statusOf(coded.code),
    });
  }
  return problem('INTERNAL', 'the server failed to answer this request; its log has the cause');
}

/** Sends `p` as application/problem+json. */
export function sendProblem(c: Context, p: Problem): Response {
  const headers: Record<string, string> = { 'content-type': 'application/problem+json' };
  if (p.status === 401) headers['www-authenticate'] = 'Bearer realm="mainframe-kb"';
  if (p.status === 503) headers['retry-after'] = '1';
  return c.body(JSON.stringify(p), p.status as 400, headers);
}
