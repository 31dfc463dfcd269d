import type { Storage } from '@mainframe-kb/storage-core';
import { patternsPlugin } from '../../src/index.js';

/** What `seedPatterns` wrote, for tests that want to look at it. */
export interface PatternsSeed {
  /** The KB entry detection links to (its text holds S0C7) and the one linked to the manual pattern. */
  readonly kbEntryIds: readonly string[];
  readonly incidentIds: readonly string[];
  /** The detected S0C7 pattern (linked to the KB), the detected WER027A one (a suggestion), the manual one. */
  readonly patternIds: { readonly s0c7: string; readonly wer027a: string; readonly manual: string };
}

const DAY = 86_400_000;
const BASE = Date.UTC(2025, 0, 1);
const at = (day: number) => new Date(BASE + day * DAY).toISOString();

/**
 * Writes, through the patterns API only (as the store's actor, an admin by default), a row into every content
 * table the plugin declares:
 * - `incidents`: three S0C7 abends on PAYROLL, three WER027A sort failures on BILLING, one DB2 deadlock;
 * - `incident_patterns` / `pattern_incidents`: the `error` patterns detection finds for S0C7 and WER027A, and a
 *   manual pattern with members (`createPattern`);
 * - `kb_pattern_links`: detection links the S0C7 pattern to the KB entry whose text holds S0C7 (`detected`),
 *   and `linkKbEntry` links the manual pattern to another entry (`manual`);
 * - `kb_entry_suggestions`: no KB entry mentions WER027A, so detection opens a suggestion for its pattern.
 * (`incident_error_codes` is derived from the incidents' text.) Throws when any step did not happen.
 */
export async function seedPatterns(storage: Storage): Promise<PatternsSeed> {
  const s0c7Entry = await storage.createEntry({
    title: 'S0C7 - Data Exception in PAYROLL',
    problem: 'System completion code S0C7 occurs on invalid packed decimal data in the payroll batch.',
    solution: 'Initialise the packed fields before the loop; check the extract with IF NUMERIC.',
    category: 'COBOL',
    severity: 'high',
    tags: ['s0c7', 'payroll'],
  });
  const deadlockEntry = await storage.createEntry({
    title: 'Deadlock on the ledger tables during the nightly run',
    problem: 'The nightly ledger update and the online posting wait on each other and one is rolled back.',
    solution: 'Commit every 500 rows in the batch and access the tables in the same order in both programs.',
    category: 'DB2',
    severity: 'medium',
  });

  const patterns = storage.plugin(patternsPlugin);
  const incidentIds = await patterns.createIncidents([
    ...[0, 20, 40].map((d, k) => ({
      ticketId: `S0C7-${k}`,
      source: 'servicenow' as const,
      title: `Job PAYR01${k} abend S0C7`,
      description: `PAYR01${k} abended S0C7 adding WS-TOTAL after the month-end extract.`,
      component: 'PAYROLL',
      severity: 'high' as const,
      createdAt: at(d),
    })),
    ...[5, 25, 45].map((d, k) => ({
      ticketId: `WER-${k}`,
      source: 'jira' as const,
      title: `Sort failed WER027A run ${k}`,
      component: 'BILLING',
      severity: 'medium' as const,
      status: 'resolved' as const,
      createdAt: at(d),
      resolvedAt: at(d + 1),
      resolution: 'Rerun with a larger work space.',
    })),
    {
      ticketId: 'LEDGER-1',
      title: 'Ledger update rolled back on a deadlock',
      description: 'LEDG200 was rolled back by DB2 after waiting on the posting transaction.',
      component: 'LEDGER',
      severity: 'low',
      createdAt: at(30),
      kbEntryId: deadlockEntry,
      metadata: { shift: 'night' },
    },
  ]);

  const summary = await patterns.detectPatterns();
  const [s0c7] = await patterns.getPatterns({ errorCode: 'S0C7', origin: 'detected' });
  const [wer027a] = await patterns.getPatterns({ errorCode: 'WER027A', origin: 'detected' });
  if (!s0c7 || !wer027a) {
    throw new Error(`seed: detection found no S0C7 / WER027A pattern (${JSON.stringify(summary)})`);
  }

  const manual = await patterns.createPattern({
    type: 'correlation',
    description: 'Month-end batch failures on PAYROLL and LEDGER',
    confidence: 0.7,
    severity: 'high',
    component: 'PAYROLL',
    metadata: { reviewedBy: 'conformance' },
    incidents: [incidentIds[0]!, { incidentId: incidentIds[incidentIds.length - 1]!, correlationScore: 0.5 }],
  });
  await patterns.linkKbEntry(manual, deadlockEntry, 0.8);

  const s0c7Detail = await patterns.getPattern(s0c7.id);
  if (!s0c7Detail.kbLinks.some((l) => l.kbEntryId === s0c7Entry && l.linkType === 'detected')) {
    throw new Error(
      `seed: detection did not link the S0C7 pattern to its KB entry (${JSON.stringify(s0c7Detail)})`,
    );
  }
  const suggestions = await patterns.listSuggestions();
  if (!suggestions.some((s) => s.patternId === wer027a.id)) {
    throw new Error(`seed: detection opened no KB suggestion for WER027A (${JSON.stringify(suggestions)})`);
  }
  return {
    kbEntryIds: [s0c7Entry, deadlockEntry],
    incidentIds,
    patternIds: { s0c7: s0c7.id, wer027a: wer027a.id, manual },
  };
}
