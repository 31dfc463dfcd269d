import {
  bindableBytes,
  boundValueBytes,
  MAX_STATEMENT_BYTES,
  type SearchIndex,
  ValidationError,
} from '@mainframe-kb/storage-core';
import { CompiledQuery, type Transaction } from 'kysely';
import type { FieldValue, RecordLocation } from '../codec-types.js';
import type { ColumnInfo, TableInfo } from '../export/table-schema.js';
import type { ConflictPolicy, ImportIssue, RecordCounts, TableCounts } from './import-types.js';
import { rowToKbEntry } from './kb-entry-mapping.js';
import { KeyFilter, keyHash } from './key-filter.js';

/**
 * How a row is compared with the stored row of its key, and how it updates it:
 * - `exact`: a row of an export, written as it is; equal when every column is.
 * - `entry`: a KB entry made from a plain record: it carries the entry's text; the stored entry's history,
 *   counters and creation stay, and it is equal when the text, category, severity and tags are.
 * - `source`: a row a domain importer made from a source system's record: it updates the columns it gives
 *   (the others, such as a KB link made in the store, stay), keeps the stored `imported_at`, and is equal when
 *   every column it gives but the write times (`imported_at`, `updated_at`) is.
 */
export type RowMode = 'exact' | 'entry' | 'source';

/** What became of an input record (the outcome of its first row, which its other rows follow). */
export type RecordOutcome = 'inserted' | 'updated' | 'unchanged' | 'skipped' | 'rejected';

export interface PendingRow {
  readonly row: Record<string, FieldValue>;
  readonly ordinal: number;
  readonly location: RecordLocation;
  readonly mode: RowMode;
  /** `source` rows: the columns the importer gave; the others keep their stored values on update. */
  readonly given?: ReadonlySet<string> | undefined;
  /** Made from another row (kb_tags of a plain entry): a repeat is dropped rather than refused. */
  readonly derived: boolean;
  /**
   * A later row of an input record whose first row (its head) is in an earlier table: written when the head
   * is inserted or updated, left alone when the head is unchanged, skipped or rejected.
   */
  readonly follower?: boolean;
  /** Inserted when no row has its key, else left alone whatever the policy (DomainRecord.ensure). */
  readonly ensure?: boolean;
}

/** Columns of a source row that say when it was written, not what it holds: never compared. */
const WRITE_TIME_COLUMNS: ReadonlySet<string> = new Set(['imported_at', 'updated_at']);
/** Of those, the one an update keeps: when the record was first imported. */
const FIRST_WRITE_COLUMN = 'imported_at';
/** The columns of kb_entries that a plain record carries: the entry's content. */
const ENTRY_CONTENT_COLUMNS = ['title', 'problem', 'solution', 'category', 'severity', 'tags'] as const;

/** A queued row with its key, computed once (JSON.stringify) and used for the batch set and the lookup. */
interface QueuedRow extends PendingRow {
  readonly key: string;
  /** The key's `keyHash` for the filter of inserted keys, once computed (else -1). */
  hash: number;
}

function hashOf(row: QueuedRow): number {
  if (row.hash < 0) row.hash = keyHash(row.key);
  return row.hash;
}

/** Rows of one statement: SQLite binds up to 32,766 variables, PostgreSQL 65,535, MySQL 65,535. */
const MAX_BINDINGS = 8_000;
const LOOKUP_CHUNK = 500;
const NOTHING_STORED: ReadonlyMap<string, Record<string, unknown>> = new Map();

