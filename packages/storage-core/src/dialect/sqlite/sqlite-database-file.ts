import {
  accessSync,
  closeSync,
  constants,
  existsSync,
  fchmodSync,
  openSync,
  readFileSync,
  readSync,
  type Stats,
  statSync,
} from 'node:fs';
import { dirname, resolve } from 'node:path';
import BetterSqlite3, { type Database } from 'better-sqlite3';
import { StorageErrorCode } from '../../errors/error-codes.js';
import { StorageError } from '../../errors/storage-error.js';
import type { DatabaseFileState } from '../dialect-adapter.js';

const OWNER_ONLY = 0o600;
/** Header bytes 18 and 19, the file format's write and read versions: 2 in WAL mode, 1 in rollback mode. */
const FORMAT_VERSION_OFFSETS = [18, 19] as const;

/**
 * Creates `path` empty and owner-only when nothing is there, so SQLite opens it instead of creating it with
 * its default mode less the umask. SQLite gives a database's -wal, -shm and -journal files the database's
 * own mode, so they are owner-only too.
 */
export function createOwnerOnly(path: string): void {
  let fd: number;
  try {
    fd = openSync(path, 'wx', OWNER_ONLY);
  } catch {
    // Something is there (its mode is its owner's choice), or nothing can be: SQLite says why when it opens.
    return;
  }
  try {
    // open() applies the umask, which may take away the owner's bits too.
    fchmodSync(fd, OWNER_ONLY);
  } finally {
    closeSync(fd);
  }
}

function cannotWrite(path: string): string | undefined {
  try {
    accessSync(path, constants.W_OK);
    return undefined;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code ?? 'EACCES';
  }
}

/** Why a store at `path` must open read-only, or undefined when it may write. */
function readOnlyReason(path: string, configured: boolean): string | undefined {
  if (configured) return 'database.readonly is set';
  if (!existsSync(path)) return undefined;
  const file = cannotWrite(path);
  if (file === 'EROFS') return 'it is on a read-only file system';
  if (file) return 'the file is not writable by this user';
  // SQLite writes its -wal, -shm and -journal files beside the database; without them it cannot commit.
  if (cannotWrite(dirname(path))) return 'its folder is not writable by this user';
  return undefined;
}

