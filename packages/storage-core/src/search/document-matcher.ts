import { atomsInOrder, type ParsedQuery, type QueryAtom } from './query-types.js';
import { forEachToken } from './tokenizer.js';

/**
 * Evaluates a parsed query against one entry's text in JavaScript, with the semantics of the FTS5 MATCH
 * expression the SQLite engine builds from the same query: words and prefixes anywhere in a column, phrases
 * as adjacent terms within one column, OR within a clause, AND between clauses, negated clauses excluding.
 * It also yields what BM25 needs (per-atom instance counts weighted by column, and the entry's length), the
 * query terms found (for `matchedTerms`) and a term test for highlighting.
 *
 * Engines use it to score a bounded set of candidates without asking the database to score every match,
 * and to build snippets for the page of results.
 */

export interface DocumentMatch {
  /** Per atom (in `atomsInOrder` order): instances weighted by their column's weight. */
  freqs: Float64Array;
  /** Tokens over all columns. */
  length: number;
  /** Query terms found: words, phrases (space-joined) and the actual words a prefix matched. */
  matchedTerms: string[];
  /** A prefix atom matched a longer word than the prefix itself. */
  viaPrefix: boolean;
  /** A matched atom contains a term put there by spell correction. */
  viaCorrection: boolean;
}

/** What `DocumentMatcher.measure` found of each atom in one entry, before the verdict on the whole query. */
export interface AtomMeasure {
  /** Per atom (in `atomsInOrder` order): instances weighted by their column's weight. */
  readonly freqs: Float64Array;
  /** Tokens over all columns. */
  readonly length: number;
  /** Per single-term prefix atom: the words it matched. */
  readonly prefixWords: readonly ReadonlySet<string>[];
  /** A single-term prefix atom matched a longer word than the prefix itself. */
  readonly viaPrefix: boolean;
}

interface TermSlot {
  atom: number;
  position: number;
}

const POSITION_BITS = 2 ** 24;

export class DocumentMatcher {
  readonly atoms: readonly QueryAtom[];
  /** Atoms of positive clauses; they come first in `atoms`. */
  readonly positiveAtoms: number;
  readonly #weights: readonly number[];
  readonly #exact = new Map<string, TermSlot[]>();
  readonly #prefixes: { prefix: string; slot: TermSlot }[] = [];
  /** Atom index → clause index, and whether that clause is negated. */
  readonly #clauseOf: number[] = [];
  readonly #negated: boolean[] = [];
  readonly #clauseCount: number;
  readonly #highlightExact = new Set<string>();
  readonly #highlightPrefixes: string[] = [];

  /** `weights[i]`: the weight of column i; columns past the end weigh 1 (as in FTS5). */
  constructor(query: ParsedQuery, weights: readonly number[]) {
    this.#weights = weights;
    this.atoms = atomsInOrder(query);
    const clauseIndex = new Map<QueryAtom, number>();
    query.clauses.forEach((clause, c) => {
      for (const atom of clause.atoms) clauseIndex.set(atom, c);
      this.#negated[c] = clause.negated;
    });
    this.#clauseCount = query.clauses.length;
    this.positiveAtoms = query.clauses.reduce((n, c) => n + (c.negated ? 0 : c.atoms.length), 0);
    this.atoms.forEach((atom, a) => {
      const c = clauseIndex.get(atom)!;
      this.#clauseOf[a] = c;
      atom.terms.forEach((term, position) => {
        const slot = { atom: a, position };
        if (atom.prefix && position === atom.terms.length - 1) this.#prefixes.push({ prefix: term, slot });
        else {
          const list = this.#exact.get(term);
          if (list) list.push(slot);
          else this.#exact.set(term, [slot]);
        }
        if (!query.clauses[c]!.negated) {
          if (atom.prefix && position === atom.terms.length - 1) this.#highlightPrefixes.push(term);
          else this.#highlightExact.add(term);
        }
      });
    });
  }

