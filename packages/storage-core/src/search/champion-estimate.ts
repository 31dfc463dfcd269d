import { BM25_K1 } from './bm25.js';
import type { ChampionIndex } from './champion-index.js';
import type { QueryAtom } from './query-types.js';

/** What the champion lists say about one atom of a query (see `estimateAtom`). */
export interface AtomEstimate {
  /** Listed entries with their saturation for the atom. */
  known: Map<number, number>;
  /** No unlisted entry has a higher saturation for the atom. */
  floor: number;
  /** Upper bound of the entries holding the atom (for its idf). */
  hits: number;
  /** `known` values are exact saturations (a plain word), not bounds or estimates. */
  exact: boolean;
  /** `known` values are upper bounds (false for prefixes, whose values are only estimates). */
  bounded: boolean;
}

/**
 * A plain word: its list's saturations, exact. A phrase: for each listed entry the smallest saturation
 * among its words — a phrase occurs no more often than its rarest word, so this bounds the phrase's own
 * saturation from above. A prefix: the best saturation among its `maxExpansions` most frequent expansions —
 * an estimate only, since several expansions in one entry add up.
 */
export function estimateAtom(
  atom: QueryAtom,
  index: ChampionIndex,
  rows: number,
  maxExpansions: number,
): AtomEstimate {
  const parts = atom.terms.map((term, i) => {
    const expand = atom.prefix && i === atom.terms.length - 1;
    const terms = expand ? index.termsWithPrefix(term, maxExpansions) : [term];
    const values = new Map<number, number>();
    let floor = 0;
    for (const t of terms) {
      const list = index.list(t);
      if (!list) continue;
      floor = Math.max(floor, list.complete ? 0 : list.floor);
      for (let k = 0; k < list.size; k++) {
        const seq = list.seqs[k]!;
        const v = list.impacts[k]!;
        if (!expand || v > (values.get(seq) ?? 0)) values.set(seq, v);
      }
    }
    const hits = expand ? terms.reduce((n, t) => n + index.df(t), 0) : index.df(term);
    return { values, floor, hits };
  });
  const known = new Map<number, number>();
  for (const part of parts) {
    for (const seq of part.values.keys()) {
      if (known.has(seq)) continue;
      let v = BM25_K1 + 1;
      for (const other of parts) v = Math.min(v, other.values.get(seq) ?? other.floor);
      known.set(seq, v);
    }
  }
  return {
    known,
    floor: Math.min(...parts.map((p) => p.floor)),
    hits: Math.max(1, Math.min(rows, ...parts.map((p) => p.hits))),
    exact: atom.terms.length === 1 && !atom.prefix,
    bounded: !atom.prefix,
  };
}
