import { resolve } from 'node:path';
import { StorageError, StorageErrorCode, type TableBatch } from '@mainframe-kb/storage-core';
import type { CodecRegistry } from '../codec-registry.js';
import type { FormatName } from '../codec-types.js';
import { describeTables } from '../export/table-schema.js';
import { withLimits } from '../input-limits.js';
import { integrityError } from '../integrity/integrity-error.js';
import { checkRestoredContent } from '../integrity/restored-content.js';
import type { StoreAccess } from '../plugin/store-access.js';
import { openInput, RESTORE_SKIPPED_ENTITIES } from './import-source.js';
import type { ImportIssue, ImportOptions, ImportResult, RecordCounts, TableCounts } from './import-types.js';
import { exportRecords, totalCounts } from './record-counts.js';
import { validateRow } from './row-validator.js';

const BATCH = 1_000;

/**
 * Restores an export into an empty store exactly: every table, the event log and the audit trail included,
 * rows written as they are through core's `importTables` (one transaction, no new audit rows, search index
 * and key generators rebuilt). The export's files are checked against the sha256 it recorded before a row is
 * read, and what was loaded against its content hash before the transaction commits: a difference is an
 * INTEGRITY error. Every row is validated against its table; any rejected row rolls the whole restore back
 * and is reported.
 */
export async function restoreWith(
  access: StoreAccess,
  codecs: CodecRegistry,
  options: ImportOptions,
): Promise<ImportResult> {
  if (options.onConflict !== undefined || options.batchSize !== undefined || options.source !== undefined) {
    throw new StorageError(
      StorageErrorCode.VALIDATION,
      'a restore loads an export into an empty store in one transaction: onConflict, batchSize and source do not apply',
    );
  }
  const limits = withLimits(options.limits);
  const opened = await openInput(
    resolve(options.input),
    options.format as FormatName | undefined,
    codecs,
    limits,
    RESTORE_SKIPPED_ENTITIES,
  );
  if (opened.layout === 'records' || opened.verify === undefined) {
    throw new StorageError(
      StorageErrorCode.VALIDATION,
      'a restore reads an export (an envelope or an export directory), not a plain file of records',
    );
  }
  const check = await opened.verify();
  const warnings: string[] = [];
  if (!check.verified) {
    if (options.trustUnverified !== true) {
      throw integrityError(
        `${check.reason}; nothing was restored. Restore it unverified only if you trust the file: trustUnverified: true (kb import --restore --trust-unverified)`,
        { reason: 'UNVERIFIED' },
      );
    }
    warnings.push(`${check.reason}: restored without verifying it`);
  }
  const tables = access.tables().filter((t) => !t.derived && !RESTORE_SKIPPED_ENTITIES.has(t.entity));
  const infos = await describeTables(access.db, tables);
  const counts: Record<string, TableCounts> = {};
  const errors: ImportIssue[] = [];
  const maxErrors = options.maxErrors ?? 1_000;
  let rejected = 0;
  let ordinal = 0;
  let previous: object | undefined;
  const written = new Set<string>();

  async function* batches(): AsyncGenerator<TableBatch> {
    let current: { table: string; entity: string; rows: Record<string, unknown>[] } | undefined;
    for await (const item of opened.items()) {
      if (item.location !== previous) ordinal += 1;
      previous = item.location;
      const info = infos.get(item.table);
      counts[item.table] ??= { inserted: 0, updated: 0, skipped: 0, rejected: 0 };
      const tableCounts = counts[item.table] as TableCounts;
      const issues = info
        ? validateRow(info, item.record).issues
        : [{ field: '', message: `the table '${item.table}' does not exist in this store` }];
      if (issues.length > 0) {
        rejected += 1;
        tableCounts.rejected += 1;
        for (const issue of issues) {
          if (errors.length < maxErrors)
            errors.push({
              record: ordinal,
              table: item.table,
              location: item.location,
              ...issue,
              reason: 'invalid',
            });
        }
        continue;
      }
      if (rejected > 0) continue;
      tableCounts.inserted += 1;
      if (current !== undefined && (current.table !== item.table || current.rows.length >= BATCH)) {
        yield current;
        current = undefined;
      }
      current ??= { table: item.table, entity: info?.schema.entity ?? '', rows: [] };
      current.rows.push(item.record);
      written.add(item.table);
      if (ordinal % 500 === 0)
        options.onProgress?.({ phase: 'import', done: ordinal, total: opened.total, table: item.table });
    }
    if (current !== undefined && rejected === 0) yield current;
  }

  class Refused extends Error {}
  const dryRun = options.dryRun ?? false;
  let committed = false;
  try {
    await access.importTables(batches(), {
      tables: tables.map((t) => t.name),
      beforeCommit: async (trx) => {
        if (rejected > 0) throw new Refused('restore refused');
        if (check.verified) await checkRestoredContent(trx, tables, check.contentHash);
        if (dryRun) throw new Refused('dry run');
      },
    });
    committed = true;
  } catch (error) {
    const cause = (error as { cause?: unknown }).cause;
    if (!(error instanceof Refused) && !(cause instanceof Refused)) throw error;
  }
  const sum = (k: keyof TableCounts) => Object.values(counts).reduce((n, c) => n + c[k], 0);
  const rows: Record<string, RecordCounts> = {};
  for (const [table, c] of Object.entries(counts)) rows[table] = { ...c, unchanged: 0 };
  const entities = exportRecords(tables, rows);
  return {
    format: opened.format,
    layout: opened.layout,
    input: opened.description,
    dryRun,
    committed,
    records: { ...totalCounts(entities), rejected },
    entities,
    rows,
    inserted: sum('inserted'),
    updated: 0,
    skipped: 0,
    rejected,
    tables: counts,
    errors,
    transformationLog: opened.transformationLog,
    ignored: [...opened.ignored],
    resumedAfter: 0,
    warnings,
  };
}
