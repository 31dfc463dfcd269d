import type { Database, Statement } from 'better-sqlite3';
import { ChampionIndex } from '../../search/champion-index.js';
import { addEntry, type Champions } from '../../search/champion-plan.js';
import { EntryFacts } from '../../search/entry-facts.js';
import { SpellCorrector } from '../../search/spell-corrector.js';
import { parseFts5Averages } from './fts5-statistics.js';

export type { Champions };

/** Entries folded in one by one before a full rebuild is cheaper. */
const MAX_INCREMENTAL = 2_000;

type EntryTuple = [number, string, string, string, string, string, string, number, string];
const ENTRY_TUPLE = 'seq, title, problem, solution, tags, category, severity, archived, updated_at';

/**
 * Owns the champion lists, the vocabulary and the entry facts of one connection: builds them in one pass
 * over kb_entries when first needed, then keeps them current on every use:
 * - new entries, from any connection, have keys above the largest one seen (kb_entries.seq is
 *   AUTOINCREMENT), so one range query finds them — bulk inserts need no bookkeeping;
 * - entries updated or deleted through this connection are reported with `touch` (committed or not: the row
 *   is re-read, so a rolled-back write costs a wasted read, never a wrong answer);
 * - entries other connections updated are found by updated_at once PRAGMA data_version moves.
 * Deletions leave stale list entries, which only cost a wasted read: every candidate is re-read before it
 * is returned.
 *
 * Callers must hold a read transaction (or the connection), as the engine's search does.
 */
export class Fts5ChampionCache {
  readonly #sqlite: () => Database;
  readonly #prepare: (sql: string) => Statement;
  readonly #weights: readonly number[];
  readonly #listSize: number;
  #state:
    | {
        champions: Champions & { touched: Set<number> };
        dataVersion: number;
        /** Newest updated_at seen. */
        watermark: string;
        /** Largest entry key seen. */
        maxSeq: number;
      }
    | undefined;
  #stale = false;
  /** Entry keys written through this connection since the last build or refresh. */
  readonly #dirty = new Set<number>();

  constructor(
    sqlite: () => Database,
    prepare: (sql: string) => Statement,
    weights: readonly number[],
    listSize: number,
  ) {
    this.#sqlite = sqlite;
    this.#prepare = prepare;
    this.#weights = weights;
    this.#listSize = listSize;
  }

  /** An entry was written (or deleted) through this connection. */
  touch(seq: number): void {
    if (this.#state) this.#dirty.add(seq);
  }

  /** Too much changed to fold in entry by entry (bulk writes, rebuild): rebuild on next use. */
  markStale(): void {
    this.#stale = true;
  }

  /** The state brought current, without building it when it was never built; undefined then. */
  loaded(): Champions | undefined {
    return this.#state && !this.#stale ? this.ensure() : undefined;
  }

  /** The state, built on first need and brought current with the entries written since. */
  ensure(): Champions {
    const state = this.#state;
    if (!state || this.#stale) return this.#build();
    const fresh = this.#prepare('select seq from kb_entries where seq > ?')
      .pluck()
      .all(state.maxSeq) as number[];
    const dataVersion = this.#sqlite().pragma('data_version', { simple: true }) as number;
    if (dataVersion !== state.dataVersion) {
      const seqs = this.#prepare('select seq from kb_entries where updated_at >= ? and seq <= ?')
        .pluck()
        .all(state.watermark, state.maxSeq) as number[];
      for (const seq of seqs) this.#dirty.add(seq);
      state.dataVersion = dataVersion;
    }
    for (const seq of this.#dirty) if (seq > state.maxSeq) this.#dirty.delete(seq);
    if (this.#dirty.size === 0 && fresh.length === 0) return state.champions;
    const { champions } = state;
    const changed = champions.touched.size + this.#dirty.size + fresh.length;
    if (changed > Math.max(MAX_INCREMENTAL, champions.index.documents / 10)) return this.#build();
    // Updated or deleted entries: their older list entries may be stale, so they are never trusted again.
    for (const seq of this.#dirty) {
      champions.facts.delete(seq);
      champions.touched.add(seq);
    }
    const rows = this.#prepare(
      `select ${ENTRY_TUPLE} from kb_entries where seq in (select value from json_each(?))`,
    )
      .raw()
      .all(JSON.stringify([...this.#dirty, ...fresh])) as EntryTuple[];
    for (const row of rows) {
      for (const term of this.#add(champions.index, champions.facts, row)) champions.corrector.add(term, 1);
      if (row[8] > state.watermark) state.watermark = row[8];
      if (row[0] > state.maxSeq) state.maxSeq = row[0];
    }
    this.#dirty.clear();
    return champions;
  }

  #add(index: ChampionIndex, facts: EntryFacts, row: EntryTuple): string[] {
    const [seq, title, problem, solution, tags, category, severity, archived] = row;
    return addEntry(
      index,
      facts,
      seq,
      { title, problem, solution, tags, category, severity },
      archived === 1,
    );
  }

  #build(): Champions {
    const sqlite = this.#sqlite();
    const block = this.#prepare('select block from kb_fts_data where id = 1').pluck().get() as
      | Uint8Array
      | undefined;
    const index = new ChampionIndex(this.#listSize, this.#weights, parseFts5Averages(block).avgLength);
    const facts = new EntryFacts();
    let watermark = '';
    const rows = sqlite
      .prepare(`select ${ENTRY_TUPLE} from kb_entries`)
      .raw()
      .iterate() as IterableIterator<EntryTuple>;
    let maxSeq = 0;
    for (const row of rows) {
      this.#add(index, facts, row);
      if (row[8] > watermark) watermark = row[8];
      if (row[0] > maxSeq) maxSeq = row[0];
    }
    index.finalize();
    const champions = {
      index,
      corrector: new SpellCorrector(index.vocabulary()),
      facts,
      touched: new Set<number>(),
    };
    this.#state = {
      champions,
      dataVersion: sqlite.pragma('data_version', { simple: true }) as number,
      watermark,
      maxSeq,
    };
    this.#stale = false;
    this.#dirty.clear();
    return champions;
  }
}
