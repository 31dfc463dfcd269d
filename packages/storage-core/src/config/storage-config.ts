import { z } from 'zod';
import { ConfigError } from '../errors/storage-error.js';
import { zodIssues } from '../util/zod-issues.js';

const pragmaValue = z.union([z.string(), z.number()]);

const credentialsSchema = z.strictObject({
  user: z.string().min(1),
  password: z.string().optional(),
});

const poolSchema = z.strictObject({
  min: z.number().int().min(0).default(0),
  max: z.number().int().min(1).max(1000).default(10),
  idleTimeoutMs: z.number().int().min(0).default(30_000),
  acquireTimeoutMs: z.number().int().min(0).default(10_000),
});

export const databaseConfigSchema = z
  .strictObject({
    type: z.enum(['sqlite', 'postgresql', 'mysql']).default('sqlite'),
    /** SQLite file path, or `:memory:`. */
    path: z.string().min(1).default('./kb.db'),
    /** A connection URL for network dialects (`postgres://…`, `mysql://…`). */
    url: z.string().min(1).optional(),
    host: z.string().min(1).optional(),
    port: z.number().int().min(1).max(65_535).optional(),
    database: z.string().min(1).optional(),
    /** Schema (PostgreSQL) used for every table; lets several stores share one database. */
    schema: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/)
      .optional(),
    credentials: credentialsSchema.optional(),
    pool: poolSchema.prefault({}),
    /** Extra SQLite pragmas applied on open, after the defaults (`journal_mode`, `synchronous`, …). */
    pragmas: z
      .record(z.string().regex(/^[a-z_]+$/, 'pragma names are lower-case words'), pragmaValue)
      .default({}),
    /**
     * How long a writer waits for another writer before failing with BUSY. SQLite's busy handler is not fair:
     * under four busy writer processes on a loaded two-core machine one writer waited past 5 s.
     */
    busyTimeoutMs: z.number().int().min(0).max(600_000).default(15_000),
    /**
     * Open read-only: reads work, writes fail with READ_ONLY, nothing is migrated and nothing is written
     * (search history is not recorded). SQLite also opens read-only by itself when the file or its folder
     * is not writable.
     */
    readonly: z.boolean().default(false),
  })
  .prefault({});

const encryptionSchema = z.strictObject({
  enabled: z.boolean().default(true),
  algorithm: z.literal('aes-256-gcm').default('aes-256-gcm'),
  /** Environment variable holding the passphrase; the passphrase itself never lives in a config file. */
  passphraseEnv: z.string().min(1).default('KB_BACKUP_PASSPHRASE'),
});

const backupDestinationSchema = z.strictObject({
  type: z.enum(['local']).default('local'),
  path: z.string().min(1),
  name: z.string().min(1).optional(),
});

const retentionTierSchema = z.strictObject({
  intervalMs: z.number().int().min(1_000).optional(),
  cron: z.string().min(1).optional(),
  keep: z.number().int().min(0),
  maxAgeMs: z.number().int().min(0).optional(),
});

export const backupConfigSchema = z
  .strictObject({
    enabled: z.boolean().default(false),
    /** Interval of the default (full) backup in milliseconds. */
    interval: z.number().int().min(1_000).default(86_400_000),
    /** Number of backups kept when no tiered policy is given. */
    retention: z.number().int().min(1).default(30),
    compression: z.boolean().default(true),
    /** Backups checksum every object with SHA-256; another algorithm is refused, not silently ignored. */
    checksumAlgorithm: z
      .literal('sha256', { error: 'backups are checksummed with sha256 only (sha512 is not implemented)' })
      .default('sha256'),
    encryption: encryptionSchema.prefault({}),
    destinations: z.array(backupDestinationSchema).default([]),
    policy: z
      .strictObject({
        incremental: retentionTierSchema.optional(),
        differential: retentionTierSchema.optional(),
        full: retentionTierSchema.optional(),
      })
      .optional(),
  })
  .prefault({});

export const performanceConfigSchema = z
  .strictObject({
    caching: z
      .strictObject({
        enabled: z.boolean().default(true),
        maxEntries: z.number().int().min(1).max(1_000_000).default(1_000),
        ttlMs: z.number().int().min(0).default(300_000),
      })
      .prefault({}),
    indexing: z
      .strictObject({
        /** bm25 column weights; title weighs most. */
        weights: z
          .strictObject({
            title: z.number().min(0).default(10),
            problem: z.number().min(0).default(4),
            solution: z.number().min(0).default(2),
            tags: z.number().min(0).default(6),
            category: z.number().min(0).default(3),
          })
          .prefault({}),
        /** Share of the score that comes from usage and success rate (0 = text relevance only). */
        usageWeight: z.number().min(0).max(1).default(0.15),
        typoCorrection: z.boolean().default(true),
      })
      .prefault({}),
    maintenance: z
      .strictObject({
        /** Not implemented: `true` is refused. Run `kb optimize` (or `optimize()`) from a scheduler instead. */
        autoOptimize: z
          .literal(false, {
            error: 'automatic optimisation is not implemented: run kb optimize (optimize()) from a scheduler',
          })
          .default(false),
        intervalMs: z.number().int().min(60_000).default(86_400_000),
        walWarnBytes: z
          .number()
          .int()
          .min(0)
          .default(64 * 1024 * 1024),
      })
      .prefault({}),
    monitoring: z
      .strictObject({
        /** `false`: operations are not timed (getMetrics() reports none). */
        enabled: z.boolean().default(true),
        /** Operations taking at least this long are counted as `slow` in getMetrics() (per operation). */
        slowQueryMs: z.number().min(0).default(100),
        /** Samples kept per operation for latency percentiles. */
        histogramSize: z.number().int().min(100).max(1_000_000).default(10_000),
      })
      .prefault({}),
  })
  .prefault({});

