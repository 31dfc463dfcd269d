import { randomUUID } from 'node:crypto';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { z } from 'zod';
import { FormatErrorReason, formatError } from '../errors/format-error.js';

const checkpointSchema = z.strictObject({
  kind: z.literal('mainframe-kb-import-checkpoint'),
  input: z.string(),
  fingerprint: z.string(),
  /** Input records whose batches are committed. */
  committed: z.number().int().min(0),
  updatedAt: z.string(),
});

export type Checkpoint = z.infer<typeof checkpointSchema>;

/** The checkpoint of an earlier run of the same input, or undefined when there is none. */
export async function loadCheckpoint(
  path: string,
  input: string,
  fingerprint: string,
): Promise<Checkpoint | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  let parsed: z.ZodSafeParseResult<Checkpoint>;
  try {
    parsed = checkpointSchema.safeParse(JSON.parse(text));
  } catch {
    parsed = checkpointSchema.safeParse(undefined);
  }
  if (!parsed.success) {
    throw formatError(
      'json',
      FormatErrorReason.MALFORMED,
      `the checkpoint ${path} is not a checkpoint this package wrote; remove it to start over`,
    );
  }
  if (parsed.data.input !== input || parsed.data.fingerprint !== fingerprint) {
    throw formatError(
      'json',
      FormatErrorReason.BAD_ENVELOPE,
      `the checkpoint ${path} belongs to another input (or the input changed since); remove it to start over`,
      { details: { checkpointInput: parsed.data.input } },
    );
  }
  return parsed.data;
}

/** Replaces the checkpoint atomically (write, then rename), so a crash leaves the old or the new one. */
export async function saveCheckpoint(
  path: string,
  checkpoint: Omit<Checkpoint, 'kind' | 'updatedAt'>,
): Promise<void> {
  const value: Checkpoint = {
    kind: 'mainframe-kb-import-checkpoint',
    ...checkpoint,
    updatedAt: new Date().toISOString(),
  };
  const temporary = `${path}.${randomUUID()}.tmp`;
  await writeFile(temporary, `${JSON.stringify(value)}\n`, { flag: 'wx' });
  await rename(temporary, path);
}
