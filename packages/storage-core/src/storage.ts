import { EventEmitter } from 'node:events';
import { z } from 'zod';
import { AccessControl } from './audit/access-rules.js';
import { type Actor, AuditTrail, type AuditVerification } from './audit/audit-trail.js';
import { parseStorageConfig, type StorageConfig, type StorageConfigInput } from './config/storage-config.js';
import type {
  DatabaseSize,
  DialectAdapter,
  MaintenanceStep,
  PoolStatistics,
} from './dialect/dialect-adapter.js';
import { openDialect } from './dialect/open-dialect.js';
import { StorageErrorCode } from './errors/error-codes.js';
import {
  ExtensionNotEnabledError,
  NotFoundError,
  StorageError,
  ValidationError,
} from './errors/storage-error.js';
import { translateDatabaseError } from './errors/translate-error.js';
import { EventLog } from './events/event-log.js';
import type { LoggedEvent, ReplayOptions, StorageEventMap, StorageEvents } from './events/storage-events.js';
import type { HealthProbe, HealthState, HealthStatus, ProbeResult } from './health/health-types.js';
import {
  auditHeadMigration,
  eventsAndAuditMigration,
  kbSchemaMigration,
  usageIndexMigration,
} from './kb/kb-migrations.js';
import { countersOf, KbRepository } from './kb/kb-repository.js';
import {
  entryIdSchema,
  relationTypeSchema,
  usageActionSchema,
  validate,
  validateEntryInput,
  validateEntryUpdate,
  validateFeedback,
  validateListOptions,
} from './kb/kb-schemas.js';
import type {
  FeedbackInput,
  KBEntry,
  KBEntryInput,
  KBEntryUpdate,
  KBRelation,
  ListEntriesOptions,
  RelationType,
  SearchHistoryRecord,
  UsageAction,
  UsageCounters,
} from './kb/kb-types.js';
import { SearchHistoryWriter } from './kb/search-history-writer.js';
import { validateSearchOptions } from './kb/search-options-schema.js';
import type { LatencySummary } from './metrics/latency-histogram.js';
import { type CacheStats, MetricsRegistry } from './metrics/metrics-registry.js';
import { MigrationRegistry } from './migration/migration-registry.js';
import type { MigrationStepResult } from './migration/migration-registry-types.js';
import type { MigrationNamespace } from './migration/migration-types.js';
import { FLAT_METHOD_PROVIDERS, type FlatMethodName } from './plugin/flat-methods.js';
import {
  type PluginImporter,
  pluginNamespaces,
  type ResolvedPlugin,
  resolvePlugins,
} from './plugin/plugin-host.js';
import type {
  ImporterContribution,
  PluginApi,
  PluginContext,
  PluginDefinition,
  PluginInfo,
  PluginSetup,
  TableContribution,
} from './plugin/plugin-types.js';
import type { SearchOptions, SearchResponse, SearchResult } from './search/search-types.js';
import { currentWrite, WriteExecutor, type WriteScope } from './storage-write.js';
import {
  type ContentHash,
  type ContentHashOptions,
  computeContentHash,
  computeRowCounts,
} from './transfer/content-hash.js';
import {
  type ExportTablesOptions,
  type ImportTablesOptions,
  type ImportTablesResult,
  readTableBatches,
  type TableBatch,
  transferTables,
  writeTableBatches,
} from './transfer/table-transfer.js';
import { LruCache } from './util/lru-cache.js';

export interface CreateStorageOptions {
  /** Extensions to enable, in addition to those `config.mvp.extensions` names. */
  plugins?: readonly PluginDefinition<string, any>[];
  /** Who is acting; every mutation's audit row names them. Default: `{ id: 'system', role: 'admin' }`. */
  actor?: Actor;
  /**
   * `auto` (default) applies pending migrations on open; `verify` refuses to open with pending ones;
   * `none` opens without looking, for tools that manage migrations themselves (`kb migrate …`): the
   * store's other methods may then fail on tables that do not exist yet.
   */
  migrate?: 'auto' | 'verify' | 'none';
  /**
   * Imports the packages `config.mvp.extensions` names. Default: a plain `import()`, then resolution from
   * the working directory. Pass `(pkg) => import(pkg)` from the application's own module to resolve them
   * exactly as the application does.
   */
  importPlugin?: PluginImporter;
}

export interface StorageMetrics {
  collectedAt: string;
  dialect: string;
  operations: Record<string, LatencySummary>;
  counters: Record<string, number>;
  cache: CacheStats;
  database: DatabaseSize & { entries: number };
  /** Connection pool usage (server dialects). */
  pool?: PoolStatistics;
  extensions: Record<string, Record<string, number>>;
}

export interface OptimizationResult {
  before: DatabaseSize;
  after: DatabaseSize;
  steps: MaintenanceStep[];
  durationMs: number;
}

