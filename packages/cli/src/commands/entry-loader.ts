import type { KBEntryInput, Storage } from '@mainframe-kb/storage-core';
import type { CliOutput } from '../output/cli-output.js';

/**
 * Adds many entries in one transaction (all or nothing), with a progress bar on a terminal.
 *
 * The store writes the whole batch in one createEntries() call and reports no progress inside it, so the
 * bar shows the batch as one step (0 → all); splitting the batch to move the bar would break all-or-nothing.
 */
export async function addEntries(
  storage: Storage,
  inputs: readonly KBEntryInput[],
  out: CliOutput,
  label: string,
): Promise<string[]> {
  const bar = out.progress(label, inputs.length);
  bar.update(0);
  try {
    const ids = await storage.createEntries(inputs);
    bar.update(ids.length);
    return ids;
  } finally {
    bar.finish();
  }
}
