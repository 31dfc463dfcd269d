import type { Storage } from '@mainframe-kb/storage-core';
import { notesPlugin } from '../../src/index.js';

/** An entry with two notes, written through the plugin's API (as the store's actor). */
export async function seedNotes(storage: Storage): Promise<{ entryId: string; noteIds: string[] }> {
  const entryId = await storage.createEntry({
    title: 'S0C7 in PAYR010 after the month-end run',
    problem: 'PAYR010 abends S0C7 adding WS-TOTAL: the packed field holds spaces after the extract changed.',
    solution: 'Initialise WS-TOTAL with MOVE ZERO before the loop; check the extract with IF NUMERIC.',
    category: 'COBOL',
    severity: 'high',
  });
  const notes = storage.plugin(notesPlugin);
  const noteIds = [
    await notes.add(entryId, 'Seen again on LPAR2 after IPL.'),
    await storage.addNote(
      entryId,
      'Extract job EXTR020 was rerun with the old copybook; fixed by the rerun.',
    ),
  ];
  return { entryId, noteIds };
}
