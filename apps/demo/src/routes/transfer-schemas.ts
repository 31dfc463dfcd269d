import { z } from '@hono/zod-openapi';
import { boolParam } from '../schemas.js';

/** The schemas of the export and import routes; the OpenAPI document is generated from them. */

export const FORMATS = ['json', 'ndjson', 'csv', 'xml', 'parquet', 'avro', 'orc'] as const;

export const ExportQuerySchema = z.object({
  format: z.enum(FORMATS).default('json').openapi({
    description:
      'json: one versioned envelope file; the others: a tar of the export folder (manifest.json and one file per table)',
  }),
  entities: z
    .string()
    .max(500)
    .regex(/^[a-z][a-z0-9_-]{0,63}(,[a-z][a-z0-9_-]{0,63})*$/, 'comma-separated entity names')
    .optional()
    .openapi({
      description: 'comma-separated entities (kb, incidents, patterns, code, templates…); default all',
    }),
});

export const ImportQuerySchema = z.object({
  format: z.enum(FORMATS).optional().openapi({
    description: 'asserts the format (the content must agree); detected from the content otherwise',
  }),
  dryRun: boolParam.openapi({ description: 'validate and report what would change; write nothing' }),
  onConflict: z.enum(['skip', 'update', 'fail']).optional().openapi({
    description: 'a record whose key exists: skip it, update it, or refuse the import (default)',
  }),
  restore: boolParam.openapi({
    description:
      'load an export into an empty store exactly as it was (event log and audit trail included), after checking its hashes',
  }),
  trustUnverified: boolParam.openapi({
    description:
      'with restore: load an export that carries no hashes, with a warning, instead of refusing it',
  }),
  batchSize: z.coerce.number().int().min(1).max(1_000_000).optional().openapi({
    description: 'commit every N records instead of all or nothing; rejected records are then left out',
  }),
  resume: boolParam.openapi({
    description:
      'with batchSize: keep the progress in the store; the same upload again resumes after the last batch',
  }),
  maxErrors: z.coerce
    .number()
    .int()
    .min(0)
    .max(1000)
    .optional()
    .openapi({ description: 'how many rejected records are listed (default 1000; all are counted)' }),
});

const TableCountsSchema = z.object({
  inserted: z.number().int(),
  updated: z.number().int(),
  skipped: z.number().int(),
  rejected: z.number().int(),
});

export const ImportIssueSchema = z
  .object({
    record: z.number().int().openapi({ description: 'ordinal of the record in the input, from 1' }),
    table: z.string(),
    location: z
      .object({
        line: z.number().int().optional(),
        row: z.number().int().optional(),
        rowGroup: z.number().int().optional(),
        stripe: z.number().int().optional(),
        xpath: z.string().optional(),
        pointer: z.string().optional(),
      })
      .openapi({
        description: 'where the record is in the file: line, row, row group, stripe, XPath or JSON pointer',
      }),
    field: z.string().openapi({ description: "the offending field, or '' for the whole record" }),
    message: z.string(),
  })
  .openapi('ImportIssue');

export const ImportResultSchema = z
  .object({
    format: z.string(),
    layout: z.enum(['envelope', 'directory', 'records', 'source']),
    dryRun: z.boolean(),
    committed: z.boolean().openapi({
      description: 'false for a dry run, and for an all-or-nothing import with a rejected record',
    }),
    inserted: z.number().int(),
    updated: z.number().int(),
    skipped: z.number().int(),
    rejected: z.number().int(),
    tables: z.record(z.string(), TableCountsSchema),
    errors: z.array(ImportIssueSchema).openapi({ description: 'the rejected records, and why' }),
    transformationLog: z.array(
      z.object({ from: z.string(), to: z.string(), description: z.string(), records: z.number().int() }),
    ),
    ignored: z
      .array(z.string())
      .openapi({ description: 'entities of the export the store keeps for itself' }),
    resumedAfter: z.number().int(),
    warnings: z.array(z.string()),
  })
  .openapi('ImportResult');
