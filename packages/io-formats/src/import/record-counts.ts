import type { TableContribution } from '@mainframe-kb/storage-core';
import type { RecordCounts } from './import-types.js';

export function emptyCounts(): RecordCounts {
  return { inserted: 0, updated: 0, unchanged: 0, skipped: 0, rejected: 0 };
}

/** The counts of several entities added up. */
export function totalCounts(entities: Readonly<Record<string, RecordCounts>>): RecordCounts {
  const out = emptyCounts();
  for (const counts of Object.values(entities)) {
    for (const k of Object.keys(out) as (keyof RecordCounts)[]) out[k] += counts[k];
  }
  return out;
}

/**
 * The records of each entity in an export: the rows of its first table (the store lists parents first:
 * kb_entries for kb, incidents for incidents, incident_patterns for patterns); its other tables' rows are
 * detail. Entities none of whose tables has a count are left out.
 */
export function exportRecords(
  tables: readonly TableContribution[],
  rows: Readonly<Record<string, RecordCounts>>,
): Record<string, RecordCounts> {
  const out: Record<string, RecordCounts> = {};
  for (const table of tables) {
    if (table.derived || out[table.entity] !== undefined) continue;
    const present = tables.some((t) => t.entity === table.entity && rows[t.name] !== undefined);
    if (present) out[table.entity] = { ...(rows[table.name] ?? emptyCounts()) };
  }
  return out;
}

/** The first (record) table of each entity among `tables`, in the store's order. */
export function recordTables(tables: readonly TableContribution[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const table of tables) if (!table.derived && !out.has(table.entity)) out.set(table.entity, table.name);
  return out;
}
