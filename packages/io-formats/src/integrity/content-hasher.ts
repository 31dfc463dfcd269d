import {
  type ContentHash,
  combineTableHashes,
  TableDigester,
  type TableHash,
} from '@mainframe-kb/storage-core';

/**
 * Computes the content hash of the tables an export writes from the rows it reads anyway, as they come from
 * the database: the same digests storage-core's `contentHash` makes, in the export's own snapshot, without a
 * second read of every table.
 */
export class ContentHasher {
  readonly #digesters = new Map<string, TableDigester>();

  constructor(tables: readonly string[]) {
    for (const table of tables) this.#digesters.set(table, new TableDigester());
  }

  /** Whether `table` is hashed (the migrations ledger is not: a restore leaves it to the target). */
  covers(table: string): boolean {
    return this.#digesters.has(table);
  }

  add(table: string, row: Readonly<Record<string, unknown>>): void {
    this.#digesters.get(table)?.add(row);
  }

  result(): ContentHash {
    const tables: Record<string, TableHash> = {};
    for (const [table, digester] of this.#digesters) tables[table] = digester.result();
    return { algorithm: 'sha256', hash: combineTableHashes(tables), tables };
  }
}
