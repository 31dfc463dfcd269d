import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { processAlive } from './process-alive.js';

/**
 * Files an operation builds beside its target and renames into place only when complete, named after the
 * operation and the process that owns them (`<target>.<purpose>-<pid>-<12 hex>`), so that what a killed run
 * left is known by name and owner: the next run sweeps the ones whose process is gone.
 */

/** The files of a SQLite store besides its database file, renamed with it; the database itself is last. */
export const SQLITE_COMPANIONS = ['.audit-key', '.audit-checkpoints'] as const;

/** A new scratch path beside `target` for `purpose` (a lowercase word such as `copy`). */
export function scratchPath(target: string, purpose: string): string {
  if (!/^[a-z][a-z-]*$/.test(purpose))
    throw new Error(`scratch purpose must be a lowercase word: ${purpose}`);
  return `${target}.${purpose}-${process.pid}-${randomBytes(6).toString('hex')}`;
}

/**
 * Moves a closed SQLite store from `from` to `to`: its companions (audit key, checkpoints) first, the
 * database last, so that a store at `to` never exists without its key. The database is linked to its new
 * name, which fails (EEXIST) rather than replace a store that appeared at `to` meanwhile, then unlinked.
 */
export async function moveSqliteStore(from: string, to: string): Promise<void> {
  for (const suffix of SQLITE_COMPANIONS) {
    try {
      await fs.rename(`${from}${suffix}`, `${to}${suffix}`);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
  await fs.link(from, to);
  await fs.unlink(from);
}

/**
 * Removes a scratch store with every file named after it: its companions, journals, and what core writes beside
 * a database (a migration's `.pre-migrate-…` snapshot).
 */
export async function removeSqliteStore(path: string): Promise<void> {
  const base = basename(path);
  await fs.rm(path, { force: true });
  let names: string[] = [];
  try {
    names = await fs.readdir(dirname(path));
  } catch {
    return;
  }
  for (const name of names) {
    if (name.startsWith(`${base}.`) || name.startsWith(`${base}-`)) {
      await fs.rm(join(dirname(path), name), { force: true });
    }
  }
}

/**
 * Removes, beside `target`, the scratch files of `purpose` whose owning process is gone, with every file named
 * after one (this host's pids: scratch files live beside local targets). Returns the names removed; a folder
 * that cannot be read has none.
 */
export async function sweepScratchFiles(target: string, purpose: string): Promise<string[]> {
  const folder = dirname(target);
  const escaped = `${basename(target)}.${purpose}`.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  // The scratch file and everything named after it: its companions, journals, and what core writes beside a
  // database (a migration's `.pre-migrate-…` snapshot, say).
  const pattern = new RegExp(`^${escaped}-(\\d+)-[0-9a-f]{12}(?:[.-].*)?$`);
  let names: string[];
  try {
    names = await fs.readdir(folder);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const owner = pattern.exec(name)?.[1];
    if (owner === undefined || Number(owner) === process.pid || processAlive(Number(owner))) continue;
    await fs.rm(join(folder, name), { force: true });
    removed.push(name);
  }
  return removed;
}
