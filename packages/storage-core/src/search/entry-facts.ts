import type { FacetCounter } from './facet-counter.js';
import type { ResolvedFilters } from './search-filters.js';

/**
 * What filters and facets need to know about each entry — category, severity, tags, archived — held in
 * memory by entry key, so an engine can filter and count thousands of matches without joining the table
 * for each. Strings are interned (a knowledge base has a few dozen categories and a few thousand tags), so
 * 100,000 entries take a few megabytes.
 *
 * Like the champion lists it is a cache: the engine refreshes the entries written since it was filled.
 * Usage and feedback counters are deliberately absent — they change without the index being told, so
 * ranking reads them from the table for the few entries that can reach a page.
 */
/** The facts as flat arrays, for saving and loading (search-state-codec.ts). Indexed by entry key. */
export interface EntryFactsState {
  categories: string[];
  tagNames: string[];
  count: number;
  /** -1 where no entry is held. */
  category: Int32Array;
  severity: Uint8Array;
  archived: Uint8Array;
  tagStart: Int32Array;
  tagCount: Uint8Array;
  tagPool: Int32Array;
}

/** What every query needs of a saved state's facts: 0 no entry, 1 held, 2 held and archived, by key. */
export interface EntryFactsHead {
  categories: string[];
  tagNames: string[];
  count: number;
  status: Uint8Array;
}

/** The rest of the saved facts, read when a filter or a facet first needs them. */
export type EntryFactsDetail = Omit<EntryFactsState, 'categories' | 'tagNames' | 'count' | 'archived'>;

type FactsWrite =
  | {
      delete: false;
      seq: number;
      category: string;
      severity: string;
      tags: string[];
      archived: boolean;
    }
  | { delete: true; seq: number };

export class EntryFacts {
  readonly #categories: string[] = [];
  readonly #categoriesLower: string[] = [];
  readonly #categoryIds = new Map<string, number>();
  readonly #tagNames: string[] = [];
  readonly #tagIds = new Map<string, number>();
  #category: Int32Array = new Int32Array(1024).fill(-1);
  #severity: Uint8Array = new Uint8Array(1024);
  #archived: Uint8Array = new Uint8Array(1024);
  #tagStart: Int32Array = new Int32Array(1024);
  #tagCount: Uint8Array = new Uint8Array(1024);
  #tagPool: Int32Array = new Int32Array(4096);
  #tagUsed = 0;
  #count = 0;
  /** A saved state's facts not read yet (see fromState). */
  #lazy:
    | {
        head: EntryFactsHead;
        /** The head's status, then the writes' (see set). */
        status: Uint8Array;
        load: () => EntryFactsDetail;
        damaged: (message: string) => Error;
        writes: FactsWrite[];
      }
    | undefined;

  static readonly SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;

  /**
   * Facts from saved state: held and archived from `head.status` now; categories, severities and tags
   * (`load`, arrays used, not copied) when a filter or a facet first needs them. Writes meanwhile are kept
   * and replayed over the loaded arrays. Throws when the head does not add up; the loaded arrays are checked
   * when loaded, and `damaged` makes the error thrown then.
   */
  static fromState(
    head: EntryFactsHead,
    load: () => EntryFactsDetail,
    damaged: (message: string) => Error = (message) => new Error(message),
  ): EntryFacts {
    let count = 0;
    for (let seq = 0; seq < head.status.length; seq++) {
      const s = head.status[seq]!;
      if (s > 2) throw new Error(`entry facts state: entry ${seq} has status ${s}`);
      if (s !== 0) count++;
    }
    if (count !== head.count) throw new Error('entry facts state: the entry count does not match');
    const facts = new EntryFacts();
    facts.#lazy = { head, status: head.status, load, damaged, writes: [] };
    facts.#count = count;
    return facts;
  }

