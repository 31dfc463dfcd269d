/**
 * A sorted vocabulary kept as UTF-8 bytes and end offsets, as a saved search state stores it: terms are
 * decoded one at a time when looked at, so loading a state of a hundred thousand terms costs nothing until a
 * query looks one up (a binary search decodes about seventeen). Sorted as JavaScript sorts strings (by UTF-16
 * code unit), the order `<` compares in.
 */
export class TermTable {
  readonly #bytes: Buffer;
  /** Where each term ends; term i spans [ends[i - 1] (0 for the first), ends[i]). */
  readonly #ends: Int32Array;

  private constructor(bytes: Buffer, ends: Int32Array) {
    this.#bytes = bytes;
    this.#ends = ends;
  }

  /** The table of `terms`, which must be sorted. */
  static encode(terms: readonly string[]): { bytes: Uint8Array; ends: Int32Array } {
    const encoded = terms.map((t) => Buffer.from(t, 'utf8'));
    const ends = new Int32Array(terms.length);
    let at = 0;
    encoded.forEach((b, i) => {
      at += b.length;
      ends[i] = at;
    });
    return { bytes: Buffer.concat(encoded, at), ends };
  }

  /** A table over saved bytes (not copied). Throws when the offsets do not fit the bytes. */
  static view(bytes: Uint8Array, ends: Int32Array): TermTable {
    let previous = 0;
    for (let i = 0; i < ends.length; i++) {
      const end = ends[i]!;
      if (end < previous) throw new Error('term table: offsets out of order');
      previous = end;
    }
    if (previous !== bytes.length) throw new Error('term table: offsets do not cover the bytes');
    return new TermTable(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), ends);
  }

  get length(): number {
    return this.#ends.length;
  }

  at(i: number): string {
    return this.#bytes.toString('utf8', i === 0 ? 0 : this.#ends[i - 1]!, this.#ends[i]!);
  }

  /** The first position whose term is not below `term` (the length when every term is). */
  lowerBound(term: string): number {
    let lo = 0;
    let hi = this.#ends.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.at(mid) < term) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** The position of `term`, or -1. */
  indexOf(term: string): number {
    const i = this.lowerBound(term);
    return i < this.#ends.length && this.at(i) === term ? i : -1;
  }

  /** Every term, decoded. */
  all(): string[] {
    const out: string[] = new Array(this.#ends.length);
    for (let i = 0; i < out.length; i++) out[i] = this.at(i);
    return out;
  }
}
