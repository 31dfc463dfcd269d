import { randomUUID } from 'node:crypto';
import { entryInputSchema, type ValidEntryInput } from '@mainframe-kb/storage-core';
import type { FieldValue, RecordLocation } from '../codec-types.js';
import type { TableInfo } from '../export/table-schema.js';
import type { RawItem } from './import-source.js';
import { kbFieldOf, mapKbRecord } from './kb-entry-mapping.js';
import { type RowIssue, validateRow } from './row-validator.js';
import type { RowMode } from './table-writer.js';

/** A validated table row, ready for its table's writer. */
export interface PreparedRow {
  readonly kind: 'row';
  readonly table: string;
  readonly ordinal: number;
  readonly location: RecordLocation;
  readonly row: Record<string, FieldValue>;
  readonly ensure: boolean;
  /** `exact` for an export's row, `source` for a domain importer's (see RowMode). */
  readonly mode: RowMode;
  /** `source` rows: the columns the importer gave. */
  readonly given: ReadonlySet<string> | undefined;
}

/** A KB entry from a plain record, validated, with its id decided (the record's or a new one). */
export interface PreparedEntry {
  readonly kind: 'entry';
  readonly ordinal: number;
  readonly location: RecordLocation;
  readonly entry: ValidEntryInput & { readonly id: string };
  /** Columns that mean no KB field; reported, not imported. */
  readonly ignored: readonly string[];
}

/** A record that failed validation, with every reason. */
export interface PreparedRejection {
  readonly kind: 'rejected';
  readonly table: string;
  readonly ordinal: number;
  readonly location: RecordLocation;
  readonly issues: readonly RowIssue[];
  /** False when the table does not exist in this store: there is no table's count to charge it to. */
  readonly counted: boolean;
  readonly ignored: readonly string[];
}

export type PreparedItem = PreparedRow | PreparedEntry | PreparedRejection;

const NONE: readonly string[] = [];

/**
 * The part of an import that needs no database: a record mapped and validated against its table (or, for a
 * plain KB entry, against the entry rules). A pure function of the record: a batched import prepares a batch
 * before opening its transaction, and records a resumed import skips are never prepared.
 */
export function prepareItem(
  infos: ReadonlyMap<string, TableInfo>,
  item: RawItem,
  ordinal: number,
): PreparedItem {
  const { location } = item;
  if (item.kind === 'entry') {
    const mapped = mapKbRecord(item.record);
    const { input, ignored } = mapped;
    // Core's own entry rules: an import cannot store what the API would refuse.
    const parsed = entryInputSchema.safeParse(input);
    if (!parsed.success || mapped.issues.length > 0) {
      // A field already refused by the mapping is not reported again as missing.
      const refused = new Set(mapped.issues.map((i) => kbFieldOf(i.field)));
      const issues = [
        ...mapped.issues,
        ...(parsed.success ? [] : parsed.error.issues)
          .map((i) => ({ field: i.path.map(String).join('.'), message: i.message }))
          .filter((i) => !refused.has(i.field)),
      ];
      return { kind: 'rejected', table: 'kb_entries', ordinal, location, issues, counted: true, ignored };
    }
    const entry = { ...parsed.data, id: parsed.data.id ?? randomUUID() };
    return { kind: 'entry', ordinal, location, entry, ignored };
  }
  const info = infos.get(item.table);
  if (info === undefined) {
    const message = `the table '${item.table}' does not exist in this store; enable the plugin that owns it`;
    const issues = [{ field: '', message }];
    return { kind: 'rejected', table: item.table, ordinal, location, issues, counted: false, ignored: NONE };
  }
  const { row, issues } = validateRow(info, item.record);
  if (issues.length > 0) {
    return { kind: 'rejected', table: item.table, ordinal, location, issues, counted: true, ignored: NONE };
  }
  const mode = item.mode ?? 'exact';
  return {
    kind: 'row',
    table: item.table,
    ordinal,
    location,
    row,
    ensure: item.ensure === true,
    mode,
    given: mode === 'source' ? new Set(Object.keys(item.record)) : undefined,
  };
}

/**
 * Numbers input records from 1. The rows made from one record (an upgraded 1.0.0 entry and its tags) share
 * its location object, and so its number. A plain function rather than another async generator around the
 * input: that layer cost two promises per record.
 */
export function recordNumberer(): (item: RawItem) => number {
  let ordinal = 0;
  let previous: object | undefined;
  return (item) => {
    if (item.location !== previous) ordinal += 1;
    previous = item.location;
    return ordinal;
  };
}
