import {
  type ContentHash,
  combineTableHashes,
  rowDigest,
  type TableHash,
  tableDigest,
} from '@mainframe-kb/storage-core';

/**
 * Computes the content hash of the tables an export writes from the rows it reads anyway, as they come from
 * the database: the same digests storage-core's `contentHash` makes, in the export's own snapshot, without a
 * second read of every table.
 */
export class ContentHasher {
  readonly #digests = new Map<string, Buffer[]>();

  constructor(tables: readonly string[]) {
    for (const table of tables) this.#digests.set(table, []);
  }

  /** Whether `table` is hashed (the migrations ledger is not: a restore leaves it to the target). */
  covers(table: string): boolean {
    return this.#digests.has(table);
  }

  add(table: string, row: Readonly<Record<string, unknown>>): void {
    this.#digests.get(table)?.push(rowDigest(row));
  }

  result(): ContentHash {
    const tables: Record<string, TableHash> = {};
    for (const [table, digests] of this.#digests) {
      tables[table] = { rows: digests.length, hash: tableDigest(digests) };
    }
    return { algorithm: 'sha256', hash: combineTableHashes(tables), tables };
  }
}
