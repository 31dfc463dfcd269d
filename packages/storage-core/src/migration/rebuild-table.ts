import { type Kysely, sql } from 'kysely';
import { StorageErrorCode } from '../errors/error-codes.js';
import { StorageError } from '../errors/storage-error.js';

export interface RebuildTableOptions {
  /** The table's new definition: a complete `CREATE TABLE <table> (…)` statement naming the table itself. */
  readonly createTableSql: string;
  /**
   * New column → SQL expression over the old table's row (`{ severity: "coalesce(severity, 'medium')" }`).
   * Columns not named here are copied by name when the old table has them; the others take their default.
   */
  readonly columns?: Readonly<Record<string, string>>;
}

const CREATE_TABLE =
  /^\s*create\s+table\s+(?:if\s+not\s+exists\s+)?("(?:[^"]|"")+"|`[^`]+`|\[[^\]]+\]|[A-Za-z_][\w$]*)/i;

function unquote(name: string): string {
  const first = name[0];
  if (first === '"') return name.slice(1, -1).replaceAll('""', '"');
  if (first === '`' || first === '[') return name.slice(1, -1);
  return name;
}

/** Puts the temporary name into the caller's CREATE TABLE, after checking it names the table rebuilt. */
function createForTemporary(createTableSql: string, table: string, temporary: string): string {
  const match = CREATE_TABLE.exec(createTableSql);
  if (!match?.[1] || unquote(match[1]).toLowerCase() !== table.toLowerCase()) {
    throw new StorageError(
      StorageErrorCode.MIGRATION_INVALID,
      `rebuildTable('${table}'): createTableSql must start with CREATE TABLE ${table}`,
      { details: { table } },
    );
  }
  const quoted = `"${temporary.replaceAll('"', '""')}"`;
  return `create table ${quoted}${createTableSql.slice(match[0].length)}`;
}

interface SchemaObject {
  type: string;
  name: string;
  sql: string;
}

/** The table's AUTOINCREMENT high-water mark; `sqlite_sequence` exists only once such a table does. */
async function autoincrementSequence(db: Kysely<any>, table: string): Promise<number | undefined> {
  const exists =
    await sql`select 1 as present from sqlite_master where type = 'table' and name = 'sqlite_sequence'`.execute(
      db,
    );
  if (exists.rows.length === 0) return undefined;
  const row = await sql<{ seq: number }>`select seq from sqlite_sequence where name = ${table}`.execute(db);
  return row.rows[0]?.seq;
}

/**
 * SQLite's general ALTER TABLE (the "12-step" procedure, https://sqlite.org/lang_altertable.html#otheralter):
 * create `<table>__new`, copy the rows, drop the old table, rename the new one, recreate the table's indexes
 * and triggers. Call it inside a migration, with the transaction the migration was given: the registry runs
 * it under `adapter.migrationTransaction`, where foreign keys are off, so dropping a parent does not
 * cascade-delete its children, and `foreign_key_check` runs before commit.
 */
export async function rebuildTable(
  db: Kysely<any>,
  table: string,
  options: RebuildTableOptions,
): Promise<void> {
  const temporary = `${table}__new`;
  const create = createForTemporary(options.createTableSql, table, temporary);

  // Planning answers every read with no rows, so each check below passes silently there.
  const fk = await sql<{ foreign_keys: number }>`pragma foreign_keys`.execute(db);
  if (fk.rows[0]?.foreign_keys === 1) {
    throw new StorageError(
      StorageErrorCode.MIGRATION_INVALID,
      `rebuildTable('${table}') needs foreign keys off (adapter.migrationTransaction does that); with them on, ` +
        'dropping the old table would delete the rows of every ON DELETE CASCADE child',
      { details: { table } },
    );
  }

  const dependents = await sql<SchemaObject>`
    select type, name, sql from sqlite_master
    where tbl_name = ${table} and type in ('index', 'trigger') and sql is not null
    order by case type when 'index' then 0 else 1 end, rowid`.execute(db);
  const seq = await autoincrementSequence(db, table);

  await sql.raw(create).execute(db);

  const oldColumns = await sql<{ name: string }>`select name from pragma_table_info(${table})`.execute(db);
  const newColumns = await sql<{ name: string }>`select name from pragma_table_info(${temporary})`.execute(
    db,
  );
  const old = new Set(oldColumns.rows.map((c) => c.name));
  const mapping = options.columns ?? {};
  for (const column of Object.keys(mapping)) {
    if (newColumns.rows.length > 0 && !newColumns.rows.some((c) => c.name === column)) {
      throw new StorageError(
        StorageErrorCode.MIGRATION_INVALID,
        `rebuildTable('${table}'): columns maps '${column}', which the new table does not have`,
        { details: { table, column } },
      );
    }
  }
  const copied = [
    ...newColumns.rows.filter((c) => !(c.name in mapping) && old.has(c.name)).map((c) => c.name),
    ...Object.keys(mapping),
  ];
  if (copied.length > 0) {
    const targets = sql.join(copied.map((c) => sql.id(c)));
    const sources = sql.join(copied.map((c) => (c in mapping ? sql.raw(mapping[c] ?? 'null') : sql.id(c))));
    await sql`insert into ${sql.id(temporary)} (${targets}) select ${sources} from ${sql.id(table)}`.execute(
      db,
    );
  }

  await sql`drop table ${sql.id(table)}`.execute(db);
  // Renaming with legacy_alter_table off makes SQLite re-parse every view and trigger that names the old
  // table, which is dropped at this moment, and fail; legacy mode renames only the table itself.
  const legacy = await sql<{ legacy_alter_table: number }>`pragma legacy_alter_table`.execute(db);
  const legacyBefore = legacy.rows[0]?.legacy_alter_table === 1;
  if (!legacyBefore) await sql`pragma legacy_alter_table = on`.execute(db);
  try {
    await sql`alter table ${sql.id(temporary)} rename to ${sql.id(table)}`.execute(db);
  } finally {
    if (!legacyBefore) await sql`pragma legacy_alter_table = off`.execute(db);
  }

  for (const object of dependents.rows) await sql.raw(object.sql).execute(db);

  // AUTOINCREMENT keys must not be reused after the rebuild, even those of rows deleted before it.
  if (seq !== undefined) {
    await sql`update sqlite_sequence set seq = max(seq, ${seq}) where name = ${table}`.execute(db);
    await sql`insert into sqlite_sequence (name, seq) select ${table}, ${seq}
      where not exists (select 1 from sqlite_sequence where name = ${table})`.execute(db);
  }
}
