import { EventEmitter } from 'node:events';
import { resolve as resolvePath } from 'node:path';
import { z } from 'zod';
import { AccessControl } from './audit/access-rules.js';
import { actorScope, ROLE_RANK, validateActor } from './audit/actor.js';
import { type AuditCheckpoint, isCheckpoint } from './audit/audit-checkpoints.js';
import type {
  Actor,
  AuditRow,
  AuditRowsOptions,
  AuditTrail,
  AuditVerification,
  LoadedChain,
} from './audit/audit-trail.js';
import { parseStorageConfig, type StorageConfig, type StorageConfigInput } from './config/storage-config.js';
import type {
  DatabaseSize,
  DialectAdapter,
  MaintenanceStep,
  PoolStatistics,
} from './dialect/dialect-adapter.js';
import { StorageErrorCode } from './errors/error-codes.js';
import { ConfigError, StorageError, ValidationError } from './errors/storage-error.js';
import { translateDatabaseError } from './errors/translate-error.js';
import { EventLog } from './events/event-log.js';
import type { LoggedEvent, ReplayOptions, StorageEventMap, StorageEvents } from './events/storage-events.js';
import { auditProbe } from './health/audit-probe.js';
import { coreProbes, runProbes } from './health/core-probes.js';
import type { HealthStatus } from './health/health-types.js';
import { CORE_TABLES } from './kb/core-tables.js';
import { KbRepository } from './kb/kb-repository.js';
import { isoTimestamp, validate } from './kb/kb-schemas.js';
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
import { KnowledgeBase } from './kb/knowledge-base.js';
import { SearchHistoryWriter } from './kb/search-history-writer.js';
import { type LatencySummary, percentile } from './metrics/latency-histogram.js';
import { type CacheStats, MetricsRegistry } from './metrics/metrics-registry.js';
import type { MigrationRegistry } from './migration/migration-registry.js';
import type {
  DownOptions,
  MigrationPlan,
  MigrationRunResult,
  MigrationStatus,
  MigrationStepResult,
  PlanOptions,
  RepairOptions,
  RepairResult,
  UpOptions,
} from './migration/migration-registry-types.js';
import { FLAT_METHOD_PROVIDERS } from './plugin/flat-methods.js';
import type { ResolvedPlugin } from './plugin/plugin-host.js';
import { PluginRuntime } from './plugin/plugin-runtime.js';
import type {
  ExporterContribution,
  ImporterContribution,
  MvpNumber,
  PluginApi,
  PluginDefinition,
  PluginInfo,
  PluginMethods,
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
import { deepFreeze } from './util/deep-freeze.js';
import { LruCache } from './util/lru-cache.js';

export interface StorageMetrics {
  collectedAt: string;
  dialect: string;
  /**
   * What each part covers. `process`: this process's operations since it opened the store (`operations`,
   * `counters`, `cache`); a one-shot command starts with none. `store`: read from the database, the same in
   * every process (`database`, `searches`).
   */
  scope: {
    operations: 'process';
    counters: 'process';
    cache: 'process';
    database: 'store';
    searches: 'store';
  };
  /** Per operation, in this process: latency percentiles (ms), errors, and `slow` (≥ slowQueryMs). */
  operations: Record<string, LatencySummary>;
  counters: Record<string, number>;
  cache: CacheStats;
  /**
   * Search latency as the store recorded it (search history), across every process that searched it: the
   * last `count` searches (at most 10,000), from `from` to `to`.
   */
  searches: {
    count: number;
    p50: number;
    p95: number;
    p99: number;
    max: number;
    from: string | null;
    to: string | null;
  };
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

/** Each store's dialect, for core's own modules (the copy); the package does not export this. */
const dialects = new WeakMap<Storage, DialectAdapter>();
/** Each store's audit trail, for a copy that hands its target the source's audit keys. */
const audits = new WeakMap<Storage, AuditTrail>();

/** @internal The audit trail of a store, for core's modules that work across two stores. */
export function auditTrailOf(storage: Storage): AuditTrail {
  const audit = audits.get(storage);
  if (!audit) throw new StorageError(StorageErrorCode.UNSUPPORTED, 'not a store opened by createStorage()');
  return audit;
}

/** @internal The dialect under a store, for core's modules that work across two stores. */
export function dialectOf(storage: Storage): DialectAdapter {
  const dialect = dialects.get(storage);
  if (!dialect) throw new StorageError(StorageErrorCode.UNSUPPORTED, 'not a store opened by createStorage()');
  return dialect;
}

// Plugins add the flat methods they provide to PluginMethods; the store has each of them (see the constructor).
export interface Storage extends PluginMethods {}

/**
 * An open store, acting for one actor: every operation is checked against the actor's role at one choke
 * point, and every change writes its audit row. It holds no public handle to the database: plugins reach
 * the database through the context their setup receives, never through the store.
 */
// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: see the interface above.
export class Storage extends EventEmitter<StorageEventMap> {
  readonly config: StorageConfig;
  readonly metrics: MetricsRegistry;
  /**
   * Frozen: the actor the store was opened for. It is also the ceiling of `runAs`: a scope may act for
   * another actor with the same role or a lower one, never a higher one.
   */
  readonly #actor: Actor;
  #started = false;
  readonly #dialect: DialectAdapter;
  readonly #migrations: MigrationRegistry;
  readonly #access = new AccessControl();
  readonly #audit: AuditTrail;
  readonly #events: EventLog;
  readonly #writer: WriteExecutor;
  readonly #kb: KbRepository;
  readonly #history: SearchHistoryWriter;
  #held: ReadonlyMap<string, string> = new Map();
  readonly #cache: LruCache<SearchResponse>;
  readonly #plugins: PluginRuntime;
  readonly #kbService: KnowledgeBase;
  #localWrites = 0;
  #closed = false;
  /** Operations started and not yet settled; close() waits for them. */
  readonly #inFlight = new Set<Promise<unknown>>();

  /** Use createStorage(). */
  constructor(
    config: StorageConfig,
    dialect: DialectAdapter,
    migrations: MigrationRegistry,
    actor: Actor,
    audit: AuditTrail,
  ) {
    super();
    this.config = deepFreeze(config);
    this.#dialect = dialect;
    this.#migrations = migrations;
    dialects.set(this, dialect);
    this.#actor = Object.freeze({ ...actor });
    // The services below read the actor when they act, so that a runAs scope is the actor they see.
    const current = (): Actor => this.actor;
    const { monitoring } = config.performance;
    this.metrics = new MetricsRegistry(monitoring.histogramSize, {
      slowMs: monitoring.slowQueryMs,
      enabled: monitoring.enabled,
    });
    this.#audit = audit;
    audits.set(this, audit);
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
      (records) => this.#dialect.writeTransaction((trx) => this.#kb.insertSearchHistory(trx, records)),
      (error) =>
        this.#emitSafely('storage:error', {
          operation: 'search-history',
          code: translateDatabaseError(error, 'search history').code,
          message: String(error),
        }),
    );
    this.#kbService = new KnowledgeBase({
      dialect,
      config,
      get actor() {
        return current();
      },
      metrics: this.metrics,
      kb: this.#kb,
      history: this.#history,
      cache: this.#cache,
      write: (operation, fn) => this.#write(operation, fn),
      read: (operation, fn) => this.#read(operation, fn),
      assertOpen: () => this.#assertOpen(),
      track: (promise) => this.#track(promise),
      check: (operation) => this.#access.check(this.actor, operation),
      emit: (type, payload) => this.#emitSafely(type, payload),
    });
    // An EventEmitter without an 'error' listener throws on emit('error'); this store never emits it.
    this.#plugins = new PluginRuntime({
      storage: this,
      dialect,
      migrations,
      config,
      metrics: this.metrics,
      get actor() {
        return current();
      },
      access: this.#access,
      coreTables: CORE_TABLES,
      write: (operation, fn) => this.#write(operation, fn),
      read: (operation, fn) => this.#read(operation, fn),
      emit: (type, payload) => this.#emitSafely(type, payload),
      listen: (type, handler) => this.on(type as keyof StorageEvents, handler),
    });
    // The seed interface's flat methods exist whether or not a plugin provides them: without one they fail
    // naming the package to install.
    for (const name of Object.keys(FLAT_METHOD_PROVIDERS)) this.#defineFlatMethod(name);
  }

  #defineFlatMethod(name: string): void {
    Object.defineProperty(this, name, {
      value: (...args: unknown[]) => this.#plugins.call(name, args),
      enumerable: false,
      writable: false,
      configurable: false,
    });
  }

  /** Which database the store is on: `sqlite`, `postgresql` or `mysql`. */
  get dialectName(): DialectAdapter['name'] {
    return this.#dialect.name;
  }

  /** Where the data lives: a file path, or the server URL without its password. */
  get location(): string {
    return this.#dialect.location;
  }

  /**
   * Who the store acts for now, and with which role: the actor of the innermost `runAs` scope, else the
   * actor the store was opened for.
   */
  get actor(): Actor {
    return actorScope.getStore()?.get(this) ?? this.#actor;
  }

  /**
   * Runs `fn` acting for `actor`: every store call made inside it, and inside what it awaits, is checked
   * against that actor's role and audited under its id. A server opens one store and runs each request as
   * the caller's actor. The role may not exceed the role acting now (a viewer's scope cannot grant itself
   * editor), so code given a scope cannot climb out of it.
   */
  runAs<T>(actor: Actor, fn: () => T): T {
    this.#assertOpen();
    const next = validateActor(actor);
    const now = this.actor;
    if (ROLE_RANK[next.role] > ROLE_RANK[now.role]) {
      throw new StorageError(
        StorageErrorCode.FORBIDDEN,
        `cannot act as ${next.role} '${next.id}' from a ${now.role} scope: runAs may keep or lower the role, never raise it`,
        { details: { actor: next.id, role: next.role, current: now.role } },
      );
    }
    const scopes = new Map(actorScope.getStore() ?? []);
    scopes.set(this, Object.freeze({ ...next }));
    return actorScope.run(scopes, fn);
  }

  /**
   * Store events come from the store's own writes and plugins (through their context). A holder of the
   * store cannot emit one: listeners (a web app's event stream, a webhook) would pass on a forged event.
   */
  override emit(..._args: unknown[]): boolean {
    throw new StorageError(
      StorageErrorCode.FORBIDDEN,
      'store events are emitted by the store itself; listen with on(), replay the log with replayEvents()',
    );
  }

  /** @internal Starts the enabled plugins in dependency order (createStorage calls it once). */
  async start(
    plugins: readonly ResolvedPlugin[],
    checkDatabase: boolean,
    held: ReadonlyMap<string, string> = new Map(),
  ): Promise<void> {
    if (this.#started) {
      throw new StorageError(StorageErrorCode.FORBIDDEN, 'the store has started its plugins already');
    }
    this.#started = true;
    this.#held = held;
    await this.#plugins.start(plugins, checkDatabase, held);
    for (const name of this.#plugins.addedMethods()) this.#defineFlatMethod(name);
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

  createEntry(input: KBEntryInput): Promise<string> {
    return this.#kbService.createEntry(input);
  }

  /** Creates many entries in one transaction: all of them, or none when any is invalid. */
  createEntries(inputs: readonly KBEntryInput[]): Promise<string[]> {
    return this.#kbService.createEntries(inputs);
  }

  /** The entry, or null when it does not exist. */
  readEntry(id: string): Promise<KBEntry | null> {
    return this.#kbService.readEntry(id);
  }

  /** The entry; NotFoundError when it does not exist. */
  getEntry(id: string): Promise<KBEntry> {
    return this.#kbService.getEntry(id);
  }

  /** Returns false when the entry does not exist. */
  updateEntry(id: string, updates: KBEntryUpdate): Promise<boolean> {
    return this.#kbService.updateEntry(id, updates);
  }

  deleteEntry(id: string): Promise<boolean> {
    return this.#kbService.deleteEntry(id);
  }

  /** A page of entries and the total, read from one snapshot. */
  listEntries(options?: ListEntriesOptions): Promise<{ entries: KBEntry[]; total: number }> {
    return this.#kbService.listEntries(options);
  }

  countEntries(options: { includeArchived?: boolean } = {}): Promise<number> {
    return this.#kbService.countEntries(options);
  }

  /** Records whether a fix worked (and a rating); feeds ranking. */
  recordFeedback(id: string, feedback: FeedbackInput): Promise<UsageCounters> {
    return this.#kbService.recordFeedback(id, feedback);
  }

  recordUsage(
    id: string,
    action: UsageAction,
    context: { userId?: string; sessionId?: string } = {},
  ): Promise<UsageCounters> {
    return this.#kbService.recordUsage(id, action, context);
  }

  addRelation(fromId: string, toId: string, type: RelationType = 'related'): Promise<void> {
    return this.#kbService.addRelation(fromId, toId, type);
  }

  removeRelation(fromId: string, toId: string, type: RelationType = 'related'): Promise<boolean> {
    return this.#kbService.removeRelation(fromId, toId, type);
  }

  getRelations(id: string): Promise<KBRelation[]> {
    return this.#kbService.getRelations(id);
  }

  // ─── Search ─────────────────────────────────────────────────────────────────────────────────────

  /** Searches with the query language (`"data set" category:JCL tag:abend S0C*`); logs it in search history. */
  search(query: string, options?: SearchOptions): Promise<SearchResponse> {
    return this.#kbService.search(query, options);
  }

  /** The seed interface's search: the results of `search()`. */
  searchEntries(query: string, options?: SearchOptions): Promise<SearchResult[]> {
    return this.#kbService.searchEntries(query, options);
  }

  /** Autocomplete suggestions for a prefix. */
  suggest(prefix: string, limit = 10): Promise<string[]> {
    return this.#kbService.suggest(prefix, limit);
  }

  getSearchHistory(options: { limit?: number; since?: string } = {}): Promise<SearchHistoryRecord[]> {
    return this.#kbService.getSearchHistory(options);
  }

  // ─── Events and audit ───────────────────────────────────────────────────────────────────────────

  /** Replays the durable event log in commit order (for a time range, types, or after a sequence number). */
  replayEvents(options: ReplayOptions = {}): AsyncIterable<LoggedEvent> {
    this.#assertOpen();
    this.#access.check(this.actor, 'events.replay');
    return this.#events.replay(validate(replayOptionsSchema, options, 'options'));
  }

  /**
   * Verifies the whole audit chain (or, with `since`, the rows after that checkpoint), and that every
   * checkpoint of the checkpoint file still matches its row: a chain cut back or re-chained fails.
   */
  async verifyAuditChain(options: { since?: AuditCheckpoint } = {}): Promise<AuditVerification> {
    if (options.since !== undefined && !isCheckpoint(options.since)) {
      const message = 'since must be a checkpoint: { seq, hash, at, keyId, signature }';
      throw new ValidationError(message, [{ path: 'since', message }]);
    }
    return this.#read('audit.verify', () => this.#audit.verify(options));
  }

  /**
   * Verifies the chain from the last checkpoint, signs its head and appends that checkpoint to the
   * checkpoint file; returns it, for the operator to keep elsewhere too.
   */
  async auditCheckpoint(): Promise<{ checkpoint: AuditCheckpoint; file: string | null }> {
    return this.#read('audit.checkpoint', () => this.#audit.checkpoint());
  }

  /**
   * The last `limit` audit rows (default 50), or the first `limit` at or after `since` (an ISO time); with
   * `entity` / `entityId`, only the rows about that kind of thing / that one thing (an entry's trail).
   */
  async auditRows(options: AuditRowsOptions = {}): Promise<AuditRow[]> {
    const valid = validate(auditRowsOptionsSchema, options, 'options');
    return this.#read('audit.read', () => this.#audit.rows(valid));
  }

  /** Adds a new audit key to the keyring file; new rows are signed with it, old keys still verify. */
  async rotateAuditKey(): Promise<{ keyId: string; previous: string | null }> {
    return this.#write('audit.rotate', async (scope) => {
      const previous = this.#audit.keyring.keys().at(-1)?.id ?? null;
      const key = this.#audit.keyring.rotate();
      scope.audit({ action: 'audit-key-rotate', entity: 'audit', entityId: key.id, detail: { previous } });
      return { keyId: key.id, previous };
    });
  }

  // ─── Plugins ─────────────────────────────────────────────────────────────────────────────────────

  /**
   * Enabled extensions left out because a rollback (`migrateDown`) holds their migrations, with why. While
   * any is held, whole-store copies and logical exports are refused: the held extension's rows would be
   * missing from them.
   */
  get migrationHolds(): { readonly extension: string; readonly reason: string }[] {
    return [...this.#held].map(([extension, reason]) => ({ extension, reason }));
  }

  /** Throws MIGRATION_PENDING while an extension is held back by a rollback (see `migrationHolds`). */
  refuseWhileHeld(operation: string): void {
    const [first] = this.migrationHolds;
    if (!first) return;
    throw new StorageError(
      StorageErrorCode.MIGRATION_PENDING,
      `${operation} is refused while '${first.extension}' is held back: ${first.reason}; its rows would be missing`,
      { details: { held: this.migrationHolds } },
    );
  }

  /** The enabled plugins. */
  get plugins(): PluginInfo[] {
    return this.#plugins.info();
  }

  /** The typed API of an enabled plugin: `storage.plugin(patternsPlugin).detectPatterns()`. */
  plugin<P extends PluginDefinition<string, any>>(plugin: P | P['id']): PluginApi<P> {
    this.#assertOpen();
    return this.#plugins.api(plugin);
  }

  /**
   * The store's logical content hash: every non-derived table except the migrations ledger, each row in a
   * canonical form that is the same on every dialect, read in one snapshot. Equal hashes mean equal content.
   */
  async contentHash(options: ContentHashOptions = {}): Promise<ContentHash> {
    return this.#read('storage.hash', async () => {
      await this.#history.flush();
      return this.#dialect.readTransaction((trx) => computeContentHash(trx, this.tables(), options));
    });
  }

  /**
   * Row counts of the tables a content hash covers (or the chosen ones), read in one snapshot: what a check
   * that only recorded counts compares, without reading every row as `contentHash` does.
   */
  async rowCounts(tables?: readonly string[]): Promise<Record<string, number>> {
    return this.#read('storage.hash', async () => {
      await this.#history.flush();
      return this.#dialect.readTransaction((trx) => computeRowCounts(trx, this.tables(), tables));
    });
  }

  /**
   * The rows of every content table (or the chosen ones), parents before children, in batches read from
   * one snapshot: the raw material of copies and logical backups. Needs the admin role.
   */
  async *exportTables(options: ExportTablesOptions = {}): AsyncGenerator<TableBatch> {
    this.refuseWhileHeld('exportTables()');
    this.#assertOpen();
    this.#access.check(this.actor, 'storage.export');
    await this.#history.flush();
    const tables = transferTables(this.tables(), options.tables);
    let done!: () => void;
    this.#track(new Promise<void>((resolve) => (done = resolve)));
    try {
      yield* readTableBatches(this.#dialect, tables, options.batchSize);
    } finally {
      done();
    }
  }

  /**
   * Loads table batches (from `exportTables` of this or another store, of any dialect) into this store in
   * one write transaction — all or nothing — then rebuilds the search index and the dialect's key
   * sequences. The tables must be empty unless `replace` is set. Rows are written as they are. An audit
   * chain brought by the load is verified before it commits (a forged row refuses the load with INTEGRITY;
   * rows keyed with a key this store lacks are reported in `audit.missingKeys`), and the load is recorded in
   * the audit trail as the first row the next write appends, so that the loaded tables stay exactly the
   * source's (docs/audit.md). Needs the admin role.
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
          let chain: LoadedChain | undefined;
          const result = await writeTableBatches(this.#dialect, tables, batches, {
            ...options,
            afterLoad: async (trx, loaded, rows) => {
              if (options.replace || loaded.includes('kb_entries'))
                await this.#dialect.searchIndex.rebuild(trx);
              // A chain brought by the load is verified before it commits; the load itself is recorded.
              chain = await this.#audit.recordLoadIn(trx, this.actor, {
                bringsChain: tables.some((t) => t.name === 'kb_audit'),
                detail: { tables: rows, replace: options.replace === true },
              });
              await this.#plugins.rebuildDerived(trx, loaded);
              await this.#dialect.afterBulkLoad(trx, loaded);
            },
          });
          if (!chain) return result;
          this.#checkpointLoad(chain);
          return { ...result, audit: chain.verified };
        } catch (error) {
          throw translateDatabaseError(error, 'storage.import');
        } finally {
          this.#cache.clear();
        }
      })(),
    );
  }

  /** Where checkpoints are kept, a `load` checkpoint of the chain a load brought, so older ones step aside. */
  #checkpointLoad(chain: LoadedChain): void {
    try {
      this.#audit.recordLoad(chain.head);
    } catch (error) {
      // The load is committed; a checkpoint file that cannot be written is reported, not thrown.
      this.#emitSafely('storage:error', {
        operation: 'audit checkpoint after a load',
        code: translateDatabaseError(error, 'audit checkpoint').code,
        message: String(error),
      });
    }
  }

  /** Every table backups and exports must include: core's and each enabled plugin's. */
  tables(): TableContribution[] {
    return this.#plugins.tables();
  }

  importers(): ImporterContribution[] {
    return this.#plugins.importers();
  }

  /** Every domain exporter the enabled plugins contribute (`kb export --target <name>`). */
  exporters(): ExporterContribution[] {
    return this.#plugins.exporters();
  }

  // ─── Migrations ─────────────────────────────────────────────────────────────────────────────────

  /** Applied and pending migrations per namespace, dormant namespaces and ledger problems. */
  async migrationStatus(): Promise<MigrationStatus> {
    return this.#read('storage.migrations', () => this.#migrations.status());
  }

  /** What `migrateUp` (or `migrateDown`) would run, with each step's SQL; writes nothing. */
  async planMigrations(options: PlanOptions = {}): Promise<MigrationPlan> {
    return this.#read('storage.migrations', () => this.#migrations.plan(options));
  }

  /** Applies pending migrations (up to `to`), each in one transaction; a failure is in the result. */
  async migrateUp(options: UpOptions = {}): Promise<MigrationRunResult> {
    return this.#read('storage.migrate', () => this.#migrations.up(options));
  }

  /** Rolls back to `to` (`namespace:id`, or `namespace:0` for the whole namespace). */
  async migrateDown(options: DownOptions): Promise<MigrationRunResult> {
    return this.#read('storage.migrate', () => this.#migrations.down(options));
  }

  /** Brings the ledger in line with the declared migrations after an edit (see RepairOptions). */
  async repairMigrations(options: RepairOptions): Promise<RepairResult> {
    return this.#read('storage.migrate', () => this.#migrations.repair(options));
  }

  /**
   * The seed interface's `migrate(targetVersion)`: applies pending migrations up to `namespace:id`, or every
   * migration of core and of the enabled extensions up to an MVP (`'MVP3'`, `'3'`), or all of them without a
   * target. Returns one result per migration; a failed step is in the results, not thrown. An MVP whose
   * extension is not enabled is refused (VALIDATION) before anything runs.
   */
  async migrate(target?: string): Promise<MigrationStepResult[]> {
    this.#assertOpen();
    this.#access.check(this.actor, 'storage.migrate');
    const mvp = target === undefined ? undefined : /^(?:MVP)?\s*([1-5])$/i.exec(target.trim());
    if (target === undefined || !mvp) {
      return (await this.migrateUp(target === undefined ? {} : { to: target })).results;
    }
    const level = Number(mvp[1]) as MvpNumber;
    const byMvp = new Map(this.plugins.map((p) => [p.id, p.mvp]));
    const missing = ([2, 3, 4, 5] as const).filter((n) => n <= level && ![...byMvp.values()].includes(n));
    if (missing.length > 0) {
      const message = `cannot migrate to MVP${level}: no enabled extension brings MVP ${missing.join(', ')} (enable it in config.mvp.extensions)`;
      throw new ValidationError(message, [{ path: 'targetVersion', message }]);
    }
    const status = await this.migrationStatus();
    const results: MigrationStepResult[] = [];
    for (const ns of status.namespaces) {
      const nsLevel = ns.namespace === 'core' ? 1 : byMvp.get(ns.namespace);
      const last = ns.pending.at(-1);
      if (nsLevel === undefined || nsLevel > level || last === undefined) continue;
      const run = await this.migrateUp({ to: `${ns.namespace}:${last.id}` });
      results.push(...run.results);
      if (run.error) break;
    }
    return results;
  }

  /**
   * The seed interface's `initialize(config)`. A store from `createStorage()` is open and migrated already:
   * this checks that `config` names this same database (CONFIG_INVALID otherwise) and applies pending
   * migrations as opening does (a namespace held by a rollback stays where it is). Calling it again changes
   * nothing.
   */
  async initialize(config: StorageConfigInput = {}): Promise<void> {
    this.#assertOpen();
    const wanted = parseStorageConfig(config).database;
    const mine = this.config.database;
    const same =
      wanted.type === mine.type &&
      (wanted.type === 'sqlite'
        ? resolvePath(wanted.path) === resolvePath(mine.path)
        : (wanted.url ?? '') === (mine.url ?? '') &&
          (wanted.database ?? '') === (mine.database ?? '') &&
          (wanted.schema ?? '') === (mine.schema ?? ''));
    if (!same) {
      throw new ConfigError(
        `initialize(config) names another database than this store's (${this.location}): open that one with createStorage(config)`,
        [{ path: 'database', message: 'is not the database this store is open on' }],
      );
    }
    const result = await this.#read('storage.migrate', () => this.#migrations.up({ respectHolds: true }));
    if (result.error) throw result.error;
  }

  /**
   * The store's MVP level: the highest MVP among its started extensions, 1 with none. Exports and backups
   * record this; `config.mvp.version`, when set, must equal it.
   */
  get mvpLevel(): MvpNumber {
    return Math.max(1, ...this.plugins.map((p) => p.mvp)) as MvpNumber;
  }

  // ─── Monitoring and maintenance ─────────────────────────────────────────────────────────────────

  async getMetrics(): Promise<StorageMetrics> {
    return this.#read('storage.metrics', async () => {
      const extensions = await this.#plugins.metrics();
      const hits = this.#cache.hits;
      const misses = this.#cache.misses;
      return {
        collectedAt: new Date().toISOString(),
        dialect: this.#dialect.name,
        scope: {
          operations: 'process',
          counters: 'process',
          cache: 'process',
          database: 'store',
          searches: 'store',
        },
        operations: this.metrics.operations(),
        counters: { ...this.metrics.counters(), localWrites: this.#localWrites },
        cache: {
          hits,
          misses,
          hitRate: hits + misses === 0 ? 0 : hits / (hits + misses),
          size: this.#cache.size,
        },
        database: { ...(await this.#dialect.size()), entries: await this.#kb.count(this.#dialect.db) },
        searches: await this.#searchLatency(),
        ...(this.#dialect.poolStatistics ? { pool: this.#dialect.poolStatistics() } : {}),
        extensions,
      };
    });
  }

  /** Percentiles of the last 10,000 recorded searches' durations (flushed first, so this process's count). */
  async #searchLatency(): Promise<StorageMetrics['searches']> {
    await this.#history.flush();
    const rows = await this.#kb.searchHistory(this.#dialect.db, 10_000);
    const took = rows.map((r) => r.tookMs).sort((a, b) => a - b);
    const at = (q: number) => percentile(took, q);
    return {
      count: took.length,
      p50: at(0.5),
      p95: at(0.95),
      p99: at(0.99),
      max: took.at(-1) ?? 0,
      from: rows.at(-1)?.createdAt ?? null,
      to: rows[0]?.createdAt ?? null,
    };
  }

  /** Runs every health probe (core's, then each plugin's); the overall status is the worst of them. */
  async healthCheck(): Promise<HealthStatus> {
    return this.#read('storage.health', () =>
      runProbes([
        ...coreProbes(this.#dialect, this.#migrations, this.config.performance.maintenance),
        auditProbe(this.#audit),
        ...this.#plugins.healthProbes(),
      ]),
    );
  }

  /** ANALYZE, PRAGMA optimize, full-text index merge and a WAL checkpoint, with a before/after report. */
  async optimize(): Promise<OptimizationResult> {
    return this.#read('storage.optimize', async () => {
      const start = performance.now();
      await this.#history.flush();
      const before = await this.#dialect.size();
      const steps = await this.#dialect.optimize();
      const after = await this.#dialect.size();
      this.#cache.clear();
      return { before, after, steps, durationMs: performance.now() - start };
    });
  }

  /**
   * Refuses new operations, waits for those in flight, flushes search history, stops plugins and closes
   * the database. Idempotent; the database is closed even when a plugin's `stop()` fails (its error is
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
    errors.push(...(await this.#plugins.stop()));
    await this.#dialect.close();
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

const auditRowsOptionsSchema = z.strictObject({
  limit: z.number().int().min(1).max(100_000).optional(),
  since: isoTimestamp.optional(),
  entity: z.string().min(1).max(64).optional(),
  entityId: z.string().min(1).max(128).optional(),
});

const replayOptionsSchema = z.strictObject({
  from: isoTimestamp.optional(),
  to: isoTimestamp.optional(),
  types: z.array(z.string().min(1).max(64)).max(100).optional(),
  afterSeq: z.number().int().min(0).optional(),
  batchSize: z.number().int().min(1).max(10_000).optional(),
});
