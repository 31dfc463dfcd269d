import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { processAlive } from '@mainframe-kb/storage-core';

/**
 * The files and folders an operation keeps outside the repository while it runs, named after the process
 * that owns them, so that what a killed run left is known by name and owner: the next operation that looks
 * in that folder removes the ones whose process is gone (`sweepLeftovers`).
 */
const LEFTOVER_NAMES = [
  // A store's image taken through a scratch file (sqlite/sqlite-image.ts).
  /^kb-backup-image-(\d+)-[0-9a-f]{12}\.sqlite(?:-journal)?$/,
  // A test restore's folder (`kb backup verify --deep`): a decrypted copy of the store.
  /^kb-verify-(\d+)-[0-9a-f]{12}$/,
  // A restore's scratch file beside its target (or in the scratch folder), with SQLite's companions.
  /^.+\.restore-(\d+)-[0-9a-f]{12}(?:-wal|-shm|-journal)?$/,
];

function tag(): string {
  return `${process.pid}-${randomBytes(6).toString('hex')}`;
}

/** The scratch file a store's image is copied into. */
export function scratchImageName(): string {
  return `kb-backup-image-${tag()}.sqlite`;
}

/** The folder of one test restore. */
export function verifyFolderName(): string {
  return `kb-verify-${tag()}`;
}

/** The scratch file a restore to `target` (a file name) builds before renaming it into place. */
export function restoreScratchName(target: string): string {
  return `${target}.restore-${tag()}`;
}

/** The pid that owns a leftover by its name, or undefined for a name that is not one of ours. */
function ownerOf(name: string): number | undefined {
  for (const pattern of LEFTOVER_NAMES) {
    const match = pattern.exec(name);
    if (match) return Number(match[1]);
  }
  return undefined;
}

/**
 * Removes what killed runs left in `folder`: the entries named as above whose process no longer runs (this
 * host's pids: a scratch folder is local). Entries of running processes, and anything else, stay. Returns the
 * names removed; a folder that cannot be read has none.
 */
export async function sweepLeftovers(folder: string): Promise<string[]> {
  let names: string[];
  try {
    names = await fs.readdir(folder);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const owner = ownerOf(name);
    if (owner === undefined || owner === process.pid || processAlive(owner)) continue;
    await fs.rm(join(folder, name), { recursive: true, force: true });
    removed.push(name);
  }
  return removed;
}
