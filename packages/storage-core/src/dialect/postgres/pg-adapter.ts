import { createHash } from 'node:crypto';
import {
  type ColumnMetadata,
  type DatabaseIntrospector,
  type DatabaseMetadata,
  type DatabaseMetadataOptions,
  DEFAULT_MIGRATION_LOCK_TABLE,
  DEFAULT_MIGRATION_TABLE,
  Kysely,
  PostgresDialect,
  PostgresIntrospector,
  sql,
  type TableMetadata,
  type Transaction,
} from 'kysely';
import type { Pool, PoolClient, PoolConfig } from 'pg';
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
import { PgAppendOnlyGuard } from './pg-append-only-guard.js';
import { pgColumnTypes } from './pg-column-types.js';
import { PgTextBackend } from './pg-text-backend.js';

type PgModule = typeof import('pg');

const INT8_OID = 20;

interface ColumnRow {
  table: string;
  table_type: string;
  column: string;
  not_null: boolean;
  has_default: boolean;
  auto_incrementing: boolean;
  type: string;
  type_schema: string;
  column_description: string | null;
}

/**
 * Lists the tables of the store's schema only. kysely's PostgresIntrospector scans every schema and calls
 * name-based functions (`has_schema_privilege(nspname, …)`, `pg_get_serial_sequence(name, …)`) on each row;
 * when another session drops a schema or table meanwhile, the catalog scan still sees the row but the name
 * lookup fails with "schema … does not exist" (3F000) or "column … does not exist" (42703). This query
 * filters on the store's schema first and uses only OID-based lookups, so other sessions' DDL cannot fail it.
 */