function inWalMode(path: string): boolean {
  const header = Buffer.alloc(20);
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    return readSync(fd, header, 0, header.length, 0) === header.length && header[18] === 2;
  } catch {
    return false;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

const sameFile = (a: Stats, b: Stats) => a.dev === b.dev && a.ino === b.ino;
const sameContent = (a: Stats, b: Stats) => sameFile(a, b) && a.size === b.size && a.mtimeMs === b.mtimeMs;

/**
 * The file under a SQLite store: whether the store may write it, how it is opened, and which file (device
 * and inode) it was. SQLite in WAL mode does not notice the file being deleted or renamed over while it is
 * open: it commits into the unlinked file, and those writes are gone at close. So each write transaction
 * looks at the path once more before it commits (one stat, about 2 µs), and so does health.
 */
export class SqliteDatabaseFile {
  readonly path: string;
  readonly #readOnlyReason: string | undefined;
  #opened: Stats | undefined;
  /** Read-only from a copy in memory (see #openReadOnly). */
  #copy = false;

  constructor(path: string, configuredReadOnly: boolean) {
    this.path = resolve(path);
    this.#readOnlyReason = readOnlyReason(this.path, configuredReadOnly);
  }

  get readOnly(): boolean {
    return this.#readOnlyReason !== undefined;
  }

  /** Opens the connection: read-only when it must be, else creating the file owner-only when missing. */
  open(timeout: number): Database {
    if (this.readOnly) return this.#openReadOnly(timeout);
    createOwnerOnly(this.path);
    const sqlite = new BetterSqlite3(this.path, { timeout });
    this.#opened = statSync(this.path);
    return sqlite;
  }

  /**
   * SQLite reads a WAL-mode database through its -wal and -shm files and creates them when they are missing,
   * even read-only: in a folder it cannot write it then fails, elsewhere it leaves them behind, owned by this
   * user, where a writer running as another user can no longer open them. While a -wal file exists a writer
   * has the database open, and the reader shares it; without one nobody has it open in WAL mode, and the
   * file is read into memory instead (as much memory as the file's size, once per open), its header marked
   * rollback-journal there, which SQLite reads without either file.
   */
  #openReadOnly(timeout: number): Database {
    if (existsSync(`${this.path}-wal`) || !inWalMode(this.path)) {
      const sqlite = new BetterSqlite3(this.path, { readonly: true, fileMustExist: true, timeout });
      this.#opened = statSync(this.path);
      return sqlite;
    }
    const image = this.#readWhole();
    for (const offset of FORMAT_VERSION_OFFSETS) image[offset] = 1;
    this.#copy = true;
    return new BetterSqlite3(image, { readonly: true, timeout });
  }

  /** The whole file, read again if a writer changed it meanwhile (a checkpoint of a writer that just opened). */
  #readWhole(): Buffer {
    for (let attempt = 0; attempt < 3; attempt++) {
      const before = statSync(this.path);
      const image = readFileSync(this.path);
      const after = statSync(this.path);
      if (sameContent(before, after) && image.length === after.size) {
        this.#opened = after;
        return image;
      }
    }
    throw new StorageError(
      StorageErrorCode.BUSY,
      `the database file at ${this.path} kept changing while it was read for a read-only store; retry`,
      { details: { path: this.path } },
    );
  }

  /** Refuses a write before it begins when the store is read-only. */
  refuseReadOnly(): void {
    const reason = this.#readOnlyReason;
    if (reason === undefined) return;
    throw new StorageError(
      StorageErrorCode.READ_ONLY,
      `the store at ${this.path} is open read-only (${reason}); nothing was written. ` +
        'To change it, open it with write access to the file and its folder, without database.readonly',
      { details: { path: this.path, reason } },
    );
  }

  /** Refuses a write (called just before it commits) when the path no longer names the file opened. */
  assertUnchanged(): void {
    const replaced = this.#replaced(this.#look());
    if (replaced === undefined) return;
    throw new StorageError(
      StorageErrorCode.DATABASE_REPLACED,
      `${replaced}; nothing was written. Close the store and reopen it (restore a backup first if the file was deleted by mistake)`,
      { details: { path: this.path } },
    );
  }

  state(): DatabaseFileState {
    const readOnly = this.readOnly;
    const detail = readOnly
      ? `read-only (${this.#readOnlyReason})${this.#copy ? ', from a copy read into memory at open' : ''}: ${this.path}`
      : `read-write: ${this.path}`;
    const now = this.#look();
    const replaced = this.#replaced(now);
    if (replaced !== undefined) {
      const message = `${replaced}; ${readOnly ? 'what it reads is gone from disk' : 'writes are refused'}: reopen the store`;
      return { readOnly, detail, problem: { severity: 'unhealthy', message } };
    }
    if (this.#copy && now.stats && this.#opened && !sameContent(now.stats, this.#opened)) {
      const message = `the database file at ${this.path} changed since the store read it at open: reopen the store to see the changes`;
      return { readOnly, detail, problem: { severity: 'degraded', message } };
    }
    return { readOnly, detail };
  }

  #look(): { stats?: Stats | undefined; error?: string } {
    try {
      return { stats: statSync(this.path, { throwIfNoEntry: false }) };
    } catch (error) {
      return { error: (error as NodeJS.ErrnoException).code ?? String(error) };
    }
  }

  #replaced(now: { stats?: Stats | undefined; error?: string }): string | undefined {
    const opened = this.#opened;
    if (!opened || (now.stats && sameFile(now.stats, opened))) return undefined;
    const found = now.stats
      ? 'another file is there now'
      : now.error
        ? `it cannot be looked at: ${now.error}`
        : 'no file is there now';
    return `the database file at ${this.path} was deleted or replaced since the store opened it (${found})`;
  }
}