export const extensionConfigSchema = z.strictObject({
  /** Plugin id, e.g. `patterns`. */
  id: z.string().regex(/^[a-z][a-z0-9-]*$/, 'plugin ids are lower-case words joined by dashes'),
  /** Package to import the plugin from when it is not passed to createStorage(). */
  package: z.string().min(1).optional(),
  enabled: z.boolean().default(true),
  options: z.record(z.string(), z.unknown()).default({}),
});

export const mvpConfigSchema = z
  .strictObject({
    /**
     * The MVP level the store must be at. The level itself comes from the enabled extensions (the highest MVP
     * among them, 1 with none): when set, opening a store whose extensions make another level is refused.
     */
    version: z.enum(['1', '2', '3', '4', '5']).optional(),
    /** Not implemented: features are enabled by extensions (`extensions`); any entry here is refused. */
    features: z
      .record(z.string(), z.boolean())
      .refine((f) => Object.keys(f).length === 0, {
        error: 'feature flags are not implemented: enable an MVP by its extension in mvp.extensions',
      })
      .default({}),
    extensions: z.array(extensionConfigSchema).default([]),
  })
  .prefault({});

export const integrationsConfigSchema = z
  .strictObject({
    ai: z
      .strictObject({
        /** Not implemented: `true` is refused (no AI integration in this release). */
        enabled: z
          .literal(false, { error: 'the AI integration is not implemented in this release' })
          .default(false),
        provider: z.string().min(1).optional(),
        model: z.string().min(1).optional(),
        endpoint: z.url().optional(),
      })
      .prefault({}),
    external: z
      .array(
        z.strictObject({
          name: z.string().min(1),
          type: z.enum(['servicenow', 'jira', 'splunk', 'webhook', 'other']),
          url: z.url().optional(),
          enabled: z.boolean().default(true),
        }),
      )
      .max(0, {
        error:
          'external integrations are not implemented: import their exports with kb import --source servicenow|jira|splunk',
      })
      .default([]),
    eventBus: z
      .strictObject({
        type: z.enum(['memory']).default('memory'),
        /** Write every change event to the durable event log (kb_events) in the change's transaction. */
        durableLog: z.boolean().default(true),
      })
      .prefault({}),
  })
  .prefault({});

/** Where the audit trail's key and checkpoints live (docs/audit.md); neither is ever stored in the database. */
export const auditConfigSchema = z
  .strictObject({
    /**
     * The keyring: one base64 key (32 bytes or more) per line, the last one signs new rows, the others still
     * verify the rows they signed. Default: `<database path>.audit-key` beside a SQLite file, created
     * owner-only on the first keyed write; none for a server, unless the variable `keyEnv` names is set.
     */
    keyFile: z.string().min(1).optional(),
    /** Environment variable holding base64 keys, comma-separated, the last one current (servers, containers). */
    keyEnv: z.string().min(1).default('KB_AUDIT_KEY'),
    /**
     * Signed checkpoints of the chain's head, one JSON line each, appended by `auditCheckpoint()`. Default:
     * `<database path>.audit-checkpoints` beside a SQLite file; none for a server (checkpoints are then only
     * returned, for the operator to keep).
     */
    checkpointFile: z.string().min(1).optional(),
  })
  .prefault({});

export const storageConfigSchema = z.strictObject({
  database: databaseConfigSchema,
  backup: backupConfigSchema,
  performance: performanceConfigSchema,
  mvp: mvpConfigSchema,
  integrations: integrationsConfigSchema,
  audit: auditConfigSchema,
});

/** The validated configuration, every default filled in. */
export type StorageConfig = z.output<typeof storageConfigSchema>;
/** What a caller writes: every field optional where a default exists. */
export type StorageConfigInput = z.input<typeof storageConfigSchema>;

/** Validates a configuration; unknown keys and bad values are refused with the path that is wrong. */
export function parseStorageConfig(input: unknown): StorageConfig {
  const result = storageConfigSchema.safeParse(input ?? {});
  if (!result.success) {
    const issues = zodIssues(result.error);
    throw new ConfigError(
      `Invalid storage config: ${issues.map((i) => `${i.path || '(root)'}: ${i.message}`).join('; ')}`,
      issues,
    );
  }
  return result.data;
}
