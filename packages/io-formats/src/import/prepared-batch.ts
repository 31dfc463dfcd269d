import type { RecordLocation } from '../codec-types.js';
import type { TransformationStep } from '../envelope/versioned-export.js';
import type { TableInfo } from '../export/table-schema.js';
import type { PreparedItem, PreparedRow } from './item-preparer.js';

/**
 * Prepared items cross threads as one flat array per batch: a structured clone of an array of strings and
 * numbers costs a third to a tenth of the same rows as objects (every object's keys are serialised and
 * rebuilt, one property at a time).
 *
 * An exact row of a known table is `tableIndex, ordinal, locationMask, …location values, …column values` (the
 * table's columns in order, as `validateRow` made the row); any other item is `-1, item` (the object).
 */
export const BATCH_ITEMS = 2_000;
/** Batches the preparing thread may post before the writing thread has taken them (bounded memory). */
export const MAX_BATCHES_AHEAD = 4;

export type ToWorker = { readonly kind: 'start'; readonly after: number } | { readonly kind: 'taken' };

export type FromWorker =
  | { readonly kind: 'ready'; readonly layout: string; readonly format: string }
  | { readonly kind: 'batch'; readonly data: unknown[]; readonly bytes: number | undefined }
  | {
      readonly kind: 'done';
      readonly transformationLog: TransformationStep[];
      readonly ignored: string[];
      readonly bytes: number | undefined;
    }
  | { readonly kind: 'error'; readonly message: string };

const LINE = 1;
const ROW = 2;
const ROW_GROUP = 4;
const STRIPE = 8;
const XPATH = 16;
const POINTER = 32;
/** The pointer of the previous item of the batch (a directory export's file name, on every row). */
const SAME_POINTER = 64;

/** Appends `item` to `out`; returns the pointer of its location (for the next item's SAME_POINTER). */
export function encodeItem(
  out: unknown[],
  item: PreparedItem,
  tables: ReadonlyMap<string, { readonly index: number; readonly columns: readonly string[] }>,
  previousPointer: string | undefined,
): string | undefined {
  const table =
    item.kind === 'row' && item.mode === 'exact' && !item.ensure ? tables.get(item.table) : undefined;
  if (table === undefined) {
    out.push(-1, item);
    return undefined;
  }
  const row = item as PreparedRow;
  const l = row.location;
  let mask = 0;
  const at = out.length;
  out.push(table.index, row.ordinal, 0);
  if (l.line !== undefined) {
    mask |= LINE;
    out.push(l.line);
  }
  if (l.row !== undefined) {
    mask |= ROW;
    out.push(l.row);
  }
  if (l.rowGroup !== undefined) {
    mask |= ROW_GROUP;
    out.push(l.rowGroup);
  }
  if (l.stripe !== undefined) {
    mask |= STRIPE;
    out.push(l.stripe);
  }
  if (l.xpath !== undefined) {
    mask |= XPATH;
    out.push(l.xpath);
  }
  if (l.pointer !== undefined) {
    if (l.pointer === previousPointer) mask |= SAME_POINTER;
    else {
      mask |= POINTER;
      out.push(l.pointer);
    }
  }
  out[at + 2] = mask;
  const values = row.row;
  for (const name of table.columns) out.push(values[name] ?? null);
  return l.pointer;
}

/** The items of one batch, in order (the inverse of `encodeItem`). */
export function decodeBatch(
  data: readonly unknown[],
  tables: readonly (readonly [string, TableInfo])[],
): PreparedItem[] {
  const out: PreparedItem[] = [];
  const columns = tables.map(([, info]) => info.columns.map((c) => c.name));
  let pointer: string | undefined;
  let i = 0;
  while (i < data.length) {
    const index = data[i] as number;
    if (index < 0) {
      out.push(data[i + 1] as PreparedItem);
      i += 2;
      pointer = undefined;
      continue;
    }
    const ordinal = data[i + 1] as number;
    const mask = data[i + 2] as number;
    i += 3;
    const location: { -readonly [K in keyof RecordLocation]: RecordLocation[K] } = {};
    if (mask & LINE) location.line = data[i++] as number;
    if (mask & ROW) location.row = data[i++] as number;
    if (mask & ROW_GROUP) location.rowGroup = data[i++] as number;
    if (mask & STRIPE) location.stripe = data[i++] as number;
    if (mask & XPATH) location.xpath = data[i++] as string;
    if (mask & POINTER) pointer = data[i++] as string;
    else if (!(mask & SAME_POINTER)) pointer = undefined;
    if (pointer !== undefined) location.pointer = pointer;
    const names = columns[index] as string[];
    const row: Record<string, never> = {};
    for (const name of names) row[name] = data[i++] as never;
    out.push({
      kind: 'row',
      table: (tables[index] as readonly [string, TableInfo])[0],
      ordinal,
      location,
      row,
      ensure: false,
      mode: 'exact',
      given: undefined,
    });
  }
  return out;
}
