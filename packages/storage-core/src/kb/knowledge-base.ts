import { z } from 'zod';
import type { Actor } from '../audit/audit-trail.js';
import type { StorageConfig } from '../config/storage-config.js';
import type { DialectAdapter } from '../dialect/dialect-adapter.js';
import { NotFoundError, ValidationError } from '../errors/storage-error.js';
import { translateDatabaseError } from '../errors/translate-error.js';
import type { MetricsRegistry } from '../metrics/metrics-registry.js';
import type { SearchOptions, SearchResponse, SearchResult } from '../search/search-types.js';
import type { WriteScope } from '../storage-write.js';
import type { LruCache } from '../util/lru-cache.js';
import { countersOf, type KbRepository } from './kb-repository.js';
import {
  entryIdSchema,
  isoTimestamp,
  relationTypeSchema,
  usageActionSchema,
  validate,
  validateEntryInput,
  validateEntryUpdate,
  validateFeedback,
  validateListOptions,
} from './kb-schemas.js';
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
} from './kb-types.js';
import type { SearchHistoryWriter } from './search-history-writer.js';
import { validateSearchOptions } from './search-options-schema.js';

/** What the knowledge base needs of the store it belongs to: its choke points and shared state. */
export interface KnowledgeBaseHost {
  readonly dialect: DialectAdapter;
  readonly config: StorageConfig;
  readonly actor: Actor;
  readonly metrics: MetricsRegistry;
  readonly kb: KbRepository;
  readonly history: SearchHistoryWriter;
  readonly cache: LruCache<SearchResponse>;
  write<T>(operation: string, fn: (scope: WriteScope) => Promise<T>): Promise<T>;
  read<T>(operation: string, fn: () => Promise<T>): Promise<T>;
  /** Refuses calls on a closed store and from inside a write. */
  assertOpen(): void;
  /** Registers an operation in flight, so close() waits for it. */
  track<T>(promise: Promise<T>): Promise<T>;
  /** Checks the actor's role for an operation. */
  check(operation: string): void;
  emit(type: string, payload: unknown): void;
}

/**
 * The MVP1 knowledge base: entries, relations, feedback and usage, search and its history. Every write goes
 * through the host's write path (role, transaction, audit row, durable event); every read through its read
 * path (role, metrics).
 */
export class KnowledgeBase {
  readonly #host: KnowledgeBaseHost;

