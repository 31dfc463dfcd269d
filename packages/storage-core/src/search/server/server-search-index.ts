import type { Kysely, RawBuilder, SelectQueryBuilder, Transaction } from 'kysely';
import type { StorageConfig } from '../../config/storage-config.js';
import type { DialectAdapter, IntegrityReport, MaintenanceStep } from '../../dialect/dialect-adapter.js';
import { ValidationError } from '../../errors/storage-error.js';
import { translateDatabaseError } from '../../errors/translate-error.js';
import { ENTRY_COLUMNS, type EntryRow, entryRowsInKeyOrder, rowToEntry } from '../../kb/kb-repository.js';
import type { KBEntry } from '../../kb/kb-types.js';
import { type ValidSearchOptions, validateSearchOptions } from '../../kb/search-options-schema.js';
import type { Migration } from '../../migration/migration-types.js';
import { bm25Idf, bm25Score } from '../bm25.js';
import {
  BLEND_MARGIN,
  blendTop,
  CandidateScan,
  championCandidates,
  type EntryCounters,
  fnv1a,
  type MatchEstimate,
  matchBound,
} from '../champion-plan.js';
import { type AtomMeasure, DocumentMatcher } from '../document-matcher.js';
import type { EntryFacts } from '../entry-facts.js';
import { FacetCounter } from '../facet-counter.js';
import { parseQuery } from '../query-parser.js';
import { type ParsedQuery, type QueryAtom, renderQuery } from '../query-types.js';
import { hasFilters, passesFilters, type ResolvedFilters, resolveFilters } from '../search-filters.js';
import type { SearchIndex } from '../search-index.js';
import { popularityCeiling, rankRows, type ScoredRow } from '../search-ranking.js';
import { bestTitles, EMPTY_FACETS, searchResponse, searchResult } from '../search-result.js';
import { withSearchState } from '../search-state-codec.js';
import type { SearchCorrection, SearchFacets, SearchResponse, SearchResult } from '../search-types.js';
import {
  applyCorrection,
  isCorrectable,
  RARE_WORD_DF,
  SpellCorrector,
  uncorrectedQuery,
} from '../spell-corrector.js';
import { tokenize } from '../tokenizer.js';
import { ServerChampionCache } from './server-champion-cache.js';
import { forgetSavedServerState, serverSearchStateMigration } from './server-search-state.js';
import type { IndexedDocument, MatchedTerms, TextBackend } from './text-backend.js';

/** Queries matching at most this many entries are checked and ranked exactly, every match read. */
const EXACT_LIMIT = 200;
/** Above it, this many natively ranked candidates are read and re-ranked with BM25. */
const CANDIDATES = 100;
/** Matches counted for `total` above EXACT_LIMIT (beyond, the total is a lower bound). */
const COUNT_CAP = 2_000;
/** Longest term kept in the vocabulary table (longer terms are still searchable). */
export const MAX_VOCABULARY_TERM = 100;
/** How long cached corpus statistics and vocabulary serve before they are re-read (other processes' writes). */
const CACHE_TTL_MS = 30_000;
const VOCABULARY_TTL_MS = 30_000;
const CHUNK = 500;
/** Entries kept per term in the champion lists (as the SQLite engine). */
const LIST_SIZE = 400;
/** The champion lists are built for the process's third query of common words (see #fromChampions). */
const BUILD_AFTER = 3;
/** Most candidate rows read and scored for one query answered from champion lists. */
const CHAMPION_READS = 300;
/** Candidate rows read per round trip (a round trip costs about as much as reading 32 more rows). */
const FETCH_BATCH = 64;
/** Matches sampled to estimate `total` and the facets of a query answered from champion lists. */
const SAMPLE_SIZE = 150;
/** Above every entry key (they are 32-bit integers on every dialect). */
const MAX_KEY = 2_147_483_647;
/** How long the popularity bound of approximate answers serves before it is re-read. */
const CEILING_TTL_MS = 1_000;
/** Most keys a sample window spans (PostgreSQL tests each row in it: about a microsecond per row). */
const SAMPLE_WINDOW = 3_000;
/** Deepest page (offset + limit) answered from champion candidates; deeper pages use the native ranking. */
const DEEPEST_PAGE = 100;

/** The kb_entries columns of Facts but tags: what MySQL's kb_entries_search_facts_idx covers. */
const FACT_COLUMNS = [
  'seq',
  'category',
  'severity',
  'archived',
  'usage_count',
  'success_count',
  'failure_count',
  'updated_at',
] as const;

/** Columns of an indexed entry: title, problem, solution, tags, category (see columnsOf). */
export const INDEXED_COLUMNS = 5;

function columnsOf(entry: Pick<KBEntry, 'title' | 'problem' | 'solution' | 'tags' | 'category'>): string[] {
  return [entry.title, entry.problem, entry.solution, entry.tags.join(' '), entry.category];
}

export function indexedDocument(seq: number, entry: KBEntry): IndexedDocument {
  const columns = columnsOf(entry).map((text) => tokenize(text));
  return { seq, columns, length: columns.reduce((n, c) => n + c.length, 0) };
}

/**
 * Every entry of kb_entries as an indexed document, CHUNK entries at a time in key order: what a rebuild of
 * the index (or a migration rewriting it) writes.
 */
export async function* indexedDocumentChunks(db: Kysely<any>): AsyncGenerator<IndexedDocument[]> {
  for await (const rows of entryRowsInKeyOrder<EntryRow>(db, ENTRY_COLUMNS, CHUNK)) {
    yield rows.map((row) => indexedDocument(Number(row.seq), rowToEntry(row)));
  }
}

/** The vocabulary terms of a tokenized document, each once. */
function distinctTerms(document: IndexedDocument): Set<string> {
  const terms = new Set<string>();
  for (const column of document.columns)
    for (const t of column) if (t.length <= MAX_VOCABULARY_TERM) terms.add(t);
  return terms;
}

/** Whether `whereFilters` adds a condition on kb_entries (`e`) for these filters. */
function filtersReadEntries(filters: ResolvedFilters): boolean {
  return (
    !filters.includeArchived ||
    filters.categories[0] !== undefined ||
    filters.severities[0] !== undefined ||
    filters.tags.length > 0
  );
}

/**
 * The kb_search rows (`s`) meeting a backend's text condition and `filters`: what every backend's match and
 * count select from. kb_entries (`e`) is joined only when a filter reads it, since the join costs a row
 * lookup per match (the rare-word pool asks without filters).
 */
export function filteredMatches(db: Kysely<any>, condition: RawBuilder<boolean>, filters: ResolvedFilters) {
  const matches = db.selectFrom('kb_search as s').where(condition);
  return filtersReadEntries(filters)
    ? whereFilters(matches.innerJoin('kb_entries as e', 'e.seq', 's.seq'), filters)
    : matches;
}

