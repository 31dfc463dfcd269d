import type { Database, Statement } from 'better-sqlite3';
import { ChampionIndex } from '../../search/champion-index.js';
import { addEntry, type Champions } from '../../search/champion-plan.js';
import { EntryFacts } from '../../search/entry-facts.js';
import {
  decodeSearchState,
  encodeSearchState,
  SEARCH_STATE_FORMAT,
  type SearchStateUnavailable,
} from '../../search/search-state-codec.js';
import { SpellCorrector } from '../../search/spell-corrector.js';
import { parseFts5Averages } from './fts5-statistics.js';

export type { Champions };

/** Entries folded in one by one before a full rebuild is cheaper. */
const MAX_INCREMENTAL = 2_000;
/** Entries a loaded state had to catch up with before it is worth saving again. */
const RESAVE_AFTER = 500;

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
 *
 * The state is also saved in the store (kb_search_state, one row) after a full build, so the next process
 * loads it in a fraction of the build time and catches up from there: entries with keys above the saved
 * largest, entries updated since the saved watermark, and the entries the change log (kb_search_changes,
 * kept by triggers while a state is saved) names. After catching up, the number of entries held must equal
 * the table's count, or the saved state is not trusted and a full build replaces it. Saving is best effort:
 * a read-only file, a database another connection is writing, or an in-memory one simply keeps the state in
 * this process (`saveIfDue`).
 */
export class Fts5ChampionCache {
  readonly #sqlite: () => Database;
  readonly #prepare: (sql: string) => Statement;
  readonly #weights: readonly number[];
  readonly #listSize: number;
  readonly #pageItems: number;
  #state:
    | {
        champions: Champions & { touched: Set<number> };
        dataVersion: number;
        /** Newest updated_at seen. */
        watermark: string;
        /** Largest entry key seen. */
        maxSeq: number;
        /** Largest kb_search_changes id read. */
        changesSeen: number;
      }
    | undefined;
  #stale = false;
  /** Entry keys written through this connection since the last build or refresh. */
  readonly #dirty = new Set<number>();
  /** The state in memory differs enough from the saved one (or none is saved) to be worth saving. */
  #saveDue = false;
  /** Entries caught up with since the state was loaded or saved. */
  #sinceSaved = 0;
  /** Parts of saved states read so far (search-state-codec.ts), for tests and diagnostics. */
  #partsRead = 0;
  /** How the last state came to be, for tests and diagnostics. */
  #origin: 'built' | 'loaded' | undefined;

  constructor(
    sqlite: () => Database,
    prepare: (sql: string) => Statement,
    weights: readonly number[],
    listSize: number,
    pageItems: number,
  ) {
    this.#sqlite = sqlite;
    this.#prepare = prepare;
    this.#weights = weights;
    this.#listSize = listSize;
    this.#pageItems = pageItems;
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

  get partsRead(): number {
    return this.#partsRead;
  }

  /** 'loaded' when the state came from the store, 'built' when from kb_entries; undefined before either. */
  get origin(): 'built' | 'loaded' | undefined {
    return this.#origin;
  }

  /** The state, built on first need and brought current with the entries written since. */
  ensure(): Champions {
    if (!this.#state && !this.#stale) {
      const loaded = this.#load();
      if (loaded) return loaded;
    }
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
      // What the change log names: deletions, and updates by anyone that did not move updated_at forward.
      if (this.#hasStateTable()) {
        const logged = this.#prepare('select id, seq from kb_search_changes where id > ? order by id')
          .raw()
          .all(state.changesSeen) as [number, number][];
        for (const [id, seq] of logged) {
          this.#dirty.add(seq);
          state.changesSeen = id;
        }
      }
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
    this.#sinceSaved += this.#dirty.size + fresh.length;
    if (this.#sinceSaved >= RESAVE_AFTER) this.#saveDue = true;
    this.#dirty.clear();
    return champions;
  }

  /** Whether the store has the saved-state tables (not before their migrations, nor after one down past them). */
  #hasStateTable(): boolean {
    return (
      this.#prepare(
        `select count(*) from sqlite_master
         where type = 'table' and name in ('kb_search_state', 'kb_search_state_parts')`,
      )
        .pluck()
        .get() === 2
    );
  }

  /**
   * A part of the loaded state could not be read for a query: another process saved a newer state (load
   * that one instead), or the part is damaged (build from the table, which saves a good state).
   */
  recover(error: SearchStateUnavailable): void {
    if (error.reason === 'damaged') {
      this.markStale();
      return;
    }
    this.#state = undefined;
    this.#dirty.clear();
    this.#origin = undefined;
  }

