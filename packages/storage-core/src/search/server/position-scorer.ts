import { atomsInOrder, type ParsedQuery, type QueryAtom } from '../query-types.js';

/** Where one occurrence of a term is: its position in the document and its column (0 title … 4 category). */
export interface TermOccurrence {
  readonly position: number;
  readonly column: number;
}

/** What a backend reads of one candidate instead of its text: its length and where the query's terms occur. */
export interface DocumentTerms {
  readonly length: number;
  /** Query terms and, for prefix atoms, every indexed term starting with the prefix. */
  readonly terms: ReadonlyMap<string, readonly TermOccurrence[]>;
}

/**
 * DocumentMatcher's verdict computed from term positions instead of text: the same query semantics (words,
 * prefixes, phrases as adjacent positions within one column, OR within a clause, AND between clauses,
 * negated clauses excluding) and the same per-atom frequencies weighted by column, so BM25 scores match.
 * Backends store positions with a gap between columns, so adjacency never crosses a column boundary.
 */
export class PositionScorer {
  readonly #atoms: QueryAtom[];
  readonly #weights: readonly number[];
  readonly #clauseOf: number[] = [];
  readonly #negated: boolean[] = [];
  readonly #clauses: number;

  constructor(query: ParsedQuery, weights: readonly number[]) {
    this.#atoms = atomsInOrder(query);
    this.#weights = weights;
    const clauseIndex = new Map<QueryAtom, number>();
    query.clauses.forEach((clause, c) => {
      for (const atom of clause.atoms) clauseIndex.set(atom, c);
      this.#negated[c] = clause.negated;
    });
    this.#clauses = query.clauses.length;
    this.#atoms.forEach((atom, a) => {
      this.#clauseOf[a] = clauseIndex.get(atom)!;
    });
  }

  /** The exact terms and the prefixes whose occurrences a backend must read. */
  wanted(): { terms: string[]; prefixes: string[] } {
    const terms = new Set<string>();
    const prefixes = new Set<string>();
    for (const atom of this.#atoms) {
      atom.terms.forEach((term, i) => {
        if (atom.prefix && i === atom.terms.length - 1) prefixes.add(term);
        else terms.add(term);
      });
    }
    return { terms: [...terms], prefixes: [...prefixes] };
  }

  #occurrences(doc: DocumentTerms, term: string, prefix: boolean): TermOccurrence[] {
    if (!prefix) return [...(doc.terms.get(term) ?? [])];
    const out: TermOccurrence[] = [];
    for (const [lexeme, list] of doc.terms) if (lexeme.startsWith(term)) out.push(...list);
    return out;
  }

  /** Per-atom weighted frequencies (in `atomsInOrder` order), or null when the document does not match. */
  score(doc: DocumentTerms): Float64Array | null {
    const freqs = new Float64Array(this.#atoms.length);
    this.#atoms.forEach((atom, a) => {
      const last = atom.terms.length - 1;
      const first = this.#occurrences(doc, atom.terms[0]!, atom.prefix && last === 0);
      if (last === 0) {
        for (const o of first) freqs[a] = freqs[a]! + (this.#weights[o.column] ?? 1);
        return;
      }
      const rest = atom.terms.slice(1).map((term, i) => {
        const set = new Set<number>();
        for (const o of this.#occurrences(doc, term, atom.prefix && i + 1 === last)) set.add(o.position);
        return set;
      });
      for (const start of first) {
        if (rest.every((set, i) => set.has(start.position + i + 1))) {
          freqs[a] = freqs[a]! + (this.#weights[start.column] ?? 1);
        }
      }
    });
    const hit = new Array<boolean>(this.#clauses).fill(false);
    for (let a = 0; a < freqs.length; a++) if (freqs[a]! > 0) hit[this.#clauseOf[a]!] = true;
    for (let c = 0; c < this.#clauses; c++) if (hit[c] === this.#negated[c]) return null;
    return freqs;
  }
}
