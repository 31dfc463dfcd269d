import { resolve } from 'node:path';
import { StorageError, StorageErrorCode, type TableContribution } from '@mainframe-kb/storage-core';
import { z } from 'zod';
import type { CodecRegistry } from '../codec-registry.js';
import type { FormatName } from '../codec-types.js';
import { describeTables, type TableInfo } from '../export/table-schema.js';
import { withLimits } from '../input-limits.js';
import type { StoreAccess } from '../plugin/store-access.js';
import { IO_FORMATS_TABLES } from '../schema/io-formats-migrations.js';
import {
  advanceCheckpoint,
  type Checkpoint,
  checkpointCommitted,
  checkpointKey,
  loadCheckpoint,
  refuseLegacyCheckpointFile,
} from './checkpoint-repository.js';
import { openDomainSource, RecordsRejected } from './domain-source.js';
import { ImportSession } from './import-session.js';
import { type OpenedInput, openInput, STORE_MANAGED_ENTITIES } from './import-source.js';
import type {
  ConflictPolicy,
  ImportIssue,
  ImportOptions,
  ImportResult,
  RecordCounts,
  TableCounts,
} from './import-types.js';
import { type PreparedItem, prepareItem, recordNumberer } from './item-preparer.js';
import { PreparationFailed, PreparingThread, preparingThreadSettings } from './prepared-stream.js';
import { emptyCounts, exportRecords, totalCounts } from './record-counts.js';

const importOptionsSchema = z.strictObject({
  input: z.string().min(1),
  format: z.enum(['json', 'ndjson', 'csv', 'xml', 'parquet', 'avro', 'orc']).optional(),
  source: z.string().min(1).optional(),
  sourceOptions: z.record(z.string(), z.unknown()).optional(),
  dryRun: z.boolean().optional(),
  restore: z.boolean().optional(),
  onConflict: z.enum(['skip', 'update', 'fail']).optional(),
  batchSize: z.number().int().min(1).max(1_000_000).optional(),
  checkpoint: z.union([z.boolean(), z.string().min(1)]).optional(),
  trustUnverified: z.boolean().optional(),
  limits: z
    .strictObject({
      maxRecordBytes: z.number().int().positive().optional(),
      maxDepth: z.number().int().positive().optional(),
      maxRecords: z.number().int().positive().optional(),
      maxDecompressedBytes: z.number().int().positive().optional(),
      maxCompressionRatio: z.number().min(1).optional(),
    })
    .optional(),
  onProgress: z.function().optional(),
  maxErrors: z.number().int().min(0).optional(),
});

/** Reports records read, every 500 and at the end. */
interface Progress {
  step(table: string, ordinal: number): void;
  end(): void;
}

/** Thrown inside the write transaction to roll it back (dry run, rejected records) with the result in hand. */
class RollBack extends StorageError {
  constructor(readonly result: ImportResult) {
    super(StorageErrorCode.VALIDATION, 'import rolled back');
  }
}

/**
 * The import pipeline: open and detect the input, stream its records, map and validate each, and write them
 * with the conflict policy — in one transaction by default (all or nothing), or in committed batches with a
 * checkpoint. Bad files are refused with a typed error before anything is written; bad records are listed
 * in the result, and then nothing is written unless batches were asked for.
 */
