import type { Kysely, Transaction } from 'kysely';
import { entryRowsInKeyOrder } from '../../kb/kb-repository.js';
import { ChampionIndex } from '../champion-index.js';
import { addEntry, type Champions } from '../champion-plan.js';
import { EntryFacts } from '../entry-facts.js';
import {
  decodeSearchState,
  encodeSearchState,
  SEARCH_STATE_FORMAT,
  type SearchStateUnavailable,
} from '../search-state-codec.js';
import { SpellCorrector } from '../spell-corrector.js';
import { readSavedServerState, writeSavedServerState } from './server-search-state.js';

/** Entries folded in one by one before a full rebuild is cheaper. */
const MAX_INCREMENTAL = 2_000;
/**
 * Entries caught up with since the last save before saving again (or one in a hundred of the entries, if
 * more): what each new process would otherwise re-read, weighed against writing the whole state.
 */
const RESAVE_AFTER = 500;
/** Rows read per round trip while building. */
const BUILD_CHUNK = 5_000;
/** Other processes' writes are looked for at most this often. */
export const REFRESH_INTERVAL_MS = 200;
/**
 * How far before the last refresh the next one looks: a write stamped before that refresh may commit after
 * it (a long transaction, or another machine's clock running behind), so the look-back must cover both.
 */
export const REFRESH_LOOKBACK_MS = 15_000;

interface EntryTuple {
  seq: number;
  title: string;
  problem: string;
  solution: string;
  tags: string;
  category: string;
  severity: string;
  archived: number;
  updated_at: string;
}

const TUPLE_COLUMNS = [
  'seq',
  'title',
  'problem',
  'solution',
  'tags',
  'category',
  'severity',
  'archived',
  'updated_at',
] as const;

interface State {
  champions: Champions & { touched: Set<number> };
  /** When the last build or refresh started (this process's clock). */
  refreshedAt: number;
  /** Largest entry key seen. */
  maxSeq: number;
  /** updated_at of the entries folded in within the look-back window: unchanged ones are not read again. */
  recent: Map<number, string>;
}

/** Saves the state in a write transaction of the store (the server index passes its adapter's). */
export type StateWriter = (save: (trx: Transaction<any>) => Promise<void>) => Promise<void>;

/**
 * The server engine's champion lists, vocabulary and entry facts (see champion-plan.ts), built in one pass
 * over kb_entries when a query first needs them and kept current:
 * - entries written through this store are reported with `touch` and folded in on the next use (committed
 *   or not: the row is re-read, so a rolled-back write costs a wasted read);
 * - other processes' writes are found at most every REFRESH_INTERVAL_MS by `updated_at` (indexed), looking
 *   back REFRESH_LOOKBACK_MS before the previous refresh, and by keys above the largest seen (imports keep
 *   their source's updated_at). A row another process writes with an old updated_at and a key below the
 *   largest seen is only found by the next rebuild.
 *
 * The state is a cache of candidates: the engine re-reads, re-matches and re-filters every candidate before
 * returning it, so anything stale costs recall of the approximate plan, never a wrong result.
 *
 * A full build is saved in the store (server-search-state.ts), and a process that finds a saved state loads
 * it instead of building: it then catches up as a refresh does, from when the saved build or refresh
 * started (entries with larger keys, entries updated since, less the look-back), and the state must then hold
 * as many entries as kb_entries, or a build replaces it (entries deleted since the save). Loads that had to
 * catch up with many entries save again. Bulk loads that keep their rows' updated_at (importTables, copies)
 * rebuild the index, which removes the saved state in the same transaction.
 */
export class ServerChampionCache {
  readonly #weights: readonly number[];
  readonly #listSize: number;
  #state: State | undefined;
  #stale = false;
  #pending: Promise<Champions> | undefined;
  #loading: Promise<Champions | undefined> | undefined;
  readonly #dirty = new Set<number>();
  /** The state in memory differs enough from the saved one (or none is saved) to be worth saving. */
  #saveDue = false;
  /** Entries caught up with since the state was built, loaded or saved. */
  #sinceSaved = 0;
  /** No saved state to look for: one was looked for already, or a build since made it moot. */
  #lookedForSaved = false;
  /** How the last state came to be, for tests and diagnostics. */
  #origin: 'built' | 'loaded' | undefined;

  constructor(weights: readonly number[], listSize: number) {
    this.#weights = weights;
    this.#listSize = listSize;
  }

  /** 'loaded' when the state came from the store, 'built' when from kb_entries; undefined before either. */
  get origin(): 'built' | 'loaded' | undefined {
    return this.#origin;
  }

