import type { KBEntryInput, Storage } from '@mainframe-kb/storage-core';
import type { CliOutput } from '../output/cli-output.js';

/**
 * Adds many entries in one transaction (all or nothing), showing a progress bar on a terminal.
 */
export async function addEntries(
  storage: Storage,
  inputs: readonly KBEntryInput[],
  out: CliOutput,
  label: string,
): Promise<string[]> {
  const bar = out.progress(label, inputs.length);
  try {
    const ids = await storage.createEntries([...inputs]);
    bar.update(inputs.length);
    return ids;
  } finally {
    bar.finish();
  }
}
