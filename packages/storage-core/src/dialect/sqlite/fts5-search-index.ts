import type { Database, Statement } from 'better-sqlite3';
import { sql, type Transaction } from 'kysely';
import type { StorageConfig } from '../../config/storage-config.js';
import { StorageErrorCode } from '../../errors/error-codes.js';
import { StorageError, ValidationError } from '../../errors/storage-error.js';
import { translateDatabaseError } from '../../errors/translate-error.js';
import { type EntryRow, rowToEntry } from '../../kb/kb-repository.js';
import type { KBEntry } from '../../kb/kb-types.js';
import { type ValidSearchOptions, validateSearchOptions } from '../../kb/search-options-schema.js';
import { type Bm25Stats, bm25Score } from '../../search/bm25.js';
import {
  BLEND_MARGIN,
  blendTop,
  CandidateScan,
  championCandidates,
  type EntryCounters,
  estimateMatches,
  type MatchEstimate,
  parseTags,
  type SampleReader,
  type TextScored,
} from '../../search/champion-plan.js';
import { DocumentMatcher } from '../../search/document-matcher.js';
import type { EntryFacts } from '../../search/entry-facts.js';
import { FacetCounter } from '../../search/facet-counter.js';
import { parseQuery } from '../../search/query-parser.js';
import type { ParsedQuery, QueryAtom } from '../../search/query-types.js';
import { passesFilters, type ResolvedFilters, resolveFilters } from '../../search/search-filters.js';
import type { SearchIndex } from '../../search/search-index.js';
import { popularityCeiling, rankRows, type ScoredRow } from '../../search/search-ranking.js';
import { bestTitles, EMPTY_FACETS, searchResponse, searchResult } from '../../search/search-result.js';
import { withSearchState } from '../../search/search-state-codec.js';
import type {
  SearchCorrection,
  SearchFacets,
  SearchOptions,
  SearchResponse,
  SearchResult,
} from '../../search/search-types.js';
import { applyCorrection, MIN_CORRECTABLE_LENGTH, RARE_WORD_DF } from '../../search/spell-corrector.js';
import { hasDigit, tokenize } from '../../search/tokenizer.js';
import type { IntegrityReport, MaintenanceStep } from '../dialect-adapter.js';
import { Fts5ChampionCache } from './fts5-champion-cache.js';
import { fts5String, matchExpression, negatedExpression } from './fts5-match-expression.js';
import {
  fts5IndexMigration,
  INDEXED_COLUMNS_SQL,
  KB_FTS_DDL,
  searchStateMigration,
  searchStatePartsMigration,
  TAGS_TEXT_SQL,
} from './fts5-migrations.js';
import { parseFts5Averages } from './fts5-statistics.js';
import type { SqliteDialectAdapter } from './sqlite-adapter.js';

/**
 * Knobs of the query planner. The defaults were chosen by measurement (bench/fts5-search-timing.ts); tests
 * lower them to drive small data sets through every path.
 */
export interface Fts5Tuning {
  /** Queries matching at most this many entries are ranked exactly by FTS5's bm25 over every match. */
  exactLimit: number;
  /** Entries kept per term in the champion lists. */
  listSize: number;
  /** Most candidate rows read and scored in JavaScript for one query above `exactLimit`. */
  candidates: number;
  /** Matches sampled to estimate `total` and the facets above `exactLimit`. */
  sampleSize: number;
  /** Deepest page (offset + limit) answered from champion candidates; deeper pages rank every match. */
  deepestPage: number;
  /** List items per page of the saved search state (a query reads the pages of its terms). */
  statePageItems: number;
}

export const DEFAULT_FTS5_TUNING: Fts5Tuning = {
  exactLimit: 1_000,
  listSize: 400,
  candidates: 300,
  sampleSize: 250,
  deepestPage: 100,
  statePageItems: 16_384,
};

/** Prefixes with more expansions than this are counted and sampled as prefixes, not spelled out. */
const MAX_PROBE_EXPANSIONS = 64;
/** Candidate rows read per round trip when their exact score is needed. */
const FETCH_BATCH = 32;
const CHUNK = 400;

const ENTRY_COLUMNS =
  'seq, id, title, problem, solution, category, severity, tags, created_at, updated_at, created_by, usage_count, success_count, failure_count, archived, version';

interface MetaRow {
  seq: number;
  rank: number;
  category: string;
  severity: string;
  tags: string;
  archived: number;
  usage_count: number;
  success_count: number;
  failure_count: number;
  updated_at: string;
}

