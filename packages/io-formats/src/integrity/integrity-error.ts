import { StorageError, StorageErrorCode } from '@mainframe-kb/storage-core';

/**
 * An export that differs from what it recorded about itself: code INTEGRITY (CLI exit 5). The message names the
 * file or table that differs and says that nothing was written.
 */
export function integrityError(message: string, details: Record<string, unknown> = {}): StorageError {
  return new StorageError(StorageErrorCode.INTEGRITY, message, { details });
}
