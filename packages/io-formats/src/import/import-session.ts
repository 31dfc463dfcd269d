import { randomUUID } from 'node:crypto';
import type { WriteScope } from '@mainframe-kb/storage-core';
import type { TableInfo } from '../export/table-schema.js';
import type { RawItem } from './import-source.js';
import type { ConflictPolicy, ImportIssue, TableCounts } from './import-types.js';
import { kbEntryRecordSchema, mapKbRecord, newEntryRow } from './kb-entry-mapping.js';
import { validateRow } from './row-validator.js';
import { TableWriter, type WriterShared } from './table-writer.js';

const FLUSH_AT = 1_000;

/**
 * One import's validation and writing, independent of how transactions are cut: the caller hands it items
 * inside a write scope and flushes at the end of each transaction. After the first rejected record nothing
 * more is written (the transaction will not commit), but every record is still validated and reported.
 */
export class ImportSession {
  readonly errors: ImportIssue[] = [];
  rejectedRecords = 0;
  readonly ignoredFields = new Set<string>();
  readonly #writers = new Map<string, TableWriter>();
  readonly #order: string[];
  readonly #rejectedOrdinals = new Set<number>();
  /** Items queued since the last flush, all tables together. */
  #queued = 0;

  constructor(
    private readonly infos: ReadonlyMap<string, TableInfo>,
    private readonly policy: ConflictPolicy,
    private readonly shared: WriterShared,
    private readonly maxErrors: number,
    /** Batch mode: a rejected record is left out and the rest of its batch is still written. */
    private readonly keepGoing: boolean,
  ) {
    this.#order = [...infos.keys()];
  }

  get writing(): boolean {
    return this.keepGoing || this.rejectedRecords === 0;
  }

  /** Tables this import inserted rows into, for the dialect's key generators (PostgreSQL sequences). */
  writtenTables(): string[] {
    return [...this.#writers.values()].filter((w) => w.counts.inserted > 0 || w.size > 0).map((w) => w.table);
  }

  tableCounts(): Record<string, TableCounts> {
    const out: Record<string, TableCounts> = {};
    for (const [table, writer] of this.#writers) out[table] = { ...writer.counts };
    return out;
  }

  /**
   * Validates and queues one item; returns the flush to await when the queue is full, else undefined — most
   * items cost no promise (an async method would make one per record).
   */
  process(item: RawItem, ordinal: number, scope: WriteScope): Promise<void> | undefined {
    if (item.kind === 'entry') this.#entry(item, ordinal, scope);
    else this.#row(item, ordinal);
    this.#queued += 1;
    return this.#queued >= FLUSH_AT ? this.flush(scope) : undefined;
  }

  /** Writes every table's queued rows, parents before children (the order of the store's tables). */
  async flush(scope: WriteScope): Promise<void> {
    this.#queued = 0;
    for (const table of this.#order) {
      const writer = this.#writers.get(table);
      if (writer === undefined) continue;
      const conflicts = await writer.flush(scope.trx, this.writing);
      for (const issue of conflicts) this.#reject(issue);
    }
  }

  #writer(table: string): TableWriter | undefined {
    let writer = this.#writers.get(table);
    if (writer === undefined) {
      const info = this.infos.get(table);
      if (info === undefined) return undefined;
      writer = new TableWriter(info, this.policy, this.shared);
      this.#writers.set(table, writer);
    }
    return writer;
  }

  #reject(issue: ImportIssue): void {
    if (!this.#rejectedOrdinals.has(issue.record)) {
      this.#rejectedOrdinals.add(issue.record);
      this.rejectedRecords += 1;
    }
    if (this.errors.length < this.maxErrors) this.errors.push(issue);
  }

  #row(item: RawItem, ordinal: number): void {
    const writer = this.#writer(item.table);
    if (writer === undefined) {
      this.#reject({
        record: ordinal,
        table: item.table,
        location: item.location,
        field: '',
        message: `the table '${item.table}' does not exist in this store; enable the extension that owns it`,
      });
      return;
    }
    const { row, issues } = validateRow(writer.info, item.record);
    if (issues.length > 0) {
      writer.counts.rejected += 1;
      for (const issue of issues) {
        this.#reject({ record: ordinal, table: item.table, location: item.location, ...issue });
      }
      return;
    }
    const duplicate = writer.add(
      { row, ordinal, location: item.location, partial: false, derived: false },
      item.table,
    );
    if (duplicate) this.#reject(duplicate);
  }

  #entry(item: RawItem, ordinal: number, scope: WriteScope): void {
    const entries = this.#writer('kb_entries');
    const tags = this.#writer('kb_tags');
    if (entries === undefined || tags === undefined) throw new Error('the knowledge-base tables are missing');
    const { input, ignored } = mapKbRecord(item.record);
    for (const column of ignored) this.ignoredFields.add(column);
    const parsed = kbEntryRecordSchema.safeParse(input);
    if (!parsed.success) {
      entries.counts.rejected += 1;
      for (const issue of parsed.error.issues) {
        this.#reject({
          record: ordinal,
          table: 'kb_entries',
          location: item.location,
          field: issue.path.map(String).join('.'),
          message: issue.message,
        });
      }
      return;
    }
    const id = parsed.data.id ?? randomUUID();
    const row = newEntryRow(parsed.data, id, scope.now);
    const duplicate = entries.add(
      { row, ordinal, location: item.location, partial: true, derived: false },
      'kb_entries',
    );
    if (duplicate) {
      this.#reject(duplicate);
      return;
    }
    for (const tag of parsed.data.tags) {
      tags.add(
        { row: { entry_id: id, tag }, ordinal, location: item.location, partial: false, derived: true },
        'kb_tags',
      );
    }
  }
}
