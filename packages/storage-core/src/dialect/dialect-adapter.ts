import type { Kysely, Transaction } from 'kysely';
import type { SearchIndex } from '../search/search-index.js';
import type { AppendOnlyGuard } from './append-only-guard.js';
import type { ColumnTypes } from './column-types.js';

export type DialectName = 'sqlite' | 'postgresql' | 'mysql';

/** What a dialect can and cannot do. Code branches on capabilities, never on the dialect's name. */
export interface DialectCapabilities {
  /** DDL runs inside a transaction and rolls back with it (SQLite, PostgreSQL; not MySQL). */
  readonly transactionalDdl: boolean;
  /** The dialect takes a whole-database snapshot before migrating and restores it when one fails. */
  readonly migrationSnapshot: boolean;
  /**
   * `SELECT … FOR UPDATE` exists and writers run concurrently (the servers); where false, the dialect
   * serialises write transactions itself (SQLite's BEGIN IMMEDIATE).
   */
  readonly lockingReads: boolean;
  /** One process may open the database; several processes share the file (SQLite) or a server. */
  readonly embedded: boolean;
  /** `DROP INDEX` names the index's table (`… ON table`, MySQL); the others refuse the clause. */
  readonly dropIndexNeedsTable: boolean;
}

/** A base table of the store, as the database's catalog describes it. */
export interface SchemaTable {
  readonly name: string;
  /**
   * The other tables this one has foreign keys to, each once, sorted. A table outside the store's schema
   * (or database) is qualified as `schema.table`.
   */
  readonly references: readonly string[];
}

/** A database-wide lock held across transactions (cross-process on SQLite, advisory on servers). */
export interface HeldLock {
  release(): Promise<void>;
}

export interface DatabaseSize {
  databaseBytes: number;
  /** Write-ahead log size; 0 where the dialect has none to report. */
  walBytes: number;
  freeBytes?: number;
}

export interface IntegrityReport {
  ok: boolean;
  /** Problems found, empty when ok. */
  problems: string[];
}

export interface MaintenanceStep {
  name: string;
  ok: boolean;
  durationMs: number;
  detail?: string;
}

/** A point-in-time copy of the whole database, restorable in place. */
export interface DatabaseSnapshot {
  readonly location: string;
  restore(): Promise<void>;
  discard(): Promise<void>;
}

/** An embedded database's file as it stands now, against the one the store opened. */
export interface DatabaseFileState {
  /** Writes are refused with READ_ONLY. */
  readonly readOnly: boolean;
  /** How the file is open and, when read-only, why. */
  readonly detail: string;
  /**
   * What is wrong, if anything: the file was deleted or replaced (`unhealthy`: writes are refused), or a
   * read-only copy no longer matches the file (`degraded`).
   */
  readonly problem?: { readonly severity: 'degraded' | 'unhealthy'; readonly message: string };
}

/** Connection pool usage of a server dialect. */
export interface PoolStatistics {
  /** Connections open (idle or in use). */
  size: number;
  idle: number;
  /** Callers waiting for a connection. */
  waiting: number;
  max: number;
}

/**
 * The dialect adapter: the only place that knows which database is underneath. Everything else talks to
 * kysely and asks the adapter for capabilities, locks, snapshots and maintenance.
 */
export interface DialectAdapter {
  readonly name: DialectName;
  readonly capabilities: DialectCapabilities;
  /** The dialect's spelling of the column types migrations need. */
  readonly columnTypes: ColumnTypes;
  /** How this database refuses UPDATE and DELETE on a table (the audit trail), and how the store lifts that. */
  readonly appendOnlyGuard: AppendOnlyGuard;
  /** Kysely over the connection. Reads may use it directly; writes go through `writeTransaction`. */
  readonly db: Kysely<any>;
  /** Human description of where the data lives (a path or a redacted URL). */
  readonly location: string;

  /**
   * Runs `fn` in a write transaction (SQLite: BEGIN IMMEDIATE, so writers queue on the busy timeout instead
   * of failing on lock upgrade). Rolls back on any throw.
   */
  writeTransaction<T>(fn: (trx: Transaction<any>) => Promise<T>): Promise<T>;

  /** Runs `fn` in a read transaction that sees one consistent snapshot. */
  readTransaction<T>(fn: (trx: Transaction<any>) => Promise<T>): Promise<T>;

  /**
   * Runs `fn` as one migration: in a transaction where DDL is transactional; on SQLite with foreign keys
   * switched off around the transaction and `foreign_key_check` before commit, so a table rebuild cannot
   * cascade deletes into child tables.
   */
  migrationTransaction<T>(fn: (trx: Transaction<any>) => Promise<T>): Promise<T>;

  /**
   * After rows were written with their keys given (a copy or a logical restore), moves key generators past
   * them so the next insert does not collide (PostgreSQL sequences; SQLite and MySQL track this themselves).
   */
  afterBulkLoad(trx: Transaction<any>, tables: readonly string[]): Promise<void>;

  /** Takes the cross-process migration lock; waits up to `timeoutMs`. */
  acquireMigrationLock(owner: string, timeoutMs: number): Promise<HeldLock>;

  /** Takes a snapshot of the whole database, or returns undefined where the dialect does not snapshot. */
  snapshot(): Promise<DatabaseSnapshot | undefined>;

  /** A monotonically changing number that moves when any connection commits a change (cache invalidation). */
  dataVersion(): Promise<number | string>;

  size(): Promise<DatabaseSize>;
  integrityCheck(mode: 'quick' | 'full'): Promise<IntegrityReport>;
  optimize(): Promise<MaintenanceStep[]>;
  serverVersion(): Promise<string>;

  /**
   * The store's ordinary tables, sorted by name: not views, not the database's own tables, not the storage
   * behind a full-text index (SQLite's FTS5 virtual tables and their shadow tables).
   */
  schemaTables(): Promise<SchemaTable[]>;

  /** The database file's state (one `stat`), where the dialect keeps the database in a file. */
  fileState?(): DatabaseFileState;

  /**
   * Drops again everything in the store's schema or database that was not there when this adapter opened
   * it — only when opening created the store (the migration ledger is among those objects; otherwise it
   * drops nothing and returns false) — and on PostgreSQL the schema, when opening created that. A copy into
   * a new server target that failed leaves it as it was. Embedded dialects build a new store under a scratch
   * name instead and have no such method.
   */
  discardNewStore?(): Promise<boolean>;

  /**
   * Undoes what opening did to a database that turned out to hold no store (`mustExist`), when nothing has
   * been put in it since: drops the schema opening created (PostgreSQL) or gives back the collation it changed
   * (MySQL). Never drops anything that was there before.
   */
  undoOpen?(): Promise<void>;

  /** Pool usage, where the dialect pools connections. */
  poolStatistics?(): PoolStatistics;

  /** The dialect's full-text index over the knowledge base. */
  readonly searchIndex: SearchIndex;

  close(): Promise<void>;
}