/** Core's own tables, for backups and exports. */
const CORE_TABLES: readonly TableContribution[] = [
  { name: 'kb_entries', entity: 'kb', primaryKey: ['id'] },
  { name: 'kb_tags', entity: 'kb', primaryKey: ['entry_id', 'tag'] },
  { name: 'kb_relations', entity: 'kb', primaryKey: ['from_id', 'to_id', 'relation_type'] },
  { name: 'kb_feedback', entity: 'kb', primaryKey: ['id'] },
  { name: 'usage_metrics', entity: 'kb', primaryKey: ['id'] },
  { name: 'search_history', entity: 'kb', primaryKey: ['id'] },
  { name: 'kb_events', entity: 'events', primaryKey: ['seq'] },
  { name: 'kb_audit', entity: 'audit', primaryKey: ['seq'] },
  // Derived: rebuilt from the last audit row after a load (importTables), so never copied or exported.
  { name: 'kb_audit_head', entity: 'audit', primaryKey: ['id'], derived: true },
  { name: 'kb_migrations', entity: 'schema', primaryKey: ['namespace', 'id'] },
];

const RANK: Record<HealthState, number> = { healthy: 0, degraded: 1, unhealthy: 2 };

interface StartedPlugin {
  resolved: ResolvedPlugin;
  setup: PluginSetup<unknown>;
}

/**
 * Opens (creating and migrating as needed) a store. Validates the config, opens the dialect, collects
 * the enabled extensions, migrates core and every extension in dependency order, then starts them.
 */
export async function createStorage(
  config: StorageConfigInput = {},
  options: CreateStorageOptions = {},
): Promise<Storage> {
  const parsed = parseStorageConfig(config);
  const plugins = await resolvePlugins(parsed, options.plugins ?? [], options.importPlugin);
  const dialect = await openDialect(parsed);
  try {
    const namespaces: MigrationNamespace[] = [
      {
        namespace: 'core',
        dependsOn: [],
        migrations: [
          kbSchemaMigration,
          eventsAndAuditMigration,
          ...dialect.searchIndex.migrations,
          auditHeadMigration,
          usageIndexMigration,
        ],
      },
      ...pluginNamespaces(plugins),
    ];
    const migrations = new MigrationRegistry(dialect, namespaces);
    const mode = options.migrate ?? 'auto';
    if (mode === 'auto') {
      const result = await migrations.up();
      if (result.error) throw result.error;
    } else if (mode === 'verify') {
      const status = await migrations.status();
      const pending = status.namespaces.flatMap((n) => n.pending.map((m) => `${n.namespace}:${m.id}`));
      if (pending.length > 0) {
        throw new StorageError(
          StorageErrorCode.MIGRATION_PENDING,
          `the store has ${pending.length} pending migrations (${pending.slice(0, 5).join(', ')}); run 'kb migrate up'`,
          { details: { pending } },
        );
      }
    }
    const storage = new Storage(parsed, dialect, migrations, validateActor(options.actor));
    await storage.start(plugins);
    return storage;
  } catch (error) {
    await dialect.close().catch(() => undefined);
    throw error;
  }
}

export class Storage extends EventEmitter<StorageEventMap> {
  readonly config: StorageConfig;
  readonly dialect: DialectAdapter;
  readonly migrations: MigrationRegistry;
  readonly actor: Actor;
  readonly metrics: MetricsRegistry;
  readonly #access = new AccessControl();
  readonly #audit: AuditTrail;
  readonly #events: EventLog;
  readonly #writer: WriteExecutor;
  readonly #kb: KbRepository;
  readonly #history: SearchHistoryWriter;
  readonly #cache: LruCache<SearchResponse>;
  readonly #plugins: StartedPlugin[] = [];
  readonly #methods = new Map<string, (...args: any[]) => Promise<unknown>>();
  #localWrites = 0;
  #closed = false;
  /** Operations started and not yet settled; close() waits for them. */
  readonly #inFlight = new Set<Promise<unknown>>();

