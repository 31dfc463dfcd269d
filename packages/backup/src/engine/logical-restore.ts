import type { TableBatch } from '@mainframe-kb/storage-core';
import type { LogicalBody } from '../manifest/manifest-body.js';
import type { Repository } from '../repository/repository.js';
import { decodeRows } from './row-codec.js';

/** The batches of a logical backup, tables in their stored order (parents first), each blob authenticated. */
export async function* logicalBatches(
  repository: Repository,
  body: LogicalBody,
  tables?: ReadonlySet<string>,
): AsyncGenerator<TableBatch> {
  for (const table of body.order) {
    if (tables && !tables.has(table.name)) continue;
    for (const index of table.blobs) {
      const location = body.blobs[index]!;
      const raw = await repository.readBlob(location);
      yield {
        table: table.name,
        entity: table.entity,
        rows: decodeRows(raw, `blob ${location.id.slice(0, 16)}…`),
      };
    }
  }
}
