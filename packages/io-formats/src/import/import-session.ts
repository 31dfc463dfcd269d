import type { WriteScope } from '@mainframe-kb/storage-core';
import type { TableInfo } from '../export/table-schema.js';
import type { ConflictPolicy, ImportIssue, TableCounts } from './import-types.js';
import type { PreparedEntry, PreparedItem, PreparedRejection, PreparedRow } from './item-preparer.js';
import { newEntryRow } from './kb-entry-mapping.js';
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
   * Queues one item that `prepareItem` validated; returns the flush to await when the queue is full, else
   * undefined — most items cost no promise (an async method would make one per record).
   */
  accept(item: PreparedItem, scope: WriteScope): Promise<void> | undefined {
    if (item.kind === 'entry') this.#entry(item, scope);
    else if (item.kind === 'row') this.#row(item);
    else this.#rejected(item);
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

  #rejected(item: PreparedRejection): void {
    for (const column of item.ignored) this.ignoredFields.add(column);
    const writer = item.counted ? this.#writer(item.table) : undefined;
    if (writer !== undefined) writer.counts.rejected += 1;
    for (const issue of item.issues) {
      this.#reject({ record: item.ordinal, table: item.table, location: item.location, ...issue });
    }
  }

  #row(item: PreparedRow): void {
    const writer = this.#writer(item.table) as TableWriter;
    const { row, ordinal, location, ensure } = item;
    const duplicate = writer.add(
      { row, ordinal, location, partial: false, derived: ensure, ensure },
      item.table,
    );
    if (duplicate) this.#reject(duplicate);
  }

  #entry(item: PreparedEntry, scope: WriteScope): void {
    const entries = this.#writer('kb_entries');
    const tags = this.#writer('kb_tags');
    if (entries === undefined || tags === undefined) throw new Error('the knowledge-base tables are missing');
    for (const column of item.ignored) this.ignoredFields.add(column);
    const { entry, ordinal, location } = item;
    const row = newEntryRow(entry, entry.id, scope.now);
    const duplicate = entries.add({ row, ordinal, location, partial: true, derived: false }, 'kb_entries');
    if (duplicate) {
      this.#reject(duplicate);
      return;
    }
    for (const tag of entry.tags) {
      tags.add(
        { row: { entry_id: entry.id, tag }, ordinal, location, partial: false, derived: true },
        'kb_tags',
      );
    }
  }
}
