import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  type ConflictPolicy,
  type FormatName,
  type ImportResult,
  importStore,
} from '@mainframe-kb/io-formats';
import { CliError, ExitCode, UsageError } from '../cli-error.js';
import { type Command, flag, stringOption } from '../command.js';
import type { ProgressBar } from '../progress-bar.js';
import { openStoreWithIo } from './io-store.js';

const USAGE =
  'kb import <file> [--format json|ndjson|csv|xml|parquet|avro|orc] [--source servicenow|jira|splunk|cobol|jcl|copybook|idz|templates] [--dry-run] [--on-conflict skip|update|fail] [--batch-size N [--checkpoint F]] [--restore]';
const FORMATS = ['json', 'ndjson', 'csv', 'xml', 'parquet', 'avro', 'orc'];
const POLICIES = ['skip', 'update', 'fail'];

function describe(result: ImportResult): string {
  const head = result.dryRun
    ? 'Dry run (nothing written): would insert'
    : result.committed
      ? 'Imported: inserted'
      : 'Refused (nothing written): would insert';
  const lines = [
    `${head} ${result.inserted}, update ${result.updated}, skip ${result.skipped}; ${result.rejected} rejected`,
  ];
  for (const step of result.transformationLog)
    lines.push(`  upgraded ${step.from} → ${step.to}: ${step.description}`);
  for (const error of result.errors) {
    const where = Object.entries(error.location)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ');
    lines.push(
      `  record ${error.record} (${where})${error.field ? ` ${error.field}` : ''}: ${error.message}`,
    );
  }
  return lines.join('\n');
}

export const importCommand: Command = {
  name: 'import',
  summary: 'import a file or an export (format detected from the content); all or nothing by default',
  usage: USAGE,
  details: [
    '--format F        assert the format; the content must agree (detected from the content otherwise).',
    '--source S        hand the file to the importer an extension contributes for S (ServiceNow, Jira, …).',
    '--dry-run         validate and report what would change; write nothing.',
    '--on-conflict P   a record whose key exists: skip it, update it, or fail the import (default fail).',
    '--batch-size N    commit every N records instead of all or nothing; rejected records are left out.',
    '--checkpoint F    with --batch-size: record progress in F, and resume from it when rerun.',
    '--restore         load an export into an empty store exactly as it was, event log and audit trail',
    '                  included (the content hash matches the exported store).',
  ],
  options: {
    format: { type: 'string' },
    source: { type: 'string' },
    'dry-run': { type: 'boolean' },
    'on-conflict': { type: 'string' },
    'batch-size': { type: 'string' },
    checkpoint: { type: 'string' },
    restore: { type: 'boolean' },
  },
  positionals: { min: 1, max: 1 },
  async run(ctx) {
    const file = resolve(ctx.io.cwd, ctx.positionals[0] as string);
    const format = stringOption(ctx, 'format');
    if (format !== undefined && !FORMATS.includes(format)) {
      throw new UsageError(`unknown format '${format}'; use one of ${FORMATS.join(', ')}`, USAGE);
    }
    const policy = stringOption(ctx, 'on-conflict');
    if (policy !== undefined && !POLICIES.includes(policy)) {
      throw new UsageError(`--on-conflict takes ${POLICIES.join(', ')}`, USAGE);
    }
    const batchText = stringOption(ctx, 'batch-size');
    const batchSize = batchText === undefined ? undefined : Number(batchText);
    if (batchSize !== undefined && (!Number.isInteger(batchSize) || batchSize < 1)) {
      throw new UsageError('--batch-size takes a positive whole number', USAGE);
    }
    const checkpoint = stringOption(ctx, 'checkpoint');
    if (checkpoint !== undefined && batchSize === undefined)
      throw new UsageError('--checkpoint needs --batch-size', USAGE);
    // Usage is checked first (exit 2), then the input (exit 4), before the store is opened.
    if (!existsSync(file)) {
      throw new CliError('NOT_FOUND', `no file or export directory at ${file}`, ExitCode.NOT_FOUND);
    }
    const storage = await openStoreWithIo(ctx);
    let bar: ProgressBar | undefined;
    try {
      const result = await importStore(storage, {
        input: file,
        format: format as FormatName | undefined,
        source: stringOption(ctx, 'source'),
        dryRun: flag(ctx, 'dry-run'),
        restore: flag(ctx, 'restore') || undefined,
        onConflict: policy as ConflictPolicy | undefined,
        batchSize,
        checkpoint: checkpoint === undefined ? undefined : resolve(ctx.io.cwd, checkpoint),
        onProgress: (p) => {
          // Only an export directory announces its size; a plain file's record count is known at its end.
          if (p.total === undefined) return;
          bar ??= ctx.out.progress('Importing', p.total);
          bar.update(p.done);
        },
      });
      bar?.finish();
      ctx.out.emit(
        {
          inserted: result.inserted,
          updated: result.updated,
          skipped: result.skipped,
          errors: result.errors.map((e) => ({
            record: e.record,
            field: e.field,
            message: e.message,
            location: e.location,
          })),
          dryRun: result.dryRun,
          committed: result.committed,
        },
        () => describe(result),
      );
      // CLI.md: a non-zero exit means nothing was written. Committed batches with rejected records exit 0
      // and list the rejected records; an all-or-nothing import with any rejected record exits 3.
      const refused = !result.committed && (result.rejected > 0 || result.errors.length > 0);
      return refused ? ExitCode.REJECTED : ExitCode.OK;
    } finally {
      await storage.close();
    }
  },
};
