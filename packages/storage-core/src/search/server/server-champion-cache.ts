import type { Kysely } from 'kysely';
import { ChampionIndex } from '../champion-index.js';
import { addEntry, type Champions } from '../champion-plan.js';
import { EntryFacts } from '../entry-facts.js';
import { SpellCorrector } from '../spell-corrector.js';

/** Entries folded in one by one before a full rebuild is cheaper. */
const MAX_INCREMENTAL = 2_000;
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
 */
export class ServerChampionCache {
  readonly #weights: readonly number[];
  readonly #listSize: number;
  #state: State | undefined;
  #stale = false;
  #pending: Promise<Champions> | undefined;
  readonly #dirty = new Set<number>();

  constructor(weights: readonly number[], listSize: number) {
    this.#weights = weights;
    this.#listSize = listSize;
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

  /** The state, built on first need and brought current; concurrent callers share one build or refresh. */
  ensure(db: Kysely<any>, avgLength: () => Promise<number>): Promise<Champions> {
    const state = this.#state;
    if (
      state &&
      !this.#stale &&
      this.#dirty.size === 0 &&
      Date.now() - state.refreshedAt < REFRESH_INTERVAL_MS
    ) {
      return Promise.resolve(state.champions);
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
    return champions;
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
    let after = 0;
    for (;;) {
      const rows = (await db
        .selectFrom('kb_entries')
        .select([...TUPLE_COLUMNS])
        .where('seq', '>', after)
        .orderBy('seq')
        .limit(BUILD_CHUNK)
        .execute()) as EntryTuple[];
      if (rows.length === 0) break;
      for (const row of rows) this.#fold(state, row, false);
      after = Number(rows[rows.length - 1]!.seq);
    }
    index.finalize();
    state.champions.corrector = new SpellCorrector(index.vocabulary());
    const horizon = new Date(started - REFRESH_LOOKBACK_MS).toISOString();
    for (const [seq, at] of state.recent) if (at < horizon) state.recent.delete(seq);
    this.#state = state;
    return state.champions;
  }
}
