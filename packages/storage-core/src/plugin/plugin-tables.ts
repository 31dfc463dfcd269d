import type { SchemaTable } from '../dialect/dialect-adapter.js';
import { StorageErrorCode } from '../errors/error-codes.js';
import { StorageError } from '../errors/storage-error.js';
import type { RecordedStatement } from '../migration/recording-driver.js';
import type { PluginDefinition, TableContribution } from './plugin-types.js';

/** The tables a plugin declares, in the order it declares them. */
export function declaredTables(definition: PluginDefinition): TableContribution[] {
  return Object.entries(definition.tables ?? {}).map(([name, table]) => ({ name, ...table }));
}

// A name as any of the three dialects quotes it, optionally schema-qualified: "s"."t", `t`, t.
const NAME = String.raw`(?:[\`"]?[\w$]+[\`"]?\.)?[\`"]?([\w$]+)[\`"]?`;
const CREATE = new RegExp(
  String.raw`^\s*create\s+(?:virtual\s+)?table\s+(?:if\s+not\s+exists\s+)?${NAME}`,
  'i',
);
const DROP = new RegExp(String.raw`^\s*drop\s+table\s+(?:if\s+exists\s+)?${NAME}`, 'i');
const RENAME = new RegExp(String.raw`^\s*alter\s+table\s+${NAME}\s+rename\s+to\s+${NAME}`, 'i');

/**
 * The tables that exist after running these statements in order, as far as their DDL says: what a
 * namespace's migrations create, for comparing with what its plugin declares.
 */
export function tablesCreatedBy(statements: readonly RecordedStatement[]): Set<string> {
  const tables = new Set<string>();
  for (const { sql } of statements) {
    const renamed = RENAME.exec(sql);
    if (renamed) {
      if (tables.delete(renamed[1]!)) tables.add(renamed[2]!);
      continue;
    }
    const created = CREATE.exec(sql);
    if (created) {
      tables.add(created[1]!);
      continue;
    }
    const dropped = DROP.exec(sql);
    if (dropped) tables.delete(dropped[1]!);
  }
  return tables;
}

/**
 * Refuses a plugin whose declaration and migrations disagree: a table its migrations create that it does not
 * declare would silently drop out of exports and backups; a declared table no migration creates is a typo.
 */
export function checkDeclaredAgainstMigrations(
  definition: PluginDefinition,
  created: ReadonlySet<string>,
): void {
  const declared = new Set(Object.keys(definition.tables ?? {}));
  const undeclared = [...created].filter((t) => !declared.has(t));
  const uncreated = [...declared].filter((t) => !created.has(t));
  if (undeclared.length === 0 && uncreated.length === 0) return;
  const problems = [
    ...undeclared.map((t) => `its migrations create table '${t}', which its 'tables' does not declare`),
    ...uncreated.map((t) => `it declares table '${t}', which none of its migrations creates`),
  ];
  throw new StorageError(
    StorageErrorCode.EXTENSION_INVALID,
    `plugin '${definition.id}': ${problems.join('; ')}. Declare every table once in definePlugin({ tables })`,
    { details: { plugin: definition.id, undeclared, uncreated } },
  );
}

/** Refuses to start when a declared table is not in the database (a migration rolled back, or edited). */
export function checkTablesExist(
  owner: string,
  tables: readonly TableContribution[],
  existing: ReadonlySet<string>,
): void {
  const missing = tables.filter((t) => !existing.has(t.name)).map((t) => t.name);
  if (missing.length === 0) return;
  throw new StorageError(
    StorageErrorCode.MIGRATION_DRIFT,
    `${owner === 'core' ? 'core' : `plugin '${owner}'`} declares ${missing.length === 1 ? 'table' : 'tables'} ${missing.map((t) => `'${t}'`).join(', ')}, missing from the database although its migrations are applied: run 'kb migrate status' and repair or restore the store`,
    { details: { plugin: owner, missing } },
  );
}

/**
 * Orders tables parents before children by the database's foreign keys, keeping the given order where the
 * keys leave it free: the order loads and restores must write in. A cycle keeps its given order (the
 * loaders defer constraint checks where the dialect can).
 */
export function orderByForeignKeys(
  tables: readonly TableContribution[],
  schema: readonly SchemaTable[],
): TableContribution[] {
  const references = new Map(schema.map((t) => [t.name, t.references]));
  const byName = new Map(tables.map((t) => [t.name, t]));
  const ordered: TableContribution[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (table: TableContribution) => {
    if (state.has(table.name)) return;
    state.set(table.name, 'visiting');
    for (const parent of references.get(table.name) ?? []) {
      const target = byName.get(parent);
      if (target && parent !== table.name) visit(target);
    }
    state.set(table.name, 'done');
    ordered.push(table);
  };
  for (const table of tables) visit(table);
  return ordered;
}
