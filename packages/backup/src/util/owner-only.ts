import { promises as fs } from 'node:fs';

/**
 * Creates `path` and its missing parents as folders only their owner can enter (0700): a repository's and a
 * scratch folder's names and decrypted copies are nobody else's business, whatever the umask allows. Folders
 * that exist already keep their mode.
 */
export async function ownerOnlyFolder(path: string): Promise<void> {
  await fs.mkdir(path, { recursive: true, mode: 0o700 });
}

/**
 * Creates an empty file only its owner can read (0600) at `path`, which must not exist: for files another
 * library creates with its own mode (SQLite's 0644), which then opens this one.
 */
export async function ownerOnlyFile(path: string): Promise<void> {
  const handle = await fs.open(path, 'wx', 0o600);
  await handle.close();
}