  /** Whether a saved state may be there to load (none was looked for yet, and nothing made it moot). */
  get #mayLoad(): boolean {
    return !this.#lookedForSaved && !this.#stale;
  }

  /** An entry was written (or deleted) through this store. */
  touch(seq: number): void {
    if (this.#state) this.#dirty.add(seq);
  }

  /** Too much changed to fold in entry by entry (bulk writes, rebuild): rebuild on next use. */
  markStale(): void {
    this.#stale = true;
  }

  /** Whether the state has been built (queries then plan with it without paying for a build). */
  get isLoaded(): boolean {
    return this.#state !== undefined && !this.#stale;
  }

  /**
   * The state, loaded or built on first need and brought current; concurrent callers share one load, build
   * or refresh.
   */
  async ensure(db: Kysely<any>, avgLength: () => Promise<number>): Promise<Champions> {
    const state = this.#state;
    if (
      state &&
      !this.#stale &&
      this.#dirty.size === 0 &&
      Date.now() - state.refreshedAt < REFRESH_INTERVAL_MS
    ) {
      return state.champions;
    }
    if (!state && (this.#loading || this.#mayLoad)) {
      const loaded = await this.loadIfSaved(db, avgLength);
      if (loaded) return loaded;
    }
    this.#pending ??= (async () => {
      try {
        if (!this.#state || this.#stale) return await this.#build(db, avgLength);
        return await this.#refresh(db, this.#state, avgLength);
      } finally {
        this.#pending = undefined;
      }
    })();
    return this.#pending;
  }

  /**
   * The state when it is in memory or saved in the store (loaded once per process, and brought current);
   * undefined when none can be used, and it would have to be built.
   */
  loadIfSaved(db: Kysely<any>, avgLength: () => Promise<number>): Promise<Champions | undefined> {
    if (this.#state && !this.#stale) return this.ensure(db, avgLength);
    if (this.#loading) return this.#loading;
    if (!this.#mayLoad) return Promise.resolve(undefined);
    this.#lookedForSaved = true;
    this.#loading = (async () => {
      try {
        return await this.#load(db, avgLength);
      } finally {
        this.#loading = undefined;
      }
    })();
    return this.#loading;
  }

  async #refresh(db: Kysely<any>, state: State, avgLength: () => Promise<number>): Promise<Champions> {
    const started = Date.now();
    const since = new Date(state.refreshedAt - REFRESH_LOOKBACK_MS).toISOString();
    const [changed, fresh] = await Promise.all([
      db.selectFrom('kb_entries').select(['seq', 'updated_at']).where('updated_at', '>=', since).execute(),
      db.selectFrom('kb_entries').select('seq').where('seq', '>', state.maxSeq).execute(),
    ]);
    const seqs = new Set<number>(this.#dirty);
    this.#dirty.clear();
    for (const r of changed) {
      const seq = Number(r.seq);
      if (state.recent.get(seq) !== r.updated_at) seqs.add(seq);
    }
    for (const r of fresh) seqs.add(Number(r.seq));
    const { champions } = state;
    if (champions.touched.size + seqs.size > Math.max(MAX_INCREMENTAL, champions.index.documents / 10)) {
      return this.#build(db, avgLength);
    }
    // Updated or deleted entries: their older list entries may be stale, so they are never trusted again.
    for (const seq of seqs) {
      if (!champions.facts.has(seq)) continue;
      champions.facts.delete(seq);
      champions.touched.add(seq);
    }
    const list = [...seqs];
    for (let i = 0; i < list.length; i += BUILD_CHUNK) {
      const rows = (await db
        .selectFrom('kb_entries')
        .select([...TUPLE_COLUMNS])
        .where('seq', 'in', list.slice(i, i + BUILD_CHUNK))
        .execute()) as EntryTuple[];
      for (const row of rows) this.#fold(state, row, true);
    }
    const horizon = new Date(started - REFRESH_LOOKBACK_MS).toISOString();
    for (const [seq, at] of state.recent) if (at < horizon) state.recent.delete(seq);
    state.refreshedAt = started;
    this.#sinceSaved += seqs.size;
    if (this.#sinceSaved >= Math.max(RESAVE_AFTER, champions.index.documents / 100)) this.#saveDue = true;
    return champions;
  }

  /**
   * A part of the loaded state could not be read for a query (damaged; a replaced one cannot happen, as
   * every part is read with the head): build from the table, which saves a good state.
   */
  recover(_error: SearchStateUnavailable): void {
    this.markStale();
  }

  /**
   * The saved state brought current, or undefined when there is none or it cannot be trusted (the caller
   * then builds). Never throws for what the rows hold: a damaged state costs a build.
   */
  async #load(db: Kysely<any>, avgLength: () => Promise<number>): Promise<Champions | undefined> {
    const saved = await readSavedServerState(db);
    if (!saved || saved.format !== SEARCH_STATE_FORMAT || !Number.isFinite(saved.refreshedAt))
      return undefined;
    let decoded: ReturnType<typeof decodeSearchState>;
    try {
      decoded = decodeSearchState(saved.head, { listSize: this.#listSize, weights: this.#weights }, (n) =>
        saved.parts.get(n),
      );
    } catch {
      return undefined;
    }
    if (decoded.reason !== undefined) return undefined;
    const { index, facts, touched } = decoded;
    const state: State = {
      champions: { index, facts, touched, corrector: SpellCorrector.deferred(() => index.vocabulary()) },
      refreshedAt: saved.refreshedAt,
      maxSeq: saved.maxSeq,
      recent: new Map(),
    };
    this.#state = state;
    this.#sinceSaved = 0;
    this.#saveDue = false;
    let current: Champions;
    try {
      current = await this.#refresh(db, state, avgLength);
    } catch (error) {
      this.#state = undefined;
      throw error;
    }
    if (current !== state.champions) return current; // rebuilt while catching up: too much had changed
    const count = await db
      .selectFrom('kb_entries')
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .executeTakeFirstOrThrow();
    if (current.facts.size !== Number(count.n)) {
      // Entries were deleted since the save, unseen: the lists and facts would keep them.
      return this.#build(db, avgLength);
    }
    this.#origin = 'loaded';
    return current;
  }

  /**
   * Saves the state when it was built, or has caught up with many entries since it was loaded; a no-op
   * otherwise. Best effort: a failure (a read-only user, another process saving at the same moment, the
   * tables not there) keeps the state in this process, and the next build tries again.
   */
  async saveIfDue(write: StateWriter): Promise<boolean> {
    const state = this.#state;
    if (!this.#saveDue || !state || this.#stale || this.#dirty.size > 0) return false;
    this.#saveDue = false;
    try {
      const { champions } = state;
      // Where the state stands, taken with its bytes: a refresh may move it on while the rows are written.
      const { maxSeq, refreshedAt } = state;
      const entries = champions.facts.size;
      const { head, parts } = encodeSearchState(
        {
          index: champions.index.toState(),
          facts: champions.facts.toState(),
          touched: Int32Array.from(champions.touched),
        },
        { listSize: this.#listSize, weights: this.#weights },
      );
      await write((trx) =>
        writeSavedServerState(trx, {
          format: SEARCH_STATE_FORMAT,
          maxSeq,
          refreshedAt,
          entries,
          head,
          parts,
        }),
      );
    } catch {
      return false;
    }
    this.#sinceSaved = 0;
    return true;
  }

  #fold(state: State, row: EntryTuple, incremental: boolean): void {
    const seq = Number(row.seq);
    const { champions } = state;
    const fresh = addEntry(champions.index, champions.facts, seq, row, Number(row.archived) === 1);
    if (incremental) for (const term of fresh) champions.corrector.add(term, 1);
    if (seq > state.maxSeq) state.maxSeq = seq;
    state.recent.set(seq, row.updated_at);
  }

  async #build(db: Kysely<any>, avgLength: () => Promise<number>): Promise<Champions> {
    const started = Date.now();
    this.#stale = false;
    this.#dirty.clear();
    const index = new ChampionIndex(this.#listSize, this.#weights, await avgLength());
    const state: State = {
      champions: { index, corrector: new SpellCorrector([]), facts: new EntryFacts(), touched: new Set() },
      refreshedAt: started,
      maxSeq: 0,
      recent: new Map(),
    };
    for await (const rows of entryRowsInKeyOrder<EntryTuple>(db, TUPLE_COLUMNS, BUILD_CHUNK)) {
      for (const row of rows) this.#fold(state, row, false);
    }
    index.finalize();
    state.champions.corrector = new SpellCorrector(index.vocabulary());
    const horizon = new Date(started - REFRESH_LOOKBACK_MS).toISOString();
    for (const [seq, at] of state.recent) if (at < horizon) state.recent.delete(seq);
    this.#state = state;
    this.#lookedForSaved = true;
    this.#saveDue = true;
    this.#sinceSaved = 0;
    this.#origin = 'built';
    return state.champions;
  }
}