export async function importWith(
  access: StoreAccess,
  codecs: CodecRegistry,
  options: ImportOptions,
): Promise<ImportResult> {
  const parsed = importOptionsSchema.safeParse(options);
  if (!parsed.success) {
    throw new StorageError(
      StorageErrorCode.VALIDATION,
      `invalid import options: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(options)'}: ${i.message}`).join('; ')}`,
    );
  }
  if (checkpointed(options) && options.batchSize === undefined) {
    throw new StorageError(
      StorageErrorCode.VALIDATION,
      'a checkpoint needs batchSize: an all-or-nothing import has nothing to resume',
    );
  }
  if (options.trustUnverified !== undefined) {
    throw new StorageError(
      StorageErrorCode.VALIDATION,
      'trustUnverified applies to a restore (restore: true), which verifies the export; an import does not',
    );
  }
  if (typeof options.checkpoint === 'string') await refuseLegacyCheckpointFile(resolve(options.checkpoint));
  const limits = withLimits(options.limits);
  const input = resolve(options.input);
  let opened: OpenedInput =
    options.source === undefined
      ? await openInput(input, options.format as FormatName | undefined, codecs, limits)
      : await openDomainSource(access, codecs, input, options.source, options.sourceOptions ?? {}, limits);
  // A source system's export that nobody named goes to that source's importer, as if it had been named.
  const source = options.source ?? opened.recognisedSource;
  if (options.source === undefined && opened.recognisedSource !== undefined) {
    opened = await openDomainSource(
      access,
      codecs,
      input,
      opened.recognisedSource,
      options.sourceOptions ?? {},
      limits,
      { description: opened.description, format: opened.recognisedFormat ?? 'json' },
    );
  }
  // A domain importer may also write its plugin's derived tables (its own index rows, e.g. incident
  // error codes); a file of this package's formats holds content tables only. Never this package's own.
  const tables = access
    .tables()
    .filter(
      (t) =>
        (source !== undefined || !t.derived) &&
        !STORE_MANAGED_ENTITIES.has(t.entity) &&
        !Object.hasOwn(IO_FORMATS_TABLES, t.name),
    );
  const infos = await describeTables(access.db, tables);
  // A source system is the system of record: importing its export again brings the store up to date.
  const policy: ConflictPolicy = options.onConflict ?? (source === undefined ? 'fail' : 'update');
  const newSession = () =>
    new ImportSession(
      infos,
      policy,
      {
        skippedEntries: new Set(),
        outcomes: new Map(),
        derivedOf: derivedTablesOf(tables, infos),
        searchIndex: access.dialect.searchIndex,
        consecutiveKeys: access.dialect.name === 'sqlite',
        singleTransaction: options.batchSize === undefined || (options.dryRun ?? false),
        keepGoing: options.batchSize !== undefined,
      },
      options.maxErrors ?? 1_000,
      options.batchSize !== undefined,
    );
  let session = newSession();
  const dryRun = options.dryRun ?? false;
  let read = 0;
  let thread: PreparingThread | undefined;
  const report = (table: string) =>
    options.onProgress?.({
      phase: 'import',
      done: read,
      total: opened.total,
      table,
      ...(opened.bytes === undefined
        ? {}
        : {
            bytesRead: Math.max(opened.bytes.read(), thread?.bytesRead ?? 0),
            bytesTotal: opened.bytes.total,
          }),
    });
  const progress: Progress = {
    step(table, ordinal) {
      if (ordinal === read) return;
      read = ordinal;
      if (read % 500 === 0) report(table);
    },
    end: () => report(''),
  };
  const layout = source === undefined ? opened.layout : 'source';
  const result = (
    committed: boolean,
    resumedAfter = 0,
    rejected: readonly ImportIssue[] = [],
  ): ImportResult => {
    const rows = session.rowCounts();
    const tableCounts = session.tableCounts();
    const sum = (k: keyof TableCounts) => Object.values(tableCounts).reduce((n, c) => n + c[k], 0);
    const entities =
      layout === 'envelope' || layout === 'directory' ? exportRecords(tables, rows) : session.recordCounts();
    for (const issue of rejected) {
      const entity = infos.get(issue.table)?.schema.entity ?? issue.table;
      entities[entity] ??= emptyCounts();
      (entities[entity] as RecordCounts).rejected += 1;
    }
    const records = totalCounts(entities);
    // Every rejected record, those of tables that are no entity's records (an export's kb_tags rows) too.
    records.rejected = session.rejectedRecords + rejected.length;
    return {
      format: opened.format,
      layout,
      input: opened.description,
      ...(source === undefined ? {} : { source }),
      dryRun,
      committed,
      records,
      entities,
      rows,
      inserted: sum('inserted'),
      updated: sum('updated'),
      skipped: sum('skipped'),
      rejected: session.rejectedRecords + rejected.length,
      tables: tableCounts,
      errors: [
        ...session.errors,
        ...rejected.slice(0, Math.max(0, (options.maxErrors ?? 1_000) - session.errors.length)),
      ],
      transformationLog: opened.transformationLog,
      ignored: [...opened.ignored],
      resumedAfter,
      warnings: [],
    };
  };

  report('');
  try {
    if (options.batchSize === undefined || dryRun) {
      // Large inputs of this package's formats are read, parsed and validated on a second thread.
      thread =
        source === undefined
          ? await PreparingThread.start(input, options.format, codecs, limits, STORE_MANAGED_ENTITIES, infos)
          : undefined;
      try {
        return await importAtOnce(access, opened, infos, session, options, result, progress, thread);
      } catch (error) {
        if (!(error instanceof PreparationFailed)) throw error;
        // Rolled back: the import is run again on this thread alone, where the input's error (if it was the
        // input's) is raised as it always is.
        thread?.close();
        thread = undefined;
        session = newSession();
        read = 0;
        return await importAtOnce(access, opened, infos, session, options, result, progress);
      } finally {
        // Whatever happened (the write scope may fail before reading anything), the thread ends here.
        thread?.close();
      }
    }
    return await importInBatches(access, opened, infos, session, options, input, source, result, progress);
  } catch (error) {
    // A domain importer refused records by name: reported like any rejected record, when nothing was written
    // (all or nothing; or batches, none of which had committed a change before the importer refused).
    const written = options.batchSize !== undefined && !dryRun && session.writes > 0;
    if (error instanceof RecordsRejected && !written) return result(false, 0, error.rejected);
    throw error;
  }
}

/**
 * The derived tables of each table's entity (an incident's error codes, a source file's symbols), for the
 * tables with a one-column key that their first key column refers to.
 */
function derivedTablesOf(
  tables: readonly TableContribution[],
  infos: ReadonlyMap<string, TableInfo>,
): Map<string, TableInfo[]> {
  const out = new Map<string, TableInfo[]>();
  for (const parent of tables) {
    if (parent.derived || parent.primaryKey.length !== 1) continue;
    const derived = tables
      .filter((t) => t.derived && t.entity === parent.entity && t.name !== parent.name)
      .map((t) => infos.get(t.name))
      .filter((t): t is TableInfo => t !== undefined);
    if (derived.length > 0) out.set(parent.name, derived);
  }
  return out;
}

async function importAtOnce(
  access: StoreAccess,
  opened: OpenedInput,
  infos: ReadonlyMap<string, TableInfo>,
  session: ImportSession,
  options: ImportOptions,
  result: (committed: boolean, resumedAfter?: number) => ImportResult,
  progress: Progress,
  thread?: PreparingThread,
): Promise<ImportResult> {
  const dryRun = options.dryRun ?? false;
  try {
    return await access.write('io-formats.import', async (scope) => {
      const next = recordNumberer();
      const records = opened.items()[Symbol.asyncIterator]();
      // The last record taken here: the preparing thread, once started, goes on after it.
      let last = 0;
      let handOver = false;
      if (thread !== undefined && preparingThreadSettings.waitForThread) await thread.settled();
      try {
        for (;;) {
          const step = await records.next();
          if (step.done) break;
          const raw = step.value;
          const ordinal = next(raw);
          // On a record's edge only: the rows of one record are taken by one thread.
          if (ordinal !== last && thread?.readyAs(opened.layout, opened.format)) {
            handOver = true;
            break;
          }
          last = ordinal;
          const item = prepareItem(infos, raw, ordinal);
          const flushing = session.accept(item, scope);
          if (flushing !== undefined) await flushing;
          progress.step(raw.table, ordinal);
        }
      } finally {
        if (handOver) await records.return?.();
        else thread?.close();
      }
      if (handOver && thread !== undefined) {
        thread.start(last);
        for await (const items of thread.batches()) {
          for (const item of items) {
            const flushing = session.accept(item, scope);
            if (flushing !== undefined) await flushing;
            progress.step(item.kind === 'entry' ? 'kb_entries' : item.table, item.ordinal);
          }
        }
        opened.transformationLog.push(...thread.transformationLog);
        for (const entity of thread.ignored) opened.ignored.add(entity);
      }
      await session.flush(scope);
      const outcome = result(!dryRun && session.rejectedRecords === 0);
      if (!outcome.committed) throw new RollBack(outcome);
      progress.end();
      // An import that changes nothing (the same export again) writes nothing: no audit row either.
      if (session.writes === 0) return outcome;
      // Rows keep their keys (kb_entries.seq, search_history.id): move key generators past them.
      await access.dialect.afterBulkLoad(scope.trx, session.writtenTables());
      scope.audit({ action: 'import', entity: 'io-formats', entityId: null, detail: summary(outcome) });
      return outcome;
    });
  } catch (error) {
    if (error instanceof RollBack) return error.result;
    throw error;
  }
}

async function importInBatches(
  access: StoreAccess,
  opened: OpenedInput,
  infos: ReadonlyMap<string, TableInfo>,
  session: ImportSession,
  options: ImportOptions,
  input: string,
  source: string | undefined,
  result: (committed: boolean, resumedAfter?: number) => ImportResult,
  progress: Progress,
): Promise<ImportResult> {
  const batchSize = options.batchSize as number;
  const checkpoint: Checkpoint | undefined = checkpointed(options)
    ? await loadCheckpoint(
        access.db,
        checkpointKey(await opened.fingerprint(), source, options.sourceOptions),
        input,
      )
    : undefined;
  const resumeAfter = checkpoint?.committed ?? 0;
  let batch: PreparedItem[] = [];
  const commit = async () => {
    if (batch.length === 0) return;
    const items = batch;
    batch = [];
    // Input records a committed batch holds: up to its last record, whole (a batch ends on a record's edge).
    const through = (items.at(-1) as PreparedItem).ordinal;
    await access.write('io-formats.import', async (scope) => {
      for (const item of items) {
        const flushing = session.accept(item, scope);
        if (flushing !== undefined) await flushing;
      }
      const before = session.writes;
      await session.flush(scope);
      await access.dialect.afterBulkLoad(scope.trx, session.writtenTables());
      // In the batch's own transaction: after a crash at any point the checkpoint names what is committed.
      if (checkpoint !== undefined) await advanceCheckpoint(scope.trx, checkpoint, through, scope.now);
      // A batch that changed nothing (records unchanged or skipped) leaves no audit row.
      if (session.writes > before)
        scope.audit({ action: 'import-batch', entity: 'io-formats', entityId: null, detail: { through } });
    });
    if (checkpoint !== undefined) checkpointCommitted(checkpoint, through);
  };
  const next = recordNumberer();
  for await (const raw of opened.items()) {
    const n = next(raw);
    progress.step(raw.table, n);
    // Records a rerun resumes after are counted, not validated again.
    if (n <= resumeAfter) continue;
    if (batch.length >= batchSize && batch.at(-1)?.ordinal !== n) await commit();
    batch.push(prepareItem(infos, raw, n));
  }
  await commit();
  return result(true, resumeAfter);
}

/** Whether the import keeps a checkpoint (`true`, or the file name earlier releases took). */
function checkpointed(options: ImportOptions): boolean {
  return options.checkpoint !== undefined && options.checkpoint !== false;
}

function summary(result: ImportResult): Record<string, unknown> {
  return {
    format: result.format,
    ...(result.source === undefined ? {} : { source: result.source }),
    inserted: result.inserted,
    updated: result.updated,
    skipped: result.skipped,
    records: result.records,
  };
}
