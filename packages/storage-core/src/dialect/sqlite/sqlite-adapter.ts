import { statfsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import BetterSqlite3, { type Database } from 'better-sqlite3';
import {
  Kysely,
  SqliteAdapter as KyselySqliteAdapter,
  SqliteIntrospector,
  SqliteQueryCompiler,
  type Transaction,
} from 'kysely';
import type { StorageConfig } from '../../config/storage-config.js';
import { StorageErrorCode } from '../../errors/error-codes.js';
import { StorageError } from '../../errors/storage-error.js';
import { translateDatabaseError } from '../../errors/translate-error.js';
import type { SearchIndex } from '../../search/search-index.js';
import type {
  DatabaseFileState,
  DatabaseSize,
  DatabaseSnapshot,
  DialectAdapter,
  DialectCapabilities,
  HeldLock,
  IntegrityReport,
  MaintenanceStep,
  SchemaTable,
} from '../dialect-adapter.js';
import { collectSchemaTables, type TableReferenceRow } from '../schema-tables.js';
import { Fts5SearchIndex } from './fts5-search-index.js';
import { SqliteAppendOnlyGuard } from './sqlite-append-only-guard.js';
import { sqliteColumnTypes } from './sqlite-column-types.js';
import { SqliteDatabaseFile } from './sqlite-database-file.js';
import { isBusy, SqliteDriver } from './sqlite-driver.js';
import { acquireSqliteMigrationLock } from './sqlite-migration-lock.js';
import { sweepLeftoverSnapshots, takeSqliteSnapshot } from './sqlite-snapshot.js';

const PRAGMA_VALUE = /^[A-Za-z0-9_-]+$/;

/** Pragmas every store runs with; `database.pragmas` in the config overrides or extends them. */
const DEFAULT_PRAGMAS: Record<string, string | number> = {
  journal_mode: 'wal',
  synchronous: 'full',
  foreign_keys: 'on',
  temp_store: 'memory',
  cache_size: -65_536,
  mmap_size: 268_435_456,
};

export class SqliteDialectAdapter implements DialectAdapter {
  readonly name = 'sqlite' as const;
  readonly capabilities: DialectCapabilities = {
    transactionalDdl: true,
    lockingReads: false,
    migrationSnapshot: true,
    embedded: true,
    dropIndexNeedsTable: false,
  };
  readonly columnTypes = sqliteColumnTypes;
  readonly appendOnlyGuard: SqliteAppendOnlyGuard;
  readonly db: Kysely<any>;
  readonly location: string;
  readonly sqlite: Database;
  readonly searchIndex: SearchIndex;
  readonly #memory: boolean;
  /** The file under the store; undefined in memory. */
  readonly #file: SqliteDatabaseFile | undefined;
  #closed = false;

  private constructor(
    sqlite: Database,
    location: string,
    file: SqliteDatabaseFile | undefined,
    config: StorageConfig,
  ) {
    this.sqlite = sqlite;
    this.location = location;
    this.#memory = location === ':memory:';
    this.#file = file;
    // Just before COMMIT, so a file deleted while a transaction ran does not take its writes along.
    const driver = new SqliteDriver(sqlite, file && (() => file.assertUnchanged()));
    this.db = new Kysely<any>({
      dialect: {
        createAdapter: () => new KyselySqliteAdapter(),
        createDriver: () => driver,
        createIntrospector: (db) => new SqliteIntrospector(db),
        createQueryCompiler: () => new SqliteQueryCompiler(),
      },
    });
    this.appendOnlyGuard = new SqliteAppendOnlyGuard(sqlite);
    this.searchIndex = new Fts5SearchIndex(this, config);
  }

  /**
   * Opens (creating if needed, owner-only) the SQLite file named by the config and applies its pragmas;
   * read-only when the config says so or the file or its folder is not writable.
   */
  static open(config: StorageConfig): SqliteDialectAdapter {
    const { path, busyTimeoutMs, readonly, pragmas } = config.database;
    const file = path === ':memory:' ? undefined : new SqliteDatabaseFile(path, readonly);
    let sqlite: Database;
    try {
      sqlite = file
        ? file.open(busyTimeoutMs)
        : new BetterSqlite3(path, { timeout: busyTimeoutMs, readonly, fileMustExist: readonly });
    } catch (error) {
      throw translateDatabaseError(error, `opening SQLite database '${path}'`);
    }
    try {
      const merged = { ...DEFAULT_PRAGMAS, ...pragmas };
      if (!file || file.readOnly) delete merged.journal_mode;
      for (const [name, value] of Object.entries(merged)) {
        if (typeof value === 'string' && !PRAGMA_VALUE.test(value)) {
          throw new StorageError(
            StorageErrorCode.CONFIG_INVALID,
            `database.pragmas.${name}: '${value}' is not a plain pragma value`,
          );
        }
        sqlite.pragma(`${name} = ${value}`);
      }
      const compileOptions = sqlite.pragma('compile_options', { simple: false }) as {
        compile_options: string;
      }[];
      if (!compileOptions.some((o) => o.compile_options === 'ENABLE_FTS5')) {
        throw new StorageError(
          StorageErrorCode.UNSUPPORTED,
          'this SQLite build has no FTS5; the store needs it',
        );
      }
    } catch (error) {
      sqlite.close();
      throw translateDatabaseError(error, `configuring SQLite database '${path}'`);
    }
    // A migration killed after its last step committed leaves its snapshot, and a later run with nothing
    // pending takes none (the only other sweep): every writable open clears what dead runs left.
    if (file && !file.readOnly) sweepLeftoverSnapshots(resolve(path));
    return new SqliteDialectAdapter(sqlite, path, file, config);
  }

  /**
   * Every write of the store passes here or through migrationTransaction (the write executor, search
   * history, the migration lock): both refuse a read-only store before they begin, and the driver refuses
   * to commit into a file no longer at its path.
   */
  async writeTransaction<T>(fn: (trx: Transaction<any>) => Promise<T>): Promise<T> {
    this.#file?.refuseReadOnly();
    return this.db.transaction().setAccessMode('read write').execute(fn);
  }

  /**
   * A write transaction that gives up at once (SQLITE_BUSY) instead of waiting out the busy timeout when
   * another connection holds the write lock: for writes that may be skipped, such as saving a cache.
   */
  async writeTransactionIfFree<T>(fn: (trx: Transaction<any>) => Promise<T>): Promise<T> {
    this.#file?.refuseReadOnly();
    return this.db.connection().execute(async (connection) => {
      // Holding the connection, nothing else of this store runs with the changed timeout.
      const timeout = this.sqlite.pragma('busy_timeout', { simple: true }) as number;
      this.sqlite.pragma('busy_timeout = 0');
      try {
        return await connection.transaction().setAccessMode('read write').execute(fn);
      } finally {
        this.sqlite.pragma(`busy_timeout = ${Number(timeout)}`);
      }
    });
  }

  readTransaction<T>(fn: (trx: Transaction<any>) => Promise<T>): Promise<T> {
    return this.db.transaction().setAccessMode('read only').execute(fn);
  }

  async migrationTransaction<T>(fn: (trx: Transaction<any>) => Promise<T>): Promise<T> {
    this.#file?.refuseReadOnly();
    return this.db.connection().execute(async (connection) => {
      // PRAGMA foreign_keys is a no-op inside a transaction, so it is switched off before BEGIN: a table
      // rebuild (create new, copy, drop old, rename) must not cascade the DROP into child tables.
      this.sqlite.pragma('foreign_keys = off');
      try {
        return await connection
          .transaction()
          .setAccessMode('read write')
          .execute(async (trx) => {
            const result = await fn(trx);
            const violations = this.sqlite.pragma('foreign_key_check') as { table: string; parent: string }[];
            if (violations.length > 0) {
              const first = violations[0]!;
              throw new StorageError(
                StorageErrorCode.MIGRATION_FAILED,
                `the migration leaves ${violations.length} rows violating foreign keys (first: ${first.table} → ${first.parent})`,
                { details: { violations: violations.slice(0, 20) } },
              );
            }
            return result;
          });
      } finally {
        this.sqlite.pragma('foreign_keys = on');
      }
    });
  }

  acquireMigrationLock(owner: string, timeoutMs: number): Promise<HeldLock> {
    return acquireSqliteMigrationLock(this, owner, timeoutMs);
  }

  async snapshot(): Promise<DatabaseSnapshot | undefined> {
    if (this.#memory) return undefined;
    const file = this.#file;
    return takeSqliteSnapshot({
      sqlite: this.sqlite,
      location: this.location,
      assertUnchanged: () => file?.assertUnchanged(),
    });
  }

  /** An in-memory database (`:memory:`): nothing outlives the connection. */
  get inMemory(): boolean {
    return this.#memory;
  }

  fileState(): DatabaseFileState {
    return this.#file?.state() ?? { readOnly: false, detail: 'in memory: no file to check' };
  }

  async dataVersion(): Promise<number> {
    return this.sqlite.pragma('data_version', { simple: true }) as number;
  }

  async size(): Promise<DatabaseSize> {
    const pageSize = this.sqlite.pragma('page_size', { simple: true }) as number;
    const pageCount = this.sqlite.pragma('page_count', { simple: true }) as number;
    if (this.#memory) return { databaseBytes: pageSize * pageCount, walBytes: 0 };
    let walBytes = 0;
    try {
      walBytes = statSync(`${this.location}-wal`).size;
    } catch {
      walBytes = 0;
    }
    let freeBytes: number | undefined;
    try {
      const fs = statfsSync(this.location);
      freeBytes = fs.bavail * fs.bsize;
    } catch {
      freeBytes = undefined;
    }
    return freeBytes === undefined
      ? { databaseBytes: pageSize * pageCount, walBytes }
      : { databaseBytes: pageSize * pageCount, walBytes, freeBytes };
  }

  async integrityCheck(mode: 'quick' | 'full'): Promise<IntegrityReport> {
    const rows = this.sqlite.pragma(mode === 'quick' ? 'quick_check' : 'integrity_check') as Record<
      string,
      string
    >[];
    const problems = rows.map((r) => Object.values(r)[0] ?? '').filter((v) => v !== 'ok');
    const fk = this.sqlite.pragma('foreign_key_check') as { table: string; rowid: number; parent: string }[];
    for (const v of fk.slice(0, 20)) problems.push(`foreign key: ${v.table} row ${v.rowid} → ${v.parent}`);
    const index = await this.searchIndex.check();
    problems.push(...index.problems);
    return { ok: problems.length === 0, problems };
  }

  async optimize(): Promise<MaintenanceStep[]> {
    // ANALYZE, the index merge and the checkpoint all write.
    this.#file?.refuseReadOnly();
    this.#file?.assertUnchanged();
    const steps: MaintenanceStep[] = [];
    const run = (name: string, fn: () => string | undefined) => {
      const start = performance.now();
      try {
        const detail = fn();
        steps.push({ name, ok: true, durationMs: performance.now() - start, ...(detail ? { detail } : {}) });
      } catch (error) {
        steps.push({ name, ok: false, durationMs: performance.now() - start, detail: String(error) });
      }
    };
    run('analyze', () => {
      this.sqlite.exec('ANALYZE');
      return undefined;
    });
    steps.push(...(await this.searchIndex.optimize()));
    run('pragma optimize', () => {
      this.sqlite.pragma('optimize');
      return undefined;
    });
    if (!this.#memory) {
      run('wal checkpoint', () => {
        const [r] = this.sqlite.pragma('wal_checkpoint(TRUNCATE)') as { busy: number; log: number }[];
        return r?.busy ? 'a reader kept part of the WAL; it will be checkpointed later' : undefined;
      });
    }
    return steps;
  }

  /** AUTOINCREMENT keys given explicitly already advance sqlite_sequence: nothing to do. */
  async afterBulkLoad(_trx: Transaction<any>, _tables: readonly string[]): Promise<void> {}

  async serverVersion(): Promise<string> {
    const row = this.sqlite.prepare('select sqlite_version() as v').get() as { v: string };
    return `SQLite ${row.v}`;
  }

  async schemaTables(): Promise<SchemaTable[]> {
    // sqlite_schema calls an FTS5 index and the tables that store it all 'table', and the shadow tables
    // differ there only by their names; table_list (SQLite 3.37+) types them 'virtual' and 'shadow'.
    const tables = (
      this.sqlite.pragma('table_list') as { schema: string; name: string; type: string }[]
    ).filter((t) => t.schema === 'main' && t.type === 'table' && !t.name.toLowerCase().startsWith('sqlite_'));
    // SQLite matches table names without regard to case; a foreign key may spell its parent differently.
    const spelling = new Map(tables.map((t) => [t.name.toLowerCase(), t.name]));
    const parents = this.sqlite.prepare('select distinct "table" as parent from pragma_foreign_key_list(?)');
    const rows: TableReferenceRow[] = [];
    for (const { name } of tables) {
      rows.push({ name, reference: null });
      for (const { parent } of parents.all(name) as { parent: string }[]) {
        rows.push({ name, reference: spelling.get(parent.toLowerCase()) ?? parent });
      }
    }
    return collectSchemaTables(rows);
  }

  get closed(): boolean {
    return this.#closed;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.db.destroy();
    try {
      if (!this.#memory && this.sqlite.open && !this.sqlite.readonly) {
        // Statistics for the next connection, best effort: when another process is writing, ANALYZE would
        // wait out the busy timeout and then fail the close. It is skipped this time instead.
        this.sqlite.pragma('busy_timeout = 0');
        try {
          this.sqlite.pragma('optimize');
        } catch (error) {
          if (!isBusy(error)) throw error;
        }
      }
    } finally {
      if (this.sqlite.open) this.sqlite.close();
    }
  }
}
