import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { ExitCode } from '../cli-error.js';
import { UpgradeErrorCode, UpgradeRefusal } from './upgrade-errors.js';

/** What the config file is to become, and what it was when the plan read it (null: there was none). */
export interface ConfigWrite {
  readonly file: string;
  readonly original: string | null;
  readonly text: string;
}

async function syncFolder(folder: string): Promise<void> {
  const handle = await fs.open(folder, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** The file's text now, or null when there is none. */
async function readCurrent(file: string): Promise<string | null> {
  try {
    return await fs.readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

/**
 * Puts `text` at `file` whole or not at all: written and synced under a temporary name in the same folder,
 * then renamed over the file (or, where there was none, linked in, which fails rather than replace a file
 * someone created meanwhile). A reader sees the old config or the new one, never half of one.
 */
async function replaceAtomically(file: string, text: string, exclusive: boolean): Promise<void> {
  const folder = dirname(file);
  const temporary = join(
    folder,
    `.${basename(file)}.kb-upgrade-${process.pid}-${randomBytes(4).toString('hex')}`,
  );
  const mode = exclusive ? 0o644 : (await fs.stat(file)).mode & 0o777;
  const handle = await fs.open(temporary, 'wx', mode);
  try {
    try {
      await handle.writeFile(text, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    if (exclusive) await fs.link(temporary, file);
    else await fs.rename(temporary, file);
  } finally {
    await fs.rm(temporary, { force: true });
  }
  await syncFolder(folder);
}

/**
 * Writes the planned config, unless the file is no longer what the plan read (another process or person
 * changed it): then nothing is written and the upgrade fails, rather than lose their change.
 */
export async function writeConfig(write: ConfigWrite): Promise<void> {
  const current = await readCurrent(write.file);
  if (current !== write.original) {
    throw new UpgradeRefusal(
      UpgradeErrorCode.CONFIG_CHANGED,
      `${write.file} changed while kb upgrade ran; it was left as it is. Run kb upgrade again`,
      ExitCode.FAILED,
    );
  }
  await replaceAtomically(write.file, write.text, write.original === null);
}

/**
 * Undoes `writeConfig`: the original text back in place, or the created file removed. A file that no longer
 * holds what the upgrade wrote is left alone (someone changed it since) and reported.
 */
export async function restoreConfig(write: ConfigWrite): Promise<string> {
  const current = await readCurrent(write.file);
  if (current === write.original) return `${write.file} was not changed`;
  if (current !== write.text) {
    throw new Error(`${write.file} changed after kb upgrade wrote it; it was left as it is`);
  }
  if (write.original === null) {
    await fs.rm(write.file);
    await syncFolder(dirname(write.file));
    return `${write.file} removed again`;
  }
  await replaceAtomically(write.file, write.original, false);
  return `${write.file} put back as it was`;
}
