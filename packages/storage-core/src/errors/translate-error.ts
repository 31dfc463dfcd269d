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
  if (code === 'SQLITE_READONLY' || code.startsWith('SQLITE_READONLY') || code === 'SQLITE_CANTOPEN') {
    return new StorageError(StorageErrorCode.DATABASE, `${operation}: ${message}`, { cause: error });
  }
  return new StorageError(StorageErrorCode.DATABASE, `${operation} failed: ${message}`, { cause: error });
}
