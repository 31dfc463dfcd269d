import type {
  DialectAdapter,
  ImporterContribution,
  PluginContext,
  PluginInfo,
  TableContribution,
  WriteScope,
} from '@mainframe-kb/storage-core';

/**
 * What export and import need of a store: its tables and importers (from core's registries), its dialect,
 * and core's write path (one transaction with audit rows and durable events). Built from the io-formats
 * extension's context plus the storage object's registries.
 */
export interface StoreAccess {
  readonly dialect: DialectAdapter;
  tables(): readonly TableContribution[];
  importers(): readonly ImporterContribution[];
  plugins(): readonly PluginInfo[];
  write<T>(operation: string, fn: (scope: WriteScope) => Promise<T>): Promise<T>;
  read<T>(operation: string, fn: () => Promise<T>): Promise<T>;
  emit: PluginContext['emit'];
}