function entryCounters(
  r: Pick<MetaRow, 'usage_count' | 'success_count' | 'failure_count' | 'updated_at'>,
): EntryCounters {
  return {
    usageCount: Number(r.usage_count),
    successCount: Number(r.success_count),
    failureCount: Number(r.failure_count),
    updatedAt: r.updated_at,
  };
}

interface PlanResult {
  ranked: ScoredRow[];
  total: number;
  facets: SearchFacets;
  approximate: boolean;
  /** Rows already read (by key), reused for the page. */
  rows?: Map<number, EntryRow>;
}

function columnsOf(row: Pick<EntryRow, 'title' | 'problem' | 'solution' | 'tags' | 'category'>): string[] {
  return [row.title, row.problem, row.solution, parseTags(row.tags).join(' '), row.category];
}

/**
 * The SQLite engine: FTS5 for matching and for exact ranking of ordinary queries; champion lists and a
 * JavaScript BM25 for queries of common words; snippets in JavaScript; spell correction over the index
 * vocabulary.
 *
 * Query plan (see `search`):
 * 1. Parse; correct misspelt words; build an FTS5 MATCH string in which every token is quoted.
 * 2. Count matches up to `exactLimit + 1` — FTS5 stops at the limit, so this is cheap however common the
 *    words are.
 * 3. At most `exactLimit` matches: one statement returns every match with its weighted bm25 (no ORDER BY,
 *    so FTS5 never sorts); filters and facets over every match come from the in-memory entry facts (or a
 *    join while those are not loaded); the usage blend and the page are computed in JavaScript, reading the
 *    table only for the entries that can reach the page. Exact in every respect.
 * 4. More matches — the slow tail of a plain `ORDER BY rank`, which must score every one of them: the
 *    champion lists of the query's atoms give candidates with an exact score (plain words listed for every
 *    atom) or an upper bound; candidates are taken best bound first, and rows are read and scored with
 *    FTS5's bm25 formula in JavaScript only while a bound can still beat the page, threshold-algorithm
 *    style. `total` and the facets are estimated from a fixed-size sample of the matches taken at a
 *    query-dependent position (the same query gives the same estimate), and the response says
 *    `approximate: true`. Other sort orders and pages deeper than `deepestPage` rank every match in SQL.
 *
 * The champion lists, the vocabulary and the entry facts are built in one pass over kb_entries when first
 * needed (a query of common words, a word to correct, or optimize()), then kept current: entries written
 * through this connection are folded in on the next search, and so are entries other connections wrote
 * (found by updated_at once PRAGMA data_version moves).
 */
export class Fts5SearchIndex implements SearchIndex {
  readonly migrations = [fts5IndexMigration];
  readonly laterMigrations = [searchStateMigration, searchStatePartsMigration];
  readonly #adapter: SqliteDialectAdapter;
  readonly #weights: readonly number[];
  readonly #usageWeight: number;
  readonly #typoCorrection: boolean;
  readonly #tuning: Fts5Tuning;
  readonly #statements = new Map<string, Statement>();
  readonly #champions: Fts5ChampionCache;
  #ceiling: { key: string; value: number } | undefined;

