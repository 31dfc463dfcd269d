import type { TableContribution } from '@mainframe-kb/storage-core';
import { StorageError, StorageErrorCode } from '@mainframe-kb/storage-core';
import type { Kysely } from 'kysely';
import type { FieldSpec, FieldType } from '../codec-types.js';
import type { TableSchema } from '../envelope/versioned-export.js';

/** What the database says of one column, beyond the FieldSpec the codecs see. */
export interface ColumnInfo {
  readonly name: string;
  readonly type: FieldType;
  readonly nullable: boolean;
  /** `varchar(n)`'s n, checked on import. */
  readonly maxLength: number | undefined;
  readonly autoIncrement: boolean;
}

export interface TableInfo {
  readonly schema: TableSchema;
  readonly columns: readonly ColumnInfo[];
}

/** A column's declared SQL type as one of the codecs' field types. */
export function fieldTypeOf(dataType: string): FieldType {
  const t = dataType.toLowerCase();
  if (/bool/.test(t)) return 'boolean';
  if (/int/.test(t)) return 'integer';
  if (/real|double|float|numeric|decimal/.test(t)) return 'double';
  // `ctx.types.blob`: SQLite's blob, PostgreSQL's bytea, MySQL's longblob (and MySQL's (var)binary).
  if (/blob|bytea|binary/.test(t)) return 'binary';
  // Timestamps are stored as ISO-8601 text by every table of the store; a native timestamp column is typed.
  if (/^timestamp|^datetime/.test(t)) return 'timestamp';
  return 'string';
}

function labelOf(column: string): string {
  const words = column.replace(/_/g, ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/**
 * Reads the columns of the store's tables through kysely's introspection, so the schema follows the real
 * database (and every dialect) instead of a hand-kept copy.
 */
export async function describeTables(
  db: Kysely<any>,
  tables: readonly TableContribution[],
): Promise<Map<string, TableInfo>> {
  const metadata = await db.introspection.getTables({ withInternalKyselyTables: false });
  const byName = new Map(metadata.map((t) => [t.name, t]));
  const out = new Map<string, TableInfo>();
  for (const table of tables) {
    const meta = byName.get(table.name);
    if (meta === undefined) {
      throw new StorageError(
        StorageErrorCode.NOT_FOUND,
        `the table '${table.name}' (entity '${table.entity}') is declared by a plugin but does not exist; run 'kb migrate up'`,
        { details: { table: table.name } },
      );
    }
    const columns: ColumnInfo[] = meta.columns.map((c) => {
      const type = fieldTypeOf(c.dataType);
      const length = /\((\d+)\)/.exec(c.dataType);
      return {
        name: c.name,
        type,
        nullable: c.isNullable,
        maxLength: length && /char/i.test(c.dataType) ? Number(length[1]) : undefined,
        autoIncrement: c.isAutoIncrementing,
      };
    });
    const fields: FieldSpec[] = columns.map((c) => ({
      name: c.name,
      type: c.type,
      nullable: c.nullable,
      label: labelOf(c.name),
      ...(c.type === 'binary' ? { encoding: 'base64' as const } : {}),
    }));
    out.set(table.name, {
      schema: { entity: table.entity, table: table.name, primaryKey: [...table.primaryKey], fields },
      columns,
    });
  }
  return out;
}