/** State shared by the writers of one import. */
export interface WriterShared {
  /** kb_entries ids the conflict policy skipped: their kb_tags rows are skipped with them. */
  readonly skippedEntries: Set<string>;
  /**
   * The outcome of each input record of the current flush, set by its head row (or by a rejection before it
   * reached a writer), read by its followers; cleared after each flush, which always ends on a record's edge.
   */
  readonly outcomes: Map<number, { readonly table: string; readonly outcome: RecordOutcome }>;
  /**
   * Derived tables (indexes of other rows, e.g. an incident's error codes) of each table's entity, keyed by the
   * parent's id in their first key column: a `source` row that updates its parent replaces them, with the rows
   * its record brings.
   */
  readonly derivedOf: ReadonlyMap<string, readonly TableInfo[]>;
  readonly searchIndex: SearchIndex;
  /**
   * A multi-row INSERT gives its rows consecutive generated keys and reports the last as its insertId
   * (SQLite's AUTOINCREMENT on one connection), so new entries' keys are known without reading them back.
   */
  readonly consecutiveKeys: boolean;
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
  /** Every row of the table, by what became of it. */
  readonly counts: RecordCounts = { inserted: 0, updated: 0, unchanged: 0, skipped: 0, rejected: 0 };
  /**
   * The counts of earlier releases (`ImportResult.tables`): the rows the pipeline makes from another row (a
   * plain entry's tags) left out, and no `unchanged`.
   */
  readonly legacy: TableCounts = { inserted: 0, updated: 0, skipped: 0, rejected: 0 };
  readonly #pending: QueuedRow[] = [];
  /** Keys queued since the last flush; earlier ones are found in the table (see `flush`). */
  readonly #batchKeys = new Set<string>();
  /** Keys this writer inserted, when the table held none at the start (see `flush`). */
  readonly #inserted = new KeyFilter();
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

  /** Counts one row; a row made from another (a plain entry's tag) only in `counts`. */
  count(row: Pick<PendingRow, 'derived'>, outcome: keyof RecordCounts): void {
    this.counts[outcome] += 1;
    if (!row.derived && outcome !== 'unchanged') this.legacy[outcome] += 1;
  }

  get size(): number {
    return this.#pending.length;
  }

  /** The key as a reader sees it, for messages: `["E1"]`, `["E1","tag"]`. */
  describeKey(row: Readonly<Record<string, FieldValue>>): string {
    return JSON.stringify(this.info.schema.primaryKey.map((k) => row[k] ?? null));
  }

  /**
   * The key a person knows the record by, for conflict summaries: a source system's ticket number when the row
   * has one (`INC0010001` rather than the store's id derived from it), else the key.
   */
  labelKey(row: Readonly<Record<string, FieldValue>>): string {
    const ticket = row.ticket_id;
    if (typeof ticket === 'string' && ticket !== '') return ticket;
    const key = this.info.schema.primaryKey;
    if (key.length === 1) return String(row[key[0] as string] ?? null);
    return this.describeKey(row);
  }

  /**
   * The row's key as a string for the set of keys seen. JSON.stringify builds a fresh flat string: a key
   * made by slicing or concatenating would keep the whole decoded input chunk it came from alive.
   */
  keyOf(row: Readonly<Record<string, FieldValue>>): string {
    const key = this.info.schema.primaryKey;
    let out = JSON.stringify(row[key[0] as string] ?? null);
    // A composite key: its values as in a JSON array, without the brackets (no array per row).
    for (let i = 1; i < key.length; i++) out += `,${JSON.stringify(row[key[i] as string] ?? null)}`;
    return out;
  }

