import { resolve } from 'node:path';
import { StorageError, StorageErrorCode } from '@mainframe-kb/storage-core';
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
import { openDomainSource } from './domain-source.js';
import { ImportSession } from './import-session.js';
import { type OpenedInput, openInput, STORE_MANAGED_ENTITIES } from './import-source.js';
import type { ImportOptions, ImportResult, TableCounts } from './import-types.js';
import { type PreparedItem, prepareItem, recordNumberer } from './item-preparer.js';

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
  step(table: string): void;
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
  const opened: OpenedInput =
    options.source === undefined
      ? await openInput(input, options.format as FormatName | undefined, codecs, limits)
      : await openDomainSource(access, codecs, input, options.source, options.sourceOptions ?? {}, limits);
  // A domain importer may also write its plugin's derived tables (its own index rows, e.g. incident
  // error codes); a file of this package's formats holds content tables only. Never this package's own.
  const tables = access
    .tables()
    .filter(
      (t) =>
        (options.source !== undefined || !t.derived) &&
        !STORE_MANAGED_ENTITIES.has(t.entity) &&
        !Object.hasOwn(IO_FORMATS_TABLES, t.name),
    );
  const infos = await describeTables(access.db, tables);
  const session = new ImportSession(
    infos,
    options.onConflict ?? 'fail',
    {
      skippedEntries: new Set(),
      searchIndex: access.dialect.searchIndex,
      singleTransaction: options.batchSize === undefined || (options.dryRun ?? false),
      keepGoing: options.batchSize !== undefined,
    },
    options.maxErrors ?? 1_000,
    options.batchSize !== undefined,
  );
  const dryRun = options.dryRun ?? false;
  let read = 0;
  const progress: Progress = {
    step(table) {
      read += 1;
      if (read % 500 === 0) options.onProgress?.({ phase: 'import', done: read, total: opened.total, table });
    },
    end: () => options.onProgress?.({ phase: 'import', done: read, total: opened.total, table: '' }),
  };
  const result = (committed: boolean, resumedAfter = 0): ImportResult => {
    const counts = session.tableCounts();
    const sum = (k: keyof TableCounts) => Object.values(counts).reduce((n, c) => n + c[k], 0);
    return {
      format: opened.format,
      layout: options.source === undefined ? opened.layout : 'source',
      dryRun,
      committed,
      inserted: sum('inserted'),
      updated: sum('updated'),
      skipped: sum('skipped'),
      rejected: session.rejectedRecords,
      tables: counts,
      errors: session.errors,
      transformationLog: opened.transformationLog,
      ignored: [...opened.ignored],
      resumedAfter,
      warnings: [],
    };
  };

  options.onProgress?.({ phase: 'import', done: 0, total: opened.total, table: '' });
  if (options.batchSize === undefined || dryRun) {
    return importAtOnce(access, opened, infos, session, options, result, progress);
  }
  return importInBatches(access, opened, infos, session, options, input, result, progress);
}

async function importAtOnce(
  access: StoreAccess,
  opened: OpenedInput,
  infos: ReadonlyMap<string, TableInfo>,
  session: ImportSession,
  options: ImportOptions,
  result: (committed: boolean, resumedAfter?: number) => ImportResult,
  progress: Progress,
): Promise<ImportResult> {
  const dryRun = options.dryRun ?? false;
  try {
    return await access.write('io-formats.import', async (scope) => {
      const next = recordNumberer();
      for await (const raw of opened.items()) {
        const item = prepareItem(infos, raw, next(raw));
        const flushing = session.accept(item, scope);
        if (flushing !== undefined) await flushing;
        progress.step(raw.table);
      }
      await session.flush(scope);
      const outcome = result(!dryRun && session.rejectedRecords === 0);
      if (!outcome.committed) throw new RollBack(outcome);
      // Rows keep their keys (kb_entries.seq, search_history.id): move key generators past them.
      await access.dialect.afterBulkLoad(scope.trx, session.writtenTables());
      scope.audit({ action: 'import', entity: 'io-formats', entityId: null, detail: summary(outcome) });
      progress.end();
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
  result: (committed: boolean, resumedAfter?: number) => ImportResult,
  progress: Progress,
): Promise<ImportResult> {
  const batchSize = options.batchSize as number;
  const checkpoint: Checkpoint | undefined = checkpointed(options)
    ? await loadCheckpoint(
        access.db,
        checkpointKey(await opened.fingerprint(), options.source, options.sourceOptions),
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
      await session.flush(scope);
      await access.dialect.afterBulkLoad(scope.trx, session.writtenTables());
      // In the batch's own transaction: after a crash at any point the checkpoint names what is committed.
      if (checkpoint !== undefined) await advanceCheckpoint(scope.trx, checkpoint, through, scope.now);
      scope.audit({ action: 'import-batch', entity: 'io-formats', entityId: null, detail: { through } });
    });
    if (checkpoint !== undefined) checkpointCommitted(checkpoint, through);
  };
  const next = recordNumberer();
  for await (const raw of opened.items()) {
    const n = next(raw);
    progress.step(raw.table);
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
    inserted: result.inserted,
    updated: result.updated,
    skipped: result.skipped,
  };
}
