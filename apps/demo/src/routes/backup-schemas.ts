import { z } from '@hono/zod-openapi';

/** The schemas of the backup routes; the OpenAPI document is generated from them. */

/** `20261128t173500123z-full-1a2b3c4d`, as the backup plugin names its backups (never a path). */
export const BACKUP_ID = /^\d{8}t\d{9}z-(full|incremental|differential)-[0-9a-f]{8}$/;

/** A table name as the store declares them. */
const TABLE = /^[a-z][a-z0-9_]{0,63}$/;

/** A restored database's file name in the restore folder: a plain name, `.db` added when missing. */
export const RESTORE_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,79}(\.db)?$/;

export const BackupIdParamSchema = z.object({
  id: z
    .string()
    .regex(BACKUP_ID, 'a backup id, as the list gives it')
    .openapi({ example: '20261128t173500123z-full-1a2b3c4d' }),
});

const TablesSchema = z
  .array(z.string().regex(TABLE, 'a table name'))
  .min(1)
  .max(64)
  .openapi({ description: 'tables of the store (kb_entries, kb_tags, …); the store refuses names it lacks' });

const CheckSchema = z
  .object({ name: z.string(), ok: z.boolean(), detail: z.string() })
  .openapi('BackupCheck');

/**
 * A backup as the list shows it: the manifest's clear metadata, without the server paths it holds (the
 * repository folder, the store's location).
 */
export const BackupSchema = z
  .object({
    id: z.string(),
    type: z.enum(['full', 'incremental', 'differential']),
    kind: z.enum(['physical', 'logical']),
    timestamp: z.string(),
    checksum: z.string().openapi({ description: 'sha256 of the database image (physical) or row stream' }),
    encrypted: z.boolean(),
    compression: z.object({ algorithm: z.string(), level: z.number() }),
    dataSize: z.number().int().openapi({ description: 'bytes of the image or row stream' }),
    storedSize: z.number().int().openapi({ description: 'bytes this backup added to the repository' }),
    referencedSize: z.number().int().openapi({ description: 'stored bytes a restore of it reads' }),
    entryCount: z.number().int(),
    mvpVersion: z.string(),
    schemaVersion: z.number().int(),
    dialect: z.string(),
    dependsOn: z.array(z.string()).openapi({ description: 'the backups it needs, the full first' }),
    legalHold: z.boolean(),
    complianceFlags: z.array(z.string()),
    testVerified: z.string().nullable().openapi({ description: 'time of the last successful verification' }),
    plugins: z.array(z.object({ id: z.string(), version: z.string(), tables: z.array(z.string()) })),
  })
  .openapi('Backup');

export const BackupListSchema = z
  .object({
    backups: z.array(BackupSchema).openapi({ description: 'oldest first' }),
    damaged: z.array(z.string()).openapi({ description: 'manifests that could not be read, and why' }),
  })
  .openapi('BackupList');

export const BackupCreateSchema = z
  .object({
    type: z.enum(['full', 'incremental', 'differential']).optional().openapi({
      description: 'default full; an incremental stores the pages changed since the last backup',
    }),
    kind: z
      .enum(['physical', 'logical'])
      .optional()
      .openapi({ description: 'physical (SQLite page image, the default) or logical (table rows)' }),
    legalHold: z.boolean().optional().openapi({ description: 'retention keeps a held backup' }),
  })
  .strict()
  .openapi('BackupCreate');

export const BackupCreatedSchema = z
  .object({
    backup: BackupSchema,
    durationMs: z.number(),
    snapshot: z
      .string()
      .nullable()
      .openapi({ description: 'how the image was taken (live, memory, scratch); null for a logical backup' }),
  })
  .openapi('BackupCreated');

export const BackupVerifySchema = z
  .object({
    deep: z
      .boolean()
      .optional()
      .openapi({ description: 'also restore into a temporary database and check it (slower)' }),
    tables: TablesSchema.optional().openapi({ description: 'test-restore only these tables' }),
  })
  .strict()
  .openapi('BackupVerify');

export const VerificationSchema = z
  .object({
    ok: z.boolean(),
    id: z
      .string()
      .nullable()
      .openapi({ description: 'the backup verified, or null for the whole repository' }),
    keyed: z.boolean().openapi({
      description: 'whether it decrypted (a passphrase was available): content, not just checksums',
    }),
    checks: z.array(CheckSchema),
    restoreMs: z.number().optional(),
    comparison: z
      .object({ equal: z.boolean(), changedTables: z.array(z.string()) })
      .optional()
      .openapi({ description: 'the live store against the backup now (information, never a failure)' }),
  })
  .openapi('BackupVerification');

export const BackupRestoreSchema = z
  .object({
    name: z.string().regex(RESTORE_NAME, 'a plain file name: letters, digits, _ and -').optional().openapi({
      description:
        'the new database file in the restore folder (`.db` added); default restore-<id>-<time>.db. Never an existing file.',
    }),
    integrity: z
      .enum(['auto', 'full', 'quick'])
      .optional()
      .openapi({ description: 'auto (default): integrity_check unless a deep verification recorded it' }),
    tables: TablesSchema.optional().openapi({ description: 'restore only these tables into the new file' }),
  })
  .strict()
  .openapi('BackupRestore');

export const RestoredSchema = z
  .object({
    id: z.string(),
    file: z.string().openapi({ description: 'the new database file, in the restore folder' }),
    restored: z.boolean(),
    entryCount: z.number().int(),
    tables: z.record(z.string(), z.number().int()).openapi({ description: 'rows restored per table' }),
    checks: z.array(CheckSchema).openapi({ description: 'every check passed, or nothing was written' }),
    durationMs: z.number(),
    comparison: z
      .object({
        equal: z.boolean(),
        changedTables: z.array(z.string()),
      })
      .openapi({
        description:
          "the restored row counts of the content tables against the live store's now (not the audit trail and event log, which backups append to); information, the store moves on",
      }),
  })
  .openapi('BackupRestored');

export const RestoreFilesSchema = z
  .object({
    restores: z.array(z.object({ file: z.string(), bytes: z.number().int(), modifiedAt: z.string() })),
  })
  .openapi('BackupRestoreFiles');