  /** Use createStorage(). */
  constructor(config: StorageConfig, dialect: DialectAdapter, migrations: MigrationRegistry, actor: Actor) {
    super();
    this.config = config;
    this.dialect = dialect;
    this.migrations = migrations;
    this.actor = actor;
    this.metrics = new MetricsRegistry(config.performance.monitoring.histogramSize);
    this.#audit = new AuditTrail(dialect.db, dialect.capabilities.lockingReads);
    this.#events = new EventLog(dialect.db);
    this.#kb = new KbRepository(dialect.searchIndex);
    this.#cache = new LruCache(config.performance.caching.maxEntries, config.performance.caching.ttlMs);
    this.#writer = new WriteExecutor({
      dialect,
      access: this.#access,
      audit: this.#audit,
      events: this.#events,
      metrics: this.metrics,
      durableEvents: config.integrations.eventBus.durableLog,
      emit: (type, payload) => this.#emitSafely(type, payload),
      onCommit: () => {
        this.#localWrites += 1;
        this.#cache.clear();
      },
    });
    this.#history = new SearchHistoryWriter(
      (records) => this.dialect.writeTransaction((trx) => this.#kb.insertSearchHistory(trx, records)),
      (error) =>
        this.#emitSafely('storage:error', {
          operation: 'search-history',
          code: translateDatabaseError(error, 'search history').code,
          message: String(error),
        }),
    );
    // An EventEmitter without an 'error' listener throws on emit('error'); this store never emits it.
  }

  /** @internal Starts the enabled extensions in dependency order. */
  async start(plugins: readonly ResolvedPlugin[]): Promise<void> {
    try {
      for (const resolved of plugins) await this.#startOne(resolved);
    } catch (error) {
      await this.#stopPlugins();
      throw error instanceof StorageError
        ? error
        : new StorageError(
            StorageErrorCode.EXTENSION_INVALID,
            `an extension failed to start: ${String(error)}`,
            {
              cause: error,
            },
          );
    }
  }

  async #startOne(resolved: ResolvedPlugin): Promise<void> {
    const { definition } = resolved;
    const setup = (await definition.setup?.(this.#contextFor(resolved))) ?? {};
    this.#plugins.push({ resolved, setup });
    for (const operation of Object.keys(setup.permissions ?? {})) {
      if (!operation.startsWith(`${definition.id}.`) || this.#access.hasRule(operation)) {
        throw new StorageError(
          StorageErrorCode.EXTENSION_INVALID,
          `extension '${definition.id}' declares a rule for '${operation}'; its operations must start with '${definition.id}.' and may not redefine an existing rule`,
        );
      }
    }
    this.#access.addRules(setup.permissions ?? {});
    for (const [event, handler] of Object.entries(setup.on ?? {})) {
      if (handler) this.on(event as keyof StorageEvents, handler as (payload: unknown) => void);
    }
    for (const [name, fn] of Object.entries(setup.methods ?? {})) this.#methods.set(name, fn);
  }

  /** Stops extensions in reverse order; every one is asked even when an earlier one fails. */
  async #stopPlugins(): Promise<unknown[]> {
    const errors: unknown[] = [];
    for (const { setup } of [...this.#plugins].reverse()) {
      try {
        await setup.stop?.();
      } catch (error) {
        errors.push(error);
      }
    }
    this.#plugins.length = 0;
    return errors;
  }

  #contextFor(resolved: ResolvedPlugin): PluginContext {
    return {
      db: this.dialect.db,
      dialect: this.dialect,
      config: this.config,
      options: resolved.options,
      metrics: this.metrics,
      actor: this.actor,
      write: (operation, fn) => this.#write(operation, fn),
      read: (operation, fn) => this.#read(operation, fn),
      emit: (event, payload) => this.#emitSafely(event, payload),
      // Evaluated when called: extensions started later contribute too.
      tables: () => this.tables(),
      importers: () => this.importers(),
      plugins: () => this.plugins,
      storage: () => this,
    };
  }

  /** Writes the searches recorded so far to search_history now (they are otherwise batched, ≤ 1 s). */
  async flushSearchHistory(): Promise<void> {
    this.#assertOpen();
    await this.#track(this.#history.flush());
  }

  /**
   * Calls every listener of `type` on its own: one that throws, or whose promise rejects, is reported as
   * `storage:error` and does not stop the others, nor turn a committed write into a reported failure.
   */
  #emitSafely(type: string, payload: unknown): void {
    const report = (error: unknown) => {
      if (type === 'storage:error') return;
      this.#emitSafely('storage:error', {
        operation: `listener of ${type}`,
        code: 'LISTENER',
        message: String(error),
      });
    };
    for (const listener of this.listeners(type as keyof StorageEvents) as ((p: unknown) => unknown)[]) {
      try {
        const result = listener.call(this, payload);
        if (result instanceof Promise) result.catch(report);
      } catch (error) {
        report(error);
      }
    }
  }

  #assertOpen(): void {
    if (this.#closed) throw new StorageError(StorageErrorCode.CLOSED, 'the store is closed');
    const inside = currentWrite();
    if (inside !== undefined) {
      throw new StorageError(
        StorageErrorCode.UNSUPPORTED,
        `a store method was called from inside the write '${inside}'; it would wait for that write forever: use the write's scope.trx instead`,
        { details: { write: inside } },
      );
    }
  }

  #track<T>(promise: Promise<T>): Promise<T> {
    this.#inFlight.add(promise);
    const forget = () => this.#inFlight.delete(promise);
    promise.then(forget, forget);
    return promise;
  }

  async #write<T>(operation: string, fn: (scope: WriteScope) => Promise<T>): Promise<T> {
    this.#assertOpen();
    return this.#track(this.#writer.run(operation, this.actor, fn));
  }

  async #read<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    this.#assertOpen();
    return this.#track(this.#timedRead(operation, fn));
  }

  async #timedRead<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    const start = performance.now();
    let failed = true;
    try {
      this.#access.check(this.actor, operation);
      const value = await fn();
      failed = false;
      return value;
    } catch (error) {
      throw translateDatabaseError(error, operation);
    } finally {
      this.metrics.record(operation, performance.now() - start, failed);
    }
  }

  // ─── Knowledge base (MVP1) ──────────────────────────────────────────────────────────────────────

  async createEntry(input: KBEntryInput): Promise<string> {
    const [id] = await this.createEntries([input]);
    return id!;
  }

  /** Creates many entries in one transaction: all of them, or none when any is invalid. */
  async createEntries(inputs: readonly KBEntryInput[]): Promise<string[]> {
    if (!Array.isArray(inputs)) {
      throw validationOf('entries', 'expected an array of entries');
    }
    const valid = inputs.map((input, i) =>
      validateEntryInput(input, inputs.length === 1 ? 'entry' : `entries.${i}`),
    );
    if (valid.length === 0) return [];
    return this.#write('entry.create', async (scope) => {
      const entries = await this.#kb.insert(scope.trx, valid, scope.now);
      for (const entry of entries) {
        scope.audit({ action: 'create', entity: 'kb_entry', entityId: entry.id });
        scope.event('entry:created', { entry }, { entry: entrySummary(entry) });
      }
      return entries.map((e) => e.id);
    });
  }

  async readEntry(id: string): Promise<KBEntry | null> {
    const valid = validate(entryIdSchema, id, 'id');
    return this.#read('entry.read', () => this.#kb.find(this.dialect.db, valid));
  }

  async getEntry(id: string): Promise<KBEntry> {
    const entry = await this.readEntry(id);
    if (!entry) throw new NotFoundError('entry', id);
    return entry;
  }

  /** Returns false when the entry does not exist. */
  async updateEntry(id: string, updates: KBEntryUpdate): Promise<boolean> {
    const validId = validate(entryIdSchema, id, 'id');
    const valid = validateEntryUpdate(updates);
    return this.#write('entry.update', async (scope) => {
      const result = await this.#kb.update(scope.trx, validId, valid, scope.now);
      if (!result) return false;
      scope.audit({
        action: 'update',
        entity: 'kb_entry',
        entityId: validId,
        detail: { changed: result.changed },
      });
      scope.event(
        'entry:updated',
        { entry: result.after, previous: result.before, changed: result.changed },
        {
          id: validId,
          version: result.after.version,
          changed: result.changed,
          before: pick(result.before, result.changed),
          after: pick(result.after, result.changed),
        },
      );
      return true;
    });
  }

  async deleteEntry(id: string): Promise<boolean> {
    const validId = validate(entryIdSchema, id, 'id');
    return this.#write('entry.delete', async (scope) => {
      const before = await this.#kb.delete(scope.trx, validId);
      if (!before) return false;
      scope.audit({
        action: 'delete',
        entity: 'kb_entry',
        entityId: validId,
        detail: { title: before.title },
      });
      scope.event('entry:deleted', { id: validId, entry: before });
      return true;
    });
  }

  async listEntries(options?: ListEntriesOptions): Promise<{ entries: KBEntry[]; total: number }> {
    const valid = validateListOptions(options);
    // One read transaction: the total and the page see the same snapshot.
    return this.#read('entry.read', () => this.dialect.readTransaction((trx) => this.#kb.list(trx, valid)));
  }

  async countEntries(options: { includeArchived?: boolean } = {}): Promise<number> {
    return this.#read('entry.read', () => this.#kb.count(this.dialect.db, options.includeArchived ?? true));
  }

  async recordFeedback(id: string, feedback: FeedbackInput): Promise<UsageCounters> {
    const validId = validate(entryIdSchema, id, 'id');
    const valid = validateFeedback(feedback);
    return this.#write('entry.feedback', async (scope) => {
      const after = await this.#kb.recordFeedback(scope.trx, validId, valid, scope.now);
      if (!after) throw new NotFoundError('entry', validId);
      const counters = countersOf(after);
      scope.audit({ action: `feedback-${valid.outcome}`, entity: 'kb_entry', entityId: validId });
      scope.event('entry:feedback', {
        id: validId,
        outcome: valid.outcome,
        rating: valid.rating ?? null,
        counters,
      });
      return counters;
    });
  }

  async recordUsage(
    id: string,
    action: UsageAction,
    context: { userId?: string; sessionId?: string } = {},
  ): Promise<UsageCounters> {
    const validId = validate(entryIdSchema, id, 'id');
    const validAction = validate(usageActionSchema, action, 'action');
    const validContext = validate(usageContextSchema, context, 'context');
    return this.#write('entry.usage', async (scope) => {
      const after = await this.#kb.recordUsage(scope.trx, validId, validAction, validContext, scope.now);
      if (!after) throw new NotFoundError('entry', validId);
      const counters = countersOf(after);
      scope.audit({ action: `usage-${validAction}`, entity: 'kb_entry', entityId: validId });
      scope.event('entry:used', { id: validId, action: validAction, counters });
      return counters;
    });
  }

  async addRelation(fromId: string, toId: string, type: RelationType = 'related'): Promise<void> {
    const from = validate(entryIdSchema, fromId, 'fromId');
    const to = validate(entryIdSchema, toId, 'toId');
    const validType = validate(relationTypeSchema, type, 'type');
    if (from === to) throw validationOf('toId', 'an entry cannot be related to itself');
    await this.#write('relation.add', async (scope) => {
      const found = await this.#kb.findMany(scope.trx, [from, to]);
      for (const id of [from, to]) if (!found.has(id)) throw new NotFoundError('entry', id);
      const relation: KBRelation = { fromId: from, toId: to, type: validType, createdAt: scope.now };
      if (await this.#kb.addRelation(scope.trx, relation)) {
        scope.audit({
          action: 'relate',
          entity: 'kb_relation',
          entityId: `${from}>${to}`,
          detail: { type: validType },
        });
        scope.event('relation:added', relation);
      }
    });
  }

  async removeRelation(fromId: string, toId: string, type: RelationType = 'related'): Promise<boolean> {
    const from = validate(entryIdSchema, fromId, 'fromId');
    const to = validate(entryIdSchema, toId, 'toId');
    const validType = validate(relationTypeSchema, type, 'type');
    return this.#write('relation.remove', async (scope) => {
      const removed = await this.#kb.removeRelation(scope.trx, from, to, validType);
      if (removed) {
        scope.audit({
          action: 'unrelate',
          entity: 'kb_relation',
          entityId: `${from}>${to}`,
          detail: { type: validType },
        });
        scope.event('relation:removed', { fromId: from, toId: to, type: validType });
      }
      return removed;
    });
  }

  async getRelations(id: string): Promise<KBRelation[]> {
    const valid = validate(entryIdSchema, id, 'id');
    return this.#read('entry.read', () => this.#kb.relationsOf(this.dialect.db, valid));
  }

  // ─── Search ─────────────────────────────────────────────────────────────────────────────────────

  /** Searches with the query language (`"data set" category:JCL tag:abend S0C*`); logs it in search history. */
  async search(query: string, options?: SearchOptions): Promise<SearchResponse> {
    this.#assertOpen();
    return this.#track(this.#search(query, options));
  }

  async #search(query: string, options?: SearchOptions): Promise<SearchResponse> {
    const start = performance.now();
    let failed = true;
    try {
      this.#access.check(this.actor, 'entry.search');
      if (typeof query !== 'string') throw validationOf('query', 'expected a string');
      const valid = validateSearchOptions(options);
      const { recordHistory, userId, ...engineOptions } = valid;
      const caching = this.config.performance.caching.enabled;
      const key = caching
        ? `${await this.dialect.dataVersion()}|${query}|${JSON.stringify(engineOptions)}`
        : '';
      const cached = caching ? this.#cache.get(key) : undefined;
      const response = cached
        ? structuredClone(cached)
        : await this.dialect.searchIndex.search(query, engineOptions);
      // The cache keeps its own copy: a caller that edits its results must not change the next answer.
      if (caching && !cached) this.#cache.set(key, structuredClone(response));
      const tookMs = performance.now() - start;
      const top = response.results[0]?.entry.id ?? null;
      if (recordHistory) {
        this.#history.add({
          query,
          resultCount: response.total,
          topResultId: top,
          correctedQuery: response.corrections.length > 0 ? response.interpreted : null,
          tookMs,
          userId: userId ?? this.actor.id,
          createdAt: new Date().toISOString(),
        });
      }
      this.#emitSafely('search:performed', {
        query,
        total: response.total,
        tookMs,
        topResultId: top,
        cached: !!cached,
      });
      failed = false;
      return { ...response, tookMs };
    } catch (error) {
      throw translateDatabaseError(error, 'search');
    } finally {
      this.metrics.record('search', performance.now() - start, failed);
    }
  }

  /** The seed interface's search: the results of `search()`. */
  async searchEntries(query: string, options?: SearchOptions): Promise<SearchResult[]> {
    return (await this.search(query, options)).results;
  }

  /** Autocomplete suggestions for a prefix. */
  async suggest(prefix: string, limit = 10): Promise<string[]> {
    if (typeof prefix !== 'string' || prefix.length > 200)
      throw validationOf('prefix', 'expected a string of at most 200 characters');
    if (!Number.isInteger(limit) || limit < 1 || limit > 50)
      throw validationOf('limit', 'expected an integer from 1 to 50');
    return this.#read('entry.search', () => this.dialect.searchIndex.suggest(prefix, limit));
  }

  async getSearchHistory(options: { limit?: number; since?: string } = {}): Promise<SearchHistoryRecord[]> {
    const valid = validate(historyOptionsSchema, options, 'options');
    await this.#history.flush();
    return this.#read('search.history', () =>
      this.#kb.searchHistory(this.dialect.db, valid.limit, valid.since),
    );
  }

  // ─── Events and audit ───────────────────────────────────────────────────────────────────────────

  /** Replays the durable event log in commit order (for a time range, types, or after a sequence number). */
  replayEvents(options: ReplayOptions = {}): AsyncIterable<LoggedEvent> {
    this.#assertOpen();
    this.#access.check(this.actor, 'events.replay');
    return this.#events.replay(validate(replayOptionsSchema, options, 'options'));
  }

  async verifyAuditChain(): Promise<AuditVerification> {
    return this.#read('audit.verify', () => this.#audit.verify());
  }

  // ─── Extensions ─────────────────────────────────────────────────────────────────────────────────

  get plugins(): PluginInfo[] {
    return this.#plugins.map(({ resolved: { definition } }) => ({
      id: definition.id,
      version: definition.version,
      mvp: definition.mvp,
      package: definition.package ?? null,
      namespace: definition.id,
    }));
  }

  /** The typed API of an enabled extension. */
  extension<P extends PluginDefinition<string, any>>(plugin: P | P['id']): PluginApi<P> {
    const id = typeof plugin === 'string' ? plugin : plugin.id;
    const started = this.#plugins.find((p) => p.resolved.definition.id === id);
    if (!started) {
      const pkg =
        typeof plugin === 'string'
          ? `the package providing '${id}'`
          : (plugin.package ?? `the package providing '${id}'`);
      throw new StorageError(
        StorageErrorCode.EXTENSION_NOT_ENABLED,
        `extension '${id}' is not enabled in this store: install ${pkg} and add { id: '${id}' } to config.mvp.extensions`,
        { details: { extension: id } },
      );
    }
    return started.setup.api as PluginApi<P>;
  }

  /**
   * The store's logical content hash: every non-derived table except the migrations ledger, each row in a
   * canonical form that is the same on every dialect, read in one snapshot. Equal hashes mean equal content.
   */
  async contentHash(options: ContentHashOptions = {}): Promise<ContentHash> {
    return this.#read('storage.hash', async () => {
      await this.#history.flush();
      return this.dialect.readTransaction((trx) => computeContentHash(trx, this.tables(), options));
    });
  }

  /**
   * Row counts of the tables a content hash covers (or the chosen ones), read in one snapshot: what a check
   * that only recorded counts compares, without reading every row as `contentHash` does.
   */
  async rowCounts(tables?: readonly string[]): Promise<Record<string, number>> {
    return this.#read('storage.hash', async () => {
      await this.#history.flush();
      return this.dialect.readTransaction((trx) => computeRowCounts(trx, this.tables(), tables));
    });
  }

  /**
   * The rows of every content table (or the chosen ones), parents before children, in batches read from
   * one snapshot: the raw material of copies and logical backups. Needs the admin role.
   */
  async *exportTables(options: ExportTablesOptions = {}): AsyncGenerator<TableBatch> {
    this.#assertOpen();
    this.#access.check(this.actor, 'storage.export');
    await this.#history.flush();
    const tables = transferTables(this.tables(), options.tables);
    let done!: () => void;
    this.#track(new Promise<void>((resolve) => (done = resolve)));
    try {
      yield* readTableBatches(this.dialect, tables, options.batchSize);
    } finally {
      done();
    }
  }

  /**
   * Loads table batches (from `exportTables` of this or another store, of any dialect) into this store in
   * one write transaction — all or nothing — then rebuilds the search index and the dialect's key
   * sequences. The tables must be empty unless `replace` is set. Rows are written as they are: no audit rows
   * or events (the audit and event tables are themselves part of what is loaded). Needs the admin role.
   */
  async importTables(
    batches: AsyncIterable<TableBatch>,
    options: ImportTablesOptions & { tables?: readonly string[] } = {},
  ): Promise<ImportTablesResult> {
    this.#assertOpen();
    return this.#track(
      (async () => {
        this.#access.check(this.actor, 'storage.import');
        await this.#history.flush();
        try {
          const tables = transferTables(this.tables(), options.tables);
          return await writeTableBatches(this.dialect, tables, batches, {
            ...options,
            afterLoad: async (trx, loaded) => {
              if (options.replace || loaded.includes('kb_entries'))
                await this.dialect.searchIndex.rebuild(trx);
              // The audit head is derived: it points at the last loaded audit row.
              if (options.replace || loaded.includes('kb_audit')) await this.#audit.resetHead(trx);
              await this.dialect.afterBulkLoad(trx, loaded);
            },
          });
        } catch (error) {
          throw translateDatabaseError(error, 'storage.import');
        } finally {
          this.#cache.clear();
        }
      })(),
    );
  }

  /** Every table backups and exports must include: core's and each enabled extension's. */
  tables(): TableContribution[] {
    return [...CORE_TABLES, ...this.#plugins.flatMap((p) => p.setup.contributes?.tables ?? [])];
  }

  importers(): ImporterContribution[] {
    return this.#plugins.flatMap((p) => p.setup.contributes?.importers ?? []);
  }

  #flat(method: FlatMethodName, args: unknown[]): Promise<any> {
    const fn = this.#methods.get(method);
    if (!fn) {
      const provider = FLAT_METHOD_PROVIDERS[method];
      return Promise.reject(new ExtensionNotEnabledError(method, provider.extension, provider.package));
    }
    return fn(...args);
  }

  // The seed interface's methods for MVP2–5 and the service packages; each delegates to its extension.
  createPattern(...args: unknown[]): Promise<string> {
    return this.#flat('createPattern', args);
  }
  getPatterns(...args: unknown[]): Promise<unknown[]> {
    return this.#flat('getPatterns', args);
  }
  updatePattern(...args: unknown[]): Promise<boolean> {
    return this.#flat('updatePattern', args);
  }
  storeCodeAnalysis(...args: unknown[]): Promise<string> {
    return this.#flat('storeCodeAnalysis', args);
  }
  getCodeAnalysis(...args: unknown[]): Promise<unknown[]> {
    return this.#flat('getCodeAnalysis', args);
  }
  linkCodeToKB(...args: unknown[]): Promise<void> {
    return this.#flat('linkCodeToKB', args);
  }
  storeTemplate(...args: unknown[]): Promise<string> {
    return this.#flat('storeTemplate', args);
  }
  getTemplates(...args: unknown[]): Promise<unknown[]> {
    return this.#flat('getTemplates', args);
  }
  storePrediction(...args: unknown[]): Promise<string> {
    return this.#flat('storePrediction', args);
  }
  getAnalytics(...args: unknown[]): Promise<unknown> {
    return this.#flat('getAnalytics', args);
  }
  backup(...args: unknown[]): Promise<unknown> {
    return this.#flat('backup', args);
  }
  restore(...args: unknown[]): Promise<unknown> {
    return this.#flat('restore', args);
  }
  export(...args: unknown[]): Promise<unknown> {
    return this.#flat('export', args);
  }
  import(...args: unknown[]): Promise<unknown> {
    return this.#flat('import', args);
  }

  /**
   * The seed interface's `migrate(targetVersion)`: applies pending migrations up to `namespace:id` (all of
   * them without a target) and returns one result per migration; a failure is in the results, not thrown.
   */
  async migrate(target?: string): Promise<MigrationStepResult[]> {
    this.#assertOpen();
    this.#access.check(this.actor, 'storage.migrate');
    const run = await this.migrations.up(target === undefined ? {} : { to: target });
    return run.results;
  }

  // ─── Monitoring and maintenance ─────────────────────────────────────────────────────────────────

  async getMetrics(): Promise<StorageMetrics> {
    return this.#read('storage.metrics', async () => {
      const extensions: Record<string, Record<string, number>> = {};
      for (const { resolved, setup } of this.#plugins) {
        if (setup.contributes?.metrics)
          extensions[resolved.definition.id] = await setup.contributes.metrics();
      }
      const hits = this.#cache.hits;
      const misses = this.#cache.misses;
      return {
        collectedAt: new Date().toISOString(),
        dialect: this.dialect.name,
        operations: this.metrics.operations(),
        counters: { ...this.metrics.counters(), localWrites: this.#localWrites },
        cache: {
          hits,
          misses,
          hitRate: hits + misses === 0 ? 0 : hits / (hits + misses),
          size: this.#cache.size,
        },
        database: { ...(await this.dialect.size()), entries: await this.#kb.count(this.dialect.db) },
        ...(this.dialect.poolStatistics ? { pool: this.dialect.poolStatistics() } : {}),
        extensions,
      };
    });
  }

  /** Runs every health probe; the overall status is the worst of them. */
  async healthCheck(): Promise<HealthStatus> {
    return this.#read('storage.health', async () => {
      const probes: HealthProbe[] = [
        ...this.#coreProbes(),
        ...this.#plugins.flatMap((p) => p.setup.contributes?.healthProbes ?? []),
      ];
      const results: ProbeResult[] = [];
      for (const probe of probes) {
        const start = performance.now();
        try {
          const outcome = await probe.run();
          results.push({ name: probe.name, ...outcome, durationMs: performance.now() - start });
        } catch (error) {
          results.push({
            name: probe.name,
            status: 'unhealthy',
            detail: error instanceof Error ? error.message : String(error),
            durationMs: performance.now() - start,
          });
        }
      }
      const status = results.reduce<HealthState>(
        (worst, r) => (RANK[r.status] > RANK[worst] ? r.status : worst),
        'healthy',
      );
      return { status, checkedAt: new Date().toISOString(), probes: results };
    });
  }

  #coreProbes(): HealthProbe[] {
    const maintenance = this.config.performance.maintenance;
    return [
      {
        name: 'connectivity',
        run: async () => ({ status: 'healthy', detail: await this.dialect.serverVersion() }),
      },
      {
        name: 'integrity',
        run: async () => {
          const report = await this.dialect.integrityCheck('quick');
          return report.ok
            ? { status: 'healthy' }
            : {
                status: 'unhealthy',
                detail: report.problems.slice(0, 5).join('; '),
                data: { problems: report.problems },
              };
        },
      },
      {
        name: 'migrations',
        run: async () => {
          const status = await this.migrations.status();
          const dormant = status.dormant.map((d) => d.namespace);
          if (status.problems.length > 0) {
            return { status: 'unhealthy', detail: status.problems.map((p) => p.message).join('; ') };
          }
          if (status.pendingCount > 0) {
            return {
              status: 'degraded',
              detail: `${status.pendingCount} pending migrations`,
              data: { dormant },
            };
          }
          return { status: 'healthy', data: { dormant } };
        },
      },
      ...(this.dialect.poolStatistics
        ? [
            {
              name: 'connection pool',
              run: async () => {
                const pool = this.dialect.poolStatistics!();
                const data = { ...pool };
                // Callers queueing for a connection while every one is busy: the pool is too small for the load.
                return pool.waiting > 0 && pool.size >= pool.max
                  ? {
                      status: 'degraded' as const,
                      detail: `${pool.waiting} callers waiting for one of ${pool.max} connections`,
                      data,
                    }
                  : {
                      status: 'healthy' as const,
                      detail: `${pool.size - pool.idle} of ${pool.max} connections in use`,
                      data,
                    };
              },
            },
          ]
        : []),
      {
        name: 'wal',
        run: async () => {
          const { walBytes } = await this.dialect.size();
          return walBytes > maintenance.walWarnBytes
            ? {
                status: 'degraded',
                detail: `WAL is ${walBytes} bytes (a long-open reader may block checkpoints)`,
                data: { walBytes },
              }
            : { status: 'healthy', data: { walBytes } };
        },
      },
      {
        name: 'disk',
        run: async () => {
          const { freeBytes, databaseBytes } = await this.dialect.size();
          if (freeBytes === undefined)
            return { status: 'healthy', detail: 'free space not reported by this dialect' };
          // A full VACUUM or backup needs about the database's size again.
          if (freeBytes < 64 * 1024 * 1024)
            return { status: 'unhealthy', detail: `${freeBytes} bytes free`, data: { freeBytes } };
          if (freeBytes < databaseBytes * 2)
            return { status: 'degraded', detail: `${freeBytes} bytes free`, data: { freeBytes } };
          return { status: 'healthy', data: { freeBytes } };
        },
      },
    ];
  }

  /** ANALYZE, PRAGMA optimize, full-text index merge and a WAL checkpoint, with a before/after report. */
  async optimize(): Promise<OptimizationResult> {
    return this.#read('storage.optimize', async () => {
      const start = performance.now();
      await this.#history.flush();
      const before = await this.dialect.size();
      const steps = await this.dialect.optimize();
      const after = await this.dialect.size();
      this.#cache.clear();
      return { before, after, steps, durationMs: performance.now() - start };
    });
  }

  /**
   * Refuses new operations, waits for those in flight, flushes search history, stops extensions and closes
   * the database. Idempotent; the database is closed even when an extension's `stop()` fails (its error is
   * rethrown afterwards).
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.allSettled([...this.#inFlight]);
    const errors: unknown[] = [];
    try {
      await this.#history.flush();
    } catch (error) {
      errors.push(error);
    }
    errors.push(...(await this.#stopPlugins()));
    await this.dialect.close();
    this.#emitSafely('storage:closed', {});
    this.removeAllListeners();
    if (errors.length > 0) {
      throw new StorageError(
        StorageErrorCode.DATABASE,
        `closing the store: ${errors.map(String).join('; ')}`,
        {
          cause: errors[0],
        },
      );
    }
  }
}

/**
 * What the durable log keeps of a created entry: who, what and where, not the text the entries table holds
 * (logging the full text doubled a bulk import's writes). Deletions log the whole entry, since the row is gone.
 */