  /** Queues a row; returns an issue when the input already had a row with this key. */
  add(pending: PendingRow, table: string): ImportIssue | undefined {
    const key = this.keyOf(pending.row);
    if (this.#batchKeys.has(key)) {
      if (pending.derived || pending.follower) return undefined;
      this.count(pending, 'rejected');
      return {
        record: pending.ordinal,
        table,
        location: pending.location,
        field: this.info.schema.primaryKey.join(','),
        message: `the input holds the key ${this.describeKey(pending.row)} twice`,
        reason: 'duplicate',
        key: this.labelKey(pending.row),
      };
    }
    this.#batchKeys.add(key);
    // Spelled out: a spread copies generically, and this runs for every row.
    this.#pending.push({
      row: pending.row,
      ordinal: pending.ordinal,
      location: pending.location,
      mode: pending.mode,
      given: pending.given,
      derived: pending.derived,
      follower: pending.follower,
      ensure: pending.ensure,
      key,
      hash: -1,
    });
    return undefined;
  }

  /** Writes (or, with `write` false, only classifies) the queued rows; returns conflicts under policy `fail`. */
  async flush(trx: Transaction<any>, write: boolean): Promise<ImportIssue[]> {
    const rows = this.#pending.splice(0);
    this.#batchKeys.clear();
    if (rows.length === 0) return [];
    const issues: ImportIssue[] = [];
    const isEntries = this.table === 'kb_entries';
    const outcomes = this.shared.outcomes;
    // Rows that follow their record's head: left alone with it, or written again after it was replaced.
    const live: QueuedRow[] = [];
    const replacing: QueuedRow[] = [];
    const skippable = this.table === 'kb_tags' && this.shared.skippedEntries.size > 0;
    for (const r of rows) {
      if (skippable && !r.follower && this.#skippedTag(r)) continue;
      const fate = r.follower ? outcomes.get(r.ordinal)?.outcome : undefined;
      if (fate === undefined || fate === 'inserted') live.push(r);
      else if (fate === 'updated') {
        // The head's update removed the rows of this table it owned (an entry's tags, an incident's codes).
        if (this.#replacedWithHead()) replacing.push(r);
        else live.push(r);
      } else if (fate === 'unchanged') this.count(r, 'unchanged');
      else if (fate === 'skipped') this.count(r, 'skipped');
      // A rejected head's rows are neither written nor counted: the record is rejected as a whole.
    }
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
    // A table of the import's own rows holds only keys this writer inserted, which a Bloom filter of them
    // (2 bytes a key) tells apart from new ones: a row whose key it has never seen is not looked up, and on a
    // fresh import that is all rows but one to three in a thousand.
    const lookUp = ownRows ? live.filter((r) => this.#inserted.mightHold(hashOf(r))) : live;
    // The whole stored row is read when it may be compared (update) or keeps part of itself (a plain entry).
    const existing =
      lookUp.length === 0
        ? NOTHING_STORED
        : await this.#lookup(trx, lookUp, this.policy === 'update' && !ownRows);
    const inserts: QueuedRow[] = [...replacing];
    const updates: { pending: PendingRow; before: Record<string, unknown> }[] = [];
    const table = this.table;
    for (const pending of live) {
      const head = !pending.follower && !pending.ensure;
      const before = existing.size === 0 ? undefined : existing.get(pending.key);
      if (before === undefined) {
        inserts.push(pending);
        settleHead(outcomes, head, pending.ordinal, table, 'inserted');
        continue;
      }
      if (pending.ensure) continue;
      if (ownRows) {
        if (pending.derived || pending.follower) continue;
        this.count(pending, 'rejected');
        settleHead(outcomes, head, pending.ordinal, table, 'rejected');
        issues.push({
          record: pending.ordinal,
          table: this.table,
          location: pending.location,
          field: this.info.schema.primaryKey.join(','),
          message: `the input holds the key ${this.describeKey(pending.row)} twice`,
          reason: 'duplicate',
          key: this.labelKey(pending.row),
        });
      } else if (this.policy === 'skip') {
        this.count(pending, 'skipped');
        settleHead(outcomes, head, pending.ordinal, table, 'skipped');
        if (isEntries) this.shared.skippedEntries.add(String(pending.row.id));
      } else if (this.policy === 'fail') {
        this.count(pending, 'rejected');
        settleHead(outcomes, head, pending.ordinal, table, 'rejected');
        // The stored entry stays as it is, and so do its tags: the rejected record's tags are not applied.
        if (isEntries) this.shared.skippedEntries.add(String(pending.row.id));
        // Rows that follow a refused head are refused with it, not one conflict each.
        if (pending.follower || pending.derived) continue;
        issues.push({
          record: pending.ordinal,
          table: this.table,
          location: pending.location,
          field: this.info.schema.primaryKey.join(','),
          message: `a row with the key ${this.describeKey(pending.row)} already exists (conflict policy: fail)`,
          reason: 'conflict',
          key: this.labelKey(pending.row),
        });
      } else if (this.#same(pending, before)) {
        this.count(pending, 'unchanged');
        settleHead(outcomes, head, pending.ordinal, table, 'unchanged');
      } else {
        updates.push({ pending, before });
        settleHead(outcomes, head, pending.ordinal, table, 'updated');
      }
    }
    for (const r of inserts) this.count(r, 'inserted');
    for (const u of updates) this.count(u.pending, 'updated');
    if (!write || (issues.length > 0 && !this.shared.keepGoing)) return issues;
    // Sequence columns outside the key (kb_entries.seq) are restored exactly into an empty table and
    // assigned by the database when merging into a table that has rows.
    // Only rows that all carry the values can keep them: a domain importer's rows carry none, and binding
    // NULL to the column fails where it is NOT NULL (PostgreSQL's serial).
    const auto = this.#autoColumns();
    const autoList = [...auto];
    const carried = inserts.every((r) => autoList.every((c) => r.row[c] !== null && r.row[c] !== undefined));
    this.#keepAutoIncrement ??= this.#emptyAtStart === true && inserts.length === live.length && carried;
    if (this.#keepAutoIncrement && !carried) {
      throw new ValidationError(
        `${this.table}: some records carry ${[...auto].join(', ')} and some do not; give it in every record or in none`,
        [{ path: [...auto].join(','), message: 'given in some records only' }],
      );
    }
    if (this.#keepAutoIncrement) sortBySequence(inserts, auto);
    const keys = await this.#insert(trx, inserts, isEntries);
    if (ownRows) for (const r of inserts) this.#inserted.add(hashOf(r));
    for (const { pending, before } of updates) await this.#update(trx, pending, before);
    if (isEntries) {
      const entries = inserts.map((r) => rowToKbEntry(r.row));
      if (entries.length > 0) await this.shared.searchIndex.upsertMany(trx, entries, keys);
    }
    return issues;
  }

  /** Whether an updated head removed this table's rows of its record (so they are all inserted again). */
  #replacedWithHead(): boolean {
    if (this.table === 'kb_tags') return true;
    for (const derived of this.shared.derivedOf.values()) {
      if (derived.some((d) => d.schema.table === this.table)) return true;
    }
    return false;
  }

  /** Whether `pending` holds what `before` (the stored row of its key) holds, as its mode compares rows. */
  #same(pending: PendingRow, before: Readonly<Record<string, unknown>>): boolean {
    const key = this.info.schema.primaryKey;
    const auto = this.#autoColumns();
    for (const column of this.info.columns) {
      const name = column.name;
      if (key.includes(name) || auto.has(name)) continue;
      if (pending.mode === 'entry') {
        const content = (ENTRY_CONTENT_COLUMNS as readonly string[]).includes(name);
        // The author counts when the record names one; the rest is the store's own (history, counters).
        if (!content && !(name === 'created_by' && pending.row.created_by !== null)) continue;
      } else if (pending.mode === 'source') {
        if (WRITE_TIME_COLUMNS.has(name) || !pending.given?.has(name)) continue;
      }
      if (!sameValue(column, pending.row[name] ?? null, before[name])) return false;
    }
    return true;
  }

  #skippedTag(pending: PendingRow): boolean {
    if (!this.shared.skippedEntries.has(String(pending.row.entry_id))) return false;
    this.count(pending, 'skipped');
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

  /**
   * Inserts the rows; with `wantKeys`, returns their generated keys (kb_entries.seq) in order when they are
   * known without a read: carried by the rows, or consecutive up to each statement's insertId.
   */
  async #insert(
    trx: Transaction<any>,
    rows: readonly PendingRow[],
    wantKeys: boolean,
  ): Promise<number[] | undefined> {
    if (rows.length === 0) return undefined;
    const auto = this.#autoColumns();
    const drop = this.#keepAutoIncrement ? new Set<string>() : auto;
    const keyColumn = auto.size === 1 ? [...auto][0]! : undefined;
    let keys: number[] | undefined;
    if (wantKeys && keyColumn !== undefined) {
      if (this.#keepAutoIncrement) keys = rows.map((r) => Number(r.row[keyColumn]));
      else if (this.shared.consecutiveKeys) keys = [];
    }
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
      const result = await trx.executeQuery(CompiledQuery.raw(text, parameters));
      if (keys !== undefined && !this.#keepAutoIncrement) {
        const last = result.insertId === undefined ? Number.NaN : Number(result.insertId);
        if (Number(result.numAffectedRows) !== chunk.length || !Number.isSafeInteger(last)) keys = undefined;
        else for (let k = chunk.length - 1; k >= 0; k--) keys.push(last - k);
      }
    }
    return keys;
  }

  async #update(trx: Transaction<any>, pending: PendingRow, before: Record<string, unknown>): Promise<void> {
    const key = this.info.schema.primaryKey;
    const drop = this.#autoColumns();
    const set: Record<string, unknown> = {};
    let row = pending.row;
    if (pending.mode === 'entry' && this.table === 'kb_entries') {
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
      // A source row changes what it gives; the first import's time and what the store added stay.
      if (
        pending.mode === 'source' &&
        (column.name === FIRST_WRITE_COLUMN || !pending.given?.has(column.name))
      )
        continue;
      set[column.name] = bindable(row[column.name] ?? null);
    }
    let query = trx.updateTable(this.table).set(set);
    for (const column of key) query = query.where(column, '=', row[column] as never);
    await query.execute();
    if (pending.mode === 'source' && key.length === 1) {
      // Its derived rows (an incident's error codes) come again with the record: the stale ones go first.
      const id = row[key[0] as string];
      for (const derived of this.shared.derivedOf.get(this.table) ?? []) {
        const parent = derived.schema.primaryKey[0] as string;
        await trx
          .deleteFrom(derived.schema.table)
          .where(parent, '=', id as never)
          .execute();
      }
    }
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

function settleHead(
  outcomes: WriterShared['outcomes'],
  head: boolean,
  ordinal: number,
  table: string,
  outcome: RecordOutcome,
): void {
  if (head) outcomes.set(ordinal, { table, outcome });
}

function normalise(value: unknown): unknown {
  return typeof value === 'bigint' ? Number(value) : value;
}

/**
 * Whether a row's value (as the import binds it) equals what the database returned for the column, across
 * dialects: numbers that come back as bigint or text (PostgreSQL's int8, MySQL's BIGINT), booleans as 0/1 or
 * true/false, native timestamps as Dates, bytes as Buffers.
 */
function sameValue(column: ColumnInfo, value: FieldValue, stored: unknown): boolean {
  const bound = bindable(value);
  if (bound === null || stored === null || stored === undefined) return bound === null && stored == null;
  switch (column.type) {
    case 'integer':
    case 'double':
    case 'boolean':
      return Number(bound) === Number(typeof stored === 'boolean' ? (stored ? 1 : 0) : stored);
    case 'binary':
      return (
        bound instanceof Uint8Array &&
        stored instanceof Uint8Array &&
        Buffer.compare(Buffer.from(bound), Buffer.from(stored)) === 0
      );
    case 'timestamp':
      return String(bound) === (stored instanceof Date ? stored.toISOString() : String(stored));
    default:
      return String(bound) === String(stored);
  }
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