  constructor(adapter: SqliteDialectAdapter, config: StorageConfig, tuning: Partial<Fts5Tuning> = {}) {
    this.#adapter = adapter;
    const w = config.performance.indexing.weights;
    this.#weights = [w.title, w.problem, w.solution, w.tags, w.category];
    this.#usageWeight = config.performance.indexing.usageWeight;
    this.#typoCorrection = config.performance.indexing.typoCorrection;
    this.#tuning = { ...DEFAULT_FTS5_TUNING, ...tuning };
    this.#champions = new Fts5ChampionCache(
      () => this.#sqlite,
      (text) => this.#stmt(text),
      this.#weights,
      this.#tuning.listSize,
      this.#tuning.statePageItems,
    );
  }

  /**
   * Where the in-memory search state came from: 'loaded' from the state a process saved in the store,
   * 'built' from kb_entries; undefined until a query or optimize() needed it. For tests and diagnostics.
   */
  get stateOrigin(): 'built' | 'loaded' | undefined {
    return this.#champions.origin;
  }

  /** Parts of a saved search state this connection has read (list pages, facts). For tests and diagnostics. */
  get statePartsRead(): number {
    return this.#champions.partsRead;
  }

  get #sqlite(): Database {
    return this.#adapter.sqlite;
  }

  #stmt(text: string): Statement {
    let statement = this.#statements.get(text);
    if (!statement) {
      statement = this.#sqlite.prepare(text);
      this.#statements.set(text, statement);
    }
    return statement;
  }

  // ─── Writes (in the caller's transaction) ─────────────────────────────────────────────────────────

  async upsert(trx: Transaction<any>, entry: KBEntry, _previous?: KBEntry): Promise<void> {
    // The indexed text is read from the row itself, inside the caller's transaction, so the index holds
    // exactly what kb_entries holds; REPLACE drops the old version by rowid (no old values needed).
    const result = await sql`insert or replace into kb_fts(rowid, title, problem, solution, tags, category)
      select seq, ${sql.raw(INDEXED_COLUMNS_SQL)} from kb_entries where id = ${entry.id}`.execute(trx);
    if (Number(result.numAffectedRows ?? 0n) !== 1) {
      throw new StorageError(
        StorageErrorCode.DATABASE,
        `search index: entry '${entry.id}' is not in kb_entries; write the row before indexing it`,
        { details: { id: entry.id } },
      );
    }
    this.#touch(Number(result.insertId));
  }

  async upsertMany(
    trx: Transaction<any>,
    entries: readonly KBEntry[],
    seqs?: readonly number[],
  ): Promise<void> {
    // The caller has just written these rows in this transaction, so their text is bound directly instead
    // of being read back with INSERT … SELECT (which parsed every row's tags JSON again: ~3× slower on a
    // 100,000-entry import). Only the integer keys are looked up.
    const insert = this.#stmt(
      'insert into kb_fts(rowid, title, problem, solution, tags, category) values (?, ?, ?, ?, ?, ?)',
    );
    if (seqs !== undefined && seqs.length === entries.length) {
      // Keys the caller knows (it has just inserted the rows): nothing to look up.
      entries.forEach((entry, i) => {
        insert.run(
          BigInt(seqs[i]!),
          entry.title,
          entry.problem,
          entry.solution,
          entry.tags.join(' '),
          entry.category,
        );
      });
      return;
    }
    for (let i = 0; i < entries.length; i += CHUNK) {
      const chunk = entries.slice(i, i + CHUNK);
      const found = await sql<{ seq: number; id: string }>`select seq, id from kb_entries
        where id in (select value from json_each(${JSON.stringify(chunk.map((e) => e.id))}))`.execute(trx);
      const seqOf = new Map(found.rows.map((r) => [r.id, r.seq]));
      for (const entry of chunk) {
        const seq = seqOf.get(entry.id);
        if (seq === undefined) {
          throw new StorageError(
            StorageErrorCode.DATABASE,
            `search index: entry '${entry.id}' is not in kb_entries; write the rows before indexing them`,
            { details: { id: entry.id } },
          );
        }
        // A BigInt rowid: a plain number bound next to MATCH elsewhere is silently ignored by FTS5.
        insert.run(
          BigInt(seq),
          entry.title,
          entry.problem,
          entry.solution,
          entry.tags.join(' '),
          entry.category,
        );
      }
    }
    // New entries need no bookkeeping: the champion cache finds keys above the largest it has seen.
  }

  async remove(trx: Transaction<any>, entry: KBEntry): Promise<void> {
    const found = await sql<{ seq: number }>`select seq from kb_entries where id = ${entry.id}`.execute(trx);
    const seq = found.rows[0]?.seq;
    if (seq !== undefined) {
      await sql`delete from kb_fts where rowid = ${BigInt(seq)}`.execute(trx);
      this.#touch(seq);
      return;
    }
    // The row is already gone (called after the DELETE): find the indexed copy by its text.
    const title = tokenize(entry.title);
    if (title.length === 0) return;
    await sql`delete from kb_fts where rowid in (
      select rowid from kb_fts where kb_fts match ${`title : ${fts5String(title.join(' '))}`}
        and title = ${entry.title} and problem = ${entry.problem} and solution = ${entry.solution})`.execute(
      trx,
    );
    this.#champions.markStale();
  }

  async rebuild(trx: Transaction<any>): Promise<void> {
    // Dropping and re-creating is much faster than deleting every row of a regular FTS5 table.
    await sql`drop table if exists kb_fts_vocab`.execute(trx);
    await sql`drop table if exists kb_fts`.execute(trx);
    await sql.raw(KB_FTS_DDL).execute(trx);
    await sql`create virtual table kb_fts_vocab using fts5vocab(kb_fts, 'row')`.execute(trx);
    await sql
      .raw(
        `insert into kb_fts(rowid, title, problem, solution, tags, category) select seq, ${INDEXED_COLUMNS_SQL} from kb_entries`,
      )
      .execute(trx);
    // The lists' impacts depend on the index's average lengths: a saved state is rebuilt too. The rebuild
    // runs on this connection's transaction, as the cache's statements do.
    this.#statements.clear();
    this.#champions.forgetSaved();
    this.#champions.markStale();
  }

  /** Saves the search state when a build (or much catching up) made it worth it; never fails a search. */
  async #saveState(): Promise<void> {
    if (this.#adapter.inMemory || this.#adapter.fileState().readOnly) return;
    await this.#champions.saveIfDue((save) =>
      this.#adapter.writeTransactionIfFree(async () => {
        save();
      }),
    );
  }

  #touch(seq: number): void {
    this.#champions.touch(seq);
  }

  // ─── Maintenance ──────────────────────────────────────────────────────────────────────────────────

  async optimize(): Promise<MaintenanceStep[]> {
    const steps: MaintenanceStep[] = [];
    const step = async (name: string, fn: () => Promise<string | undefined>) => {
      const start = performance.now();
      try {
        const detail = await fn();
        steps.push({ name, ok: true, durationMs: performance.now() - start, ...(detail ? { detail } : {}) });
      } catch (error) {
        steps.push({ name, ok: false, durationMs: performance.now() - start, detail: String(error) });
      }
    };
    await step('fts5 optimize', async () => {
      await this.#adapter.writeTransaction(async (trx) => {
        await sql`insert into kb_fts(kb_fts) values ('optimize')`.execute(trx);
      });
      return undefined;
    });
    await step('search champion lists', async () => {
      const built = await this.#adapter.readTransaction(async () => {
        this.#champions.markStale();
        const c = this.#champions.ensure();
        return `${c.index.terms} terms over ${c.index.documents} entries`;
      });
      await this.#saveState();
      return built;
    });
    return steps;
  }

  async check(): Promise<IntegrityReport> {
    const problems: string[] = [];
    await this.#adapter.db.connection().execute(async () => {
      try {
        this.#sqlite.prepare(`insert into kb_fts(kb_fts, rank) values ('integrity-check', 0)`).run();
      } catch (error) {
        const code = (error as { code?: string }).code ?? '';
        // A read-only connection cannot run it (FTS5 runs it as an INSERT); the comparisons below still run.
        if (!code.startsWith('SQLITE_READONLY')) {
          problems.push(
            `search index: FTS5 integrity-check failed (${(error as Error).message}); run rebuild`,
          );
        }
      }
    });
    // The comparisons read one snapshot, so a write in between cannot show up as drift.
    await this.#adapter.readTransaction(async () => {
      const all = <T>(text: string) => this.#sqlite.prepare(text).pluck().all() as T[];
      const entries = this.#sqlite.prepare('select count(*) from kb_entries').pluck().get() as number;
      const indexed = this.#sqlite.prepare('select count(*) from kb_fts').pluck().get() as number;
      if (entries !== indexed) {
        problems.push(`search index: ${indexed} indexed rows for ${entries} entries; run rebuild`);
      }
      const missing = all<string>(
        'select e.id from kb_entries e where not exists (select 1 from kb_fts f where f.rowid = e.seq) order by e.seq limit 10',
      );
      if (missing.length > 0) {
        problems.push(`search index: entries missing from the index: ${missing.join(', ')}; run rebuild`);
      }
      const orphans = all<number>(
        'select f.rowid from kb_fts f where not exists (select 1 from kb_entries e where e.seq = f.rowid) order by f.rowid limit 10',
      );
      if (orphans.length > 0) {
        problems.push(`search index: indexed rows without an entry (seq ${orphans.join(', ')}); run rebuild`);
      }
      const drifted = all<string>(
        `select kb_entries.id from kb_entries join kb_fts f on f.rowid = kb_entries.seq
         where f.title is not kb_entries.title or f.problem is not kb_entries.problem
            or f.solution is not kb_entries.solution or f.category is not kb_entries.category
            or f.tags is not ${TAGS_TEXT_SQL}
         order by kb_entries.seq limit 10`,
      );
      if (drifted.length > 0) {
        problems.push(
          `search index: indexed text differs from the entry for ${drifted.join(', ')}; run rebuild`,
        );
      }
    });
    return { ok: problems.length === 0, problems };
  }

  // ─── Search ───────────────────────────────────────────────────────────────────────────────────────

  async search(query: string, options: SearchOptions): Promise<SearchResponse> {
    const started = performance.now();
    const opts = validateSearchOptions(options);
    const parsed = parseQuery(query);
    if (opts.category !== undefined) parsed.filters.categories.push(opts.category);
    if (opts.severity !== undefined) parsed.filters.severities.push(opts.severity);
    if (opts.tags) parsed.filters.tags.push(...opts.tags);
    const filters = resolveFilters(parsed, opts.includeArchived);
    try {
      const result = await withSearchState(
        () =>
          this.#adapter.readTransaction(async () => {
            const corrections = (opts.correct ?? this.#typoCorrection) ? this.#correct(parsed) : [];
            const match = matchExpression(parsed);
            const matcher = new DocumentMatcher(parsed, this.#weights);
            let plan: PlanResult;
            if (match === undefined) plan = this.#filterOnly(parsed, filters, opts);
            else if (filters.impossible)
              plan = { ranked: [], total: 0, facets: EMPTY_FACETS, approximate: false };
            else {
              const probe = this.#probeExpression(parsed) ?? match;
              if (this.#countUpTo(probe, this.#tuning.exactLimit + 1) <= this.#tuning.exactLimit) {
                plan = await this.#exact(match, filters, opts);
              } else {
                const shallow =
                  opts.sortBy === 'relevance' && opts.offset + opts.limit <= this.#tuning.deepestPage;
                plan =
                  (shallow ? await this.#fromChampions(probe, matcher, filters, opts) : undefined) ??
                  (await this.#rankedInSql(match, probe, filters, opts));
              }
            }
            return searchResponse(this.#page(plan, matcher, opts, match === undefined), plan, {
              query: parsed,
              corrections,
              facets: opts.facets,
              started,
            });
          }),
        (error) => this.#champions.recover(error),
      );
      await this.#saveState();
      return result;
    } catch (error) {
      throw translateDatabaseError(error, 'search');
    }
  }

  /** Matches up to `cap` (FTS5 stops early without ORDER BY). */
  #countUpTo(match: string, cap: number): number {
    return this.#stmt('select count(*) from (select 1 from kb_fts where kb_fts match ? limit ?)')
      .pluck()
      .get(match, cap) as number;
  }

  /**
   * The same match set with each prefix atom spelled out as an OR of the words it expands to, for counting
   * and sampling only: FTS5 answers a prefix by merging every expansion's postings before returning the
   * first row, which costs milliseconds for a common prefix however small the LIMIT, while an OR of words
   * streams. Needs the vocabulary (loaded with the champion lists); undefined when it is not loaded or no
   * atom benefits. Ranking keeps the prefix itself, so scores stay FTS5's.
   */
  #probeExpression(parsed: ParsedQuery): string | undefined {
    const champions = this.#champions.loaded();
    if (!champions) return undefined;
    let changed = false;
    const clauses = parsed.clauses.map((clause) => ({
      negated: clause.negated,
      atoms: clause.atoms.flatMap((atom): QueryAtom[] => {
        if (!atom.prefix || atom.terms.length !== 1) return [atom];
        const words = champions.index.termsWithPrefix(atom.terms[0]!, MAX_PROBE_EXPANSIONS + 1);
        if (words.length === 0 || words.length > MAX_PROBE_EXPANSIONS) return [atom];
        changed = true;
        return words.map((w) => ({ raw: w, terms: [w], prefix: false, quoted: false }));
      }),
    }));
    return changed ? matchExpression({ clauses, filters: parsed.filters }) : undefined;
  }

  #stats(): Bm25Stats {
    return parseFts5Averages(
      this.#stmt('select block from kb_fts_data where id = 1').pluck().get() as Uint8Array | undefined,
    );
  }

  /**
   * Replaces words no entry holds by their likeliest intended word, when the word is a typing slip of it (see
   * applyCorrection). A word some entry holds is never corrected, however rare. Words with digits, prefixes
   * and excluded words are left alone.
   */
  #correct(parsed: ParsedQuery): SearchCorrection[] {
    const corrections: SearchCorrection[] = [];
    for (const clause of parsed.clauses) {
      if (clause.negated) continue;
      for (const atom of [...clause.atoms]) {
        const last = atom.prefix ? atom.terms.length - 1 : atom.terms.length;
        for (let i = 0; i < last; i++) {
          const term = atom.terms[i]!;
          if (term.length < MIN_CORRECTABLE_LENGTH || hasDigit(term)) continue;
          const held = this.#countUpTo(fts5String(term), RARE_WORD_DF);
          if (held >= RARE_WORD_DF) continue;
          // An absent word needs the vocabulary (loaded on demand).
          const champions = this.#champions.ensure();
          const best = champions?.corrector.best(term);
          // The in-memory vocabulary may know words deleted since: only offer what the index holds now.
          if (!best || this.#countUpTo(fts5String(best.term), 1) === 0) continue;
          applyCorrection(clause, atom, i, held, best.term, best.df, corrections);
        }
      }
    }
    return corrections;
  }

  // ─── Plans ────────────────────────────────────────────────────────────────────────────────────────

  #bm25Sql(): string {
    return `bm25(kb_fts, ${this.#weights.map((w) => Number(w).toString()).join(', ')})`;
  }

  /** At most `exactLimit` matches: every one scored by FTS5 and filtered and counted; exact. */
  async #exact(match: string, filters: ResolvedFilters, opts: ValidSearchOptions): Promise<PlanResult> {
    const facts = opts.sortBy === 'relevance' ? this.#currentFacts() : undefined;
    const counter = new FacetCounter();
    if (facts) {
      const rows = this.#stmt(`select rowid, ${this.#bm25Sql()} from kb_fts where kb_fts match ?`)
        .raw()
        .all(match) as [number, number][];
      const scored: TextScored<EntryRow>[] = [];
      for (const [seq, rank] of rows) {
        if (!facts.passes(seq, filters)) continue;
        if (opts.facets) facts.count(seq, counter);
        scored.push({ seq, text: -rank });
      }
      scored.sort((a, b) => b.text - a.text || a.seq - b.seq);
      const blended = await this.#blendTop(scored, opts.offset + opts.limit);
      return { ...blended, total: scored.length, facets: counter.facets(), approximate: false };
    }
    // Without the entry facts in memory (nothing has needed them yet), or for another sort order: a join.
    const rows = this.#stmt(
      `select f.rowid as seq, ${this.#bm25Sql()} as rank, e.category, e.severity, e.tags, e.archived,
              e.usage_count, e.success_count, e.failure_count, e.updated_at
       from kb_fts f cross join kb_entries e on e.seq = f.rowid
       where kb_fts match ?`,
    ).all(match) as MetaRow[];
    const ranked: ScoredRow[] = [];
    for (const r of rows) {
      const tags = parseTags(r.tags);
      if (
        !passesFilters(
          { category: r.category, severity: r.severity, tags, archived: r.archived === 1 },
          filters,
        )
      )
        continue;
      if (opts.facets) counter.add(r.category, r.severity, tags);
      ranked.push(this.#scored(r.seq, -r.rank, r));
    }
    rankRows(ranked, opts.sortBy, this.#usageWeight);
    return { ranked, total: ranked.length, facets: counter.facets(), approximate: false };
  }

  #scored(
    seq: number,
    text: number,
    r: Pick<MetaRow, 'usage_count' | 'success_count' | 'failure_count' | 'updated_at'>,
  ): ScoredRow {
    return {
      seq,
      text,
      usageCount: Number(r.usage_count),
      successCount: Number(r.success_count),
      failureCount: Number(r.failure_count),
      updatedAt: r.updated_at,
      final: 0,
    };
  }

  /** The usage blend over matches sorted by text score (champion-plan.ts), with this engine's counters. */
  #blendTop(
    sorted: TextScored<EntryRow>[],
    need: number,
    rescore?: (row: EntryRow) => number | null,
  ): Promise<{ ranked: ScoredRow[]; rows: Map<number, EntryRow> }> {
    return blendTop(sorted, need, {
      ceiling: this.#popularityCeiling(),
      usageWeight: this.#usageWeight,
      counters: (seqs) => new Map(this.#countersBySeq(seqs).map((c) => [c.seq, entryCounters(c)])),
      countersOf: entryCounters,
      ...(rescore ? { rescore } : {}),
    });
  }

  #countersBySeq(seqs: readonly number[]): (Pick<
    MetaRow,
    'usage_count' | 'success_count' | 'failure_count' | 'updated_at'
  > & {
    seq: number;
  })[] {
    if (seqs.length === 0) return [];
    return this.#stmt(
      `select seq, usage_count, success_count, failure_count, updated_at from kb_entries
       where seq in (select value from json_each(?))`,
    ).all(JSON.stringify(seqs)) as (MetaRow & { seq: number })[];
  }

  /**
   * The bound of any entry's popularity (search-ranking.ts), from the largest use count: counters change
   * without this index being told, so it is cached against PRAGMA data_version (other connections) and
   * total_changes() (this one); reading it is one step down the use-count index.
   */
  #popularityCeiling(): number {
    const key = `${this.#sqlite.pragma('data_version', { simple: true })}:${this.#stmt('select total_changes()').pluck().get()}`;
    if (this.#ceiling?.key === key) return this.#ceiling.value;
    const uses = this.#stmt('select max(usage_count) from kb_entries').pluck().get() as number | null;
    const value = popularityCeiling(uses);
    this.#ceiling = { key, value };
    return value;
  }

  /** Filters only (no words): a listing ordered by popularity or the asked-for key; exact. */
  #filterOnly(parsed: ParsedQuery, filters: ResolvedFilters, opts: ValidSearchOptions): PlanResult {
    if (filters.impossible) return { ranked: [], total: 0, facets: EMPTY_FACETS, approximate: false };
    const { where, params } = this.#filterSql(filters);
    const excluded = negatedExpression(parsed);
    if (excluded !== undefined) {
      where.push('e.seq not in (select rowid from kb_fts where kb_fts match ?)');
      params.push(excluded);
    }
    const rows = this.#stmt(
      `select e.seq, 0 as rank, e.category, e.severity, e.tags, e.archived, e.usage_count, e.success_count,
              e.failure_count, e.updated_at
       from kb_entries e ${where.length > 0 ? `where ${where.join(' and ')}` : ''}`,
    ).all(...params) as MetaRow[];
    const counter = new FacetCounter();
    const ranked = rows.map((r) => {
      if (opts.facets) counter.add(r.category, r.severity, parseTags(r.tags));
      return this.#scored(r.seq, 0, r);
    });
    rankRows(ranked, opts.sortBy, this.#usageWeight);
    return { ranked, total: ranked.length, facets: counter.facets(), approximate: false };
  }

  #filterSql(filters: ResolvedFilters): { where: string[]; params: unknown[] } {
    const where: string[] = [];
    const params: unknown[] = [];
    if (!filters.includeArchived) where.push('e.archived = 0');
    if (filters.categories.length > 0) {
      where.push('lower(e.category) = ?');
      params.push(filters.categories[0]);
    }
    if (filters.severities.length > 0) {
      where.push('e.severity = ?');
      params.push(filters.severities[0]);
    }
    for (const tag of filters.tags) {
      where.push('e.id in (select entry_id from kb_tags where tag = ?)');
      params.push(tag);
    }
    return { where, params };
  }

  /** Deep pages and other orders of a query matching very many entries: every match ranked in SQL. */
  async #rankedInSql(
    match: string,
    probe: string,
    filters: ResolvedFilters,
    opts: ValidSearchOptions,
  ): Promise<PlanResult> {
    const { where, params } = this.#filterSql(filters);
    const order = {
      relevance: 'rank',
      usage: 'e.usage_count desc, rank',
      recent: 'e.updated_at desc, rank',
      // The Bayesian success score of search-ranking.ts: (s + 2) / (s + f + 4).
      success: '(e.success_count + 2.0) / (e.success_count + e.failure_count + 4.0) desc, rank',
    }[opts.sortBy];
    // The blend can only reorder entries whose text scores are close: a margin past the page is enough.
    const limit = opts.offset + opts.limit + (opts.sortBy === 'relevance' ? 50 : 0);
    const rows = this.#stmt(
      `select f.rowid as seq, ${this.#bm25Sql()} as rank, e.usage_count, e.success_count, e.failure_count, e.updated_at
       from kb_fts f cross join kb_entries e on e.seq = f.rowid
       where ${['kb_fts match ?', ...where].join(' and ')} order by ${order} limit ?`,
    ).all(match, ...params, limit) as MetaRow[];
    const ranked = rows.map((r) => this.#scored(r.seq, -r.rank, r));
    rankRows(ranked, opts.sortBy, this.#usageWeight);
    const sample = await this.#sample(probe, filters, this.#champions.ensure().facts, opts.facets);
    return {
      ranked,
      total: Math.max(sample.total, ranked.length),
      facets: sample.facets,
      approximate: sample.approximate,
    };
  }

  /**
   * Queries of common words, from champion candidates (see the class comment). Undefined when the
   * candidates cannot fill the page although more matches exist (rare filters): the caller then ranks every
   * match in SQL.
   */
  async #fromChampions(
    probe: string,
    matcher: DocumentMatcher,
    filters: ResolvedFilters,
    opts: ValidSearchOptions,
  ): Promise<PlanResult | undefined> {
    const champions = this.#champions.ensure();
    const stats = this.#stats();
    const plan = championCandidates(champions, matcher, filters, stats.rows);
    const rescore = (row: EntryRow): number | null => {
      const m = matcher.match(columnsOf(row));
      return m ? bm25Score(m.freqs, plan.idfs, m.length, stats.avgLength) : null;
    };
    const need = opts.offset + opts.limit;
    const scan = new CandidateScan<EntryRow>(plan, need + BLEND_MARGIN, this.#tuning.candidates);
    for (let batch = scan.next(FETCH_BATCH); batch; batch = scan.next(FETCH_BATCH)) {
      for (const row of this.#rowsBySeq(batch)) {
        const text = rescore(row);
        if (text !== null) scan.add({ seq: row.seq, text, row });
      }
    }
    const sample = await this.#sample(probe, filters, champions.facts, opts.facets);
    if (scan.found.length < need && sample.total > scan.found.length) return undefined;
    const { ranked, rows } = await this.#blendTop(scan.found, need, rescore);
    // The order comes from candidates, not from every match: approximate even when the sample counted all.
    return {
      ranked,
      total: Math.max(sample.total, scan.found.length),
      facets: sample.facets,
      approximate: true,
      rows,
    };
  }

  /** `total` and the facets of a query with many matches, from a sample of them (champion-plan.ts). */
  #sample(
    match: string,
    filters: ResolvedFilters,
    facts: EntryFacts,
    withFacets: boolean,
  ): Promise<MatchEstimate> {
    // Two subqueries: SQLite answers a lone min() or max() from the key's b-tree, but scans for both at once.
    const range = this.#stmt(
      'select (select min(seq) from kb_entries) as lo, (select max(seq) from kb_entries) as hi',
    ).get() as { lo: number | null; hi: number | null };
    const read: SampleReader = (bound, start, limit) =>
      this.#stmt(`select rowid from kb_fts where kb_fts match ? and rowid ${bound} ? limit ?`)
        .pluck()
        .all(match, BigInt(start), limit) as number[];
    return estimateMatches(range, match, this.#tuning.sampleSize, read, facts, filters, withFacets);
  }

  #rowsBySeq(seqs: readonly number[]): EntryRow[] {
    if (seqs.length === 0) return [];
    return this.#stmt(
      `select ${ENTRY_COLUMNS} from kb_entries where seq in (select value from json_each(?))`,
    ).all(JSON.stringify(seqs)) as EntryRow[];
  }

  /** The requested page: entries, snippets, matched terms, match types. */
  #page(
    plan: PlanResult,
    matcher: DocumentMatcher,
    opts: ValidSearchOptions,
    filterOnly: boolean,
  ): SearchResult[] {
    const page = plan.ranked.slice(opts.offset, opts.offset + opts.limit);
    const known = plan.rows ?? new Map<number, EntryRow>();
    for (const row of this.#rowsBySeq(page.filter((r) => !known.has(r.seq)).map((r) => r.seq)))
      known.set(row.seq, row);
    const results: SearchResult[] = [];
    for (const r of page) {
      const row = known.get(r.seq);
      if (row) results.push(searchResult(rowToEntry(row), r.final, matcher, filterOnly));
    }
    return results;
  }

  // ─── Champion lists and entry facts ───────────────────────────────────────────────────────────────

  #currentFacts(): EntryFacts | undefined {
    return this.#champions.loaded()?.facts;
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
      return await this.#adapter.readTransaction(async () => {
        const out: string[] = [];
        const seen = new Set<string>();
        const push = (s: string) => {
          const key = s.toLowerCase();
          if (!seen.has(key) && out.length < max) {
            seen.add(key);
            out.push(s);
          }
        };
        // Titles whose words start with what was typed, most used first.
        const titleMatch = `title : (${[...head.map((t) => fts5String(t)), `${fts5String(last)}*`].join(' AND ')})`;
        const titles = this.#stmt(
          `select e.title, e.usage_count from kb_fts f cross join kb_entries e on e.seq = f.rowid
           where kb_fts match ? and e.archived = 0 limit 200`,
        ).all(titleMatch) as { title: string; usage_count: number }[];
        for (const title of bestTitles(titles, prefix, Math.ceil(max / 2))) push(title);
        // Index terms completing the last word, most frequent first.
        const loaded = this.#champions.loaded();
        const completions = loaded
          ? loaded.index.termsWithPrefix(last, max)
          : (
              this.#stmt('select term, doc from kb_fts_vocab where term >= ? and term < ? limit 200').all(
                last,
                `${last}\uffff`,
              ) as {
                term: string;
                doc: number;
              }[]
            )
              .sort((a, b) => b.doc - a.doc || (a.term < b.term ? -1 : 1))
              .map((r) => r.term);
        for (const term of completions) push([...head, term].join(' '));
        return out;
      });
    } catch (error) {
      throw translateDatabaseError(error, 'suggest');
    }
  }
}
