import { existsSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import {
  type ConflictPolicy,
  type FormatName,
  type ImportIssue,
  type ImportProgress,
  type ImportResult,
  importStore,
  type RecordCounts,
} from '@mainframe-kb/io-formats';
import { CliError, ExitCode, UsageError } from '../cli-error.js';
import { type Command, type CommandContext, flag, stringOption } from '../command.js';
import { ProgressBar } from '../progress-bar.js';
import { openStoreWithIo } from './io-store.js';

const USAGE =
  'kb import <file> [--format json|ndjson|csv|xml|parquet|avro|orc] [--source servicenow|jira|splunk|cobol|jcl|copybook|idz|templates] [--dry-run] [--on-conflict skip|update|fail] [--batch-size N [--resume]] [--restore [--trust-unverified]]';
const FORMATS = ['json', 'ndjson', 'csv', 'xml', 'parquet', 'avro', 'orc'];
const POLICIES = ['skip', 'update', 'fail'];

/** How many rejected records the text output lists one by one (`--json` lists them all). */
const LISTED = 10;
/** How many conflicting keys a conflict summary names. */
const KEYS_NAMED = 5;

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

function countsText(c: RecordCounts): string {
  const parts = [
    `inserted ${c.inserted}`,
    `updated ${c.updated}`,
    `unchanged ${c.unchanged}`,
    `skipped ${c.skipped}`,
  ];
  if (c.rejected > 0) parts.push(`rejected ${c.rejected}`);
  return parts.join(', ');
}

function where(error: ImportIssue): string {
  return Object.entries(error.location)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
}

/**
 * The import in words: what the file was taken for, the records per entity, the table rows as detail, and the
 * rejected records — conflicts as one summary with the first keys, other errors one line each up to LISTED.
 */
function describe(result: ImportResult, file: string): string {
  const head = result.dryRun
    ? 'Dry run (nothing written)'
    : result.committed
      ? 'Imported'
      : 'Refused (nothing written)';
  const lines = [`${head}: ${basename(file)}, ${result.input}`];
  const entities = Object.entries(result.entities);
  if (entities.length === 0) lines.push('  no records');
  for (const [entity, counts] of entities) lines.push(`  ${entity}: ${countsText(counts)}`);
  const rows = Object.entries(result.rows)
    .filter(([, c]) => c.inserted + c.updated + c.unchanged + c.skipped > 0)
    .map(([table, c]) => {
      const done = (['inserted', 'updated', 'unchanged', 'skipped'] as const).filter((k) => c[k] > 0);
      return `${table} ${done.map((k) => `${c[k]} ${k}`).join(' ')}`;
    });
  if (rows.length > 0) lines.push(`  rows: ${rows.join('; ')}`);
  for (const step of result.transformationLog)
    lines.push(`  upgraded ${step.from} → ${step.to}: ${step.description}`);
  const conflicts = result.errors.filter((e) => e.reason === 'conflict');
  if (conflicts.length > 0) {
    const keys = conflicts.slice(0, KEYS_NAMED).map((e) => e.key ?? `record ${e.record}`);
    const more = conflicts.length > KEYS_NAMED ? `, … (${conflicts.length - KEYS_NAMED} more)` : '';
    lines.push(
      `  ${plural(conflicts.length, 'record is', 'records are')} stored already (conflict policy: fail): ${keys.join(', ')}${more}`,
      '  import them with --on-conflict update (change the stored ones) or --on-conflict skip (leave them)',
    );
  }
  const others = result.errors.filter((e) => e.reason !== 'conflict');
  for (const error of others.slice(0, LISTED)) {
    lines.push(
      `  record ${error.record} (${where(error)})${error.field ? ` ${error.field}` : ''}: ${error.message}`,
    );
  }
  // Records, not error lines: a record may break several rules.
  const listed = new Set([...conflicts, ...others.slice(0, LISTED)].map((e) => e.record)).size;
  const more = result.rejected - listed;
  if (more > 0) lines.push(`  … ${plural(more, 'more rejected record')} (--json lists them)`);
  return lines.join('\n');
}

/**
 * Progress on a terminal, on stderr: a bar over the records when the input announces how many (an export
 * directory), else over the bytes of the file read so far (an envelope, a plain file), else a running count
 * (a source system's export, which its importer reads at once).
 */
function progressBar(ctx: CommandContext): {
  update(p: ImportProgress): void;
  finish(): void;
} {
  let bar: ProgressBar | undefined;
  let byBytes = false;
  let done = 0;
  // The bar redraws at most every 50 ms, and a running count has no last step it always draws: once the import
  // is over, its clock says the time has come, so the final count is what stays on the screen.
  let over = false;
  const clock = () => (over ? Number.POSITIVE_INFINITY : Date.now());
  const writer = ctx.out.decorated ? ctx.io.stderr : null;
  return {
    update(p) {
      if (bar === undefined) {
        byBytes = p.total === undefined && p.bytesTotal !== undefined && p.bytesTotal > 0;
        const total = p.total ?? (byBytes ? p.bytesTotal : undefined);
        bar = new ProgressBar(writer, byBytes ? 'Importing (bytes read)' : 'Importing records', total, clock);
      }
      done = byBytes ? (p.bytesRead ?? 0) : p.done;
      bar.update(done);
    },
    finish() {
      if (bar === undefined) return;
      over = true;
      bar.update(done);
      bar.finish();
    },
  };
}

export const importCommand: Command = {
  name: 'import',
  summary: 'import a file or an export (format detected from the content); all or nothing by default',
  usage: USAGE,
  details: [
    '--format F        assert the format; the content must agree (detected from the content otherwise),',
    '                  and a file whose shape is not recognised is read as plain records of F.',
    '--source S        hand the file to the importer an extension contributes for S (ServiceNow, Jira, …);',
    '                  without it a ServiceNow, Jira or Splunk export is recognised from its content.',
    '                  Recognised too: an export (JSON envelope or directory), KB entries as a JSON array,',
    '                  one entry object, {"entries":[…]} or NDJSON (the shape kb add --file takes), and',
    '                  CSV/XML/Parquet/Avro/ORC records with KB entry columns; anything else exits 3.',
    '                  --source always decides the importer; --format the syntax (it must agree).',
    '--dry-run         validate and report what would change; write nothing.',
    '--on-conflict P   a record whose key exists: skip it, update it, or fail the import. Default: update',
    '                  for a source system (a record equal to the stored one is unchanged, not written),',
    '                  fail otherwise.',
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
    const bar = progressBar(ctx);
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
        onProgress: (p) => bar.update(p),
      }).finally(() => bar.finish());
      for (const warning of result.warnings) ctx.out.warn(`warning: ${warning}`);
      // CLI.md: the top-level counts are records (entries, incidents …); table rows are detail.
      ctx.out.emit(
        {
          inserted: result.records.inserted,
          updated: result.records.updated,
          unchanged: result.records.unchanged,
          skipped: result.records.skipped,
          rejected: result.records.rejected,
          errors: result.errors.map((e) => ({
            record: e.record,
            field: e.field,
            message: e.message,
            location: e.location,
            table: e.table,
            reason: e.reason,
            ...(e.key === undefined ? {} : { key: e.key }),
          })),
          entities: result.entities,
          rows: result.rows,
          input: result.input,
          format: result.format,
          ...(result.source === undefined ? {} : { source: result.source }),
          dryRun: result.dryRun,
          committed: result.committed,
          warnings: result.warnings,
        },
        () => describe(result, file),
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
