import { Kysely, MysqlDialect, sql, type Transaction } from 'kysely';
import type { StorageConfig } from '../../config/storage-config.js';
import { StorageErrorCode } from '../../errors/error-codes.js';
import { StorageError } from '../../errors/storage-error.js';
import { translateDatabaseError } from '../../errors/translate-error.js';
import { LEDGER_TABLE } from '../../migration/migration-ledger.js';
import type { SearchIndex } from '../../search/search-index.js';
import { ServerSearchIndex } from '../../search/server/server-search-index.js';
import { redactUrl } from '../database-url.js';
import type {
  DatabaseSize,
  DatabaseSnapshot,
  DialectAdapter,
  DialectCapabilities,
  HeldLock,
  IntegrityReport,
  MaintenanceStep,
  PoolStatistics,
  SchemaTable,
} from '../dialect-adapter.js';
import { loadDriver } from '../load-driver.js';
import { collectSchemaTables, type TableReferenceRow } from '../schema-tables.js';
import { MysqlAppendOnlyGuard } from './mysql-append-only-guard.js';
import { mysqlColumnTypes } from './mysql-column-types.js';
import { MysqlTextBackend } from './mysql-text-backend.js';

type Mysql2Module = typeof import('mysql2');
type MysqlPool = ReturnType<Mysql2Module['createPool']>;

/**
 * Tables compare keys byte for byte: with MySQL's default case-insensitive collations `ABC-1` and `abc-1`
 * would be one id here and two on SQLite and PostgreSQL, and a copy between them would fail.
 */
const COLLATION = 'utf8mb4_bin';

/**
 * Every session runs with strict SQL mode, so nothing is silently truncated, and without REAL_AS_FLOAT (nor
 * ANSI, which brings it back): under it the `real` of the migrations' doubles would create 4-byte FLOAT
 * columns, which keep 7 digits of 9.412266000000045.
 */
export const MYSQL_SESSION_SQL_MODE = `set session sql_mode = concat_ws(',',
  nullif(trim(both ',' from replace(replace(concat(',', @@session.sql_mode, ','), ',REAL_AS_FLOAT,', ','), ',ANSI,', ',')), ''),
  'STRICT_ALL_TABLES', 'NO_ENGINE_SUBSTITUTION')`;

/** The mysql2 field a typeCast sees (mysql2 does not export the type). */
interface TypeCastField {
  readonly type: string;
  string(): string | null;
}

/**
 * Reads DOUBLE, FLOAT and DECIMAL from the text the server sends with JavaScript's own parser. mysql2's text
 * protocol parser builds a number of up to 17 characters digit by digit and divides by a power of ten, which
 * is not correctly rounded: the server sends `9.412266000000045` and mysql2 returns 9.412266000000043. (The
 * binary protocol, which reads doubles as bytes, would hand typeCast a field it cannot read as text: this
 * pool is only queried through the text protocol — kysely's `query`, never `execute`.)
 */
function typeCast(field: TypeCastField, next: () => unknown): unknown {
  switch (field.type) {
    case 'DOUBLE':
    case 'FLOAT':
    case 'NEWDECIMAL':
    case 'DECIMAL': {
      const text = field.string();
      return text === null ? null : Number(text);
    }
    default:
      return next();
  }
}

/** What opening found in the database (see discardNewStore). */
interface OpenedDatabase {
  /** The character set and collation the database had before opening gave it COLLATION, if it did. */
  readonly collation?: { readonly charset: string; readonly collation: string };
  readonly objects: ReadonlySet<string>;
}

const OBJECTS_QUERY = `
  select concat('table:', table_type, ':', table_name) as k, table_name as name, table_type as kind
    from information_schema.tables where table_schema = database()
  union all
  select concat('routine:', routine_type, ':', routine_name), routine_name, routine_type
    from information_schema.routines where routine_schema = database()
  union all
  select concat('event:', event_name), event_name, 'EVENT'
    from information_schema.events where event_schema = database()`;

interface ObjectRow {
  k: string;
  name: string;
  kind: string;
}

const quoteId = (name: string) => `\`${name.replace(/`/g, '``')}\``;

