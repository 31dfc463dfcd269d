import type { Transaction } from 'kysely';
import type { DialectAdapter } from '../dialect/dialect-adapter.js';
import { StorageErrorCode } from '../errors/error-codes.js';
import { StorageError, ValidationError } from '../errors/storage-error.js';
import type { TableContribution } from '../plugin/plugin-types.js';
import { insertRows } from '../util/insert-rows.js';
import { DEFAULT_BATCH_SIZE, readTableRows } from './table-reader.js';

/** Rows of one table, as read from a store: column name → value as the driver returned it. */
export interface TableBatch {
  readonly table: string;
  readonly entity: string;
  readonly rows: readonly Record<string, unknown>[];
}

export interface ExportTablesOptions {
  /** Tables to read (default: every non-derived table except the migrations ledger), in the store's order. */
  readonly tables?: readonly string[];
  readonly batchSize?: number;
}

export interface ImportTablesOptions {
  /** Delete the rows the target already holds in these tables first (in the same transaction). */
  readonly replace?: boolean;
  readonly onProgress?: (progress: TransferProgress) => void;
  /** Called inside the write transaction after the last row; throwing rolls the whole load back. */
  readonly beforeCommit?: (trx: Transaction<any>) => Promise<void>;
}

export interface TransferProgress {
  readonly table: string;
  /** Rows of `table` written so far. */
  readonly rows: number;
  /** Rows written so far over all tables. */
  readonly totalRows: number;
}

export interface ImportTablesResult {
  readonly rows: Readonly<Record<string, number>>;
  /**
   * The audit chain the load brought, verified: its rows, and per key id the rows keyed with a key this
   * store lacks (loaded, but unverifiable until the keyring has that key). Absent when kb_audit was not loaded.
   */
  readonly audit?: { readonly rows: number; readonly missingKeys: Readonly<Record<string, number>> };
}

/** The tables a transfer moves by default: stored content, parents before children. */
export function transferTables(
  all: readonly TableContribution[],
  names?: readonly string[],
): TableContribution[] {
  if (!names) return all.filter((t) => !t.derived && t.entity !== 'schema');
  const known = new Map(all.map((t) => [t.name, t]));
  const unknown = names.filter((n) => !known.has(n));
  if (unknown.length > 0) {
    const message = `not tables of this store: ${unknown.join(', ')}`;
    throw new ValidationError(message, [{ path: 'tables', message }]);
  }
  // Keep the store's order (parents first) whatever order the caller named them in.
  const wanted = new Set(names);
  return all.filter((t) => wanted.has(t.name));
}

/**
 * A one-slot hand-over between the read transaction that produces batches and the consumer that iterates
 * them, so the producer holds its snapshot open only as long as the consumer keeps pulling.
 */
class Handover<T> {
  #slot: { value: T; taken: () => void } | undefined;
  #waiting: ((r: IteratorResult<T>) => void) | undefined;
  #failed: { error: unknown } | undefined;
  #ended = false;
  #cancelled = false;
  #wake: (() => void) | undefined;

