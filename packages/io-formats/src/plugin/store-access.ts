import type {
  DialectAdapter,
  ExporterContribution,
  ImporterContribution,
  ImportTablesOptions,
  ImportTablesResult,
  PluginContext,
  PluginInfo,
  TableBatch,
  TableContribution,
  WriteScope,
} from '@mainframe-kb/storage-core';
import type { Kysely } from 'kysely';

/**
 * What export and import need of a store, built from the io-formats plugin's context in its setup: the
 * tables, importers and exporters of every enabled plugin, a read-only handle for reading table shapes, the dialect
 * (snapshots, key generators, the search index) and core's write path (role check, one transaction, audit
 * rows, durable events). It stays inside the plugin: the API hands out closures over it, never it.
 */
export interface StoreAccess {
  readonly dialect: DialectAdapter;
  /** Reads only: a write through it is refused. */
  readonly db: Kysely<any>;
  tables(): readonly TableContribution[];
  importers(): readonly ImporterContribution[];
  exporters(): readonly ExporterContribution[];
  plugins(): readonly PluginInfo[];
  /** Checks the holder's role for `operation`, before any file is opened or created. */
  authorize(operation: string): void;
  write<T>(operation: string, fn: (scope: WriteScope) => Promise<T>): Promise<T>;
  read<T>(operation: string, fn: () => Promise<T>): Promise<T>;
  emit: PluginContext['emit'];
  /** Core's exact load (a restore): all or nothing, no audit rows, role-checked by core. */
  importTables(
    batches: AsyncIterable<TableBatch>,
    options: ImportTablesOptions & { tables?: readonly string[] },
  ): Promise<ImportTablesResult>;
  /** Writes the searches core buffers, so that a snapshot holds every search made before it. */
  flushSearchHistory(): Promise<void>;
  /** Throws while a rollback holds an extension back (its rows would be missing from an export). */
  refuseWhileHeld(operation: string): void;
}

export function storeAccessOf(ctx: PluginContext): StoreAccess {
  return {
    dialect: ctx.dialect,
    db: ctx.db,
    tables: () => ctx.tables(),
    importers: () => ctx.importers(),
    exporters: () => ctx.exporters(),
    plugins: () => ctx.plugins(),
    authorize: (operation) => ctx.authorize(operation),
    write: (operation, fn) => ctx.write(operation, fn),
    read: (operation, fn) => ctx.read(operation, fn),
    emit: (event, payload) => ctx.emit(event, payload),
    importTables: (batches, options) => ctx.storage().importTables(batches, options),
    flushSearchHistory: () => ctx.storage().flushSearchHistory(),
    refuseWhileHeld: (operation) => ctx.storage().refuseWhileHeld(operation),
  };
}
