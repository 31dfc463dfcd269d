// Public surface of @mainframe-kb/storage-core. Everything a user or an extension may rely on is listed
// here by name; anything not exported is internal and may change in any release.

export { createStorage, Storage } from './storage.js';
export type { CreateStorageOptions, OptimizationResult, StorageMetrics } from './storage.js';
export type { WriteScope } from './storage-write.js';
export { CORE_VERSION } from './version.js';

// Config
export {
  parseStorageConfig,
  storageConfigSchema,
  databaseConfigSchema,
  backupConfigSchema,
  performanceConfigSchema,
  mvpConfigSchema,
  integrationsConfigSchema,
  extensionConfigSchema,
} from './config/storage-config.js';
export type { StorageConfig, StorageConfigInput } from './config/storage-config.js';

// Errors
export { StorageErrorCode } from './errors/error-codes.js';
export {
  StorageError,
  ValidationError,
  ConfigError,
  NotFoundError,
  ExtensionNotEnabledError,
  isStorageError,
} from './errors/storage-error.js';
export type { StorageErrorOptions, ValidationIssue } from './errors/storage-error.js';
export { translateDatabaseError } from './errors/translate-error.js';

// Dialects
export type {
  DialectAdapter,
  DialectCapabilities,
  DialectName,
  DatabaseSize,
  DatabaseSnapshot,
  HeldLock,
  IntegrityReport,
  MaintenanceStep,
} from './dialect/dialect-adapter.js';
export { openDialect } from './dialect/open-dialect.js';
export { SqliteDialectAdapter } from './dialect/sqlite/sqlite-adapter.js';

// Migrations
export type { Migration, MigrationContext, MigrationNamespace } from './migration/migration-types.js';
export { MigrationRegistry } from './migration/migration-registry.js';
export type {
  AppliedMigration,
  DormantNamespace,
  DownOptions,
  MigrationAdapter,
  MigrationDirection,
  MigrationPlan,
  MigrationProgressEvent,
  MigrationRegistryOptions,
  MigrationRunResult,
  MigrationStatus,
  MigrationStepResult,
  MigrationStepStatus,
  MigrationTarget,
  NamespaceStatus,
  PendingMigration,
  PlannedStep,
  PlanOptions,
  RepairChange,
  RepairOptions,
  RepairResult,
  UpOptions,
} from './migration/migration-registry-types.js';
export type { DriftKind, DriftProblem } from './migration/ledger-validation.js';
export type { RecordedStatement } from './migration/recording-driver.js';
export { CHECKSUM_ALGORITHM } from './migration/migration-checksum.js';
export { LEDGER_TABLE } from './migration/migration-ledger.js';
export { rebuildTable } from './migration/rebuild-table.js';
export type { RebuildTableOptions } from './migration/rebuild-table.js';
export { readMigrationLock } from './dialect/sqlite/sqlite-migration-lock.js';
export type { MigrationLockHolder } from './dialect/sqlite/sqlite-migration-lock.js';

// Extensions
export { definePlugin } from './plugin/define-plugin.js';
export { FLAT_METHOD_PROVIDERS } from './plugin/flat-methods.js';
export type { FlatMethodName } from './plugin/flat-methods.js';
export type {
  EventHandlers,
  ExporterContribution,
  ImporterContribution,
  MvpNumber,
  PluginApi,
  PluginContext,
  PluginContributions,
  PluginDefinition,
  PluginInfo,
  PluginSetup,
  TableContribution,
} from './plugin/plugin-types.js';

// Knowledge base
export { KNOWN_CATEGORIES, RELATION_TYPES, SEVERITIES, USAGE_ACTIONS } from './kb/kb-types.js';
export type {
  FeedbackInput,
  KBEntry,
  KBEntryInput,
  KBEntryUpdate,
  KBRelation,
  ListEntriesOptions,
  RelationType,
  SearchHistoryRecord,
  Severity,
  UsageAction,
  UsageCounters,
} from './kb/kb-types.js';
export { LIMITS, normalizeCategory, normalizeTag, normalizeTags } from './kb/kb-schemas.js';

// Search
export type {
  FacetCount,
  MatchType,
  SearchCorrection,
  SearchFacets,
  SearchOptions,
  SearchResponse,
  SearchResult,
} from './search/search-types.js';
export type { SearchIndex } from './search/search-index.js';

// Events, audit, metrics, health
export type { LoggedEvent, ReplayOptions, StorageEventMap, StorageEventName, StorageEvents } from './events/storage-events.js';
export type { Actor, AuditRecord, AuditVerification, Role } from './audit/audit-trail.js';
export { CORE_ACCESS_RULES } from './audit/access-rules.js';
export type { LatencySummary } from './metrics/latency-histogram.js';
export type { CacheStats } from './metrics/metrics-registry.js';
export type { HealthProbe, HealthState, HealthStatus, ProbeOutcome, ProbeResult } from './health/health-types.js';