  /** True when a token of the text is one the query looks for (a term, or a word starting with a prefix). */
  isHighlighted(term: string): boolean {
    if (this.#highlightExact.has(term)) return true;
    for (const p of this.#highlightPrefixes) if (term.startsWith(p)) return true;
    return false;
  }

  /** Matches the entry's columns (title, problem, solution, tags, category); null when it does not match. */
  match(columns: readonly string[]): DocumentMatch | null {
    return this.verdict(this.measure(columns));
  }

  /**
   * What the query's atoms find in the entry's columns, whether or not the entry matches the whole query:
   * a caller counting the entries that hold each atom (BM25's idf) measures once and asks `verdict` after.
   */
  measure(columns: readonly string[]): AtomMeasure {
    return this.#measure(columns.length, (column, visit) => forEachToken(columns[column]!, visit));
  }

  /** `measure` of columns already tokenized (the terms the shared tokenizer gives, in order). */
  measureTerms(columns: readonly (readonly string[])[]): AtomMeasure {
    return this.#measure(columns.length, (column, visit) => {
      for (const term of columns[column]!) visit(term);
    });
  }

  #measure(
    columnCount: number,
    forEachTerm: (column: number, visit: (term: string) => void) => void,
  ): AtomMeasure {
    const n = this.atoms.length;
    const freqs = new Float64Array(n);
    // Multi-term atoms: positions of each of their terms, as column·2^24 + position.
    const seen: Set<number>[][] = this.atoms.map((atom) =>
      atom.terms.length > 1 ? atom.terms.map(() => new Set<number>()) : [],
    );
    const prefixWords: Set<string>[] = this.atoms.map(() => new Set<string>());
    let length = 0;
    let viaPrefix = false;
    for (let column = 0; column < columnCount; column++) {
      const weight = this.#weights[column] ?? 1;
      let position = 0;
      forEachTerm(column, (term) => {
        const slots = this.#exact.get(term);
        if (slots) for (const slot of slots) this.#hit(slot, column, position, weight, freqs, seen);
        for (const { prefix, slot } of this.#prefixes) {
          if (term.startsWith(prefix)) {
            this.#hit(slot, column, position, weight, freqs, seen);
            if (this.atoms[slot.atom]!.terms.length === 1) {
              prefixWords[slot.atom]!.add(term);
              if (term !== prefix) viaPrefix = true;
            }
          }
        }
        position++;
      });
      length += position;
    }
    this.atoms.forEach((atom, a) => {
      if (atom.terms.length < 2) return;
      const sets = seen[a]!;
      for (const start of sets[0]!) {
        let k = 1;
        while (k < sets.length && sets[k]!.has(start)) k++;
        if (k === sets.length) freqs[a] = freqs[a]! + (this.#weights[Math.floor(start / POSITION_BITS)] ?? 1);
      }
    });
    return { freqs, length, prefixWords, viaPrefix };
  }

  /** Whether a measured entry matches the query (each positive clause hit, no negated one): null when not. */
  verdict({ freqs, length, prefixWords, viaPrefix }: AtomMeasure): DocumentMatch | null {
    const n = this.atoms.length;
    const clauseHit = new Array<boolean>(this.#clauseCount).fill(false);
    for (let a = 0; a < n; a++) if (freqs[a]! > 0) clauseHit[this.#clauseOf[a]!] = true;
    for (let c = 0; c < this.#clauseCount; c++) if (clauseHit[c] === this.#negated[c]) return null;
    const matchedTerms: string[] = [];
    let viaCorrection = false;
    this.atoms.forEach((atom, a) => {
      if (freqs[a]! <= 0 || this.#negated[this.#clauseOf[a]!]) return;
      if (atom.correctedFrom) viaCorrection = true;
      if (atom.prefix && atom.terms.length === 1) matchedTerms.push(...[...prefixWords[a]!].sort());
      else matchedTerms.push(atom.terms.join(' '));
    });
    const phrasePrefix = this.atoms.some((atom, a) => atom.prefix && atom.terms.length > 1 && freqs[a]! > 0);
    return {
      freqs,
      length,
      matchedTerms: [...new Set(matchedTerms)],
      viaPrefix: viaPrefix || phrasePrefix,
      viaCorrection,
    };
  }

  #hit(
    slot: TermSlot,
    column: number,
    position: number,
    weight: number,
    freqs: Float64Array,
    seen: Set<number>[][],
  ): void {
    const atom = this.atoms[slot.atom]!;
    if (atom.terms.length === 1) freqs[slot.atom] = freqs[slot.atom]! + weight;
    // Each term of a phrase records where a run through it would start; a start every term records is an
    // instance of the phrase.
    else if (position >= slot.position)
      seen[slot.atom]![slot.position]!.add(column * POSITION_BITS + position - slot.position);
  }
}