  constructor(host: KnowledgeBaseHost) {
    this.#host = host;
  }

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
    return this.#host.write('entry.create', async (scope) => {
      const entries = await this.#host.kb.insert(scope.trx, valid, scope.now);
      for (const entry of entries) {
        scope.audit({ action: 'create', entity: 'kb_entry', entityId: entry.id });
        scope.event('entry:created', { entry }, { entry: entrySummary(entry) });
      }
      return entries.map((e) => e.id);
    });
  }

  async readEntry(id: string): Promise<KBEntry | null> {
    const valid = validate(entryIdSchema, id, 'id');
    return this.#host.read('entry.read', () => this.#host.kb.find(this.#host.dialect.db, valid));
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
    return this.#host.write('entry.update', async (scope) => {
      const result = await this.#host.kb.update(scope.trx, validId, valid, scope.now);
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
    return this.#host.write('entry.delete', async (scope) => {
      const before = await this.#host.kb.delete(scope.trx, validId);
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
    return this.#host.read('entry.read', () =>
      this.#host.dialect.readTransaction((trx) => this.#host.kb.list(trx, valid)),
    );
  }

  async countEntries(options: { includeArchived?: boolean } = {}): Promise<number> {
    return this.#host.read('entry.read', () =>
      this.#host.kb.count(this.#host.dialect.db, options.includeArchived ?? true),
    );
  }

  async recordFeedback(id: string, feedback: FeedbackInput): Promise<UsageCounters> {
    const validId = validate(entryIdSchema, id, 'id');
    const valid = validateFeedback(feedback);
    return this.#host.write('entry.feedback', async (scope) => {
      const after = await this.#host.kb.recordFeedback(scope.trx, validId, valid, scope.now);
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
    return this.#host.write('entry.usage', async (scope) => {
      const after = await this.#host.kb.recordUsage(scope.trx, validId, validAction, validContext, scope.now);
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
    await this.#host.write('relation.add', async (scope) => {
      const found = await this.#host.kb.findMany(scope.trx, [from, to]);
      for (const id of [from, to]) if (!found.has(id)) throw new NotFoundError('entry', id);
      const relation: KBRelation = { fromId: from, toId: to, type: validType, createdAt: scope.now };
      if (await this.#host.kb.addRelation(scope.trx, relation)) {
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
    return this.#host.write('relation.remove', async (scope) => {
      const removed = await this.#host.kb.removeRelation(scope.trx, from, to, validType);
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
    return this.#host.read('entry.read', () => this.#host.kb.relationsOf(this.#host.dialect.db, valid));
  }

  // ─── Search ─────────────────────────────────────────────────────────────────────────────────────

  /** Searches with the query language (`"data set" category:JCL tag:abend S0C*`); logs it in search history. */
  async search(query: string, options?: SearchOptions): Promise<SearchResponse> {
    this.#host.assertOpen();
    return this.#host.track(this.#search(query, options));
  }

  async #search(query: string, options?: SearchOptions): Promise<SearchResponse> {
    const start = performance.now();
    let failed = true;
    try {
      this.#host.check('entry.search');
      if (typeof query !== 'string') throw validationOf('query', 'expected a string');
      const valid = validateSearchOptions(options);
      const { recordHistory, userId, ...engineOptions } = valid;
      const caching = this.#host.config.performance.caching.enabled;
      const key = caching
        ? `${await this.#host.dialect.dataVersion()}|${query}|${JSON.stringify(engineOptions)}`
        : '';
      const cached = caching ? this.#host.cache.get(key) : undefined;
      const response = cached
        ? structuredClone(cached)
        : await this.#host.dialect.searchIndex.search(query, engineOptions);
      // The cache keeps its own copy: a caller that edits its results must not change the next answer.
      if (caching && !cached) this.#host.cache.set(key, structuredClone(response));
      const tookMs = performance.now() - start;
      const top = response.results[0]?.entry.id ?? null;
      if (recordHistory) {
        this.#host.history.add({
          query,
          resultCount: response.total,
          topResultId: top,
          // Only a correction that was applied changed what was searched; a suggestion did not.
          correctedQuery: response.corrections.some((c) => c.applied) ? response.interpreted : null,
          tookMs,
          userId: userId ?? this.#host.actor.id,
          createdAt: new Date().toISOString(),
        });
      }
      this.#host.emit('search:performed', {
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
      this.#host.metrics.record('search', performance.now() - start, failed);
    }
  }

  /** The seed interface's search: the results of `search()` (facets, which it does not return, uncounted). */
  async searchEntries(query: string, options?: SearchOptions): Promise<SearchResult[]> {
    const plain =
      options === undefined || (typeof options === 'object' && options !== null && !Array.isArray(options));
    // Anything but an options object goes to search() as it came, to be refused there.
    return (await this.search(query, plain ? { ...options, facets: false } : options)).results;
  }

  /** Autocomplete suggestions for a prefix. */
  async suggest(prefix: string, limit = 10): Promise<string[]> {
    if (typeof prefix !== 'string' || prefix.length > 200)
      throw validationOf('prefix', 'expected a string of at most 200 characters');
    if (!Number.isInteger(limit) || limit < 1 || limit > 50)
      throw validationOf('limit', 'expected an integer from 1 to 50');
    return this.#host.read('entry.search', () => this.#host.dialect.searchIndex.suggest(prefix, limit));
  }

  async getSearchHistory(options: { limit?: number; since?: string } = {}): Promise<SearchHistoryRecord[]> {
    const valid = validate(historyOptionsSchema, options, 'options');
    await this.#host.history.flush();
    return this.#host.read('search.history', () =>
      this.#host.kb.searchHistory(this.#host.dialect.db, valid.limit, valid.since),
    );
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

const usageContextSchema = z.strictObject({
  userId: z.string().min(1).max(128).optional(),
  sessionId: z.string().min(1).max(128).optional(),
});

const historyOptionsSchema = z.strictObject({
  limit: z.number().int().min(1).max(10_000).default(100),
  since: isoTimestamp.optional(),
});

function validationOf(path: string, message: string): ValidationError {
  return new ValidationError(`Invalid ${path}: ${message}`, [{ path, message }]);
}
