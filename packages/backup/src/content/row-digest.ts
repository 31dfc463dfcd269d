import { rowDigest, tableDigest } from '@mainframe-kb/storage-core';
import type { TableDigest } from '../manifest/backup-metadata.js';

export { combineTableHashes } from '@mainframe-kb/storage-core';

/**
 * Accumulates one table's row digests with storage-core's canonical row form, so a logical backup hashes the
 * rows it streams (from the same snapshot) to exactly what `storage.contentHash()` computes on any dialect.
 */
export class TableDigester {
  readonly #digests: Buffer[] = [];

  add(rows: readonly Readonly<Record<string, unknown>>[]): void {
    for (const row of rows) this.#digests.push(rowDigest(row));
  }

  finish(): TableDigest {
    return { rows: this.#digests.length, hash: tableDigest(this.#digests) };
  }
}
