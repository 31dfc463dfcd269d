import {
  bindableBytes,
  boundValueBytes,
  MAX_STATEMENT_BYTES,
  type SearchIndex,
  ValidationError,
} from '@mainframe-kb/storage-core';
import { CompiledQuery, type Transaction } from 'kysely';
import type { FieldValue, RecordLocation } from '../codec-types.js';
import type { TableInfo } from '../export/table-schema.js';
import type { ConflictPolicy, ImportIssue, TableCounts } from './import-types.js';
import { rowToKbEntry } from './kb-entry-mapping.js';

export interface PendingRow {
  readonly row: Record<string, FieldValue>;
  readonly ordinal: number;
  readonly location: RecordLocation;
  /** A new entry made from a plain record: on update it keeps the stored entry's history and counters. */
  readonly partial: boolean;
  /** Made from another row (kb_tags of a plain entry): written, never counted. */
  readonly derived: boolean;
  /** Inserted when no row has its key, else left alone whatever the policy (DomainRecord.ensure). */
  readonly ensure?: boolean;
}

/** A queued row with its key, computed once (JSON.stringify) and used for the batch set and the lookup. */
interface QueuedRow extends PendingRow {
  readonly key: string;
}

/** Rows of one statement: SQLite binds up to 32,766 variables, PostgreSQL 65,535, MySQL 65,535. */
const MAX_BINDINGS = 8_000;
const LOOKUP_CHUNK = 500;

/** State shared by the writers of one import. */
export interface WriterShared {
  /** kb_entries ids the conflict policy skipped: their kb_tags rows are skipped with them. */
  readonly skippedEntries: Set<string>;
  readonly searchIndex: SearchIndex;
  /**
   * The whole import runs in one write transaction: a table empty at its first flush holds only rows this
   * import wrote, so a key found there is a key the input holds twice.
   */
  readonly singleTransaction: boolean;
  /**
   * Batch mode: a rejected row is left out and the other rows of its flush are still written (otherwise a
   * flush with a rejected row writes nothing: the import will not commit).
   */
  readonly keepGoing: boolean;
}

/**
 * Buffers the rows of one table and writes them in batches: looks their keys up, applies the conflict policy,
 * inserts new rows in multi-row statements and updates existing ones by key. kb_entries rows also go to the
 * full-text index, and an updated entry's tags are replaced by the imported ones.
 */
export class TableWriter {
  readonly counts: TableCounts = { inserted: 0, updated: 0, skipped: 0, rejected: 0 };
  readonly #pending: QueuedRow[] = [];
  /** Keys queued since the last flush; earlier ones are found in the table (see `flush`). */
  readonly #batchKeys = new Set<string>();
  #keepAutoIncrement: boolean | undefined;
  #emptyAtStart: boolean | undefined;
  /** Insert statements compiled once per row count, then re-bound (kysely's compile costs as much as SQLite's insert). */
  readonly #compiled = new Map<number, string>();

  constructor(
    readonly info: TableInfo,
    private readonly policy: ConflictPolicy,
    private readonly shared: WriterShared,
  ) {}

  get table(): string {
    return this.info.schema.table;
  }

  get size(): number {
    return this.#pending.length;
  }

  /** The key as a reader sees it, for messages: `["E1"]`, `["E1","tag"]`. */
  describeKey(row: Readonly<Record<string, FieldValue>>): string {
    return JSON.stringify(this.info.schema.primaryKey.map((k) => row[k] ?? null));
  }

  /**
   * The row's key as a string for the set of keys seen. JSON.stringify builds a fresh flat string: a key
   * made by slicing or concatenating would keep the whole decoded input chunk it came from alive.
   */
  keyOf(row: Readonly<Record<string, FieldValue>>): string {
    const key = this.info.schema.primaryKey;
    if (key.length === 1) return JSON.stringify(row[key[0] as string] ?? null);
    return JSON.stringify(key.map((k) => row[k] ?? null));
  }

  /** Queues a row; returns an issue when the input already had a row with this key. */
  add(pending: PendingRow, table: string): ImportIssue | undefined {
    const key = this.keyOf(pending.row);
    if (this.#batchKeys.has(key)) {
      if (pending.derived) return undefined;
      this.counts.rejected += 1;
      return {
        record: pending.ordinal,
        table,
        location: pending.location,
        field: this.info.schema.primaryKey.join(','),
        message: `the input holds the key ${this.describeKey(pending.row)} twice`,
      };
    }
    this.#batchKeys.add(key);
    const { row, ordinal, location, partial, derived, ensure } = pending;
    this.#pending.push({ row, ordinal, location, partial, derived, ...(ensure ? { ensure } : {}), key });
    return undefined;
  }

