import { randomUUID } from 'node:crypto';
import { rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { StorageError, StorageErrorCode } from '@mainframe-kb/storage-core';

/**
 * Writes an export's output so that it appears under its final name only once complete, for every kind of
 * export (a format's file or directory, a target's file): `out` must not exist (an export never overwrites);
 * `write` creates a file or a directory at the temporary path it is given, beside `out`; when it returns, the
 * temporary is renamed to `out`; when it throws, whatever it left is removed and the error goes on.
 */
export async function writeOutput<T>(out: string, write: (temporary: string) => Promise<T>): Promise<T> {
  if (await exists(out)) {
    throw new StorageError(
      StorageErrorCode.CONFLICT,
      `${out} already exists; remove it or choose another output path (an export never overwrites)`,
      { details: { out } },
    );
  }
  const temporary = join(dirname(out), `.${basename(out)}.partial-${randomUUID()}`);
  try {
    const result = await write(temporary);
    await rename(temporary, out);
    return result;
  } catch (error) {
    await rm(temporary, { recursive: true, force: true });
    throw error;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
