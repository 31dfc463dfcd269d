import {
  type ContentHash,
  combineTableHashes,
  computeContentHash,
  type TableContribution,
  tableDigest,
} from '@mainframe-kb/storage-core';
import type { Transaction } from 'kysely';
import { integrityError } from './integrity-error.js';

/**
 * Compares what a restore loaded, inside its transaction and before it commits, with the content hash the
 * export recorded: table by table, so the error names the tables that differ. Throwing rolls the restore back.
 */
export async function checkRestoredContent(
  trx: Transaction<any>,
  tables: readonly TableContribution[],
  recorded: ContentHash,
): Promise<void> {
  if (combineTableHashes(recorded.tables) !== recorded.hash) {
    throw integrityError(
      "the export's content hash does not add up over its tables (its integrity record was edited); nothing was restored",
    );
  }
  const names = Object.keys(recorded.tables);
  const present = new Set(tables.map((t) => t.name));
  const actual = await computeContentHash(trx, tables, { tables: names.filter((n) => present.has(n)) });
  // A table this store lacks was loaded with no rows: it matches when the export recorded none either.
  const empty = { rows: 0, hash: tableDigest([]) };
  const differing = names.filter((name) => {
    const want = recorded.tables[name];
    const got = actual.tables[name] ?? empty;
    return want === undefined || want.rows !== got.rows || want.hash !== got.hash;
  });
  if (differing.length > 0) {
    throw integrityError(
      `the restored content differs from the content hash the export recorded, in ${differing.join(', ')} (rows ${differing
        .map((n) => `${recorded.tables[n]?.rows} recorded, ${(actual.tables[n] ?? empty).rows} read`)
        .join('; ')}): the export was changed after it was written; nothing was restored`,
      { tables: differing },
    );
  }
}