  /** Writes (or, with `write` false, only classifies) the queued rows; returns conflicts under policy `fail`. */
  async flush(trx: Transaction<any>, write: boolean): Promise<ImportIssue[]> {
    const rows = this.#pending.splice(0);
    this.#batchKeys.clear();
    if (rows.length === 0) return [];
    const issues: ImportIssue[] = [];
    const isEntries = this.table === 'kb_entries';
    const live = this.table === 'kb_tags' ? rows.filter((r) => !this.#skippedTag(r)) : rows;
    if (this.#emptyAtStart === undefined) {
      const any = await trx
        .selectFrom(this.table)
        .select(this.info.schema.primaryKey[0] as string)
        .limit(1)
        .execute();
      this.#emptyAtStart = any.length === 0;
    }
    // No set of every key seen is kept (it would grow with the input): a key repeated across flushes is
    // found in the table instead. In a dry run, or once a record was rejected, nothing is written, so such
    // a repeat is then only caught when the import is run for real.
    const ownRows = this.#emptyAtStart && this.shared.singleTransaction;
    const existing = await this.#lookup(trx, live, isEntries && this.policy === 'update' && !ownRows);
    const inserts: QueuedRow[] = [];
    const updates: { pending: PendingRow; before: Record<string, unknown> }[] = [];
    for (const pending of live) {
      const before = existing.size === 0 ? undefined : existing.get(pending.key);
      if (before === undefined) {
        inserts.push(pending);
        continue;
      }
      if (pending.ensure) continue;
      if (ownRows) {
        if (pending.derived) continue;
        this.counts.rejected += 1;
        issues.push({
          record: pending.ordinal,
          table: this.table,
          location: pending.location,
          field: this.info.schema.primaryKey.join(','),
          message: `the input holds the key ${this.describeKey(pending.row)} twice`,
        });
      } else if (this.policy === 'skip') {
        if (!pending.derived) this.counts.skipped += 1;
        if (isEntries) this.shared.skippedEntries.add(String(pending.row.id));
      } else if (this.policy === 'fail') {
        if (!pending.derived) this.counts.rejected += 1;
        // The stored entry stays as it is, and so do its tags: the rejected record's tags are not applied.
        if (isEntries) this.shared.skippedEntries.add(String(pending.row.id));
        issues.push({
          record: pending.ordinal,
          table: this.table,
          location: pending.location,
          field: this.info.schema.primaryKey.join(','),
          message: `a row with the key ${this.describeKey(pending.row)} already exists (conflict policy: fail)`,
        });
      } else {
        updates.push({ pending, before });
      }
    }
    for (const r of inserts) if (!r.derived) this.counts.inserted += 1;
    for (const u of updates) if (!u.pending.derived) this.counts.updated += 1;
    if (!write || (issues.length > 0 && !this.shared.keepGoing)) return issues;
    // Sequence columns outside the key (kb_entries.seq) are restored exactly into an empty table and
    // assigned by the database when merging into a table that has rows.
    // Only rows that all carry the values can keep them: a domain importer's rows carry none, and binding
    // NULL to the column fails where it is NOT NULL (PostgreSQL's serial).
    const auto = this.#autoColumns();
    const carried = inserts.every((r) => [...auto].every((c) => r.row[c] !== null && r.row[c] !== undefined));
    this.#keepAutoIncrement ??= this.#emptyAtStart === true && inserts.length === live.length && carried;
    if (this.#keepAutoIncrement && !carried) {
      throw new ValidationError(
        `${this.table}: some records carry ${[...auto].join(', ')} and some do not; give it in every record or in none`,
        [{ path: [...auto].join(','), message: 'given in some records only' }],
      );
    }
    if (this.#keepAutoIncrement) sortBySequence(inserts, auto);
    await this.#insert(trx, inserts);
    for (const { pending, before } of updates) await this.#update(trx, pending, before);
    if (isEntries) {
      const entries = inserts.map((r) => rowToKbEntry(r.row));
      if (entries.length > 0) await this.shared.searchIndex.upsertMany(trx, entries);
    }
    return issues;
  }

  #skippedTag(pending: PendingRow): boolean {
    if (!this.shared.skippedEntries.has(String(pending.row.entry_id))) return false;
    if (!pending.derived) this.counts.skipped += 1;
    return true;
  }

  #autoColumns(): Set<string> {
    const key = new Set(this.info.schema.primaryKey);
    return new Set(this.info.columns.filter((c) => c.autoIncrement && !key.has(c.name)).map((c) => c.name));
  }

