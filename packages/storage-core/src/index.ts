// Public surface of @mainframe-kb/storage-core. Everything a user or a plugin may rely on is listed
// here by name; anything not exported is internal and may change in any release.

export { CORE_ACCESS_RULES } from './audit/access-rules.js';
export { ROLE_RANK } from './audit/actor.js';
export type { AuditProblem } from './audit/audit-chain-walk.js';
export type { AuditCheckpoint } from './audit/audit-checkpoints.js';
export { checkpointSignatureValid } from './audit/audit-checkpoints.js';
export type { AuditRowFields } from './audit/audit-hash.js';
export { AUDIT_GENESIS, auditKeyId, auditRowHash } from './audit/audit-hash.js';
export type {
  Actor,
  AuditRecord,
  AuditRow,
  AuditRowsOptions,
  AuditVerification,
  Role,
  VerifyOptions,
} from './audit/audit-trail.js';
export type { StorageConfig, StorageConfigInput } from './config/storage-config.js';
export {
  auditConfigSchema,
  backupConfigSchema,
  databaseConfigSchema,
  extensionConfigSchema,
  integrationsConfigSchema,
  mvpConfigSchema,
  parseStorageConfig,
  performanceConfigSchema,
  storageConfigSchema,
} from './config/storage-config.js';
export type { CreateStorageOptions } from './create-storage.js';
export { createStorage } from './create-storage.js';
export type { AppendOnlyGuard } from './dialect/append-only-guard.js';
export type { ColumnTypes, DataTypeExpression } from './dialect/column-types.js';
export type { DatabaseUrlTarget } from './dialect/database-url.js';
export { parseDatabaseUrl, redactUrl } from './dialect/database-url.js';
export type {
  DatabaseSize,
  DatabaseSnapshot,
  DialectAdapter,
  DialectCapabilities,
  DialectName,
  HeldLock,
  IntegrityReport,
  MaintenanceStep,
  PoolStatistics,
  SchemaTable,
} from './dialect/dialect-adapter.js';
export { MysqlDialectAdapter } from './dialect/mysql/mysql-adapter.js';
export { openDialect } from './dialect/open-dialect.js';
export { PgDialectAdapter } from './dialect/postgres/pg-adapter.js';
export type { Fts5Tuning } from './dialect/sqlite/fts5-search-index.js';
export { DEFAULT_FTS5_TUNING, Fts5SearchIndex } from './dialect/sqlite/fts5-search-index.js';
export { SqliteDialectAdapter } from './dialect/sqlite/sqlite-adapter.js';
export type { MigrationLockHolder } from './dialect/sqlite/sqlite-migration-lock.js';
export { readMigrationLock } from './dialect/sqlite/sqlite-migration-lock.js';
export { StorageErrorCode } from './errors/error-codes.js';
export type { StorageErrorOptions, ValidationIssue } from './errors/storage-error.js';
export {
  ConfigError,
  isStorageError,
  NotFoundError,
  PluginNotEnabledError,
  StorageError,
  ValidationError,
} from './errors/storage-error.js';
export { translateDatabaseError } from './errors/translate-error.js';
export type {
  LoggedEvent,
  ReplayOptions,
  StorageEventMap,
  StorageEventName,
  StorageEvents,
} from './events/storage-events.js';
export type {
  HealthProbe,
  HealthState,
  HealthStatus,
  ProbeOutcome,
  ProbeResult,
} from './health/health-types.js';
export type { ValidEntryInput } from './kb/kb-schemas.js';
/** Parses `value` with a zod schema or throws a ValidationError naming every bad field (for plugins' inputs). */
export {
  entryInputSchema,
  LIMITS,
  normalizeCategory,
  normalizeTag,
  normalizeTags,
  validate as validateInput,
  validateEntryInput,
} from './kb/kb-schemas.js';
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
export { KNOWN_CATEGORIES, RELATION_TYPES, SEVERITIES, USAGE_ACTIONS } from './kb/kb-types.js';
export { SEARCH_LIMIT_MAX } from './kb/search-options-schema.js';
export type { LatencySummary } from './metrics/latency-histogram.js';
export type { CacheStats } from './metrics/metrics-registry.js';
export type { DriftKind, DriftProblem } from './migration/ledger-validation.js';
export { CHECKSUM_ALGORITHM } from './migration/migration-checksum.js';
export { LEDGER_TABLE } from './migration/migration-ledger.js';
export { MigrationRegistry } from './migration/migration-registry.js';
export type {
  AppliedMigration,
  DormantNamespace,
  DownOptions,
  MigrationAdapter,
  MigrationAudit,
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
export type { Migration, MigrationContext, MigrationNamespace } from './migration/migration-types.js';
export type { RebuildTableOptions } from './migration/rebuild-table.js';
export { rebuildTable } from './migration/rebuild-table.js';
export type { RecordedStatement } from './migration/recording-driver.js';
export { definePlugin } from './plugin/define-plugin.js';
export type { FlatMethodName } from './plugin/flat-methods.js';
export { FLAT_METHOD_PROVIDERS } from './plugin/flat-methods.js';
export type {
  CommandOption,
  CommandOptionValue,
  CommandOutput,
  PluginCommand,
  PluginCommandContext,
} from './plugin/plugin-command.js';
export { CommandExit, formatTable } from './plugin/plugin-command.js';
export type { PluginImporter } from './plugin/plugin-host.js';
export { withDirectoryFallback } from './plugin/plugin-host.js';
export type {
  ByteSink,
  ByteSource,
  DomainExporter,
  DomainExportInput,
  DomainImporter,
  DomainImportInput,
  DomainRecord,
  FieldValue,
  InputLimits,
  RecordLocation,
  SourceRecord,
} from './plugin/plugin-importer.js';
export type {
  EventHandlers,
  ExporterContribution,
  FlatMethod,
  ImporterContribution,
  MvpNumber,
  PluginApi,
  PluginContext,
  PluginContributions,
  PluginDefinition,
  PluginInfo,
  PluginMethods,
  PluginSetup,
  TableContribution,
  TableDeclaration,
} from './plugin/plugin-types.js';
export type { StandardIssue, StandardResult, StandardSchema } from './plugin/standard-schema.js';
export { parseQuery } from './search/query-parser.js';
export type { ParsedQuery, QueryAtom, QueryClause, QueryFilters } from './search/query-types.js';
export { QUERY_LIMITS, renderQuery } from './search/query-types.js';
export type { SearchIndex } from './search/search-index.js';
export type {
  FacetCount,
  MatchType,
  SearchCorrection,
  SearchFacets,
  SearchOptions,
  SearchResponse,
  SearchResult,
} from './search/search-types.js';
export { buildSnippet, escapeHtml } from './search/snippet.js';
export { SpellCorrector } from './search/spell-corrector.js';
export { tokenize, tokenizeWithOffsets } from './search/tokenizer.js';
export type { OptimizationResult, StorageMetrics } from './storage.js';
export { Storage } from './storage.js';
export type { IStorageService } from './storage-service.js';
export type { WriteScope } from './storage-write.js';
export type { ContentHash, ContentHashOptions, TableHash } from './transfer/content-hash.js';
export {
  combineTableHashes,
  computeContentHash,
  computeRowCounts,
  rowDigest,
  TableDigester,
  tableDigest,
} from './transfer/content-hash.js';
export type { CopyProgress, CopyStoreOptions, CopyStoreResult } from './transfer/copy-store.js';
export { copyStore } from './transfer/copy-store.js';
export type {
  ExportTablesOptions,
  ImportTablesOptions,
  ImportTablesResult,
  TableBatch,
  TransferProgress,
} from './transfer/table-transfer.js';
export { bindableBytes, boundValueBytes, insertRows, MAX_STATEMENT_BYTES } from './util/insert-rows.js';
export { processAlive } from './util/process-alive.js';
export {
  moveSqliteStore,
  removeSqliteStore,
  SQLITE_COMPANIONS,
  scratchPath,
  sweepScratchFiles,
} from './util/scratch-files.js';
export { CORE_VERSION } from './version.js';