  /** Removes the saved state (the index was rebuilt, so its lists' impacts no longer hold). */
  forgetSaved(): void {
    if (!this.#hasStateTable()) return;
    this.#prepare('delete from kb_search_state').run();
    this.#prepare('delete from kb_search_state_parts').run();
  }

  /**
   * The saved state brought current, or undefined when there is none or it cannot be trusted (then the
   * caller builds). Never throws for what the row holds: a damaged state costs a build.
   */
  #load(): Champions | undefined {
    if (!this.#hasStateTable()) return undefined;
    const row = this.#prepare('select max_seq, watermark, state from kb_search_state where id = 1').get() as
      | { max_seq: number; watermark: string; state: Uint8Array }
      | undefined;
    if (!row) return undefined;
    let decoded: ReturnType<typeof decodeSearchState>;
    const part = this.#prepare('select bytes from kb_search_state_parts where part = ?').pluck();
    try {
      decoded = decodeSearchState(row.state, { listSize: this.#listSize, weights: this.#weights }, (n) => {
        this.#partsRead++;
        return part.get(n) as Uint8Array | undefined;
      });
    } catch {
      return undefined;
    }
    if (decoded.reason !== undefined) return undefined;
    const { index, facts, touched } = decoded;
    const champions = { index, facts, touched, corrector: SpellCorrector.deferred(() => index.vocabulary()) };
    // Since the save, the triggers logged every update and deletion (whoever made it, whatever its updated_at)
    // and new entries have larger keys: the log and the keys are the whole catch-up, no watermark scan.
    const logged = this.#prepare('select id, seq from kb_search_changes order by id').raw().all() as [
      number,
      number,
    ][];
    let changesSeen = 0;
    for (const [id, seq] of logged) {
      this.#dirty.add(seq);
      changesSeen = id;
    }
    this.#state = {
      champions,
      dataVersion: this.#sqlite().pragma('data_version', { simple: true }) as number,
      watermark: row.watermark,
      maxSeq: row.max_seq,
      changesSeen,
    };
    this.#sinceSaved = 0;
    this.#saveDue = false;
    const current = this.ensure();
    const entries = this.#prepare('select count(*) from kb_entries').pluck().get() as number;
    if (current !== champions || current.facts.size !== entries) {
      // Rebuilt while catching up (too much changed), or rows came or went unseen: build from the table.
      if (current === champions) return this.#build();
      return current;
    }
    this.#origin = 'loaded';
    return current;
  }

  /**
   * Saves the state when it was built or has caught up with many entries since it was saved; a no-op
   * otherwise. `write` runs its callback in a write transaction on this connection; saving is abandoned
   * (and tried again after the next build) when it throws: the store is read-only, another connection holds
   * the write lock, or the state no longer matches the table.
   */
  async saveIfDue(write: (save: () => void) => Promise<void>): Promise<boolean> {
    if (!this.#saveDue || !this.#state || this.#stale) return false;
    if (!this.#hasStateTable()) return false;
    try {
      await write(() => {
        // Inside the write transaction nothing else can commit: bring the state current, then save it
        // together with clearing the change log it has now absorbed.
        const champions = this.ensure();
        const state = this.#state;
        if (!state) throw new Error('no search state');
        const entries = this.#prepare('select count(*) from kb_entries').pluck().get() as number;
        if (champions.facts.size !== entries) {
          // Entries went unseen (deleted by another program while no state was saved): rebuild first.
          this.markStale();
          throw new Error('the search state does not match kb_entries');
        }
        const { head, parts } = encodeSearchState(
          {
            index: champions.index.toState(),
            facts: champions.facts.toState(),
            touched: Int32Array.from(champions.touched),
          },
          { listSize: this.#listSize, weights: this.#weights },
          this.#pageItems,
        );
        this.#prepare('delete from kb_search_state_parts').run();
        const insertPart = this.#prepare('insert into kb_search_state_parts(part, bytes) values (?, ?)');
        for (const [part, bytes] of parts.entries()) insertPart.run(part, bytes);
        this.#prepare(
          `insert or replace into kb_search_state(id, format, max_seq, watermark, entries, saved_at, state)
           values (1, ?, ?, ?, ?, ?, ?)`,
        ).run(SEARCH_STATE_FORMAT, state.maxSeq, state.watermark, entries, new Date().toISOString(), head);
        this.#prepare('delete from kb_search_changes').run();
      });
    } catch {
      // Busy or read-only: try again after the next build or catch-up, not on every search.
      this.#saveDue = false;
      return false;
    }
    this.#saveDue = false;
    this.#sinceSaved = 0;
    return true;
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
      changesSeen: this.#hasStateTable()
        ? ((this.#prepare('select max(id) from kb_search_changes').pluck().get() as number | null) ?? 0)
        : 0,
    };
    this.#stale = false;
    this.#dirty.clear();
    this.#saveDue = true;
    this.#sinceSaved = 0;
    this.#origin = 'built';
    return champions;
  }
}
