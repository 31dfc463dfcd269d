import type { WriteScope } from '@mainframe-kb/storage-core';
import type { TableInfo } from '../export/table-schema.js';
import type { ConflictPolicy, ImportIssue, RecordCounts, TableCounts } from './import-types.js';
import type { PreparedEntry, PreparedItem, PreparedRejection, PreparedRow } from './item-preparer.js';
import { newEntryRow } from './kb-entry-mapping.js';
import { emptyCounts } from './record-counts.js';
import { type RecordOutcome, TableWriter, type WriterShared } from './table-writer.js';

const FLUSH_AT = 1_000;

/**
 * One import's validation and writing, independent of how transactions are cut: the caller hands it items
 * inside a write scope and flushes at the end of each transaction. After the first rejected record nothing
 * more is written (the transaction will not commit), but every record is still validated and reported.
 *
 * The rows one input record makes (an entry and its tags, a ticket and its error codes) travel together: the
 * first is the record's head, and the others follow what became of it. Flushes happen on a record's edge only,
 * so a record's rows are always classified together.
 */
export class ImportSession {
  readonly errors: ImportIssue[] = [];
  rejectedRecords = 0;
  readonly ignoredFields = new Set<string>();
  readonly #writers = new Map<string, TableWriter>();
  readonly #order: string[];
  readonly #rejectedOrdinals = new Set<number>();
  /** Records by the entity of their head row, counted as each flush settles them. */
  readonly #records = new Map<string, RecordCounts>();
  /** Items queued since the last flush, all tables together. */
  #queued = 0;
  /** The input record being accepted, and whether its head row was seen. */
  #ordinal = 0;
  #headSeen = false;

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

  /** Rows per table, `unchanged` included. */
  rowCounts(): Record<string, RecordCounts> {
    const out: Record<string, RecordCounts> = {};
    for (const [table, writer] of this.#writers) out[table] = { ...writer.counts };
    return out;
  }

  /** Rows per table in the shape of earlier releases (no `unchanged`). */
  tableCounts(): Record<string, TableCounts> {
    const out: Record<string, TableCounts> = {};
    for (const [table, writer] of this.#writers) out[table] = { ...writer.legacy };
    return out;
  }

  /** Input records per entity of their head row (what a plain file or a source system's export holds). */
  recordCounts(): Record<string, RecordCounts> {
    const out: Record<string, RecordCounts> = {};
    for (const [entity, counts] of this.#records) out[entity] = { ...counts };
    return out;
  }

  /** Rows inserted or updated so far (an import, or a batch, that changes nothing leaves no audit row). */
  get writes(): number {
    let n = 0;
    for (const writer of this.#writers.values()) n += writer.counts.inserted + writer.counts.updated;
    return n;
  }

  /**
   * Queues one item that `prepareItem` validated; returns the flush to await when the queue is full, else
   * undefined — most items cost no promise (an async method would make one per record). A full queue is
   * flushed before the first row of the next record, never between the rows of one.
   */
  accept(item: PreparedItem, scope: WriteScope): Promise<void> | undefined {
    if (item.ordinal !== this.#ordinal && this.#queued >= FLUSH_AT) {
      return this.flush(scope).then(() => this.#take(item, scope));
    }
    this.#take(item, scope);
    return undefined;
  }

  #take(item: PreparedItem, scope: WriteScope): void {
    if (item.ordinal !== this.#ordinal) {
      this.#ordinal = item.ordinal;
      this.#headSeen = false;
    }
    if (item.kind === 'entry') this.#entry(item, scope.now);
    else if (item.kind === 'row') this.#row(item);
    else this.#rejected(item);
    this.#queued += 1;
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
    this.#settle();
  }

  /** Counts the records of the flush by the entity of their head, then forgets them. */
  #settle(): void {
    for (const [ordinal, { table, outcome }] of this.shared.outcomes) {
      const entity = this.infos.get(table)?.schema.entity ?? table;
      let counts = this.#records.get(entity);
      if (counts === undefined) {
        counts = emptyCounts();
        this.#records.set(entity, counts);
      }
      // A record one of whose rows was refused is rejected, whatever became of its head.
      counts[this.#rejectedOrdinals.has(ordinal) ? 'rejected' : outcome] += 1;
    }
    this.shared.outcomes.clear();
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

  /** The current record's head is settled before a writer sees it (refused, or a repeat in the input). */
  #settleHead(table: string, outcome: RecordOutcome): void {
    if (!this.shared.outcomes.has(this.#ordinal)) this.shared.outcomes.set(this.#ordinal, { table, outcome });
  }

  #rejected(item: PreparedRejection): void {
    for (const column of item.ignored) this.ignoredFields.add(column);
    const writer = item.counted ? this.#writer(item.table) : undefined;
    if (writer !== undefined) writer.count({ derived: false }, 'rejected');
    if (!this.#headSeen) {
      this.#headSeen = true;
      this.#settleHead(item.table, 'rejected');
    }
    for (const issue of item.issues) {
      this.#reject({
        record: item.ordinal,
        table: item.table,
        location: item.location,
        ...issue,
        reason: 'invalid',
      });
    }
  }

  #row(item: PreparedRow): void {
    const writer = this.#writer(item.table) as TableWriter;
    const { row, ordinal, location, ensure, mode, given } = item;
    const head = !ensure && !this.#headSeen;
    if (head) this.#headSeen = true;
    const duplicate = writer.add(
      { row, ordinal, location, mode, given, derived: ensure, follower: !ensure && !head, ensure },
      item.table,
    );
    if (duplicate) {
      if (head) this.#settleHead(item.table, 'rejected');
      this.#reject(duplicate);
    }
  }

  #entry(item: PreparedEntry, now: string): void {
    const entries = this.#writer('kb_entries');
    const tags = this.#writer('kb_tags');
    if (entries === undefined || tags === undefined) throw new Error('the knowledge-base tables are missing');
    for (const column of item.ignored) this.ignoredFields.add(column);
    this.#headSeen = true;
    const { entry, ordinal, location } = item;
    const row = newEntryRow(entry, entry.id, now);
    const duplicate = entries.add({ row, ordinal, location, mode: 'entry', derived: false }, 'kb_entries');
    if (duplicate) {
      this.#settleHead('kb_entries', 'rejected');
      this.#reject(duplicate);
      return;
    }
    for (const tag of entry.tags) {
      tags.add(
        {
          row: { entry_id: entry.id, tag },
          ordinal,
          location,
          mode: 'exact',
          derived: true,
          follower: true,
        },
        'kb_tags',
      );
    }
  }
}