class SchemaIntrospector implements DatabaseIntrospector {
  readonly #db: Kysely<any>;
  readonly #inner: PostgresIntrospector;
  readonly #schema: string;
  constructor(db: Kysely<any>, schema: string) {
    this.#db = db;
    this.#inner = new PostgresIntrospector(db);
    this.#schema = schema;
  }
  getSchemas() {
    return this.#inner.getSchemas();
  }
  async getTables(
    options: DatabaseMetadataOptions = { withInternalKyselyTables: false },
  ): Promise<TableMetadata[]> {
    const { rows } = await sql<ColumnRow>`
      select c.relname as "table", c.relkind as table_type, a.attname as "column",
             a.attnotnull as not_null, a.atthasdef as has_default,
             (a.attidentity <> '' or coalesce(pg_get_expr(d.adbin, d.adrelid) like 'nextval(%', false)) as auto_incrementing,
             typ.typname as type, tns.nspname as type_schema,
             col_description(a.attrelid, a.attnum) as column_description
        from pg_catalog.pg_class c
        join pg_catalog.pg_namespace ns on ns.oid = c.relnamespace
        join pg_catalog.pg_attribute a on a.attrelid = c.oid
        join pg_catalog.pg_type typ on typ.oid = a.atttypid
        join pg_catalog.pg_namespace tns on tns.oid = typ.typnamespace
        left join pg_catalog.pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
       where ns.nspname = ${this.#schema}
         and c.relkind in ('r', 'v', 'p')
         and a.attnum > 0 and not a.attisdropped
       order by c.relname, a.attnum`.execute(this.#db);
    const tables = new Map<
      string,
      { name: string; schema: string; isView: boolean; columns: ColumnMetadata[] }
    >();
    for (const row of rows) {
      if (!options.withInternalKyselyTables && KYSELY_TABLES.has(row.table)) continue;
      let table = tables.get(row.table);
      if (!table) {
        table = { name: row.table, schema: this.#schema, isView: row.table_type === 'v', columns: [] };
        tables.set(row.table, table);
      }
      table.columns.push({
        name: row.column,
        dataType: row.type,
        dataTypeSchema: row.type_schema,
        isNullable: !row.not_null,
        hasDefaultValue: row.has_default,
        isAutoIncrementing: row.auto_incrementing,
        ...(row.column_description === null ? {} : { comment: row.column_description }),
      });
    }
    return [...tables.values()];
  }
  async getMetadata(options?: DatabaseMetadataOptions): Promise<DatabaseMetadata> {
    return { tables: await this.getTables(options) };
  }
}

const KYSELY_TABLES = new Set([DEFAULT_MIGRATION_TABLE, DEFAULT_MIGRATION_LOCK_TABLE]);

const SCHEMA_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * The schema comes from `database.schema`, else from a `?schema=` parameter of the URL (so `kb --db
 * postgres://host/db?schema=kb` works), else `public`. The parameter is removed before `pg` sees the URL.
 */
function schemaFromUrl(
  url: string | undefined,
  configured: string | undefined,
): { url?: string; schema: string } {
  if (!url) return { schema: configured ?? 'public' };
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { url, schema: configured ?? 'public' };
  }
  const fromUrl = parsed.searchParams.get('schema');
  if (fromUrl === null) return { url, schema: configured ?? 'public' };
  if (!SCHEMA_NAME.test(fromUrl)) {
    throw new StorageError(
      StorageErrorCode.CONFIG_INVALID,
      `the URL's schema parameter '${fromUrl}' is not a plain identifier (letters, digits, underscore)`,
    );
  }
  parsed.searchParams.delete('schema');
  return { url: parsed.toString(), schema: configured ?? fromUrl };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** One object of a schema, with the statement that drops it (cascading to what hangs on it). */
interface CatalogObject {
  key: string;
  name: string;
  drop: string;
}

/**
 * The schema's tables, views, sequences, functions and free-standing types (those a table's row type or an
 * index belongs to go with it). Only OID joins after the schema filter, as in SchemaIntrospector.
 */
async function listSchemaObjects(
  query: (text: string, values: unknown[]) => Promise<{ rows: CatalogObject[] }>,
  schema: string,
): Promise<CatalogObject[]> {
  const { rows } = await query(
    `select 'relation:' || c.relkind::text || ':' || c.relname::text as key, c.relname::text as name,
            'drop ' || case c.relkind when 'v' then 'view' when 'm' then 'materialized view'
                                      when 'S' then 'sequence' when 'f' then 'foreign table' else 'table' end
              || ' if exists ' || quote_ident(n.nspname) || '.' || quote_ident(c.relname) || ' cascade' as drop
       from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
      where n.nspname = $1 and c.relkind in ('r', 'p', 'v', 'm', 'S', 'f')
     union all
     select 'function:' || p.oid::regprocedure::text, p.proname::text,
            'drop routine if exists ' || p.oid::regprocedure::text || ' cascade'
       from pg_catalog.pg_proc p join pg_catalog.pg_namespace n on n.oid = p.pronamespace
      where n.nspname = $1
     union all
     select 'type:' || t.typname::text, t.typname::text,
            'drop type if exists ' || quote_ident(n.nspname) || '.' || quote_ident(t.typname) || ' cascade'
       from pg_catalog.pg_type t join pg_catalog.pg_namespace n on n.oid = t.typnamespace
      where n.nspname = $1 and t.typtype in ('e', 'd', 'r', 'm')`,
    [schema],
  );
  return rows;
}

/**
 * PostgreSQL through a `pg` pool. Every connection's search_path is the store's schema, so several stores
 * (and the test suite's runs) share one database without seeing each other. BIGINT results (counts) come
 * back as numbers while they are exact, as strings beyond 2^53.
 */
export class PgDialectAdapter implements DialectAdapter {
  readonly name = 'postgresql' as const;
  readonly capabilities: DialectCapabilities = {
    transactionalDdl: true,
    lockingReads: true,
    migrationSnapshot: false,
    embedded: false,
    dropIndexNeedsTable: false,
  };
  readonly columnTypes = pgColumnTypes;
  readonly appendOnlyGuard = new PgAppendOnlyGuard();
  readonly db: Kysely<any>;
  readonly location: string;
  readonly schema: string;
  readonly searchIndex: SearchIndex;
  readonly #pool: Pool;
  /** Whether opening created the schema, and what the schema held then (see discardNewStore). */
  readonly #opened: { createdSchema: boolean; objects: ReadonlySet<string> };
  #closed = false;

  private constructor(
    pool: Pool,
    location: string,
    schema: string,
    config: StorageConfig,
    opened: { createdSchema: boolean; objects: ReadonlySet<string> },
  ) {
    this.#pool = pool;
    this.#opened = opened;
    this.location = location;
    this.schema = schema;
    const base = new PostgresDialect({ pool });
    this.db = new Kysely<any>({
      dialect: {
        createAdapter: () => base.createAdapter(),
        createDriver: () => base.createDriver(),
        createQueryCompiler: () => base.createQueryCompiler(),
        createIntrospector: (db) => new SchemaIntrospector(db, schema),
      },
    });
    this.searchIndex = new ServerSearchIndex(this, new PgTextBackend(), config);
  }

  static async open(config: StorageConfig): Promise<PgDialectAdapter> {
    const pg = await loadDriver<PgModule>('pg', 'postgresql');
    const { host, port, database, credentials, pool } = config.database;
    const { url, schema } = schemaFromUrl(config.database.url, config.database.schema);
    if (!url && !host) {
      throw new StorageError(
        StorageErrorCode.CONFIG_INVALID,
        "database.type 'postgresql' needs database.url or database.host",
      );
    }
    const types = {
      getTypeParser: (oid: number, format?: 'text' | 'binary') => {
        if (oid === INT8_OID) {
          return (value: string) => {
            const n = Number(value);
            return Number.isSafeInteger(n) ? n : value;
          };
        }
        return (pg.types.getTypeParser as (o: number, f?: 'text' | 'binary') => unknown)(oid, format);
      },
    };
    const poolConfig: PoolConfig = {
      ...(url ? { connectionString: url } : {}),
      ...(host ? { host } : {}),
      ...(port ? { port } : {}),
      ...(database ? { database } : {}),
      ...(credentials ? { user: credentials.user, password: credentials.password } : {}),
      max: pool.max,
      min: pool.min,
      idleTimeoutMillis: pool.idleTimeoutMs,
      connectionTimeoutMillis: pool.acquireTimeoutMs,
      // A double is read back from its text: with extra_float_digits 0 or below (a server, database or role may
      // set it; PostgreSQL before 12 defaults to 0) it is cut to 15 digits and 9.412266000000045 comes back as
      // 9.41226600000005. Any positive value prints the shortest text that reads back exactly (PostgreSQL 12+),
      // 3 the 17 digits that do on older servers.
      options: `-c search_path=${schema} -c extra_float_digits=3`,
      types: types as PoolConfig['types'],
      application_name: 'mainframe-kb',
    };
    const instance = new pg.Pool(poolConfig);
    // An idle client's error (server restart) must not crash the process; the next query reports it.
    instance.on('error', () => {});
    const location = url ? redactUrl(url) : `postgres://${host}:${port ?? 5432}/${database ?? ''}`;
    let opened: { createdSchema: boolean; objects: ReadonlySet<string> };
    try {
      const client = await instance.connect();
      try {
        const { rows } = await client.query<{ found: boolean }>(
          'select exists (select 1 from pg_catalog.pg_namespace where nspname = $1) as found',
          [schema],
        );
        const createdSchema = schema !== 'public' && !rows[0]?.found;
        if (createdSchema) await client.query(`create schema if not exists "${schema}"`);
        const objects = await listSchemaObjects((text, values) => client.query(text, values), schema);
        opened = { createdSchema, objects: new Set(objects.map((o) => o.key)) };
      } finally {
        client.release();
      }
    } catch (error) {
      await instance.end().catch(() => {});
      throw translateDatabaseError(error, `connecting to PostgreSQL at ${location}`);
    }
    return new PgDialectAdapter(instance, `${location} (schema ${schema})`, schema, config, opened);
  }

  writeTransaction<T>(fn: (trx: Transaction<any>) => Promise<T>): Promise<T> {
    return this.db.transaction().execute(fn);
  }

  readTransaction<T>(fn: (trx: Transaction<any>) => Promise<T>): Promise<T> {
    return this.db.transaction().setIsolationLevel('repeatable read').setAccessMode('read only').execute(fn);
  }

  migrationTransaction<T>(fn: (trx: Transaction<any>) => Promise<T>): Promise<T> {
    return this.db.transaction().execute(fn);
  }

  /** Two 32-bit advisory-lock keys from the schema name, so stores in different schemas do not contend. */
  #lockKeys(): [number, number] {
    const digest = createHash('sha256').update(`mainframe-kb:migrate:${this.schema}`).digest();
    return [digest.readInt32BE(0), digest.readInt32BE(4)];
  }

  /**
   * A session-level advisory lock held by a dedicated connection for the whole run; PostgreSQL releases it
   * if this process dies, so a crashed migration never leaves a stale lock.
   */
  async acquireMigrationLock(owner: string, timeoutMs: number): Promise<HeldLock> {
    const [a, b] = this.#lockKeys();
    const client: PoolClient = await this.#pool.connect();
    const deadline = Date.now() + timeoutMs;
    try {
      for (;;) {
        const { rows } = await client.query<{ locked: boolean }>(
          'select pg_try_advisory_lock($1, $2) as locked',
          [a, b],
        );
        if (rows[0]?.locked) break;
        if (Date.now() >= deadline) {
          const holder = await client.query<{ pid: number; application_name: string }>(
            `select l.pid, a.application_name from pg_locks l join pg_stat_activity a on a.pid = l.pid
             where l.locktype = 'advisory' and l.classid = $1::int::oid and l.objid = $2::int::oid limit 1`,
            [a, b],
          );
          const who = holder.rows[0];
          throw new StorageError(
            StorageErrorCode.BUSY,
            `another process is migrating this store${who ? ` (backend pid ${who.pid})` : ''}; waited ${timeoutMs} ms`,
            { details: { owner, holder: who ?? null } },
          );
        }
        await sleep(Math.min(200, Math.max(10, deadline - Date.now())));
      }
    } catch (error) {
      client.release();
      throw error;
    }
    let released = false;
    return {
      release: async () => {
        if (released) return;
        released = true;
        try {
          await client.query('select pg_advisory_unlock($1, $2)', [a, b]);
        } finally {
          client.release();
        }
      },
    };
  }

  /** Migrations roll back with their transaction: no snapshot needed. */
  async snapshot(): Promise<DatabaseSnapshot | undefined> {
    return undefined;
  }

  /** The current snapshot (xmin:xmax:in-progress list): it changes whenever any write transaction commits. */
  async dataVersion(): Promise<string> {
    const { rows } = await sql<{ v: string }>`select pg_current_snapshot()::text as v`.execute(this.db);
    return rows[0]!.v;
  }

  async size(): Promise<DatabaseSize> {
    const { rows } = await sql<{ bytes: number | string | null }>`
      select coalesce(sum(pg_total_relation_size(c.oid)), 0) as bytes
      from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = current_schema() and c.relkind in ('r', 'm', 't')`.execute(this.db);
    return { databaseBytes: Number(rows[0]?.bytes ?? 0), walBytes: 0 };
  }

  /**
   * PostgreSQL enforces constraints and checksums pages itself; what can drift is ours: the search index
   * against the entries, and the migration ledger (checked by the registry).
   */
  async integrityCheck(_mode: 'quick' | 'full'): Promise<IntegrityReport> {
    const index = await this.searchIndex.check();
    return { ok: index.ok, problems: [...index.problems] };
  }

  async optimize(): Promise<MaintenanceStep[]> {
    const steps: MaintenanceStep[] = [];
    const start = performance.now();
    try {
      const { rows } = await sql<{ name: string }>`
        select c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where n.nspname = current_schema() and c.relkind = 'r' order by c.relname`.execute(this.db);
      // VACUUM cannot run inside a transaction block: each runs alone on a pooled connection.
      for (const { name } of rows) await this.#pool.query(`vacuum (analyze) "${name.replace(/"/g, '""')}"`);
      steps.push({
        name: 'vacuum analyze',
        ok: true,
        durationMs: performance.now() - start,
        detail: `${rows.length} tables`,
      });
    } catch (error) {
      steps.push({
        name: 'vacuum analyze',
        ok: false,
        durationMs: performance.now() - start,
        detail: String(error),
      });
    }
    steps.push(...(await this.searchIndex.optimize()));
    return steps;
  }

  /** Moves each serial column's sequence past the largest key loaded. */
  async afterBulkLoad(trx: Transaction<any>, tables: readonly string[]): Promise<void> {
    if (tables.length === 0) return;
    const { rows } = await sql<{ table_name: string; column_name: string }>`
      select table_name, column_name from information_schema.columns
      where table_schema = current_schema() and column_default like 'nextval(%'
        and table_name in (${sql.join(tables)})`.execute(trx);
    for (const { table_name, column_name } of rows) {
      await sql`select setval(pg_get_serial_sequence(${table_name}, ${column_name}),
        coalesce((select max(${sql.ref(column_name)}) from ${sql.table(table_name)}), 0) + 1, false)`.execute(
        trx,
      );
    }
    // Statistics for the planner now, not when autovacuum gets round to it: a freshly copied store
    // without them had search plans ten times slower (nested loops over 100,000 rows estimated as none).
    // ANALYZE in the load's transaction sees its rows and its statistics commit with them.
    const analyzed = new Set(tables);
    // The search index is rebuilt with kb_entries (PostgreSQL's search migration creates both tables).
    if (analyzed.has('kb_entries')) for (const t of ['kb_search', 'kb_search_terms']) analyzed.add(t);
    for (const name of analyzed) await sql`analyze ${sql.table(name)}`.execute(trx);
  }

  async serverVersion(): Promise<string> {
    const { rows } = await sql<{ v: string }>`select version() as v`.execute(this.db);
    return rows[0]?.v ?? 'PostgreSQL';
  }

  /**
   * Ordinary and partitioned tables of the store's schema; a partitioned table stands for its partitions,
   * and a foreign key to one is listed once, not again for each partition (the copies have a conparentid).
   * Only OID joins after the schema filter, so other sessions' DDL cannot fail it (see SchemaIntrospector).
   */
  async schemaTables(): Promise<SchemaTable[]> {
    const query = sql<TableReferenceRow>`
      select c.relname as name,
             case when r.oid is null then null
                  when rn.nspname = ${this.schema} then r.relname
                  else rn.nspname || '.' || r.relname end as reference
        from pg_catalog.pg_class c
        join pg_catalog.pg_namespace n on n.oid = c.relnamespace
        left join pg_catalog.pg_constraint con
          on con.conrelid = c.oid and con.contype = 'f' and con.conparentid = 0
        left join pg_catalog.pg_class r on r.oid = con.confrelid
        left join pg_catalog.pg_namespace rn on rn.oid = r.relnamespace
       where n.nspname = ${this.schema} and c.relkind in ('r', 'p') and not c.relispartition`;
    return collectSchemaTables((await query.execute(this.db)).rows);
  }

  async undoOpen(): Promise<void> {
    if (!this.#opened.createdSchema) return;
    const left = await listSchemaObjects((text, values) => this.#pool.query(text, values), this.schema);
    if (left.length === 0) await this.#pool.query(`drop schema if exists "${this.schema}"`);
  }

  async discardNewStore(): Promise<boolean> {
    const created = (
      await listSchemaObjects((text, values) => this.#pool.query(text, values), this.schema)
    ).filter((o) => !this.#opened.objects.has(o.key));
    if (!created.some((o) => o.key === `relation:r:${LEDGER_TABLE}`)) return false;
    const client = await this.#pool.connect();
    try {
      await client.query('begin');
      // Relations first (with their indexes, triggers and owned sequences), then functions and types.
      const order = (o: CatalogObject) =>
        o.key.startsWith('relation:') ? 0 : o.key.startsWith('function:') ? 1 : 2;
      for (const o of created.sort((a, b) => order(a) - order(b))) await client.query(o.drop);
      // A schema that opening created goes too, unless someone else put something in it meanwhile.
      if (this.#opened.createdSchema) {
        const left = await listSchemaObjects((text, values) => client.query(text, values), this.schema);
        if (left.length === 0) await client.query(`drop schema if exists "${this.schema}"`);
      }
      await client.query('commit');
    } catch (error) {
      await client.query('rollback').catch(() => {});
      throw error;
    } finally {
      client.release();
    }
    return true;
  }

  poolStatistics(): PoolStatistics {
    return {
      size: this.#pool.totalCount,
      idle: this.#pool.idleCount,
      waiting: this.#pool.waitingCount,
      max: this.#pool.options.max ?? 10,
    };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.db.destroy();
  }
}