  /** The saved categories, severities and tags, checked against the head, then the writes made since. */
  #materialize(): void {
    const lazy = this.#lazy;
    if (!lazy) return;
    const detail = lazy.load();
    const { head } = lazy;
    const n = detail.category.length;
    const archived = new Uint8Array(n);
    try {
      if (
        n !== head.status.length ||
        [detail.severity.length, detail.tagStart.length, detail.tagCount.length].some((l) => l !== n)
      ) {
        throw new Error('entry facts state: per-entry arrays differ in length');
      }
      for (let seq = 0; seq < n; seq++) {
        const c = detail.category[seq]!;
        const status = head.status[seq]!;
        if ((c === -1) !== (status === 0)) throw new Error(`entry facts state: entry ${seq} is held by half`);
        if (c === -1) continue;
        archived[seq] = status === 2 ? 1 : 0;
        if (c < 0 || c >= head.categories.length || detail.severity[seq]! >= EntryFacts.SEVERITIES.length) {
          throw new Error(`entry facts state: entry ${seq} has an unknown category or severity`);
        }
        const start = detail.tagStart[seq]!;
        const end = start + detail.tagCount[seq]!;
        if (start < 0 || end > detail.tagPool.length)
          throw new Error(`entry facts state: entry ${seq}'s tags overrun`);
        for (let i = start; i < end; i++) {
          const t = detail.tagPool[i]!;
          if (t < 0 || t >= head.tagNames.length)
            throw new Error(`entry facts state: entry ${seq} has an unknown tag`);
        }
      }
      head.categories.forEach((name, i) => {
        this.#categories.push(name);
        this.#categoriesLower.push(name.toLowerCase());
        this.#categoryIds.set(name, i);
      });
      head.tagNames.forEach((name, i) => {
        this.#tagNames.push(name);
        this.#tagIds.set(name, i);
      });
      if (this.#categoryIds.size !== head.categories.length || this.#tagIds.size !== head.tagNames.length) {
        throw new Error('entry facts state: a category or tag is named twice');
      }
    } catch (error) {
      throw lazy.damaged((error as Error).message);
    }
    if (n > 0) {
      this.#category = detail.category;
      this.#severity = detail.severity;
      this.#archived = archived;
      this.#tagStart = detail.tagStart;
      this.#tagCount = detail.tagCount;
    }
    this.#tagPool = detail.tagPool.length > 0 ? detail.tagPool : new Int32Array(4096);
    this.#tagUsed = detail.tagPool.length;
    this.#count = head.count;
    this.#lazy = undefined;
    for (const w of lazy.writes) {
      if (w.delete) this.delete(w.seq);
      else this.set(w.seq, w.category, w.severity, w.tags, w.archived);
    }
  }

  /** The facts as flat arrays, trimmed to the largest key held. */
  toState(): EntryFactsState {
    this.#materialize();
    let n = this.#category.length;
    while (n > 0 && this.#category[n - 1] === -1) n--;
    return {
      categories: [...this.#categories],
      tagNames: [...this.#tagNames],
      count: this.#count,
      category: this.#category.slice(0, n),
      severity: this.#severity.slice(0, n),
      archived: this.#archived.slice(0, n),
      tagStart: this.#tagStart.slice(0, n),
      tagCount: this.#tagCount.slice(0, n),
      tagPool: this.#tagPool.slice(0, this.#tagUsed),
    };
  }

  /** Entries held. */
  get size(): number {
    return this.#count;
  }

  set(seq: number, category: string, severity: string, tags: readonly string[], archived: boolean): void {
    const lazy = this.#lazy;
    if (lazy) {
      if (seq >= lazy.status.length) {
        const grown = new Uint8Array(Math.max(seq + 1, lazy.status.length * 2));
        grown.set(lazy.status);
        lazy.status = grown;
      } else if (lazy.status === lazy.head.status) {
        // The saved status stays as saved: the saved detail is checked against it when read.
        lazy.status = lazy.status.slice();
      }
      if (lazy.status[seq] === 0) this.#count++;
      lazy.status[seq] = archived ? 2 : 1;
      lazy.writes.push({ delete: false, seq, category, severity, tags: [...tags], archived });
      return;
    }
    this.#ensure(seq);
    if (this.#category[seq] === -1) this.#count++;
    let c = this.#categoryIds.get(category);
    if (c === undefined) {
      c = this.#categories.length;
      this.#categories.push(category);
      this.#categoriesLower.push(category.toLowerCase());
      this.#categoryIds.set(category, c);
    }
    this.#category[seq] = c;
    this.#severity[seq] = Math.max(0, EntryFacts.SEVERITIES.indexOf(severity as 'low'));
    this.#archived[seq] = archived ? 1 : 0;
    const unique = [...new Set(tags)].slice(0, 255);
    if (this.#tagUsed + unique.length > this.#tagPool.length) {
      const pool = new Int32Array(Math.max(this.#tagPool.length * 2, this.#tagUsed + unique.length));
      pool.set(this.#tagPool.subarray(0, this.#tagUsed));
      this.#tagPool = pool;
    }
    // Updated entries get fresh slots; the old ones are simply abandoned (updates are few between rebuilds).
    this.#tagStart[seq] = this.#tagUsed;
    this.#tagCount[seq] = unique.length;
    for (const tag of unique) {
      let t = this.#tagIds.get(tag);
      if (t === undefined) {
        t = this.#tagNames.length;
        this.#tagNames.push(tag);
        this.#tagIds.set(tag, t);
      }
      this.#tagPool[this.#tagUsed++] = t;
    }
  }

  delete(seq: number): void {
    const lazy = this.#lazy;
    if (lazy) {
      if (seq < lazy.status.length && lazy.status[seq] !== 0) {
        if (lazy.status === lazy.head.status) lazy.status = lazy.status.slice();
        lazy.status[seq] = 0;
        this.#count--;
      }
      lazy.writes.push({ delete: true, seq });
      return;
    }
    if (seq < this.#category.length && this.#category[seq] !== -1) {
      this.#category[seq] = -1;
      this.#count--;
    }
  }

  has(seq: number): boolean {
    const status = this.#lazy?.status;
    if (status) return seq >= 0 && seq < status.length && status[seq] !== 0;
    return seq >= 0 && seq < this.#category.length && this.#category[seq] !== -1;
  }

  category(seq: number): string {
    this.#materialize();
    return this.#categories[this.#category[seq]!]!;
  }

  severity(seq: number): string {
    this.#materialize();
    return EntryFacts.SEVERITIES[this.#severity[seq]!]!;
  }

  archived(seq: number): boolean {
    const status = this.#lazy?.status;
    if (status) return status[seq] === 2;
    return this.#archived[seq] === 1;
  }

  tags(seq: number): string[] {
    this.#materialize();
    const out: string[] = [];
    const start = this.#tagStart[seq]!;
    for (let i = 0; i < this.#tagCount[seq]!; i++) out.push(this.#tagNames[this.#tagPool[start + i]!]!);
    return out;
  }

  /** True when the entry is held and passes the filters (see search-filters.ts for their meaning). */
  passes(seq: number, f: ResolvedFilters): boolean {
    if (!this.has(seq) || f.impossible) return false;
    if (this.#lazy) {
      if (f.categories.length + f.severities.length + f.tags.length === 0) {
        return f.includeArchived || this.#lazy.status[seq] !== 2;
      }
      this.#materialize();
    }
    if (this.#archived[seq] === 1 && !f.includeArchived) return false;
    if (f.categories.length > 0 && this.#categoriesLower[this.#category[seq]!] !== f.categories[0])
      return false;
    if (f.severities.length > 0 && EntryFacts.SEVERITIES[this.#severity[seq]!] !== f.severities[0])
      return false;
    if (f.tags.length > 0) {
      const start = this.#tagStart[seq]!;
      const end = start + this.#tagCount[seq]!;
      for (const tag of f.tags) {
        const id = this.#tagIds.get(tag);
        if (id === undefined) return false;
        let found = false;
        for (let i = start; i < end; i++) {
          if (this.#tagPool[i] === id) {
            found = true;
            break;
          }
        }
        if (!found) return false;
      }
    }
    return true;
  }

  /** Adds the entry's values to a facet counter. */
  count(seq: number, counter: FacetCounter, weight = 1): void {
    this.#materialize();
    counter.add(this.category(seq), this.severity(seq), this.tags(seq), weight);
  }

  #ensure(seq: number): void {
    if (seq < this.#category.length) return;
    let size = this.#category.length;
    while (size <= seq) size *= 2;
    const grow = <T extends Int32Array | Uint8Array>(old: T, make: (n: number) => T, fill?: number): T => {
      const next = make(size);
      if (fill !== undefined) next.fill(fill);
      next.set(old);
      return next;
    };
    this.#category = grow(this.#category, (n) => new Int32Array(n), -1);
    this.#severity = grow(this.#severity, (n) => new Uint8Array(n));
    this.#archived = grow(this.#archived, (n) => new Uint8Array(n));
    this.#tagStart = grow(this.#tagStart, (n) => new Int32Array(n));
    this.#tagCount = grow(this.#tagCount, (n) => new Uint8Array(n));
  }
}
