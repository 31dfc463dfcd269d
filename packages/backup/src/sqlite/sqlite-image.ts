import { promises as fs } from 'node:fs';
import { join, resolve } from 'node:path';
import { StorageErrorCode, translateDatabaseError } from '@mainframe-kb/storage-core';
import BetterSqlite3 from 'better-sqlite3';
import { BackupError, BackupFailure } from '../errors/backup-error.js';
import { writing } from '../util/disk-full.js';
import { readAt } from '../util/file-io.js';
import { scratchImageName } from '../util/leftovers.js';
import { ownerOnlyFile, ownerOnlyFolder } from '../util/owner-only.js';

// One backup step copies every page: the copy is one read transaction on the source, so writers on other
// connections (WAL) go on while it runs and cannot make it restart, as a stepped backup does on every write.
const ALL_PAGES = () => 0x7fffffff;

/** A consistent page image of a SQLite store: in memory (small stores) or in a scratch file. */
export interface SqliteImage {
  readonly pageSize: number;
  readonly pageCount: number;
  readonly bytes: number;
  /** Copies `count` pages from page `first` (1-based) into `into`; returns the bytes copied. */
  read(into: Buffer, first: number, count: number): Promise<number>;
  /**
   * For an image in memory: `count` pages from page `first` without copying, valid until `discard()`.
   * Undefined for images in files.
   */
  readonly view?: (first: number, count: number) => Buffer;
  discard(): Promise<void>;
}

/** An image held in memory (sqlite3_serialize of one read transaction). */
export function memoryImage(buffer: Buffer): SqliteImage {
  const { pageSize } = readImageHeader(buffer);
  if (buffer.length % pageSize !== 0) {
    throw new BackupError(
      StorageErrorCode.INTEGRITY,
      BackupFailure.OBJECT_CORRUPT,
      'the serialized image is not whole pages',
    );
  }
  markRollbackJournal(buffer, buffer.length / pageSize);
  let held: Buffer | undefined = buffer;
  return {
    pageSize,
    pageCount: buffer.length / pageSize,
    bytes: buffer.length,
    view(first, count) {
      if (!held) throw new Error('the image was discarded');
      return held.subarray((first - 1) * pageSize, Math.min(held.length, (first - 1 + count) * pageSize));
    },
    async read(into, first, count) {
      if (!held) throw new Error('the image was discarded');
      return held.copy(
        into,
        0,
        (first - 1) * pageSize,
        Math.min(held.length, (first - 1 + count) * pageSize),
      );
    },
    async discard() {
      held = undefined;
    },
  };
}

/**
 * Page 1 as a rollback-journal database's (file format bytes 18–19 = 1) with its page count in the header, as
 * every image is stored: the restored file opens without WAL files.
 */
export function markRollbackJournal(page1: Buffer, pageCount: number): void {
  page1[18] = 1;
  page1[19] = 1;
  page1.writeUInt32BE(pageCount, 28);
}

export function readImageHeader(header: Buffer): { pageSize: number; pageCount: number } {
  if (header.length < 100 || header.subarray(0, 16).toString('latin1') !== 'SQLite format 3\u0000') {
    throw new BackupError(
      StorageErrorCode.INTEGRITY,
      BackupFailure.OBJECT_CORRUPT,
      'not a SQLite database image',
    );
  }
  const raw = header.readUInt16BE(16);
  return { pageSize: raw === 1 ? 65_536 : raw, pageCount: header.readUInt32BE(28) };
}

/**
 * Copies the store's committed state into `scratchDir` through a separate read-only connection and the
 * online backup API in one step, then marks the copy as a rollback-journal database (header bytes 18–19),
 * so it can be opened read-only without creating WAL files. The image's pages are otherwise the store's.
 */
export async function captureSqliteImageFile(
  databasePath: string,
  scratchDir: string,
): Promise<SqliteImage & { path: string }> {
  const source = resolve(databasePath);
  // A killed run's image is swept by the next operation (BackupManager.sweepLeftovers), by its name.
  await ownerOnlyFolder(scratchDir);
  const path = join(scratchDir, scratchImageName());
  const discard = async () => {
    await fs.rm(path, { force: true });
    await fs.rm(`${path}-journal`, { force: true });
  };
  // SQLite would create the copy readable by all (0644, less the umask): it is the whole store.
  await writing(`staging ${path}`, () => ownerOnlyFile(path));
  let reader: BetterSqlite3.Database | undefined;
  try {
    reader = new BetterSqlite3(source, { readonly: true, fileMustExist: true });
    await reader.backup(path, { progress: ALL_PAGES });
  } catch (error) {
    await discard();
    // SQLITE_FULL (and ENOSPC) become DISK_FULL there.
    throw translateDatabaseError(error, `taking a backup image of ${source}`);
  } finally {
    reader?.close();
  }
  const handle = await fs.open(path, 'r+');
  try {
    const header = Buffer.alloc(100);
    await handle.read(header, 0, 100, 0);
    const { pageSize, pageCount } = readImageHeader(header);
    markRollbackJournal(header, pageCount);
    await writing(`staging ${path}`, () => handle.write(header, 0, 100, 0));
    const { size } = await handle.stat();
    if (size !== pageSize * pageCount) {
      throw new BackupError(
        StorageErrorCode.INTEGRITY,
        BackupFailure.OBJECT_CORRUPT,
        `the backup image is ${size} bytes, its header says ${pageCount} pages of ${pageSize}`,
      );
    }
    let pages: import('node:fs/promises').FileHandle | undefined;
    return {
      path,
      pageSize,
      pageCount,
      bytes: size,
      async read(into, first, count) {
        pages ??= await fs.open(path, 'r');
        return readAt(pages, into.subarray(0, count * pageSize), (first - 1) * pageSize);
      },
      async discard() {
        await pages?.close();
        pages = undefined;
        await discard();
      },
    };
  } catch (error) {
    await discard();
    throw error;
  } finally {
    await handle.close();
  }
}
