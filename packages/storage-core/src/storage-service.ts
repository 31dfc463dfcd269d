import type { EventEmitter } from 'node:events';
import type { StorageConfigInput } from './config/storage-config.js';
import type { StorageEventMap } from './events/storage-events.js';
import type { HealthStatus } from './health/health-types.js';
import type { KBEntry, KBEntryInput, KBEntryUpdate } from './kb/kb-types.js';
import type { MigrationStepResult } from './migration/migration-registry-types.js';
import type { PluginMethods } from './plugin/plugin-types.js';
import type { SearchOptions, SearchResult } from './search/search-types.js';
import type { OptimizationResult, StorageMetrics } from './storage.js';

/**
 * A flat method as the extension providing it declares it (its package augments `PluginMethods` once it is
 * imported); before that, the shape the requirements give it.
 */
type FlatMethod<K extends string, Seed> = K extends keyof PluginMethods ? PluginMethods[K] : Seed;

/**
 * The requirements' `IStorageService` (storage-service-requirements.md §2.1): the seed interface every
 * store satisfies. `createStorage()` returns a `Storage`, which is assignable to it; the MVP2–5 and
 * cross-MVP methods take their precise types from the extension packages the application imports, and
 * without the extension enabled they fail with EXTENSION_NOT_ENABLED naming the package to install.
 */
export interface IStorageService extends EventEmitter<StorageEventMap> {
  // Core data operations
  initialize(config: StorageConfigInput): Promise<void>;

  // Knowledge base (MVP1)
  createEntry(entry: KBEntryInput): Promise<string>;
  readEntry(id: string): Promise<KBEntry | null>;
  updateEntry(id: string, updates: KBEntryUpdate): Promise<boolean>;
  deleteEntry(id: string): Promise<boolean>;
  searchEntries(query: string, options?: SearchOptions): Promise<SearchResult[]>;

  // Patterns (MVP2)
  createPattern: FlatMethod<'createPattern', (pattern: never) => Promise<string>>;
  getPatterns: FlatMethod<'getPatterns', (criteria: never) => Promise<unknown[]>>;
  updatePattern: FlatMethod<'updatePattern', (id: string, updates: never) => Promise<boolean>>;

  // Code (MVP3)
  storeCodeAnalysis: FlatMethod<'storeCodeAnalysis', (analysis: never) => Promise<string>>;
  getCodeAnalysis: FlatMethod<'getCodeAnalysis', (criteria: never) => Promise<unknown[]>>;
  linkCodeToKB: FlatMethod<'linkCodeToKB', (codeId: string, kbId: string, linkType: never) => Promise<void>>;

  // Templates (MVP4)
  storeTemplate: FlatMethod<'storeTemplate', (template: never) => Promise<string>>;
  getTemplates: FlatMethod<'getTemplates', (criteria: never) => Promise<unknown[]>>;

  // Analytics (MVP5)
  storePrediction: FlatMethod<'storePrediction', (prediction: never) => Promise<string>>;
  getAnalytics: FlatMethod<'getAnalytics', (timeRange: never, metrics: string[]) => Promise<unknown>>;

  // Cross-MVP operations
  backup: FlatMethod<'backup', (options?: never) => Promise<unknown>>;
  restore: FlatMethod<'restore', (backupPath: string, options?: never) => Promise<unknown>>;
  export: FlatMethod<'export', (format: string, options?: never) => Promise<string>>;
  import: FlatMethod<'import', (data: string, format: string, options?: never) => Promise<unknown>>;
  /** `'namespace:id'` or an MVP (`'MVP3'`); see `Storage.migrate`. */
  migrate(targetVersion: string): Promise<MigrationStepResult[]>;

  // Performance and monitoring
  getMetrics(): Promise<StorageMetrics>;
  optimize(): Promise<OptimizationResult>;
  healthCheck(): Promise<HealthStatus>;

  // Cleanup
  close(): Promise<void>;
}