/** Adds `filters` as conditions on the kb_entries alias `e`. */
export function whereFilters<Q extends SelectQueryBuilder<any, any, any>>(
  query: Q,
  filters: ResolvedFilters,
): Q {
  let q = query;
  if (!filters.includeArchived) q = q.where('e.archived', '=', 0) as Q;
  if (filters.categories[0] !== undefined)
    q = q.where((eb) => eb(eb.fn('lower', ['e.category']), '=', filters.categories[0]!)) as Q;
  if (filters.severities[0] !== undefined) q = q.where('e.severity', '=', filters.severities[0]) as Q;
  for (const tag of filters.tags) {
    q = q.where((eb) =>
      eb.exists(
        eb
          .selectFrom('kb_tags as t')
          .select('t.tag')
          .whereRef('t.entry_id', '=', 'e.id')
          .where('t.tag', '=', tag),
      ),
    ) as Q;
  }
  return q;
}

/** The vocabulary table (term → entries holding it) every server dialect's search migration creates. */
export async function createVocabularyTable(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('kb_search_terms')
    .addColumn('term', 'varchar(100)', (c) => c.primaryKey())
    .addColumn('df', 'integer', (c) => c.notNull())
    .execute();
}

/** Counts the rows of a backend's match query (selecting `s.seq`), stopping at `cap`. */
export async function countUpTo(
  db: Kysely<any>,
  matching: SelectQueryBuilder<any, any, any>,
  cap: number,
): Promise<number> {
  const row = await db
    .selectFrom(matching.select('s.seq').limit(cap).as('m'))
    .select((eb) => eb.fn.countAll().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** An entry a query matched in the index, measured against the query; `entry` when its row was read. */
interface Measured {
  readonly seq: number;
  readonly entry?: KBEntry;
  readonly measure: AtomMeasure;
}

/** Every indexed entry holding one word, each measured against the query (see #rarestWordPool). */
interface RarestWordPool {
  readonly term: string;
  readonly entries: readonly Measured[];
}

/** A query requiring every atom (each its own positive clause), with no filters of its own. */
function allOf(atoms: readonly QueryAtom[]): ParsedQuery {
  return {
    clauses: atoms.map((atom) => ({ atoms: [atom], negated: false })),
    filters: { categories: [], severities: [], tags: [] },
  };
}

/** The atom of one word, or of one prefix. */
function wordAtom(term: string, prefix = false): QueryAtom {
  return { raw: prefix ? `${term}*` : term, terms: [term], prefix, quoted: false };
}

/** The whole words of an atom: its terms, less a trailing prefix. */
function wordsOf(atom: QueryAtom): readonly string[] {
  return atom.prefix ? atom.terms.slice(0, -1) : atom.terms;
}

const NO_FILTERS: ResolvedFilters = {
  categories: [],
  severities: [],
  tags: [],
  includeArchived: true,
  impossible: false,
};

interface CorpusStats {
  at: number;
  rows: number;
  avgLength: number;
  /** Smallest and largest indexed entry key (null when nothing is indexed). */
  lo: number | null;
  hi: number | null;
}

interface Scored {
  /** Read when the entry was scored from its text; otherwise read for the page only. */
  entry?: KBEntry;
  text: number;
}

function entryCounters(e: EntryCounters): EntryCounters {
  return {
    usageCount: e.usageCount,
    successCount: e.successCount,
    failureCount: e.failureCount,
    updatedAt: e.updatedAt,
  };
}

/** What filtering, facets and ranking need of an entry: no text. */
interface Facts {
  seq: number;
  category: string;
  severity: string;
  tags: string[];
  archived: boolean;
  usageCount: number;
  successCount: number;
  failureCount: number;
  updatedAt: string;
}

/**
 * The search engine of the server dialects (PostgreSQL, MySQL/MariaDB). The dialect's native full-text index
 * finds candidates (a superset of the matches); every candidate is checked against the query and scored in
 * JavaScript with the same tokenizer, query semantics and BM25 (FTS5's formula, column weights from the
 * config) as the SQLite engine, so the three dialects agree on what matches and, for queries matching up to
 * EXACT_LIMIT entries, on the order.
 *
 * Queries of common words (more than EXACT_LIMIT matches by the vocabulary's counts), ranked by relevance on
 * a shallow page, are answered from champion lists by the plan the SQLite engine uses (champion-plan.ts),
 * with lists kept per process by ServerChampionCache; totals and facets come from a key-ordered sample of
 * the matches where the backend can read one. Everything else above EXACT_LIMIT — prefix-only queries,
 * other sort orders, deep pages — re-ranks the strongest CANDIDATES by the native rank (`ts_rank_cd`,
 * FULLTEXT relevance) among a bounded pool of matches. Both say `approximate: true`.
 *
 * Corrections use the shared SpellCorrector over the `kb_search_terms` vocabulary (term → entries holding
 * it), kept current in the write's transaction, so a typo gets the same correction on every dialect.
 * Snippets are built by the shared snippet builder (HTML-escaped, `<mark>` around matches).
 */
export class ServerSearchIndex implements SearchIndex {
  readonly migrations: readonly Migration[];
  readonly laterMigrations: readonly Migration[];
  readonly #adapter: Pick<DialectAdapter, 'db' | 'readTransaction' | 'writeTransaction' | 'schemaTables'>;
  readonly #backend: TextBackend;
  readonly #weights: readonly number[];
  readonly #usageWeight: number;
  readonly #typoCorrection: boolean;
  #stats: CorpusStats | undefined;
  #statsRead: Promise<CorpusStats> | undefined;
  #statsGeneration = 0;
  #ceiling: { at: number; value: number } | undefined;
  /** Queries of common words answered before the champion lists were built. */
  #commonQueries = 0;
  #vocabulary: { at: number; corrector: SpellCorrector } | undefined;
  readonly #champions: ServerChampionCache;

  constructor(
    adapter: Pick<DialectAdapter, 'db' | 'readTransaction' | 'writeTransaction' | 'schemaTables'>,
    backend: TextBackend,
    config: StorageConfig,
  ) {
    this.#adapter = adapter;
    this.#backend = backend;
    this.migrations = backend.migrations;
    this.laterMigrations = [serverSearchStateMigration, ...(backend.laterMigrations ?? [])];
    const w = config.performance.indexing.weights;
    this.#weights = [w.title, w.problem, w.solution, w.tags, w.category];
    this.#usageWeight = config.performance.indexing.usageWeight;
    this.#typoCorrection = config.performance.indexing.typoCorrection;
    this.#champions = new ServerChampionCache(this.#weights, LIST_SIZE);
  }

  /**
   * Follows a write in the cached corpus statistics instead of dropping them: re-reading them is a scan of
   * kb_search (tens of milliseconds at 100,000 entries) that every search after every write would pay. A
   * write rolled back after this leaves them slightly off until the cache expires (CACHE_TTL_MS); they only
   * set BM25's average length and idf's entry count.
   */
  #shift(rows: number, length: number): void {
    const stats = this.#stats;
    if (!stats) return;
    const total = stats.avgLength * stats.rows + length;
    stats.rows += rows;
    stats.avgLength = stats.rows > 0 && total > 0 ? total / stats.rows : 1;
  }

  // ─── Writes (in the caller's transaction) ─────────────────────────────────────────────────────────

  async #seqsOf(trx: Transaction<any>, ids: readonly string[]): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    for (let i = 0; i < ids.length; i += CHUNK) {
      const rows = await trx
        .selectFrom('kb_entries')
        .select(['seq', 'id'])
        .where('id', 'in', ids.slice(i, i + CHUNK))
        .execute();
      for (const r of rows) out.set(r.id as string, Number(r.seq));
    }
    return out;
  }

  async upsert(trx: Transaction<any>, entry: KBEntry, previous?: KBEntry): Promise<void> {
    const seq = (await this.#seqsOf(trx, [entry.id])).get(entry.id);
    if (seq === undefined) throw new Error(`search index: entry '${entry.id}' is not in kb_entries`);
    const document = indexedDocument(seq, entry);
    const before = previous ? indexedDocument(seq, previous) : undefined;
    await this.#backend.write(trx, [document]);
    this.#champions.touch(seq);
    const deltas = new Map<string, number>();
    for (const t of distinctTerms(document)) deltas.set(t, 1);
    if (before) for (const t of distinctTerms(before)) deltas.set(t, (deltas.get(t) ?? 0) - 1);
    await this.#adjust(trx, deltas);
    this.#shift(before ? 0 : 1, document.length - (before?.length ?? 0));
  }

  async upsertMany(
    trx: Transaction<any>,
    entries: readonly KBEntry[],
    given?: readonly number[],
  ): Promise<void> {
    const seqs =
      given !== undefined && given.length === entries.length
        ? new Map(entries.map((e, i) => [e.id, given[i]!]))
        : await this.#seqsOf(
            trx,
            entries.map((e) => e.id),
          );
    const deltas = new Map<string, number>();
    let length = 0;
    for (let i = 0; i < entries.length; i += CHUNK) {
      const documents = entries.slice(i, i + CHUNK).map((entry) => {
        const seq = seqs.get(entry.id);
        if (seq === undefined) throw new Error(`search index: entry '${entry.id}' is not in kb_entries`);
        this.#champions.touch(seq);
        const document = indexedDocument(seq, entry);
        for (const t of distinctTerms(document)) deltas.set(t, (deltas.get(t) ?? 0) + 1);
        length += document.length;
        return document;
      });
      await this.#backend.write(trx, documents);
    }
    await this.#adjust(trx, deltas);
    // Callers pass new entries only (createEntries refuses existing ids).
    this.#shift(entries.length, length);
  }

  async remove(trx: Transaction<any>, entry: KBEntry): Promise<void> {
    const seq = (await this.#seqsOf(trx, [entry.id])).get(entry.id);
    if (seq !== undefined) {
      await trx.deleteFrom('kb_search').where('seq', '=', seq).execute();
      this.#champions.touch(seq);
    } else {
      this.#champions.markStale();
      // Called after the row was deleted: the index row goes by the foreign key's cascade, or here by orphan.
      await trx
        .deleteFrom('kb_search')
        .where((eb) =>
          eb.not(
            eb.exists(
              eb.selectFrom('kb_entries as e').select('e.seq').whereRef('e.seq', '=', 'kb_search.seq'),
            ),
          ),
        )
        .execute();
    }
    const deltas = new Map<string, number>();
    const document = indexedDocument(seq ?? 0, entry);
    for (const t of distinctTerms(document)) deltas.set(t, -1);
    await this.#adjust(trx, deltas);
    this.#shift(-1, -document.length);
  }

  async #adjust(trx: Transaction<any>, deltas: Map<string, number>): Promise<void> {
    // In term order, so concurrent writers lock vocabulary rows in the same order and cannot deadlock.
    const changes = [...deltas]
      .filter(([term, d]) => d !== 0 && term.length <= MAX_VOCABULARY_TERM)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    for (let i = 0; i < changes.length; i += 1_000) {
      await this.#backend.addTermCounts(
        trx,
        changes.slice(i, i + 1_000).map(([term, df]) => ({ term, df })),
      );
    }
  }

  async rebuild(trx: Transaction<any>): Promise<void> {
    await trx.deleteFrom('kb_search').execute();
    await trx.deleteFrom('kb_search_terms').execute();
    const df = new Map<string, number>();
    for await (const documents of indexedDocumentChunks(trx)) {
      for (const document of documents)
        for (const t of distinctTerms(document)) df.set(t, (df.get(t) ?? 0) + 1);
      await this.#backend.write(trx, documents);
    }
    await this.#adjust(trx, df);
    // A saved state describes the rows before: rows loaded with their own updated_at would go unseen by
    // its catch-up. It goes with the rebuild, in the same transaction.
    if ((await this.#adapter.schemaTables()).some((t) => t.name === 'kb_search_state'))
      await forgetSavedServerState(trx);
    this.#dropStats();
    this.#vocabulary = undefined;
    this.#champions.markStale();
  }

  /** How the champion lists in memory came to be ('loaded' from the saved state, 'built'), for tests. */
  get championOrigin(): 'built' | 'loaded' | undefined {
    return this.#champions.origin;
  }

  /** Saves the champion lists after a build, or after catching up with many entries (best effort). */
  #saveState(): Promise<boolean> {
    return this.#champions.saveIfDue((save) => this.#adapter.writeTransaction(save));
  }

  // ─── Maintenance ──────────────────────────────────────────────────────────────────────────────────

  async optimize(): Promise<MaintenanceStep[]> {
    const steps: MaintenanceStep[] = [];
    const step = async (name: string, run: () => Promise<string>) => {
      const start = performance.now();
      try {
        const detail = await run();
        steps.push({ name, ok: true, durationMs: performance.now() - start, detail });
      } catch (error) {
        steps.push({ name, ok: false, durationMs: performance.now() - start, detail: String(error) });
      }
    };
    await step('search vocabulary', async () => {
      const removed = await this.#adapter.writeTransaction((trx) =>
        trx.deleteFrom('kb_search_terms').where('df', '<=', 0).executeTakeFirst(),
      );
      this.#vocabulary = undefined;
      return `${Number(removed.numDeletedRows)} unused terms removed`;
    });
    await step('search champion lists', async () => {
      const db = this.#adapter.db;
      this.#dropStats();
      this.#champions.markStale();
      const c = await this.#champions.ensure(db, this.#avgLength(db));
      const saved = await this.#saveState();
      return `${c.index.terms} terms over ${c.index.documents} entries${saved ? ', saved' : ''}`;
    });
    return steps;
  }

  async check(): Promise<IntegrityReport> {
    return this.#adapter.readTransaction(async (trx) => {
      const problems: string[] = [];
      const count = async (table: string) =>
        Number(
          (
            await trx
              .selectFrom(table)
              .select((eb) => eb.fn.countAll().as('n'))
              .executeTakeFirstOrThrow()
          ).n,
        );
      const [entries, indexed] = [await count('kb_entries'), await count('kb_search')];
      if (entries !== indexed)
        problems.push(`search index: ${indexed} indexed rows for ${entries} entries; run rebuild`);
      const missing = await trx
        .selectFrom('kb_entries as e')
        .select('e.id')
        .where((eb) =>
          eb.not(eb.exists(eb.selectFrom('kb_search as s').select('s.seq').whereRef('s.seq', '=', 'e.seq'))),
        )
        .orderBy('e.seq')
        .limit(10)
        .execute();
      if (missing.length > 0)
        problems.push(
          `search index: entries missing from the index: ${missing.map((r) => r.id).join(', ')}; run rebuild`,
        );
      return { ok: problems.length === 0, problems };
    });
  }

  // ─── Search ───────────────────────────────────────────────────────────────────────────────────────

  async search(query: string, options: Parameters<SearchIndex['search']>[1]): Promise<SearchResponse> {
    const started = performance.now();
    const opts = validateSearchOptions(options);
    const parsed = parseQuery(query);
    if (opts.category !== undefined) parsed.filters.categories.push(opts.category);
    if (opts.severity !== undefined) parsed.filters.severities.push(opts.severity);
    if (opts.tags) parsed.filters.tags.push(...opts.tags);
    const filters = resolveFilters(parsed, opts.includeArchived);
    try {
      const response = await withSearchState(
        () => this.#answer(parsed, filters, opts, started),
        (error) => this.#champions.recover(error),
      );
      await this.#saveState();
      return response;
    } catch (error) {
      throw translateDatabaseError(error, 'search');
    }
  }

  #answer(
    parsed: ParsedQuery,
    filters: ResolvedFilters,
    opts: ValidSearchOptions,
    started: number,
  ): Promise<SearchResponse> {
    // Statement-level snapshots, no transaction: BEGIN and COMMIT would be two more round trips per search,
    // and a row changing between the statements only means a candidate is read in its newer state.
    return (async (trx: Kysely<any>) => {
      const df = new Map<string, number>();
      const corrections = (opts.correct ?? this.#typoCorrection) ? await this.#correct(trx, parsed, df) : [];
      const answer = async (query: ParsedQuery) => {
        const matcher = new DocumentMatcher(query, this.#weights);
        const words = this.#backend.canMatch(query);
        let plan: {
          ranked: ScoredRow[];
          rows: Map<number, Scored>;
          total: number;
          facets: SearchFacets;
          approximate: boolean;
        };
        if (filters.impossible)
          plan = { ranked: [], rows: new Map(), total: 0, facets: EMPTY_FACETS, approximate: false };
        else if (!words) plan = await this.#filterOnly(trx, matcher, filters, opts);
        else
          plan =
            (await this.#fromChampions(trx, query, matcher, filters, opts, df)) ??
            (await this.#matching(trx, query, matcher, filters, opts, df));
        return { query, matcher, words, plan };
      };
      let answered = await answer(parsed);
      if (
        corrections.length > 0 &&
        !filters.impossible &&
        !(await this.#typedFindsNothing(trx, corrections, df))
      ) {
        // The corrector said no entry holds the corrected words, but kb_search_terms cannot vouch for them
        // (too long for it, or written since the corrector's vocabulary was read): one indexed probe, and
        // when it finds something, whichever query finds more entries is answered.
        const typed = uncorrectedQuery(parsed);
        if ((await this.#backend.count(trx, typed, filters, 1)) > 0) {
          const original = await answer(typed);
          if (original.plan.total > answered.plan.total) {
            answered = original;
            for (const c of corrections) c.applied = false;
          }
        }
      }
      const { query, matcher, words, plan } = answered;
      return searchResponse(await this.#page(trx, plan.ranked, plan.rows, matcher, opts, !words), plan, {
        query,
        corrections,
        facets: opts.facets,
        started,
      });
    })(this.#adapter.db);
  }

  async #rows(db: Kysely<any>, seqs: readonly number[]): Promise<EntryRow[]> {
    const out: EntryRow[] = [];
    for (let i = 0; i < seqs.length; i += CHUNK) {
      const rows = await db
        .selectFrom('kb_entries')
        .select([...ENTRY_COLUMNS])
        .where('seq', 'in', seqs.slice(i, i + CHUNK))
        .execute();
      out.push(...(rows as EntryRow[]));
    }
    return out;
  }

  /**
   * Champion candidates' rows, read in the backend's `candidateReadParts` statements at once (each on its own
   * pooled connection; search runs outside a transaction), so that a server waiting on its disk for one part
   * reads the other meanwhile.
   */
  async #candidateRows(db: Kysely<any>, seqs: readonly number[]): Promise<EntryRow[]> {
    const parts = Math.min(this.#backend.candidateReadParts ?? 1, seqs.length);
    if (parts <= 1) return this.#rows(db, seqs);
    const size = Math.ceil(seqs.length / parts);
    const reads: Promise<EntryRow[]>[] = [];
    for (let i = 0; i < seqs.length; i += size) reads.push(this.#rows(db, seqs.slice(i, i + size)));
    // In key order, as one statement returns them on InnoDB: the scan keeps equal scores in arrival order.
    return (await Promise.all(reads)).flat().sort((a, b) => Number(a.seq) - Number(b.seq));
  }

  /**
   * What filtering, facets and ranking need of each entry. Without `tags` (read as none), the columns are
   * ones an index beside the key can cover (MySQL's kb_entries_search_facts_idx), so no entry row is read.
   */
  async #facts(db: Kysely<any>, seqs: readonly number[], tags = true): Promise<Facts[]> {
    const out: Facts[] = [];
    for (let i = 0; i < seqs.length; i += CHUNK) {
      const rows = await db
        .selectFrom('kb_entries')
        .select(tags ? [...FACT_COLUMNS, 'tags'] : [...FACT_COLUMNS])
        .where('seq', 'in', seqs.slice(i, i + CHUNK))
        .execute();
      for (const r of rows) {
        out.push({
          seq: Number(r.seq),
          category: r.category as string,
          severity: r.severity as string,
          tags: tags ? (JSON.parse(r.tags as string) as string[]) : [],
          archived: Number(r.archived) === 1,
          usageCount: Number(r.usage_count),
          successCount: Number(r.success_count),
          failureCount: Number(r.failure_count),
          updatedAt: r.updated_at as string,
        });
      }
    }
    return out;
  }

  #avgLength(db: Kysely<any>): () => Promise<number> {
    return async () => (await this.#corpusStats(db)).avgLength;
  }

  /**
   * Entry count, average length and key range of the index. Reading them scans kb_search, so one read
   * serves CACHE_TTL_MS (writes through this store adjust them meanwhile, see #shift); when they expire the
   * old values keep serving while one read refreshes them, so concurrent searches never queue behind (or
   * repeat) the scan.
   */
  async #corpusStats(db: Kysely<any>): Promise<CorpusStats> {
    const stats = this.#stats;
    if (stats && Date.now() - stats.at < CACHE_TTL_MS) return stats;
    let reading = this.#statsRead;
    if (!reading) {
      const started: Promise<CorpusStats> = this.#readCorpusStats(db).finally(() => {
        if (this.#statsRead === started) this.#statsRead = undefined;
      });
      this.#statsRead = started;
      reading = started;
    }
    if (stats) {
      reading.catch(() => {});
      return stats;
    }
    return reading;
  }

  /** Forgets the statistics, including a read in flight (it may predate what made them stale). */
  #dropStats(): void {
    this.#stats = undefined;
    this.#statsRead = undefined;
    this.#statsGeneration++;
  }

  async #readCorpusStats(db: Kysely<any>): Promise<CorpusStats> {
    const now = Date.now();
    const generation = this.#statsGeneration;
    const row = await db
      .selectFrom('kb_search')
      .select((eb) => [
        eb.fn.countAll().as('n'),
        eb.fn.sum('length').as('total'),
        eb.fn.min('seq').as('lo'),
        eb.fn.max('seq').as('hi'),
      ])
      .executeTakeFirstOrThrow();
    const rows = Number(row.n);
    const avgLength = rows === 0 ? 1 : Number(row.total ?? 0) / rows;
    const read: CorpusStats = {
      at: now,
      rows,
      avgLength: avgLength > 0 ? avgLength : 1,
      lo: row.lo === null ? null : Number(row.lo),
      hi: row.hi === null ? null : Number(row.hi),
    };
    if (generation === this.#statsGeneration) this.#stats = read;
    return read;
  }

  /** Entries holding each term, from the vocabulary; `known` caches lookups within one search. */
  async #termDf(
    db: Kysely<any>,
    terms: readonly string[],
    known = new Map<string, number>(),
  ): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    for (const t of terms) if (known.has(t)) out.set(t, known.get(t)!);
    const wanted = [...new Set(terms)].filter((t) => t.length <= MAX_VOCABULARY_TERM && !known.has(t));
    for (let i = 0; i < wanted.length; i += CHUNK) {
      const rows = await db
        .selectFrom('kb_search_terms')
        .select(['term', 'df'])
        .where('term', 'in', wanted.slice(i, i + CHUNK))
        .execute();
      for (const r of rows) out.set(r.term as string, Number(r.df));
    }
    // Absent terms are known too (df 0), so a second lookup in the same search costs nothing.
    for (const t of wanted) {
      if (!out.has(t)) out.set(t, 0);
      known.set(t, out.get(t)!);
    }
    return out;
  }

  /**
   * Entries holding each atom (BM25's idf), over every indexed entry as FTS5 counts them. Atoms holding the
   * word of a `pool` are counted in it (the pool holds every entry with that word); single words come from
   * the vocabulary; the rest are counted by the index.
   */
  async #atomHits(
    db: Kysely<any>,
    atoms: readonly QueryAtom[],
    rows: number,
    known: Map<string, number>,
    pool?: RarestWordPool,
  ): Promise<number[]> {
    const single = atoms.filter((a) => a.terms.length === 1 && !a.prefix).map((a) => a.terms[0]!);
    const df = await this.#termDf(db, single, known);
    const hits: number[] = [];
    for (const [a, atom] of atoms.entries()) {
      if (atom.terms.length === 1 && !atom.prefix && atom.terms[0]!.length <= MAX_VOCABULARY_TERM) {
        hits.push(df.get(atom.terms[0]!) ?? 0);
      } else if (pool && wordsOf(atom).includes(pool.term)) {
        hits.push(pool.entries.reduce((n, e) => n + (e.measure.freqs[a]! > 0 ? 1 : 0), 0));
      } else {
        hits.push(Math.min(rows, await this.#backend.count(db, allOf([atom]), NO_FILTERS, COUNT_CAP)));
      }
    }
    return hits;
  }

  /**
   * Every entry holding the query's rarest known word, read and measured, when the vocabulary says at most
   * EXACT_LIMIT entries hold it and the word is in the only atom of a positive clause, so that every match of
   * the query holds it. The index is then asked for that one word instead of the whole query: a native
   * phrase, or a conjunction with a common word, reads the positions of every entry holding each of its words
   * (InnoDB at 100,000 entries: 15–20 ms for `+"sqlcode 818"` or `+sqlcode +818`, 1 ms for `+818`). Read
   * without filters, so the same entries count the atoms holding the word. Undefined when there is no such
   * word, or more entries hold it by now than the vocabulary said.
   */
  async #rarestWordPool(
    db: Kysely<any>,
    parsed: ParsedQuery,
    matcher: DocumentMatcher,
    known: ReadonlyMap<string, number>,
  ): Promise<RarestWordPool | undefined> {
    let rarest: { term: string; df: number } | undefined;
    for (const clause of parsed.clauses) {
      if (clause.negated || clause.atoms.length !== 1) continue;
      for (const term of wordsOf(clause.atoms[0]!)) {
        const df = known.get(term);
        if (df !== undefined && df <= EXACT_LIMIT && (!rarest || df < rarest.df)) rarest = { term, df };
      }
    }
    if (!rarest) return undefined;
    const entries = await this.#measured(db, allOf([wordAtom(rarest.term)]), NO_FILTERS, matcher);
    return entries && { term: rarest.term, entries };
  }

  /**
   * Every entry matching `query` and `filters` in the index, measured against the matcher's query: from the
   * terms the index row holds where the backend reads them (no entry row read), else from the entry's text.
   * Undefined when more than EXACT_LIMIT entries match.
   */
  async #measured(
    db: Kysely<any>,
    query: ParsedQuery,
    filters: ResolvedFilters,
    matcher: DocumentMatcher,
  ): Promise<Measured[] | undefined> {
    const found: readonly MatchedTerms[] = this.#backend.matchTerms
      ? await this.#backend.matchTerms(db, query, filters, EXACT_LIMIT + 1)
      : (await this.#backend.match(db, query, filters, EXACT_LIMIT + 1, false)).map((seq) => ({
          seq,
          terms: undefined,
        }));
    if (found.length > EXACT_LIMIT) return undefined;
    const unread = found.filter((f) => f.terms === undefined).map((f) => f.seq);
    const read = new Map((await this.#rows(db, unread)).map((row) => [Number(row.seq), rowToEntry(row)]));
    const out: Measured[] = [];
    for (const { seq, terms } of found) {
      if (terms) {
        out.push({ seq, measure: matcher.measureTerms(terms) });
        continue;
      }
      // Deleted since the index answered: no longer a match.
      const entry = read.get(seq);
      if (entry) out.push({ seq, entry, measure: matcher.measure(columnsOf(entry)) });
    }
    return out;
  }

  async #matching(
    db: Kysely<any>,
    parsed: ParsedQuery,
    matcher: DocumentMatcher,
    filters: ResolvedFilters,
    opts: ValidSearchOptions,
    known: Map<string, number>,
  ) {
    const pool = await this.#rarestWordPool(db, parsed, matcher, known);
    // Every match, measured (exact), or the strongest natively ranked candidates (approximate).
    const measured = pool?.entries ?? (await this.#measured(db, parsed, filters, matcher));
    const approximate = measured === undefined;
    const seqs = approximate ? await this.#backend.match(db, parsed, filters, CANDIDATES, true) : [];
    const stats = await this.#corpusStats(db);
    const positives = matcher.atoms.slice(0, matcher.positiveAtoms);
    const hits = await this.#atomHits(db, positives, stats.rows, known, pool);
    const idfs = new Float64Array(matcher.atoms.length).fill(1);
    hits.forEach((h, a) => {
      idfs[a] = bm25Idf(stats.rows, h);
    });
    const counter = new FacetCounter();
    const scored = new Map<number, Scored>();
    const ranked: ScoredRow[] = [];
    const add = (seq: number, facts: Omit<Facts, 'seq'>, text: number, entry?: KBEntry) => {
      scored.set(seq, entry ? { entry, text } : { text });
      counter.add(facts.category, facts.severity, facts.tags);
      ranked.push({
        seq,
        text,
        usageCount: facts.usageCount,
        successCount: facts.successCount,
        failureCount: facts.failureCount,
        updatedAt: facts.updatedAt,
        final: 0,
      });
    };
    if (measured) {
      const matches = measured.flatMap((c) => {
        const m = matcher.verdict(c.measure);
        return m ? [{ ...c, m }] : [];
      });
      // Matches measured from the index's terms are filtered and ranked by their facts alone; tags (in the
      // entry's row) only when a tag filter or the facets need them.
      const facts = await this.#facts(
        db,
        matches.filter((x) => x.entry === undefined).map((x) => x.seq),
        opts.facets || filters.tags.length > 0,
      );
      const factsOf = new Map(facts.map((f) => [f.seq, f]));
      for (const { seq, entry, m } of matches) {
        // An entry deleted since the index answered has no facts: no longer a match.
        const f = entry ?? factsOf.get(seq);
        if (f && passesFilters(f, filters))
          add(seq, f, bm25Score(m.freqs, idfs, m.length, stats.avgLength), entry);
      }
    } else {
      for (const row of await this.#rows(db, seqs)) {
        const entry = rowToEntry(row);
        if (!passesFilters(entry, filters)) continue;
        const m = matcher.match(columnsOf(entry));
        if (m) add(Number(row.seq), entry, bm25Score(m.freqs, idfs, m.length, stats.avgLength), entry);
      }
    }
    rankRows(ranked, opts.sortBy, this.#usageWeight);
    if (!approximate)
      return { ranked, rows: scored, total: ranked.length, facets: counter.facets(), approximate };
    // Without filters, single-word clauses bound the total from the vocabulary for free (the smallest
    // clause's entries); counting the matches of common words would read every one of them.
    const bound = hasFilters(filters) ? undefined : matchBound(parsed, (t) => known.get(t));
    const total = Math.max(
      ranked.length,
      bound ?? (await this.#backend.count(db, parsed, filters, COUNT_CAP)),
    );
    return { ranked, rows: scored, total, facets: counter.scaledFacets(total), approximate };
  }

  /**
   * Queries of common words (more than EXACT_LIMIT matches by the vocabulary's counts), ranked by relevance
   * on a shallow page: from champion candidates, as the SQLite engine does (champion-plan.ts), so no native
   * ranking over thousands of matches. Every candidate is re-read, re-filtered and re-matched. `total` and
   * the facets come from a sample of the matches in key order where the backend can read one (else from the
   * vocabulary's bound). Undefined when the plan does not apply or the candidates cannot fill the page
   * although more matches exist: the caller then uses the native plan.
   */
  async #fromChampions(
    db: Kysely<any>,
    parsed: ParsedQuery,
    matcher: DocumentMatcher,
    filters: ResolvedFilters,
    opts: ValidSearchOptions,
    known: Map<string, number>,
  ) {
    const need = opts.offset + opts.limit;
    if (opts.sortBy !== 'relevance' || need > DEEPEST_PAGE) return undefined;
    const words = parsed.clauses.flatMap((c) =>
      c.negated ? [] : c.atoms.flatMap((a) => (a.prefix ? a.terms.slice(0, -1) : a.terms)),
    );
    const df = await this.#termDf(db, words, known);
    const stats = await this.#corpusStats(db);
    const avgLength = this.#avgLength(db);
    // Prefixes are bounded by the lists' vocabulary once it is loaded; they never trigger the build.
    const inMemory = this.#champions.isLoaded ? await this.#champions.ensure(db, avgLength) : undefined;
    const bound = matchBound(
      parsed,
      (t) => df.get(t),
      inMemory ? (prefix) => inMemory.index.prefixDf(prefix) : undefined,
    );
    if (bound === undefined || bound <= EXACT_LIMIT) return undefined;
    // Building the lists reads every entry (seconds at 100,000), and even loading a saved state reads all of it
    // (7 MB at 100,000, 35 MB at a million): a one-shot process (a `kb search`) answers natively where that is
    // faster; a process that keeps asking loads them (or builds and saves them) on its BUILD_AFTER-th such
    // query, or in optimize(). Where native matching of common words costs more than a load, a saved state
    // is taken at once.
    const loaded =
      inMemory ??
      (this.#backend.costlyCommonWords ? await this.#champions.loadIfSaved(db, avgLength) : undefined);
    if (!loaded && ++this.#commonQueries < BUILD_AFTER) return undefined;
    const champions = loaded ?? (await this.#champions.ensure(db, avgLength));
    const plan = championCandidates(champions, matcher, filters, stats.rows);
    const rescore = (entry: KBEntry): number | null => {
      if (!passesFilters(entry, filters)) return null;
      const m = matcher.match(columnsOf(entry));
      return m ? bm25Score(m.freqs, plan.idfs, m.length, stats.avgLength) : null;
    };
    // The sample does not depend on the candidates: it runs on another connection meanwhile.
    const sampling = this.#backend.sample
      ? this.#sampled(db, parsed, bound, champions.facts, filters)
      : undefined;
    // Settled at once, so a failed scan never leaves the sample's rejection unhandled.
    sampling?.catch(() => {});
    const scan = new CandidateScan<KBEntry>(plan, need + BLEND_MARGIN, CHAMPION_READS);
    for (let batch = scan.next(FETCH_BATCH); batch; batch = scan.next(FETCH_BATCH)) {
      for (const row of await this.#candidateRows(db, batch)) {
        const entry = rowToEntry(row);
        const text = rescore(entry);
        if (text !== null) scan.add({ seq: Number(row.seq), text, row: entry });
      }
    }
    const estimate =
      (await sampling) ?? this.#independent(parsed, df, stats.rows, scan.found, champions.facts);
    if (scan.found.length < need && estimate.total > scan.found.length) return undefined;
    // Candidates taken from the lists without a read may have been changed by another process since the
    // lists were refreshed: those that can reach the page are read, so the blend re-filters and re-scores
    // them (deleted ones drop out); further down, counters are read with the filter facts and re-filtered.
    const unread = scan.found.slice(0, need + BLEND_MARGIN).filter((f) => f.row === undefined);
    const fetched = new Map(
      (
        await this.#candidateRows(
          db,
          unread.map((f) => f.seq),
        )
      ).map((row) => [Number(row.seq), rowToEntry(row)]),
    );
    for (const f of unread) {
      const entry = fetched.get(f.seq);
      if (entry) f.row = entry;
    }
    const { ranked, rows } = await blendTop(scan.found, need, {
      ceiling: await this.#popularityCeiling(db),
      usageWeight: this.#usageWeight,
      counters: async (seqs) =>
        new Map(
          (await this.#facts(db, seqs, filters.tags.length > 0))
            .filter((f) => passesFilters(f, filters))
            .map((f) => [f.seq, entryCounters(f)]),
        ),
      countersOf: entryCounters,
      rescore,
    });
    const scored = new Map<number, Scored>();
    for (const [seq, entry] of rows) scored.set(seq, { entry, text: 0 });
    return {
      ranked,
      rows: scored,
      total: Math.max(estimate.total, scan.found.length),
      facets: estimate.facets,
      // The order comes from candidates, not from every match: approximate even when the sample counted all.
      approximate: true,
    };
  }

  /**
   * `total` and the facets from the matches in a window of consecutive keys starting at a position derived
   * from the query (the same query gives the same estimate), wide enough to hold about SAMPLE_SIZE matches
   * by the vocabulary's bound and at most SAMPLE_WINDOW keys; matches per key scale to the whole key range.
   * Exact when the window covers every key.
   */
  async #sampled(
    db: Kysely<any>,
    parsed: ParsedQuery,
    bound: number,
    facts: EntryFacts,
    filters: ResolvedFilters,
  ): Promise<MatchEstimate> {
    // The key range of the cached statistics: keys added since are not sampled until they are re-read.
    const { lo, hi } = await this.#corpusStats(db);
    if (lo === null || hi === null) return { total: 0, facets: EMPTY_FACETS, approximate: false };
    const width = hi - lo + 1;
    const window = Math.min(width, SAMPLE_WINDOW, Math.ceil((SAMPLE_SIZE * width) / Math.max(1, bound)));
    if (window >= width) {
      // Every key: counted exactly, including keys written since the statistics were read.
      const counter = new FacetCounter();
      for (const seq of await this.#backend.sample!(db, parsed, 0, MAX_KEY))
        if (facts.passes(seq, filters)) facts.count(seq, counter);
      return { total: counter.entries, facets: counter.facets(), approximate: false };
    }
    const start = lo + (fnv1a(renderQuery(parsed)) % width);
    const end = start + window;
    const seqs = await this.#backend.sample!(db, parsed, start, Math.min(end, hi + 1));
    if (end > hi + 1) seqs.push(...(await this.#backend.sample!(db, parsed, lo, lo + (end - hi - 1))));
    const counter = new FacetCounter();
    for (const seq of seqs) if (facts.passes(seq, filters)) facts.count(seq, counter);
    const total = Math.round((counter.entries * width) / window);
    return { total, facets: counter.scaledFacets(total), approximate: true };
  }

  /**
   * Without a sample: `total` as if words occurred independently of each other (per clause the chance that
   * any of its atoms occurs, a phrase counted as its rarest word, multiplied over clauses), the facets
   * scaled from the candidates found.
   */
  #independent(
    parsed: ParsedQuery,
    df: ReadonlyMap<string, number>,
    rows: number,
    found: readonly { seq: number }[],
    facts: EntryFacts,
  ): MatchEstimate {
    let share = rows > 0 ? 1 : 0;
    for (const clause of parsed.clauses) {
      if (clause.negated) continue;
      let none = 1;
      for (const atom of clause.atoms) {
        const held = Math.min(...atom.terms.map((t) => df.get(t) ?? rows));
        none *= 1 - Math.min(1, held / rows);
      }
      share *= 1 - none;
    }
    const counter = new FacetCounter();
    for (const f of found) facts.count(f.seq, counter);
    const total = Math.max(found.length, Math.round(rows * share));
    return { total, facets: counter.scaledFacets(total), approximate: true };
  }

  /**
   * The bound of any entry's popularity (search-ranking.ts), from the largest use count (one index step),
   * re-read at most every CEILING_TTL_MS: it only decides when the blend of an approximate answer stops
   * reading counters.
   */
  async #popularityCeiling(db: Kysely<any>): Promise<number> {
    const now = Date.now();
    if (this.#ceiling && now - this.#ceiling.at < CEILING_TTL_MS) return this.#ceiling.value;
    const row = await db
      .selectFrom('kb_entries')
      .select((eb) => eb.fn.max('usage_count').as('uses'))
      .executeTakeFirstOrThrow();
    const value = popularityCeiling(row.uses === null ? null : Number(row.uses));
    this.#ceiling = { at: now, value };
    return value;
  }

  /** No words: a listing of the entries passing the filters (and no negated clause), by popularity or key. */
  async #filterOnly(
    db: Kysely<any>,
    matcher: DocumentMatcher,
    filters: ResolvedFilters,
    _opts: ValidSearchOptions,
  ) {
    const rows = (await whereFilters(
      db.selectFrom('kb_entries as e').select(ENTRY_COLUMNS.map((c) => `e.${c}` as const)),
      filters,
    ).execute()) as EntryRow[];
    const counter = new FacetCounter();
    const scored = new Map<number, Scored>();
    const ranked: ScoredRow[] = [];
    const negated = matcher.atoms.length > 0;
    for (const row of rows) {
      const entry = rowToEntry(row);
      if (negated && !matcher.match(columnsOf(entry))) continue;
      const seq = Number(row.seq);
      scored.set(seq, { entry, text: 0 });
      counter.add(entry.category, entry.severity, entry.tags);
      ranked.push({
        seq,
        text: 0,
        usageCount: entry.usageCount,
        successCount: entry.successCount,
        failureCount: entry.failureCount,
        updatedAt: entry.updatedAt,
        final: 0,
      });
    }
    rankRows(ranked, _opts.sortBy, this.#usageWeight);
    return { ranked, rows: scored, total: ranked.length, facets: counter.facets(), approximate: false };
  }

  async #page(
    db: Kysely<any>,
    ranked: readonly ScoredRow[],
    rows: Map<number, Scored>,
    matcher: DocumentMatcher,
    opts: ValidSearchOptions,
    filterOnly: boolean,
  ): Promise<SearchResult[]> {
    const page = ranked.slice(opts.offset, opts.offset + opts.limit);
    const unread = page.filter((r) => rows.get(r.seq)?.entry === undefined).map((r) => r.seq);
    const read = new Map((await this.#rows(db, unread)).map((row) => [Number(row.seq), rowToEntry(row)]));
    const results: SearchResult[] = [];
    for (const r of page) {
      const entry = rows.get(r.seq)?.entry ?? read.get(r.seq);
      // Deleted between the match and this read: left out rather than shown stale.
      if (entry) results.push(searchResult(entry, r.final, matcher, filterOnly));
    }
    return results;
  }

  // ─── Spelling ─────────────────────────────────────────────────────────────────────────────────────

  /**
   * Whether the query as typed surely finds nothing: every corrected word is one kb_search_terms keeps (it is
   * kept in each write's transaction) and it says no entry holds it. Cheaper than asking the text index,
   * whose plan for "the first match of a word no entry holds" can be a walk over every entry.
   */
  async #typedFindsNothing(
    db: Kysely<any>,
    corrections: readonly SearchCorrection[],
    known: Map<string, number>,
  ): Promise<boolean> {
    const typed = corrections.map((c) => c.from);
    if (typed.some((w) => w.length > MAX_VOCABULARY_TERM)) return false;
    // Asked of the table, not `known`: this search's counts may come from the in-memory vocabulary, which
    // misses terms another process wrote since it was read.
    const df = await this.#termDf(db, typed);
    for (const [term, n] of df) known.set(term, n);
    return typed.every((w) => (df.get(w) ?? 0) === 0);
  }

  async #corrector(db: Kysely<any>): Promise<SpellCorrector> {
    // Once the champion lists are loaded their vocabulary is current (within a refresh) and in memory.
    if (this.#champions.isLoaded) return (await this.#champions.ensure(db, this.#avgLength(db))).corrector;
    const now = Date.now();
    if (this.#vocabulary && now - this.#vocabulary.at < VOCABULARY_TTL_MS) return this.#vocabulary.corrector;
    const rows = await db.selectFrom('kb_search_terms').select(['term', 'df']).where('df', '>', 0).execute();
    const corrector = new SpellCorrector(rows.map((r) => [r.term as string, Number(r.df)] as const));
    this.#vocabulary = { at: now, corrector };
    return corrector;
  }

  /**
   * As the SQLite engine: a word no entry holds is replaced by the vocabulary word it is a typing slip of, if
   * any (spell-corrector.ts says when); words the store holds, words with digits, prefixes and excluded
   * words are left alone.
   */
  async #correct(
    db: Kysely<any>,
    parsed: ParsedQuery,
    known: Map<string, number>,
  ): Promise<SearchCorrection[]> {
    const corrections: SearchCorrection[] = [];
    const candidates: string[] = [];
    for (const clause of parsed.clauses) {
      if (clause.negated) continue;
      for (const atom of clause.atoms) {
        const last = atom.prefix ? atom.terms.length - 1 : atom.terms.length;
        for (let i = 0; i < last; i++) {
          const term = atom.terms[i]!;
          if (isCorrectable(term)) candidates.push(term);
        }
      }
    }
    if (candidates.length === 0) return corrections;
    // Every single-word term of the query at once: the corrector needs them, and BM25's idf reuses them.
    const singles = parsed.clauses.flatMap((c) =>
      c.atoms.filter((a) => a.terms.length === 1 && !a.prefix).map((a) => a.terms[0]!),
    );
    const held = await this.#termDf(db, [...candidates, ...singles], known);
    for (const clause of parsed.clauses) {
      if (clause.negated) continue;
      for (const atom of clause.atoms) {
        const last = atom.prefix ? atom.terms.length - 1 : atom.terms.length;
        for (let i = 0; i < last; i++) {
          const term = atom.terms[i]!;
          if (!isCorrectable(term)) continue;
          const df = held.get(term) ?? 0;
          if (df >= RARE_WORD_DF) continue;
          const best = (await this.#corrector(db)).best(term);
          if (!best) continue;
          // The cached vocabulary may know words deleted since: only offer what the index holds now.
          const now = (await this.#termDf(db, [best.term], known)).get(best.term) ?? 0;
          if (now <= 0) continue;
          applyCorrection(clause, atom, i, df, best.term, now, corrections);
        }
      }
    }
    return corrections;
  }

  // ─── Autocomplete ─────────────────────────────────────────────────────────────────────────────────

  async suggest(prefix: string, limit: number): Promise<string[]> {
    if (typeof prefix !== 'string' || prefix.length > 200) {
      const message = 'the prefix must be a string of at most 200 characters';
      throw new ValidationError(message, [{ path: 'prefix', message }]);
    }
    const max = Math.max(1, Math.min(50, Math.floor(limit)));
    const terms = tokenize(prefix);
    const last = terms[terms.length - 1];
    if (last === undefined) return [];
    const head = terms.slice(0, -1);
    try {
      return await this.#adapter.readTransaction(async (db) => {
        const out: string[] = [];
        const seen = new Set<string>();
        const push = (s: string) => {
          const key = s.toLowerCase();
          if (!seen.has(key) && out.length < max) {
            seen.add(key);
            out.push(s);
          }
        };
        const query = allOf([...head.map((t) => wordAtom(t)), wordAtom(last, true)]);
        const filters = { ...NO_FILTERS, includeArchived: false };
        const seqs = await this.#backend.match(db, query, filters, 200, false);
        const rows = await this.#rows(db, seqs);
        const titles = rows
          .filter((r) => {
            const words = tokenize(r.title);
            return head.every((h) => words.includes(h)) && words.some((w) => w.startsWith(last));
          })
          .map((r) => ({ title: r.title, usage_count: Number(r.usage_count) }));
        for (const title of bestTitles(titles, prefix, Math.ceil(max / 2))) push(title);
        const escaped = last.replace(/[\\%_]/g, (c) => `\\${c}`);
        const completions = (
          await db
            .selectFrom('kb_search_terms')
            .select(['term', 'df'])
            .where((eb) => eb('term', 'like', `${escaped}%`))
            .where('df', '>', 0)
            .orderBy('df', 'desc')
            .limit(200)
            .execute()
        )
          .map((c) => ({ term: c.term as string, df: Number(c.df) }))
          // Ties in code-point order, as the SQLite engine orders them, whatever the server's collation.
          .sort((a, b) => b.df - a.df || (a.term < b.term ? -1 : a.term > b.term ? 1 : 0));
        for (const c of completions) push([...head, c.term].join(' '));
        return out;
      });
    } catch (error) {
      throw translateDatabaseError(error, 'suggest');
    }
  }
}
