import type { Kysely } from 'kysely';
import type { AppendOnlyGuard } from '../dialect/append-only-guard.js';
import type { ColumnTypes } from '../dialect/column-types.js';
import type { DialectCapabilities, DialectName } from '../dialect/dialect-adapter.js';

/** What a migration may ask of the dialect it runs on. */
export interface MigrationContext {
  /** @deprecated branch on capabilities or types */
  readonly dialect: DialectName;
  readonly capabilities: DialectCapabilities;
  /** Column types whose spelling differs between dialects. */
  readonly types: ColumnTypes;
  /** Makes a table refuse UPDATE and DELETE in the database itself (triggers); `protect` in `up`, `unprotect` in `down`. */
  readonly appendOnly: Pick<AppendOnlyGuard, 'protect' | 'unprotect'>;
}

/**
 * One schema change. `up` (and `down`) receive a kysely instance bound to the migration's transaction;
 * they must issue every statement through it (the query builder or `sql\`…\`.execute(db)`), so that
 * `plan()` can capture the SQL without running it and the checksum covers what is actually executed.
 *
 * To plan and checksum it, `up` is also run against a recording connection where every read returns no
 * rows. So it must cope with empty reads, issue the same SQL on every run (no clock or random values in
 * its statements), and have no effect outside the database.
 */
export interface Migration {
  /** Unique within its namespace; migrations apply in the order of the namespace's array. */
  readonly id: string;
  readonly description?: string;
  up(db: Kysely<any>, ctx: MigrationContext): Promise<void>;
  down?(db: Kysely<any>, ctx: MigrationContext): Promise<void>;
  /** Why this migration cannot be rolled back. A migration that declares this must not have `down`. */
  readonly irreversible?: string;
  /**
   * Tables whose rows `down` would destroy and that must never be dropped holding any (the audit trail, the
   * event log): rolling this migration back is refused, naming each table and its row count, while one
   * holds a row.
   */
  readonly refuseDownWhileRowsIn?: readonly string[];
}

/** The migrations of one plugin (or of core). */
export interface MigrationNamespace {
  /** `core` for storage-core; the plugin id otherwise. */
  readonly namespace: string;
  /** Namespaces whose migrations must be applied first. */
  readonly dependsOn: readonly string[];
  readonly migrations: readonly Migration[];
}