function entrySummary(entry: KBEntry) {
  const { id, title, category, severity, tags, createdAt, createdBy, version } = entry;
  return { id, title, category, severity, tags, createdAt, createdBy, version };
}

function pick(entry: KBEntry, keys: readonly string[]): Record<string, unknown> {
  return Object.fromEntries(keys.map((k) => [k, entry[k as keyof KBEntry]]));
}

const isoTimestamp = z.iso.datetime({ offset: true });

const usageContextSchema = z.strictObject({
  userId: z.string().min(1).max(128).optional(),
  sessionId: z.string().min(1).max(128).optional(),
});

const historyOptionsSchema = z.strictObject({
  limit: z.number().int().min(1).max(10_000).default(100),
  since: isoTimestamp.optional(),
});

const replayOptionsSchema = z.strictObject({
  from: isoTimestamp.optional(),
  to: isoTimestamp.optional(),
  types: z.array(z.string().min(1).max(64)).max(100).optional(),
  afterSeq: z.number().int().min(0).optional(),
  batchSize: z.number().int().min(1).max(10_000).optional(),
});

const actorSchema = z.strictObject({
  id: z.string().min(1).max(128),
  role: z.enum(['viewer', 'editor', 'admin']),
});

function validateActor(actor: Actor | undefined): Actor {
  return actor === undefined ? { id: 'system', role: 'admin' } : validate(actorSchema, actor, 'actor');
}

function validationOf(path: string, message: string): ValidationError {
  return new ValidationError(`Invalid ${path}: ${message}`, [{ path, message }]);
}