  /**
   * The stored rows with the keys of `rows`. Looked up by the key's first column (an index seek on every
   * table's primary key) and matched on the whole key here, so composite keys need no OR-chains.
   */
  async #lookup(trx: Transaction<any>, rows: readonly QueuedRow[], full: boolean) {
    const found = new Map<string, Record<string, unknown>>();
    const key = this.info.schema.primaryKey;
    const first = key[0] as string;
    const wanted = new Set(rows.map((r) => r.key));
    const values = [...new Set(rows.map((r) => r.row[first] ?? null))].filter((v) => v !== null);
    for (let i = 0; i < values.length; i += LOOKUP_CHUNK) {
      const chunk = values.slice(i, i + LOOKUP_CHUNK);
      const query = full
        ? trx.selectFrom(this.table).selectAll()
        : trx.selectFrom(this.table).select([...key]);
      const stored = (await query.where(first, 'in', chunk as never[]).execute()) as Record<
        string,
        unknown
      >[];
      for (const row of stored) {
        const id = this.keyOf(Object.fromEntries(key.map((k) => [k, normalise(row[k]) as FieldValue])));
        if (wanted.has(id)) found.set(id, row);
      }
    }
    return found;
  }

  async #insert(trx: Transaction<any>, rows: readonly PendingRow[]): Promise<void> {
    if (rows.length === 0) return;
    const drop = this.#keepAutoIncrement ? new Set<string>() : this.#autoColumns();
    const columns = this.info.columns.map((c) => c.name).filter((c) => !drop.has(c));
    const perStatement = Math.max(1, Math.floor(MAX_BINDINGS / columns.length));
    for (let i = 0; i < rows.length; ) {
      const chunk = rows.slice(i, statementEnd(rows, columns, i, perStatement));
      i += chunk.length;
      // Bound straight from the rows, in column order: no intermediate object per row.
      const parameters: unknown[] = new Array(chunk.length * columns.length);
      let n = 0;
      for (const r of chunk) for (const c of columns) parameters[n++] = bindable(r.row[c] ?? null);
      let text = this.#compiled.get(chunk.length);
      if (text === undefined) {
        const values = chunk.map((r) => {
          const out: Record<string, unknown> = {};
          for (const c of columns) out[c] = bindable(r.row[c] ?? null);
          return out;
        });
        text = trx.insertInto(this.table).values(values).compile().sql;
        this.#compiled.set(chunk.length, text);
      }
      await trx.executeQuery(CompiledQuery.raw(text, parameters));
    }
  }

  async #update(trx: Transaction<any>, pending: PendingRow, before: Record<string, unknown>): Promise<void> {
    const key = this.info.schema.primaryKey;
    const drop = this.#autoColumns();
    const set: Record<string, unknown> = {};
    let row = pending.row;
    if (pending.partial && this.table === 'kb_entries') {
      // A plain record changes the entry's text; its history, counters and creation stay the store's.
      row = {
        ...row,
        created_at: before.created_at as string,
        created_by: (row.created_by ?? before.created_by ?? null) as FieldValue,
        usage_count: Number(before.usage_count),
        success_count: Number(before.success_count),
        failure_count: Number(before.failure_count),
        archived: Number(before.archived),
        version: Number(before.version) + 1,
      };
    }
    for (const column of this.info.columns) {
      if (key.includes(column.name) || drop.has(column.name)) continue;
      set[column.name] = bindable(row[column.name] ?? null);
    }
    let query = trx.updateTable(this.table).set(set);
    for (const column of key) query = query.where(column, '=', row[column] as never);
    await query.execute();
    if (this.table === 'kb_entries') {
      // The imported entry's tags replace the stored ones: its kb_tags rows follow in this import.
      await trx
        .deleteFrom('kb_tags')
        .where('entry_id', '=', row.id as never)
        .execute();
      await this.shared.searchIndex.upsert(trx, rowToKbEntry(row), rowToKbEntry(before));
    }
  }
}

/**
 * Orders rows that keep their generated sequence (kb_entries.seq) by it: SQLite appends ascending rowids to
 * the table's b-tree and to FTS5's pending segment, while a descending one makes FTS5 flush that segment
 * (one tiny segment per row, then merges: 5× the whole import's index time for a file in key order).
 */
function sortBySequence(rows: QueuedRow[], sequence: ReadonlySet<string>): void {
  if (sequence.size !== 1) return;
  const column = sequence.values().next().value as string;
  let sorted = true;
  for (let i = 1; i < rows.length && sorted; i++) {
    sorted = Number((rows[i - 1] as PendingRow).row[column]) <= Number((rows[i] as PendingRow).row[column]);
  }
  if (!sorted) rows.sort((a, b) => Number(a.row[column]) - Number(b.row[column]));
}

function normalise(value: unknown): unknown {
  return typeof value === 'bigint' ? Number(value) : value;
}

/**
 * Where the statement that starts at row `start` ends: after `maxRows` rows, or before the row that would take
 * its values past `MAX_STATEMENT_BYTES` (large blobs go a few at a time; MySQL refuses a statement longer than
 * its `max_allowed_packet`). At least one row.
 */
function statementEnd(
  rows: readonly PendingRow[],
  columns: readonly string[],
  start: number,
  maxRows: number,
): number {
  const last = Math.min(rows.length, start + maxRows);
  let bytes = 0;
  for (let i = start; i < last; i++) {
    const row = (rows[i] as PendingRow).row;
    for (const c of columns) bytes += boundValueBytes(row[c]);
    if (bytes > MAX_STATEMENT_BYTES && i > start) return i;
  }
  return last;
}

/**
 * Booleans and dates as the store keeps them (0/1 integers, ISO text) — the same on every dialect; bytes as
 * Buffers, which every driver binds as bytes.
 */
function bindable(value: FieldValue): unknown {
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (value instanceof Date) return value.toISOString();
  return bindableBytes(value);
}
