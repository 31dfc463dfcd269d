import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { StorageError, StorageErrorCode } from '@mainframe-kb/storage-core';
import type { Kysely, Transaction } from 'kysely';
import type { IoFormatsDatabase } from '../schema/io-formats-database.js';

/** A checkpointed import's place: the records of its input that earlier runs committed. */
export interface Checkpoint {
  readonly key: string;
  readonly input: string;
  /** Input records 1 … committed are in the store. */
  committed: number;
  /** Whether the row exists yet (a first run inserts it with its first batch). */
  stored: boolean;
}

/**
 * The key of an input's checkpoint: its content (the bytes of every file it reads) and how it is read. A
 * copied or touched file resumes; a changed one, or the same file read by another domain importer, starts over.
 */
export function checkpointKey(
  contentSha256: string,
  source: string | undefined,
  sourceOptions: Readonly<Record<string, unknown>> | undefined,
): string {
  const how = JSON.stringify([contentSha256, source ?? null, sourceOptions ?? null]);
  return createHash('sha256').update(how).digest('hex');
}

export async function loadCheckpoint(
  db: Kysely<IoFormatsDatabase>,
  key: string,
  input: string,
): Promise<Checkpoint> {
  const row = await db
    .selectFrom('io_import_checkpoints')
    .select('committed')
    .where('input_key', '=', key)
    .executeTakeFirst();
  return { key, input, committed: Number(row?.committed ?? 0), stored: row !== undefined };
}

/**
 * Moves the checkpoint to `through` inside the transaction that commits the batch, so a crash leaves it naming
 * exactly the records committed. The update is conditional on where this run left it: another run of the same
 * input that moved it in between is refused rather than overwritten.
 */
export async function advanceCheckpoint(
  trx: Transaction<IoFormatsDatabase>,
  checkpoint: Checkpoint,
  through: number,
  now: string,
): Promise<void> {
  if (!checkpoint.stored) {
    await trx
      .insertInto('io_import_checkpoints')
      .values({ input_key: checkpoint.key, input: checkpoint.input, committed: through, updated_at: now })
      .execute();
    return;
  }
  const result = await trx
    .updateTable('io_import_checkpoints')
    .set({ committed: through, input: checkpoint.input, updated_at: now })
    .where('input_key', '=', checkpoint.key)
    .where('committed', '=', checkpoint.committed)
    .executeTakeFirst();
  if (Number(result.numUpdatedRows) !== 1) {
    throw new StorageError(
      StorageErrorCode.CONFLICT,
      `another import of ${checkpoint.input} moved its checkpoint past record ${checkpoint.committed}; run one checkpointed import of an input at a time, then rerun this one to resume`,
      { details: { input: checkpoint.input, committed: checkpoint.committed } },
    );
  }
}

/** Records that the checkpoint row is in the store at `through`, once the batch's transaction committed. */
export function checkpointCommitted(checkpoint: Checkpoint, through: number): void {
  checkpoint.committed = through;
  checkpoint.stored = true;
}

/**
 * Earlier releases kept the checkpoint in the file `checkpoint` named, written after the batch committed
 * and one record ahead of it: a run resumed from one skipped a record. Such a file is not migrated (its count
 * cannot be trusted) but refused, saying how to finish that import. Remove this guard one release on.
 */
export async function refuseLegacyCheckpointFile(path: string): Promise<void> {
  let head: string;
  try {
    const handle = await open(path, 'r');
    try {
      const buffer = Buffer.alloc(64);
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
      head = buffer.subarray(0, bytesRead).toString('utf8');
    } finally {
      await handle.close();
    }
  } catch {
    return;
  }
  if (!head.startsWith('{"kind":"mainframe-kb-import-checkpoint"')) return;
  throw new StorageError(
    StorageErrorCode.VALIDATION,
    `${path} is a checkpoint file of an earlier release, whose count can be one record ahead of what was committed; it is not used any more (checkpoints are kept in the store). Finish that import by running it again from the start with onConflict 'skip' (kb import … --on-conflict skip), which skips the records already imported, then delete ${path}`,
    { details: { checkpoint: path } },
  );
}
