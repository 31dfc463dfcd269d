import { isStorageError, StorageErrorCode } from '@mainframe-kb/storage-core';
import { BackupError, BackupFailure } from '../errors/backup-error.js';

/** What the OS (no space, quota exceeded) and SQLite (a target database that cannot grow) say when full. */
const NO_SPACE_CODES = new Set(['ENOSPC', 'EDQUOT', 'SQLITE_FULL']);

/** The code in `error`, or in an error it was caused by, that says the disk (or a quota) is full. */
function noSpaceCode(error: unknown): string | undefined {
  for (let e = error, depth = 0; e instanceof Error && depth < 8; e = e.cause, depth += 1) {
    if (isStorageError(e, StorageErrorCode.DISK_FULL)) return StorageErrorCode.DISK_FULL;
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && NO_SPACE_CODES.has(code)) return code;
  }
  return undefined;
}

/**
 * `error` as DISK_FULL when it says the disk is full (`what`: the write that failed, for the message), else
 * unchanged. A StorageError that is DISK_FULL already stays as core wrote it.
 */
export function asDiskFull(error: unknown, what: string): unknown {
  const code = noSpaceCode(error);
  if (code === undefined || isStorageError(error, StorageErrorCode.DISK_FULL)) return error;
  return new BackupError(
    StorageErrorCode.DISK_FULL,
    BackupFailure.DISK_FULL,
    `${what}: the disk is full (or a quota is reached); nothing was kept. Free space and retry.`,
    { cause: error, details: { code } },
  );
}

/** Runs a write, turning a full disk into DISK_FULL (see asDiskFull). */
export async function writing<T>(what: string, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (error) {
    throw asDiskFull(error, what);
  }
}