  /** Resolves once the consumer has taken the value; rejects when the consumer has gone. */
  put(value: T): Promise<void> {
    if (this.#cancelled) return Promise.reject(new TransferCancelled());
    return new Promise<void>((resolve, reject) => {
      this.#slot = { value, taken: resolve };
      this.#wake = () => reject(new TransferCancelled());
      this.#deliver();
    });
  }

  end(): void {
    this.#ended = true;
    this.#deliver();
  }

  fail(error: unknown): void {
    if (!this.#cancelled) this.#failed = { error };
    this.#deliver();
  }

  cancel(): void {
    this.#cancelled = true;
    const wake = this.#wake;
    this.#slot = undefined;
    this.#wake = undefined;
    wake?.();
  }

  take(): Promise<IteratorResult<T>> {
    return new Promise((resolve, reject) => {
      this.#waiting = (r) => (this.#failed ? reject(this.#failed.error) : resolve(r));
      this.#deliver();
    });
  }

  #deliver(): void {
    const waiting = this.#waiting;
    if (!waiting) return;
    if (this.#slot) {
      const { value, taken } = this.#slot;
      this.#slot = undefined;
      this.#wake = undefined;
      this.#waiting = undefined;
      taken();
      waiting({ value, done: false });
    } else if (this.#failed || this.#ended) {
      this.#waiting = undefined;
      waiting({ value: undefined, done: true });
    }
  }
}

class TransferCancelled extends Error {
  constructor() {
    super('the consumer stopped reading');
  }
}

/**
 * Reads `tables` in one read transaction (one consistent snapshot) and yields their rows in batches, parents
 * before children. Stopping the iteration early ends the transaction.
 */
export async function* readTableBatches(
  dialect: DialectAdapter,
  tables: readonly TableContribution[],
  batchSize = DEFAULT_BATCH_SIZE,
): AsyncGenerator<TableBatch> {
  if (!Number.isSafeInteger(batchSize) || batchSize < 1 || batchSize > 100_000) {
    const message = 'batchSize must be an integer from 1 to 100000';
    throw new ValidationError(message, [{ path: 'batchSize', message }]);
  }
  const handover = new Handover<TableBatch>();
  const producer = dialect
    .readTransaction(async (trx) => {
      for (const table of tables) {
        for await (const rows of readTableRows(trx, table, batchSize)) {
          await handover.put({ table: table.name, entity: table.entity, rows });
        }
      }
    })
    .then(
      () => handover.end(),
      (error) => handover.fail(error),
    );
  try {
    for (;;) {
      const next = await handover.take();
      if (next.done) break;
      yield next.value;
    }
  } finally {
    handover.cancel();
    await producer;
  }
}

/** Bound parameters per multi-row INSERT: under SQLite's 32,766 and the servers' 65,535. */
const MAX_PARAMETERS = 30_000;

/**
 * Writes batches into `tables` of the target in one write transaction: all or nothing. Tables must be empty
 * unless `replace` is set. The caller rebuilds derived state (search index, sequences) through `afterLoad`.
 */
export async function writeTableBatches(
  dialect: DialectAdapter,
  tables: readonly TableContribution[],
  batches: AsyncIterable<TableBatch>,
  options: ImportTablesOptions & {
    afterLoad: (trx: Transaction<any>, loaded: string[], rows: Record<string, number>) => Promise<void>;
  },
): Promise<ImportTablesResult> {
  const known = new Map(tables.map((t) => [t.name, t]));
  const counts: Record<string, number> = {};
  let totalRows = 0;
  await dialect.writeTransaction(async (trx) => {
    if (options.replace) {
      // The one sanctioned whole-table change of an append-only table (the audit trail): its guard is lifted
      // for these deletes only, not for what callers run later in the transaction.
      await dialect.appendOnlyGuard.lifted(trx, async () => {
        for (const table of [...tables].reverse()) await trx.deleteFrom(table.name).execute();
      });
    } else {
      const occupied: string[] = [];
      for (const table of tables) {
        const row = await trx
          .selectFrom(table.name)
          .select((eb) => eb.lit(1).as('one'))
          .limit(1)
          .execute();
        if (row.length > 0) occupied.push(table.name);
      }
      if (occupied.length > 0) {
        throw new StorageError(
          StorageErrorCode.CONFLICT,
          `the target already holds rows in ${occupied.join(', ')}; load into an empty store or replace its content`,
          { details: { tables: occupied } },
        );
      }
    }
    for await (const batch of batches) {
      if (!known.has(batch.table)) {
        throw new StorageError(
          StorageErrorCode.VALIDATION,
          `the target has no table '${batch.table}' (is the plugin that owns it enabled there?)`,
          { details: { table: batch.table } },
        );
      }
      if (batch.rows.length === 0) continue;
      const columns = Object.keys(batch.rows[0]!).length;
      await insertRows(trx, batch.table, batch.rows, Math.max(1, Math.floor(MAX_PARAMETERS / columns)));
      counts[batch.table] = (counts[batch.table] ?? 0) + batch.rows.length;
      totalRows += batch.rows.length;
      options.onProgress?.({ table: batch.table, rows: counts[batch.table]!, totalRows });
    }
    await options.afterLoad(trx, Object.keys(counts), { ...counts });
    await options.beforeCommit?.(trx);
  });
  return { rows: counts };
}
