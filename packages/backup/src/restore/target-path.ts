import { promises as fs, lstatSync, realpathSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { StorageErrorCode } from '@mainframe-kb/storage-core';
import BetterSqlite3 from 'better-sqlite3';
import { BackupError, BackupFailure } from '../errors/backup-error.js';
import { restoreScratchName } from '../util/leftovers.js';

export interface ResolvedTarget {
  /** Absolute path of the database file to produce. */
  readonly path: string;
  /** Whether a file is already there. */
  readonly exists: boolean;
  /** The scratch file a restore writes first, in the same folder (so the final rename is atomic). */
  readonly scratch: string;
}

function refuse(message: string, path: string): BackupError {
  return new BackupError(StorageErrorCode.VALIDATION, BackupFailure.PATH_ESCAPE, message, {
    details: { path },
  });
}

/**
 * The one place a restore writes: `target`, resolved. A link at the target, or a target whose folder is
 * reached through a link, is refused, as is anything but a regular file; only files named after it
 * (`<target>.restore-…`, its `-wal`/`-shm`/`-journal`) are ever created beside it.
 */
export function resolveTarget(target: string): ResolvedTarget {
  if (typeof target !== 'string' || target.length === 0 || target.includes('\0')) {
    throw refuse('the restore target must be a file path', String(target));
  }
  const path = resolve(target);
  const folder = dirname(path);
  let realFolder: string;
  try {
    realFolder = realpathSync(folder);
  } catch {
    throw refuse(`the folder of the restore target ${path} does not exist`, path);
  }
  if (realFolder !== folder) {
    throw refuse(
      `the restore target's folder ${folder} is reached through a symbolic link (${realFolder}); give the real path`,
      path,
    );
  }
  let exists = false;
  try {
    const stat = lstatSync(path);
    if (stat.isSymbolicLink()) throw refuse(`the restore target ${path} is a symbolic link`, path);
    if (!stat.isFile()) throw refuse(`the restore target ${path} is not a regular file`, path);
    exists = true;
  } catch (error) {
    if (error instanceof BackupError) throw error;
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  for (const suffix of ['-wal', '-shm', '-journal']) {
    try {
      if (lstatSync(`${path}${suffix}`).isSymbolicLink())
        throw refuse(`${path}${suffix} is a symbolic link`, path);
    } catch (error) {
      if (error instanceof BackupError) throw error;
    }
  }
  const scratch = join(folder, restoreScratchName(basename(path)));
  return { path, exists, scratch };
}

/**
 * Puts a checked image in place: over an existing database through SQLite's backup API, under its locks, so
 * open connections see the restored content instead of a file swapped under them; else by renaming the
 * scratch file (owner-only since it was created) and syncing the folder.
 */
export async function placeRestoredFile(target: ResolvedTarget): Promise<void> {
  if (target.exists) {
    const source = new BetterSqlite3(target.scratch, { readonly: true, fileMustExist: true });
    try {
      await source.backup(target.path, { progress: () => 0x7fffffff });
    } finally {
      source.close();
    }
    return;
  }
  await fs.rename(target.scratch, target.path);
  const dir = await fs.open(dirname(target.path), 'r');
  await dir.sync().finally(() => dir.close());
}
