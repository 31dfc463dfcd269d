import { promises as fs } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import BetterSqlite3 from 'better-sqlite3';
import { readAt } from '../util/file-io.js';
import { markRollbackJournal, type SqliteImage } from './sqlite-image.js';

/**
 * How long to keep trying for the instant of the checkpoint: the write lock free and no reader of an older
 * snapshot holding part of the log back.
 */
const LOCK_WAIT_MS = 2_000;

/**
 * Read handles on live database files, one per file (device and inode) and never closed.
 *
 * On POSIX systems closing any descriptor of a file drops every fcntl lock this process holds on it —
 * including the locks of the SQLite connections this process has open on that file. Without its shared lock
 * on the database file, a connection of this process no longer counts as open to other processes, and one of
 * them closing its own connection may then take the file as unused and delete the write-ahead log that this
 * process still needs (https://www.sqlite.org/howtocorrupt.html, §2.2). SQLite avoids it for its own
 * descriptors by deferring close(); a descriptor opened here has no such protection, so it is kept open
 * until the process exits. One descriptor per backed-up database, hence the size threshold of the caller.
 */
const handles = new Map<string, Promise<FileHandle>>();

async function liveHandle(path: string): Promise<FileHandle> {
  const { dev, ino } = await fs.stat(path);
  const key = `${dev}:${ino}`;
  let handle = handles.get(key);
  if (!handle) {
    handle = fs.open(path, 'r');
    handles.set(key, handle);
    handle.catch(() => handles.delete(key));
  }
  return handle;
}

/** A consistent image read from a live database file, with the connection whose snapshot it is. */
export interface LiveImage {
  readonly image: SqliteImage;
  /** The read transaction the pages belong to: counts and hashes of the image are taken on it. */
  readonly reader: BetterSqlite3.Database;
}

/**
 * A consistent image of a live WAL database read straight from its file, without copying it first.
 *
 * For one instant the write lock is held (BEGIN IMMEDIATE on a connection of its own): a passive checkpoint
 * copies the whole write-ahead log into the database file, and a read transaction starts on the reader. A
 * read transaction that starts on a fully checkpointed log reads the database file alone and holds SQLite's
 * read lock 0 while it lasts; a checkpoint needs that lock exclusively to copy anything into the file
 * (walCheckpoint in wal.c). So from then until the image is discarded no byte of the file's first
 * `pageCount` pages changes, however much is written meanwhile: new commits go to the log and wait there.
 * The writers were paused only for the checkpoint.
 *
 * Returns undefined (nothing held) when that cannot be had: the database is not in WAL mode, another writer
 * kept the lock, or a reader of an older snapshot kept the checkpoint from completing. The caller then takes
 * the image another way.
 */
export async function captureLiveImage(path: string, waitMs = LOCK_WAIT_MS): Promise<LiveImage | undefined> {
  const reader = new BetterSqlite3(path, { fileMustExist: true });
  let locker: BetterSqlite3.Database | undefined;
  let reading = false;
  try {
    if (String(reader.pragma('journal_mode', { simple: true })).toLowerCase() !== 'wal') return undefined;
    // No busy handler: SQLite's sleeps between attempts (up to 100 ms) would hardly ever meet the instant
    // between two transactions of a busy writer. Attempts every millisecond do.
    locker = new BetterSqlite3(path, { fileMustExist: true, timeout: 0 });
    const deadline = performance.now() + waitMs;
    for (;;) {
      if (begin(locker)) {
        try {
          if (checkpointed(reader)) {
            reader.exec('BEGIN');
            reading = true;
            // The first read starts the transaction, on the checkpointed file.
            reader.prepare('select count(*) from sqlite_master').get();
          }
        } finally {
          locker.exec('ROLLBACK');
        }
        if (reading) break;
      }
      if (performance.now() >= deadline) return undefined;
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    reader.pragma('query_only = 1');
    const pageSize = reader.pragma('page_size', { simple: true }) as number;
    const pageCount = reader.pragma('page_count', { simple: true }) as number;
    const bytes = pageSize * pageCount;
    const handle = await liveHandle(path);
    const { size } = await handle.stat();
    if (size < bytes) return undefined;
    let open = true;
    const image: SqliteImage = {
      pageSize,
      pageCount,
      bytes,
      async read(into, first, count) {
        if (!open) throw new Error('the image was discarded');
        const length = Math.max(0, Math.min(count, pageCount - first + 1)) * pageSize;
        const done = await readAt(handle, into.subarray(0, length), (first - 1) * pageSize);
        if (first === 1 && done >= 100) markRollbackJournal(into, pageCount);
        return done;
      },
      async discard() {
        if (!open) return;
        open = false;
        reader.exec('COMMIT');
        reader.close();
      },
    };
    const live: LiveImage = { image, reader };
    reading = false;
    return live;
  } finally {
    locker?.close();
    if (reading) reader.exec('ROLLBACK');
    // Handed over in the image (closed by discard) or closed here.
    if (reader.open && !reader.inTransaction) reader.close();
  }
}

/** BEGIN IMMEDIATE without waiting: false when another connection holds the write lock. */
function begin(locker: BetterSqlite3.Database): boolean {
  try {
    locker.exec('BEGIN IMMEDIATE');
    return true;
  } catch (error) {
    if ((error as { code?: string }).code?.startsWith('SQLITE_BUSY')) return false;
    throw error;
  }
}

/**
 * A passive checkpoint (no waiting, no writer can append meanwhile): true when it copied the whole log into
 * the database file, false when a reader of an older snapshot held part of it back.
 */
function checkpointed(reader: BetterSqlite3.Database): boolean {
  const [result] = reader.pragma('wal_checkpoint(PASSIVE)') as {
    busy: number;
    log: number;
    checkpointed: number;
  }[];
  return result !== undefined && result.busy === 0 && result.log === result.checkpointed;
}
