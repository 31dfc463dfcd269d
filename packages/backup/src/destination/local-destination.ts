import { createHash, randomBytes } from 'node:crypto';
import { constants, promises as fs } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join, resolve, sep } from 'node:path';
import { processAlive, StorageErrorCode } from '@mainframe-kb/storage-core';
import { BackupError, BackupFailure } from '../errors/backup-error.js';
import { asDiskFull, writing } from '../util/disk-full.js';
import { readAt, writeAt } from '../util/file-io.js';
import { ownerOnlyFolder } from '../util/owner-only.js';
import { type Destination, type DestinationLock, isSafeKey } from './destination.js';

const TMP_DIR = 'tmp';
const LOCK_KEY = 'locks/write';
const TMP_NAME = /^(\d+)-[0-9a-f]+\.tmp$/;
/** Bytes read at once when a written object is read back for its sha256. */
const READ_BACK_BYTES = 1024 * 1024;

async function fsyncDirectory(path: string): Promise<void> {
  const handle = await fs.open(path, constants.O_RDONLY);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

function escapedLink(key: string, at: string): BackupError {
  return new BackupError(
    StorageErrorCode.INTEGRITY,
    BackupFailure.PATH_ESCAPE,
    `${at} is a symbolic link inside the repository; refusing to follow it for ${key}`,
    { details: { key, at } },
  );
}

function missing(key: string, destination: string): BackupError {
  return new BackupError(
    StorageErrorCode.NOT_FOUND,
    BackupFailure.OBJECT_MISSING,
    `${key} is missing from ${destination}`,
    {
      details: { key, destination },
    },
  );
}

function escaped(key: string): BackupError {
  return new BackupError(
    StorageErrorCode.VALIDATION,
    BackupFailure.PATH_ESCAPE,
    `'${key}' is not a valid object key (relative lower-case segments only)`,
    { details: { key } },
  );
}

/**
 * A repository in a local directory. Writes go to `tmp/<pid>-<random>.tmp`, are fsynced, read back and
 * hashed, then renamed to their key and the folder fsynced: a crash leaves a temporary file (swept by the
 * next run) or the complete object, never a partial one under its final name.
 */
export class LocalDestination implements Destination {
  readonly name: string;
  readonly root: string;
  readonly #knownDirs = new Set<string>();
  readonly #readBuffers: Buffer[] = [];

  constructor(root: string) {
    this.root = resolve(root);
    this.name = `local:${this.root}`;
  }

  #path(key: string): string {
    if (!isSafeKey(key)) throw escaped(key);
    const path = resolve(this.root, ...key.split('/'));
    if (!path.startsWith(this.root + sep)) throw escaped(key);
    return path;
  }

  /**
   * The key's path, refusing links anywhere between the root and it: a repository holds plain folders and
   * files, and a link planted in it must not make us read or write elsewhere.
   */
  async #realPath(key: string): Promise<string> {
    const path = this.#path(key);
    let realRoot: string;
    try {
      realRoot = await fs.realpath(this.root);
    } catch {
      return path;
    }
    let folder = dirname(path);
    while (folder.length > this.root.length) {
      try {
        const stat = await fs.lstat(folder);
        if (stat.isSymbolicLink()) throw escapedLink(key, folder);
      } catch (error) {
        if (error instanceof BackupError) throw error;
      }
      folder = dirname(folder);
    }
    try {
      if ((await fs.lstat(path)).isSymbolicLink()) throw escapedLink(key, path);
    } catch (error) {
      if (error instanceof BackupError) throw error;
    }
    return realRoot === this.root ? path : join(realRoot, path.slice(this.root.length));
  }

  /** A repository's folders are its owner's only (0700): their names are backup ids and pack hashes. */
  async #ensureDir(dir: string): Promise<void> {
    if (this.#knownDirs.has(dir)) return;
    await writing(`creating ${dir}`, () => ownerOnlyFolder(dir));
    this.#knownDirs.add(dir);
  }

  async put(key: string, data: readonly Uint8Array[], sha256: string): Promise<void> {
    const final = await this.#realPath(key);
    const tmpDir = join(this.root, TMP_DIR);
    await this.#ensureDir(tmpDir);
    await this.#ensureDir(dirname(final));
    const tmp = join(tmpDir, `${process.pid}-${randomBytes(8).toString('hex')}.tmp`);
    try {
      const handle = await fs.open(tmp, 'wx', 0o600);
      try {
        let position = 0;
        for (const part of data) {
          await writeAt(handle, part, position);
          position += part.length;
        }
        await handle.sync();
      } finally {
        await handle.close();
      }
      const actual = await this.#fileSha256(tmp);
      if (actual !== sha256) {
        throw new BackupError(
          StorageErrorCode.INTEGRITY,
          BackupFailure.OBJECT_CORRUPT,
          `writing ${key} to ${this.name}: read back sha256 ${actual}, expected ${sha256}`,
          { details: { key, destination: this.name } },
        );
      }
      await fs.rename(tmp, final);
      await fsyncDirectory(dirname(final));
    } catch (error) {
      await fs.rm(tmp, { force: true });
      throw asDiskFull(error, `writing ${key} to ${this.name}`);
    }
  }

  /**
   * The sha256 of a file, read back through one reused buffer: a buffer of the whole file per object would be
   * fresh memory for every pack written.
   */
  async #fileSha256(path: string): Promise<string> {
    const buffer = this.#readBuffers.pop() ?? Buffer.allocUnsafeSlow(READ_BACK_BYTES);
    const hash = createHash('sha256');
    const handle = await fs.open(path, 'r');
    try {
      for (;;) {
        const { bytesRead } = await handle.read(buffer, 0, buffer.length, null);
        if (bytesRead === 0) break;
        hash.update(buffer.subarray(0, bytesRead));
      }
    } finally {
      await handle.close();
      this.#readBuffers.push(buffer);
    }
    return hash.digest('hex');
  }

  async readRange(key: string, position: number, into: Uint8Array): Promise<number> {
    let handle: fs.FileHandle;
    try {
      handle = await fs.open(await this.#realPath(key), 'r');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw missing(key, this.name);
      throw error;
    }
    try {
      return await readAt(handle, into, position);
    } finally {
      await handle.close();
    }
  }

  async get(key: string): Promise<Buffer> {
    try {
      return await fs.readFile(await this.#realPath(key));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw missing(key, this.name);
      throw error;
    }
  }

  async list(prefix: string): Promise<string[]> {
    const base = this.#path(prefix);
    const keys: string[] = [];
    const walk = async (dir: string, relative: string): Promise<void> => {
      let entries: import('node:fs').Dirent[];
      try {
        entries = await fs.readdir(dir, { withFileTypes: true });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
        throw error;
      }
      for (const entry of entries) {
        const key = `${relative}/${entry.name}`;
        // Links are never followed: a repository holds plain files and folders only.
        if (entry.isDirectory()) await walk(join(dir, entry.name), key);
        else if (entry.isFile() && isSafeKey(key)) keys.push(key);
      }
    };
    await walk(base, prefix);
    return keys.sort();
  }

  async size(key: string): Promise<number | undefined> {
    try {
      const stat = await fs.lstat(await this.#realPath(key));
      return stat.isFile() ? stat.size : undefined;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  async delete(key: string): Promise<void> {
    const path = await this.#realPath(key);
    await fs.rm(path, { force: true });
  }

  async sweepTemporary(): Promise<string[]> {
    const dir = join(this.root, TMP_DIR);
    let names: string[];
    try {
      names = await fs.readdir(dir);
    } catch {
      return [];
    }
    const removed: string[] = [];
    for (const name of names) {
      const match = TMP_NAME.exec(name);
      if (!match || processAlive(Number(match[1]))) continue;
      await fs.rm(join(dir, name), { force: true });
      removed.push(`${TMP_DIR}/${name}`);
    }
    return removed;
  }

  /** Whether the root is a folder (a symbolic link to one counts: the root is the operator's choice). */
  async exists(): Promise<boolean> {
    try {
      return (await fs.stat(this.root)).isDirectory();
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return false;
      throw error;
    }
  }

  async lock(owner: string): Promise<DestinationLock> {
    const path = this.#path(LOCK_KEY);
    await this.#ensureDir(dirname(path));
    const body = JSON.stringify({
      pid: process.pid,
      host: hostname(),
      owner,
      since: new Date().toISOString(),
    });
    for (let attempt = 0; attempt < 2; attempt += 1) {
      try {
        await this.#ensureDir(join(this.root, TMP_DIR));
        await createLockFile(path, body, this.name, join(this.root, TMP_DIR));
        return {
          release: async () => {
            const held = await fs.readFile(path, 'utf8').catch(() => '');
            if (held === body) await fs.rm(path, { force: true });
          },
        };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        const holder = await readHolder(path);
        // A lock file that never got its content (the writer was killed) is stale after a minute.
        const age = Date.now() - ((await fs.stat(path).catch(() => undefined))?.mtimeMs ?? Date.now());
        const stale =
          holder === undefined ? age > 60_000 : holder.host === hostname() && !processAlive(holder.pid);
        if (!stale) {
          throw new BackupError(
            StorageErrorCode.BUSY,
            BackupFailure.REPOSITORY_LOCKED,
            `${this.name} is locked by ${holder ? `pid ${holder.pid} on ${holder.host} (${holder.owner}) since ${holder.since}` : 'another process'}; wait for it to finish`,
            { details: { holder } },
          );
        }
        await fs.rm(path, { force: true });
      }
    }
    throw new BackupError(
      StorageErrorCode.BUSY,
      BackupFailure.REPOSITORY_LOCKED,
      `${this.name}: could not take the write lock`,
    );
  }
}

/**
 * Creates the lock file with its holder (EEXIST when there is one). A holder that could not be written (a full
 * disk) is removed again: an empty lock file would bar every run for a minute.
 */
/**
 * Creates the lock file with its content in one step: the body is written to `tmp/<pid>-<random>.tmp` and
 * hard-linked to the lock's name, which fails with EEXIST while another process holds it. Opening the lock
 * itself with `wx` and writing after left an empty lock when the writer was killed in between, which every
 * other process then had to treat as held for a minute. A killed process leaves at most its temporary file,
 * which the next holder's `sweepTemporary` removes.
 */
async function createLockFile(
  path: string,
  body: string,
  destination: string,
  tmpDir: string,
): Promise<void> {
  const tmp = join(tmpDir, `${process.pid}-${randomBytes(8).toString('hex')}.tmp`);
  try {
    await writing(`locking ${destination}`, async () => {
      await fs.writeFile(tmp, body, { flag: 'wx', mode: 0o600 });
      try {
        await fs.link(tmp, path);
      } catch (error) {
        // A file system without hard links: create the lock in place, as before (not atomic with its content).
        if (!NO_HARD_LINKS.has((error as NodeJS.ErrnoException).code ?? '')) throw error;
        await fs.writeFile(path, body, { flag: 'wx', mode: 0o600 });
      }
    });
  } finally {
    await fs.rm(tmp, { force: true });
  }
}

/** What link() answers where the file system has no hard links. */
const NO_HARD_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'EXDEV', 'ENOSYS']);

interface LockHolder {
  pid: number;
  host: string;
  owner: string;
  since: string;
}

async function readHolder(path: string): Promise<LockHolder | undefined> {
  try {
    const parsed = JSON.parse(await fs.readFile(path, 'utf8')) as Partial<LockHolder>;
    if (typeof parsed.pid === 'number' && typeof parsed.host === 'string') return parsed as LockHolder;
  } catch {
    // A lock file being written right now, or garbage: treated as held by an unknown process.
  }
  return undefined;
}