function dropStatement(o: ObjectRow): string {
  if (o.kind === 'VIEW') return `drop view if exists ${quoteId(o.name)}`;
  if (o.kind === 'PROCEDURE') return `drop procedure if exists ${quoteId(o.name)}`;
  if (o.kind === 'FUNCTION') return `drop function if exists ${quoteId(o.name)}`;
  if (o.kind === 'EVENT') return `drop event if exists ${quoteId(o.name)}`;
  return `drop table if exists ${quoteId(o.name)}`;
}

/**
 * MySQL / MariaDB through a `mysql2` pool. DDL commits implicitly, so the migration registry writes a
 * `running` ledger row before each step (a crash leaves a visible failed state). Every session runs in
 * UTC with strict SQL mode, so nothing is silently truncated.
 */
export class MysqlDialectAdapter implements DialectAdapter {
  readonly name = 'mysql' as const;
  readonly capabilities: DialectCapabilities = {
    transactionalDdl: false,
    lockingReads: true,
    migrationSnapshot: false,
    embedded: false,
    dropIndexNeedsTable: true,
  };
  readonly columnTypes = mysqlColumnTypes;
  readonly appendOnlyGuard = new MysqlAppendOnlyGuard();
  readonly db: Kysely<any>;
  readonly location: string;
  readonly database: string;
  readonly searchIndex: SearchIndex;
  readonly #pool: MysqlPool;
  readonly #opened: OpenedDatabase;
  readonly #max: number;
  #version = 0;
  #closed = false;

  private constructor(
    pool: MysqlPool,
    location: string,
    database: string,
    config: StorageConfig,
    opened: OpenedDatabase,
  ) {
    this.#pool = pool;
    this.#opened = opened;
    this.location = location;
    this.database = database;
    this.#max = config.database.pool.max;
    this.db = new Kysely<any>({
      dialect: new MysqlDialect({
        pool,
        onCreateConnection: async (connection) => {
          await connection.executeQuery(sql`set session time_zone = '+00:00'`.compile(this.db));
          await connection.executeQuery(sql.raw(MYSQL_SESSION_SQL_MODE).compile(this.db));
        },
      }),
    });
    this.searchIndex = new ServerSearchIndex(this, new MysqlTextBackend(), config);
  }

