/**
 * The worker side of `PreparingThread` (prepared-stream.ts): opens the same input, reads, parses and validates
 * its records with the same functions the inline path uses (`openInput`, `prepareItem`), and posts them to
 * the writing thread in batches of ready rows, flattened into one array per batch (see `encodeBatch`).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { createDefaultRegistry } from '../codec-registry.js';
import type { FormatName } from '../codec-types.js';
import type { TableInfo } from '../export/table-schema.js';
import type { ImportLimits } from '../input-limits.js';
import { openInput } from './import-source.js';
import { type PreparedItem, prepareItem, recordNumberer } from './item-preparer.js';
import { BATCH_ITEMS, encodeItem, MAX_BATCHES_AHEAD, type ToWorker } from './prepared-batch.js';

interface PrepareWorkerData {
  readonly path: string;
  readonly format: FormatName | undefined;
  readonly limits: ImportLimits;
  readonly skipped: readonly string[];
  readonly tables: readonly (readonly [string, TableInfo])[];
}

async function main(): Promise<void> {
  const port = parentPort;
  if (port === null) return;
  const data = workerData as PrepareWorkerData;
  const infos = new Map(data.tables.map(([name, info]) => [name, internalised(info)]));
  const tableIndex = new Map(
    data.tables.map(([name], index) => [
      name,
      { index, columns: (infos.get(name) as TableInfo).columns.map((c) => c.name) },
    ]),
  );
  let credits = MAX_BATCHES_AHEAD;
  let wake: (() => void) | undefined;
  let startAfter: ((after: number) => void) | undefined;
  const started = new Promise<number>((resolve) => {
    startAfter = resolve;
  });
  port.on('message', (message: ToWorker) => {
    if (message.kind === 'start') startAfter?.(message.after);
    else {
      credits += 1;
      wake?.();
    }
  });
  const opened = await openInput(
    data.path,
    data.format,
    createDefaultRegistry(),
    data.limits,
    new Set(data.skipped),
  );
  port.postMessage({ kind: 'ready', layout: opened.layout, format: opened.format });
  const after = await started;
  const next = recordNumberer();
  let batch: unknown[] = [];
  let items = 0;
  let pointer: string | undefined;
  const post = async () => {
    while (credits === 0) {
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
      wake = undefined;
    }
    credits -= 1;
    port.postMessage({ kind: 'batch', data: batch, bytes: opened.bytes?.read() });
    batch = [];
    items = 0;
    pointer = undefined;
  };
  for await (const raw of opened.items()) {
    const ordinal = next(raw);
    // Records the writing thread took inline before this thread was ready: read again, not prepared.
    if (ordinal <= after) continue;
    const item: PreparedItem = prepareItem(infos, raw, ordinal);
    pointer = encodeItem(batch, item, tableIndex, pointer);
    items += 1;
    if (items >= BATCH_ITEMS) await post();
  }
  if (items > 0) await post();
  port.postMessage({
    kind: 'done',
    transformationLog: opened.transformationLog,
    ignored: [...opened.ignored],
    bytes: opened.bytes?.read(),
  });
}

/**
 * The table's names as internalised strings: those a message brings are fresh copies, and a property read
 * with one (every column of every row, in `validateRow`) looks it up in the string table first.
 */
function internalised(info: TableInfo): TableInfo {
  return {
    schema: { ...info.schema, primaryKey: info.schema.primaryKey.map(internal) },
    columns: info.columns.map((c) => ({ ...c, name: internal(c.name) })),
  };
}

function internal(name: string): string {
  return Object.keys({ [name]: 0 })[0] as string;
}

main().catch((error: unknown) => {
  // The writing thread rolls back and imports inline, where the same error is raised with its type.
  parentPort?.postMessage({ kind: 'error', message: String((error as Error)?.message ?? error) });
});
