import { randomBytes } from 'node:crypto';
import { readdirSync, rmSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import BetterSqlite3, { type Database } from 'better-sqlite3';
import { StorageErrorCode } from '../../errors/error-codes.js';
import { StorageError } from '../../errors/storage-error.js';
import { translateDatabaseError } from '../../errors/translate-error.js';
import { processAlive } from '../../util/process-alive.js';
import type { DatabaseSnapshot } from '../dialect-adapter.js';
import { createOwnerOnly } from './sqlite-database-file.js';

/** What a snapshot needs of the adapter: the live connection and the file it has open. */
export interface SqliteSnapshotSource {
  readonly sqlite: Database;
  readonly location: string;
  /** Throws when the path no longer names the file the connection has open (restore would overwrite another). */
  readonly assertUnchanged?: () => void;
}

// Copies every page in one backup step: the copy is then one consistent read, and no other statement of
// this connection can run between steps while the destination is write-locked.
const ALL_PAGES = () => 0x7fffffff;

const SNAPSHOT_MARK = '.pre-migrate-';
const SIDECARS = ['', '-wal', '-shm', '-journal'];

/** Snapshots this process has taken and not yet discarded; anything else of ours on disk is a leftover. */
const liveSnapshots = new Set<string>();

function removeSnapshotFiles(path: string): void {
  for (const suffix of SIDECARS) rmSync(`${path}${suffix}`, { force: true });
}

/**
 * Deletes snapshots left next to `livePath` by runs that were killed before they could discard them: their
 * pid (part of the name) is no longer running, or is this process's but not one it is using.
 */
export function sweepLeftoverSnapshots(livePath: string): string[] {
  const dir = dirname(livePath);
  const prefix = `${basename(livePath)}${SNAPSHOT_MARK}`;
  const pattern = /^\d{8}T\d{6}-(\d+)-[0-9a-f]+\.sqlite$/;
  const removed: string[] = [];
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return removed;
  }
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const match = pattern.exec(name.slice(prefix.length));
    if (!match) continue;
    const path = join(dir, name);
    const pid = Number(match[1]);
    const leftover = pid === process.pid ? !liveSnapshots.has(path) : !processAlive(pid);
    if (!leftover) continue;
    try {
      removeSnapshotFiles(path);
      removed.push(path);
    } catch {
      // Not ours to fight over: a file we cannot remove now is tried again at the next snapshot.
    }
  }
  return removed;
}

function snapshotPath(livePath: string): string {
  const stamp = new Date()
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, '');
  return `${livePath}${SNAPSHOT_MARK}${stamp}-${process.pid}-${randomBytes(4).toString('hex')}.sqlite`;
}

class SqliteSnapshot implements DatabaseSnapshot {
  readonly location: string;
  readonly #source: SqliteSnapshotSource;
  readonly #livePath: string;
  #discarded = false;

  constructor(source: SqliteSnapshotSource, livePath: string, location: string) {
    this.#source = source;
    this.#livePath = livePath;
    this.location = location;
  }

  /**
   * Copies the snapshot back over the live file through SQLite's backup API, which writes under the live
   * file's locks (so every open connection sees the restored content), then checks the result.
   */
  async restore(): Promise<void> {
    if (this.#discarded) {
      throw new StorageError(
        StorageErrorCode.UNSUPPORTED,
        `the snapshot ${this.location} was already discarded`,
      );
    }
    if (this.#source.sqlite.inTransaction) {
      throw new StorageError(
        StorageErrorCode.DATABASE,
        'cannot restore the pre-migration snapshot while the connection is inside a transaction',
      );
    }
    this.#source.assertUnchanged?.();
    let snapshot: Database | undefined;
    try {
      snapshot = new BetterSqlite3(this.location, { fileMustExist: true });
      await snapshot.backup(this.#livePath, { progress: ALL_PAGES });
    } catch (error) {
      throw translateDatabaseError(error, `restoring the pre-migration snapshot ${this.location}`);
    } finally {
      snapshot?.close();
    }
    const rows = this.#source.sqlite.pragma('quick_check') as Record<string, unknown>[];
    const problems = rows.map((r) => String(Object.values(r)[0])).filter((v) => v !== 'ok');
    if (problems.length > 0) {
      throw new StorageError(
        StorageErrorCode.INTEGRITY,
        `the database restored from ${this.location} fails quick_check (${problems.slice(0, 3).join('; ')}); ` +
          'copy that snapshot over the database by hand while no process has it open',
        { details: { snapshot: this.location, problems: problems.slice(0, 20) } },
      );
    }
  }

  async discard(): Promise<void> {
    if (this.#discarded) return;
    this.#discarded = true;
    liveSnapshots.delete(this.location);
    removeSnapshotFiles(this.location);
  }
}

/**
 * Copies the whole database into `<db>.pre-migrate-<time>-<pid>-<random>.sqlite` beside it (same file
 * system, so restoring needs no space elsewhere), after sweeping snapshots that killed runs left behind.
 */
export async function takeSqliteSnapshot(source: SqliteSnapshotSource): Promise<DatabaseSnapshot> {
  if (source.location === ':memory:' || source.location === '') {
    throw new StorageError(StorageErrorCode.UNSUPPORTED, 'an in-memory database has no file to snapshot');
  }
  const livePath = resolve(source.location);
  sweepLeftoverSnapshots(livePath);
  const location = snapshotPath(livePath);
  liveSnapshots.add(location);
  try {
    // A full copy of the data: owner-only, as the database the store creates.
    createOwnerOnly(location);
    await source.sqlite.backup(location, { progress: ALL_PAGES });
  } catch (error) {
    liveSnapshots.delete(location);
    removeSnapshotFiles(location);
    throw translateDatabaseError(error, 'taking the pre-migration snapshot');
  }
  return new SqliteSnapshot(source, livePath, location);
}
