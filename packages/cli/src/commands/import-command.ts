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
  'kb import <file> [--format json|ndjson|csv|xml|parquet|avro|orc] [--source servicenow|jira|splunk|cobol|jcl|copybook|idz|templates] [--dry-run] [--on-conflict skip|update|fail] [--batch-size N [--resume]] [--restore [--trust-unverified]]';
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
    '--resume          with --batch-size: keep the progress in the store, with each batch; a rerun of the',
    '                  same input resumes after the last committed batch (--checkpoint F, the older form,',
    '                  does the same; F is no longer written).',
    '--restore         load an export into an empty store exactly as it was, event log and audit trail',
    '                  included, after checking the hashes it recorded (exit 5 when they differ).',
    '--trust-unverified  with --restore: load an export that carries no hashes (earlier releases), with a',
    '                  warning, instead of refusing it.',
  ],
  options: {
    format: { type: 'string' },
    source: { type: 'string' },
    'dry-run': { type: 'boolean' },
    'on-conflict': { type: 'string' },
    'batch-size': { type: 'string' },
    checkpoint: { type: 'string' },
    resume: { type: 'boolean' },
    restore: { type: 'boolean' },
    'trust-unverified': { type: 'boolean' },
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
    const resume = flag(ctx, 'resume') || checkpoint !== undefined;
    if (resume && batchSize === undefined) {
      throw new UsageError(
        `--${checkpoint === undefined ? 'resume' : 'checkpoint'} needs --batch-size`,
        USAGE,
      );
    }
    const trustUnverified = flag(ctx, 'trust-unverified');
    if (trustUnverified && !flag(ctx, 'restore'))
      throw new UsageError('--trust-unverified needs --restore', USAGE);
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
        trustUnverified: trustUnverified || undefined,
        onConflict: policy as ConflictPolicy | undefined,
        batchSize,
        // The older --checkpoint F: F is only looked at for a leftover checkpoint file of an earlier release.
        checkpoint: checkpoint === undefined ? resume || undefined : resolve(ctx.io.cwd, checkpoint),
        onProgress: (p) => {
          // Only an export directory announces its size; a plain file's record count is known at its end.
          if (p.total === undefined) return;
          bar ??= ctx.out.progress('Importing', p.total);
          bar.update(p.done);
        },
      });
      bar?.finish();
      for (const warning of result.warnings) ctx.out.warn(`warning: ${warning}`);
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
          warnings: result.warnings,
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
