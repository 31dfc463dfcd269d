import { StorageErrorCode } from './error-codes.js';
import { StorageError } from './storage-error.js';

/**
 * Maps a driver error to a StorageError with a stable code. Driver messages are kept as the cause, never
 * shown as the only explanation: a user should not have to read SQLite's wording to know what to do.
 */
export function translateDatabaseError(error: unknown, operation: string): StorageError {
  if (error instanceof StorageError) return error;
  const code =
    typeof (error as { code?: unknown })?.code === 'string' ? (error as { code: string }).code : '';
  const message = error instanceof Error ? error.message : String(error);
  const server = serverError(error, code, message, operation);
  if (server) return server;
  if (code === 'SQLITE_FULL' || /database or disk is full/i.test(message) || code === 'ENOSPC') {
    return new StorageError(
      StorageErrorCode.DISK_FULL,
      `${operation}: the disk (or the database's page budget) is full; nothing was written. Free space and retry.`,
      { cause: error },
    );
  }
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    return new StorageError(
      StorageErrorCode.BUSY,
      `${operation}: the database stayed locked by another writer past the busy timeout; retry, or raise database.busyTimeoutMs`,
      { cause: error },
    );
  }
  if (code.startsWith('SQLITE_CONSTRAINT')) {
    return new StorageError(
      StorageErrorCode.CONFLICT,
      `${operation}: a constraint refused the write (${message})`,
      {
        cause: error,
      },
    );
  }
  if (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB') {
    return new StorageError(
      StorageErrorCode.INTEGRITY,
      `${operation}: the database file is damaged (${message}); restore it from a backup`,
      { cause: error },
    );
  }
  // SQLite's own check, in rollback-journal mode only (WAL mode writes on into the unlinked file).
  if (code === 'SQLITE_READONLY_DBMOVED') {
    return new StorageError(
      StorageErrorCode.DATABASE_REPLACED,
      `${operation}: the database file was deleted, moved or replaced since the store opened it; nothing was written. Close the store and reopen it`,
      { cause: error },
    );
  }
  if (code.startsWith('SQLITE_READONLY')) {
    return new StorageError(
      StorageErrorCode.READ_ONLY,
      `${operation}: the database refused the write as read-only (${message}); nothing was written. Check the permissions of the file and its folder, and the mount`,
      { cause: error },
    );
  }
  if (code === 'SQLITE_CANTOPEN') {
    return new StorageError(StorageErrorCode.DATABASE, `${operation}: ${message}`, { cause: error });
  }
  return new StorageError(StorageErrorCode.DATABASE, `${operation} failed: ${message}`, { cause: error });
}

/** PostgreSQL SQLSTATEs and MySQL/MariaDB error codes (mysql2 sets `code` to the symbol, `errno` to the number). */
function serverError(
  error: unknown,
  code: string,
  message: string,
  operation: string,
): StorageError | undefined {
  const errno = Number((error as { errno?: unknown })?.errno ?? Number.NaN);
  const make = (c: StorageErrorCode, text: string) => new StorageError(c, text, { cause: error });
  // PostgreSQL: 5-character SQLSTATE codes.
  if (/^[0-9A-Z]{5}$/.test(code)) {
    if (code === '53100')
      return make(
        StorageErrorCode.DISK_FULL,
        `${operation}: the database server's disk is full; nothing was written`,
      );
    if (code === '40001' || code === '40P01' || code === '55P03')
      return make(
        StorageErrorCode.BUSY,
        `${operation}: the write conflicted with a concurrent one and was rolled back; retry (${message})`,
      );
    if (code.startsWith('23'))
      return make(StorageErrorCode.CONFLICT, `${operation}: a constraint refused the write (${message})`);
    if (code.startsWith('08') || code === '57P01' || code === '57P03' || code === '28P01' || code === '3D000')
      return make(StorageErrorCode.DATABASE, `${operation}: cannot reach the database (${message})`);
    return undefined;
  }
  if (
    code === 'ECONNREFUSED' ||
    code === 'ENOTFOUND' ||
    code === 'ETIMEDOUT' ||
    code === 'PROTOCOL_CONNECTION_LOST'
  )
    return make(StorageErrorCode.DATABASE, `${operation}: cannot reach the database server (${message})`);
  if (code.startsWith('ER_') || (Number.isFinite(errno) && errno >= 1000 && errno < 5000)) {
    if (errno === 1213 || errno === 1205 || code === 'ER_LOCK_DEADLOCK' || code === 'ER_LOCK_WAIT_TIMEOUT')
      return make(
        StorageErrorCode.BUSY,
        `${operation}: the write conflicted with a concurrent one and was rolled back; retry (${message})`,
      );
    if (errno === 1114 || errno === 1021 || code === 'ER_RECORD_FILE_FULL' || code === 'ER_DISK_FULL')
      return make(
        StorageErrorCode.DISK_FULL,
        `${operation}: the database server's disk or table space is full; nothing was written`,
      );
    if ([1062, 1451, 1452, 3819, 4025, 1048, 1406].includes(errno))
      return make(StorageErrorCode.CONFLICT, `${operation}: a constraint refused the write (${message})`);
  }
  return undefined;
}