  static async open(config: StorageConfig): Promise<MysqlDialectAdapter> {
    const mysql = await loadDriver<Mysql2Module>('mysql2', 'mysql');
    const { url, host, port, database, credentials, pool } = config.database;
    if (!url && !host) {
      throw new StorageError(
        StorageErrorCode.CONFIG_INVALID,
        "database.type 'mysql' needs database.url or database.host",
      );
    }
    const name = database ?? (url ? decodeURIComponent(new URL(url).pathname.replace(/^\//, '')) : '');
    if (!name) {
      throw new StorageError(
        StorageErrorCode.CONFIG_INVALID,
        "database.type 'mysql' needs a database name (in the URL or database.database)",
      );
    }
    const options = {
      ...(url ? { uri: url } : {}),
      ...(host ? { host } : {}),
      ...(port ? { port } : {}),
      database: name,
      ...(credentials ? { user: credentials.user, password: credentials.password ?? '' } : {}),
      connectionLimit: pool.max,
      maxIdle: Math.max(pool.min, 1),
      idleTimeout: pool.idleTimeoutMs,
      connectTimeout: pool.acquireTimeoutMs,
      charset: 'utf8mb4',
      timezone: 'Z',
      supportBigNumbers: true,
      bigNumberStrings: false,
      dateStrings: true,
      decimalNumbers: true,
      typeCast,
    };
    const instance = mysql.createPool(options as Parameters<Mysql2Module['createPool']>[0]);
    const location = url ? redactUrl(url) : `mysql://${host}:${port ?? 3306}/${name}`;
    let opened: OpenedDatabase;
    try {
      opened = await MysqlDialectAdapter.#prepareDatabase(instance, name);
    } catch (error) {
      await new Promise<void>((resolve) => instance.end(() => resolve()));
      throw translateDatabaseError(error, `connecting to MySQL at ${location}`);
    }
    return new MysqlDialectAdapter(instance, location, name, config, opened);
  }

  /**
   * Gives an empty database the byte-wise collation (see COLLATION); a database with tables is left alone.
   * Returns what the database held and the collation it had.
   */
  static async #prepareDatabase(pool: MysqlPool, name: string): Promise<OpenedDatabase> {
    const query = (text: string, values: unknown[] = []) =>
      new Promise<any[]>((resolve, reject) =>
        pool.query(text, values, (error, rows) => (error ? reject(error) : resolve(rows as any[]))),
      );
    const [row] = await query(
      'select @@collation_database as c, @@character_set_database as cs, (select count(*) from information_schema.tables where table_schema = database()) as n',
    );
    const objects = new Set(((await query(OBJECTS_QUERY)) as ObjectRow[]).map((o) => o.k));
    if (row.c !== COLLATION && Number(row.n) === 0) {
      await query(`alter database ${quoteId(name)} character set utf8mb4 collate ${COLLATION}`);
      return { objects, collation: { charset: String(row.cs), collation: String(row.c) } };
    }
    return { objects };
  }

  async undoOpen(): Promise<void> {
    const before = this.#opened.collation;
    if (!before) return;
    const current = (await sql.raw<ObjectRow>(OBJECTS_QUERY).execute(this.db)).rows;
    if (current.length > 0) return;
    await sql
      .raw(
        `alter database ${quoteId(this.database)} character set ${before.charset} collate ${before.collation}`,
      )
      .execute(this.db);
  }

  async discardNewStore(): Promise<boolean> {
    const current = (await sql.raw<ObjectRow>(OBJECTS_QUERY).execute(this.db)).rows;
    const created = current.filter((o) => !this.#opened.objects.has(o.k));
    if (!created.some((o) => o.k === `table:BASE TABLE:${LEDGER_TABLE}`)) return false;
    // DDL commits on its own in MySQL: one connection, with foreign key checks off so the tables drop in
    // any order.
    await this.db.connection().execute(async (db) => {
      await sql`set foreign_key_checks = 0`.execute(db);
      try {
        const order = (o: ObjectRow) => (o.kind === 'VIEW' ? 0 : o.k.startsWith('table:') ? 1 : 2);
        for (const o of created.sort((a, b) => order(a) - order(b)))
          await sql.raw(dropStatement(o)).execute(db);
      } finally {
        await sql`set foreign_key_checks = 1`.execute(db);
      }
      const before = this.#opened.collation;
      if (before) {
        await sql
          .raw(
            `alter database ${quoteId(this.database)} character set ${before.charset} collate ${before.collation}`,
          )
          .execute(db);
      }
    });
    return true;
  }

  writeTransaction<T>(fn: (trx: Transaction<any>) => Promise<T>): Promise<T> {
    return this.db.transaction().execute(async (trx) => {
      const result = await fn(trx);
      this.#version++;
      return result;
    });
  }

  readTransaction<T>(fn: (trx: Transaction<any>) => Promise<T>): Promise<T> {
    return this.db.transaction().setIsolationLevel('repeatable read').setAccessMode('read only').execute(fn);
  }

  migrationTransaction<T>(fn: (trx: Transaction<any>) => Promise<T>): Promise<T> {
    return this.db.transaction().execute(fn);
  }

  /** GET_LOCK on a dedicated connection: released by the server if this process dies. */
  async acquireMigrationLock(owner: string, timeoutMs: number): Promise<HeldLock> {
    const lockName = `mainframe-kb:migrate:${this.database}`.slice(0, 64);
    const connection = await new Promise<any>((resolve, reject) =>
      this.#pool.getConnection((error, c) => (error ? reject(error) : resolve(c))),
    );
    const query = (text: string, values: unknown[]) =>
      new Promise<any[]>((resolve, reject) =>
        connection.query(text, values, (error: unknown, rows: unknown) =>
          error ? reject(error) : resolve(rows as any[]),
        ),
      );
    try {
      const [row] = await query('select get_lock(?, ?) as locked', [
        lockName,
        Math.max(0, Math.ceil(timeoutMs / 1000)),
      ]);
      if (Number(row?.locked) !== 1) {
        throw new StorageError(
          StorageErrorCode.BUSY,
          `another process is migrating this store; waited ${timeoutMs} ms for the lock '${lockName}'`,
          { details: { owner, lock: lockName } },
        );
      }
    } catch (error) {
      connection.release();
      throw error;
    }
    let released = false;
    return {
      release: async () => {
        if (released) return;
        released = true;
        try {
          await query('select release_lock(?)', [lockName]);
        } finally {
          connection.release();
        }
      },
    };
  }

  async snapshot(): Promise<DatabaseSnapshot | undefined> {
    return undefined;
  }

  /**
   * MySQL has no cheap counter of commits by other connections, so this changes on every call: search
   * results are not served from the cache on MySQL (they stay correct across processes).
   */
  async dataVersion(): Promise<string> {
    return `${process.pid}:${++this.#version}:${performance.now()}`;
  }

  async size(): Promise<DatabaseSize> {
    const { rows } = await sql<{ bytes: number | string | null }>`
      select coalesce(sum(data_length + index_length), 0) as bytes from information_schema.tables
      where table_schema = database()`.execute(this.db);
    return { databaseBytes: Number(rows[0]?.bytes ?? 0), walBytes: 0 };
  }

  async integrityCheck(_mode: 'quick' | 'full'): Promise<IntegrityReport> {
    const index = await this.searchIndex.check();
    return { ok: index.ok, problems: [...index.problems] };
  }

  async #tables(): Promise<string[]> {
    const { rows } = await sql<{ name: string }>`select table_name as name from information_schema.tables
      where table_schema = database() and table_type = 'BASE TABLE' order by table_name`.execute(this.db);
    return rows.map((r) => r.name);
  }

  async optimize(): Promise<MaintenanceStep[]> {
    const steps: MaintenanceStep[] = [];
    const step = async (name: string, fn: () => Promise<string | undefined>) => {
      const start = performance.now();
      try {
        const detail = await fn();
        steps.push({ name, ok: true, durationMs: performance.now() - start, ...(detail ? { detail } : {}) });
      } catch (error) {
        steps.push({ name, ok: false, durationMs: performance.now() - start, detail: String(error) });
      }
    };
    await step('analyze table', async () => {
      const tables = await this.#tables();
      if (tables.length > 0)
        await sql`analyze table ${sql.join(tables.map((t) => sql.table(t)))}`.execute(this.db);
      return `${tables.length} tables`;
    });
    // Merges the FULLTEXT index's deleted-document list (OPTIMIZE on InnoDB rebuilds the table).
    await step('optimize table kb_search', async () => {
      await sql`optimize table kb_search`.execute(this.db);
      return undefined;
    });
    steps.push(...(await this.searchIndex.optimize()));
    return steps;
  }

  /** InnoDB's AUTO_INCREMENT already moves past explicitly given keys. */
  async afterBulkLoad(_trx: Transaction<any>, _tables: readonly string[]): Promise<void> {}

  async serverVersion(): Promise<string> {
    const { rows } = await sql<{ v: string }>`select version() as v`.execute(this.db);
    const v = rows[0]?.v ?? '';
    return /mariadb/i.test(v) ? `MariaDB ${v}` : `MySQL ${v}`;
  }

  /** MariaDB lists a system-versioned table (one that keeps its row history) as its own table type. */
  async schemaTables(): Promise<SchemaTable[]> {
    const query = sql<TableReferenceRow>`
      select t.table_name as name,
             case when k.referenced_table_name is null then null
                  when k.referenced_table_schema = t.table_schema then k.referenced_table_name
                  else concat(k.referenced_table_schema, '.', k.referenced_table_name) end as reference
        from information_schema.tables t
        left join information_schema.key_column_usage k
          on k.table_schema = t.table_schema and k.table_name = t.table_name
         and k.referenced_table_name is not null
       where t.table_schema = database() and t.table_type in ('BASE TABLE', 'SYSTEM VERSIONED')`;
    return collectSchemaTables((await query.execute(this.db)).rows);
  }

  poolStatistics(): PoolStatistics {
    const inner = this.#pool as unknown as {
      _allConnections?: { length: number };
      _freeConnections?: { length: number };
      _connectionQueue?: { length: number };
    };
    return {
      size: inner._allConnections?.length ?? 0,
      idle: inner._freeConnections?.length ?? 0,
      waiting: inner._connectionQueue?.length ?? 0,
      max: this.#max,
    };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.db.destroy();
  }
}
