import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { type TableContribution, translateDatabaseError } from '@mainframe-kb/storage-core';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import {
  type ContentCheckMode,
  contentOf,
  type ImageContent,
  withSqliteFile,
} from '../content/image-content.js';
import { captureLiveImage } from './live-image.js';
import { captureSqliteImageFile, memoryImage, type SqliteImage } from './sqlite-image.js';

/** Stores up to this size are imaged in memory (one copy of the file); larger ones through a scratch file. */
export const DEFAULT_IN_MEMORY_MAX_BYTES = 2 * 1024 * 1024 * 1024;
/** Stores from this size on are read in place from their live file when they can be (see live-image.ts). */
export const DEFAULT_LIVE_MIN_BYTES = 64 * 1024 * 1024;
/** SQLite's largest memory map in this build (SQLITE_MAX_MMAP_SIZE). */
const MMAP_BYTES = 0x7fff0000;

/** How an image was taken: read in place from the live file, serialized into memory, or via a scratch file. */
export type SnapshotMethod = 'live' | 'memory' | 'scratch';

export interface Captured {
  readonly image: SqliteImage;
  readonly content: ImageContent;
  readonly method: SnapshotMethod;
}

export interface CaptureOptions {
  readonly scratchDir: string;
  readonly inMemoryMaxBytes?: number;
  readonly liveMinBytes?: number;
}

/**
 * A consistent image of a live SQLite store and its row counts (or content hash), from one snapshot.
 *
 * Large stores in WAL mode: read in place from the database file, which a read transaction begun on a fully
 * checkpointed log keeps unchanged while the backup reads it (see live-image.ts); the counts are taken in that
 * transaction. Nothing is copied before the pages are hashed and sealed: no second gigabyte per gigabyte of
 * store, in memory or on disk. Otherwise, and for small stores: a separate read-only connection opens one
 * read transaction, serializes the pages (sqlite3_serialize reads them through that transaction) and counts
 * the rows in the same transaction.
 * Writers on other connections go on meanwhile (WAL), and nothing restarts: unlike a stepped online backup,
 * which starts over whenever another connection writes. Larger stores: the online backup API in one step
 * into a scratch file (also one read transaction), then the counts on that file.
 */
export async function captureStore(
  databasePath: string,
  tables: readonly TableContribution[],
  mode: ContentCheckMode,
  options: CaptureOptions,
): Promise<Captured> {
  const path = resolve(databasePath);
  const maxBytes = options.inMemoryMaxBytes ?? DEFAULT_IN_MEMORY_MAX_BYTES;
  const live = await captureLive(path, tables, mode, options.liveMinBytes ?? DEFAULT_LIVE_MIN_BYTES);
  if (live) return live;
  let raw: BetterSqlite3.Database | undefined;
  try {
    raw = new BetterSqlite3(path, { readonly: true, fileMustExist: true });
    // Pages read through a memory map instead of one read() each: serializing and counting take about half
    // the time. Read-only, so the map is never written through.
    raw.pragma(`mmap_size = ${MMAP_BYTES}`);
    raw.exec('BEGIN');
    const pageCount = raw.pragma('page_count', { simple: true }) as number;
    const pageSize = raw.pragma('page_size', { simple: true }) as number;
    if (pageCount * pageSize <= maxBytes) {
      // One copy of the pages (the backup copies stretches of it into reused shared memory for the workers).
      const serialized = raw.serialize();
      // No destroy(): it would close the connection, which is closed below.
      const db = new Kysely<any>({ dialect: new SqliteDialect({ database: raw }) });
      const content = await contentOf(db, tables, mode);
      raw.exec('COMMIT');
      return { image: memoryImage(serialized), content, method: 'memory' };
    }
    raw.exec('COMMIT');
  } catch (error) {
    throw translateDatabaseError(error, `taking a backup image of ${path}`);
  } finally {
    raw?.close();
  }
  const image = await captureSqliteImageFile(path, options.scratchDir);
  try {
    const content = await withSqliteFile(image.path, (db) => contentOf(db, tables, mode));
    return { image, content, method: 'scratch' };
  } catch (error) {
    await image.discard();
    throw error;
  }
}

async function captureLive(
  path: string,
  tables: readonly TableContribution[],
  mode: ContentCheckMode,
  minBytes: number,
): Promise<Captured | undefined> {
  try {
    const { size } = await stat(path);
    if (size < minBytes) return undefined;
    const live = await captureLiveImage(path);
    if (!live) return undefined;
    try {
      live.reader.pragma(`mmap_size = ${MMAP_BYTES}`);
      // No destroy(): it would close the connection, which the image closes when discarded.
      const db = new Kysely<any>({ dialect: new SqliteDialect({ database: live.reader }) });
      const content = await contentOf(db, tables, mode);
      return { image: live.image, content, method: 'live' };
    } catch (error) {
      await live.image.discard();
      throw error;
    }
  } catch (error) {
    throw translateDatabaseError(error, `taking a backup image of ${path}`);
  }
}
