import { FOLD_PAIRS, TOKEN_CHAR_BOUNDARIES } from './unicode61-table.js';

/**
 * The tokenisation of SQLite FTS5's `unicode61 remove_diacritics 2` tokenizer, reproduced in JavaScript so
 * that the engine can mark snippets, score candidates and correct words on exactly the terms the index
 * holds. A token is a maximal run of token characters (letters, digits and private-use characters of
 * SQLite's Unicode 6.1 tables, which also count unassigned code points and combining marks as token
 * characters); each character is case-folded and Latin diacritics are removed; characters that fold to
 * nothing (combining marks) vanish, and a token that ends up empty is no token at all (it takes no
 * position). `-`, `.`, `_` and every other punctuation character separate tokens, which is why `S0C7` and
 * `IEF212I` are one token each while `SQLCODE -911` is the two tokens `sqlcode 911`.
 *
 * The tables come from SQLite itself (see `tokenizer.test.ts`, which checks every code point against the
 * bundled SQLite and regenerates `unicode61-table.ts` when asked).
 */

/** One token of a text: its folded form and where it sits in the original string (UTF-16 offsets). */
export interface Token {
  term: string;
  start: number;
  end: number;
}

const ASCII_TOKEN = new Uint8Array(128);
for (let c = 48; c <= 57; c++) ASCII_TOKEN[c] = 1;
for (let c = 65; c <= 90; c++) ASCII_TOKEN[c] = 1;
for (let c = 97; c <= 122; c++) ASCII_TOKEN[c] = 1;

/** Token-ness of the Basic Multilingual Plane as a bitmap: one lookup per character on the hot path. */
const BMP_TOKEN = new Uint8Array(0x10000);
/** Folding of non-ASCII code points; a missing key folds to itself, -1 means the character is removed. */
const FOLD = new Map<number, number>();

(function loadTables() {
  let token = false;
  let from = 0;
  for (const boundary of TOKEN_CHAR_BOUNDARIES) {
    if (token) BMP_TOKEN.fill(1, from, Math.min(boundary, 0x10000));
    token = !token;
    from = boundary;
  }
  if (token) BMP_TOKEN.fill(1, from, 0x10000);
  // Lone surrogates reach SQLite as U+FFFD, a separator.
  BMP_TOKEN.fill(0, 0xd800, 0xe000);
  for (let i = 0; i + 1 < FOLD_PAIRS.length; i += 2) FOLD.set(FOLD_PAIRS[i]!, FOLD_PAIRS[i + 1]!);
})();

/** True when SQLite's unicode61 tokenizer treats the code point as part of a token. */
export function isTokenChar(codePoint: number): boolean {
  if (codePoint < 0x10000) return BMP_TOKEN[codePoint] === 1;
  if (codePoint > 0x10ffff) return false;
  // Above the BMP the boundaries are few: binary search.
  let lo = 0;
  let hi = TOKEN_CHAR_BOUNDARIES.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (TOKEN_CHAR_BOUNDARIES[mid]! <= codePoint) lo = mid + 1;
    else hi = mid;
  }
  // An odd number of boundaries at or below the code point means "inside a token run".
  return (lo & 1) === 1;
}

/** The folded form of one code point: lower case without Latin diacritics; -1 when it is removed. */
export function foldCodePoint(codePoint: number): number {
  if (codePoint < 128) return codePoint >= 65 && codePoint <= 90 ? codePoint + 32 : codePoint;
  return FOLD.get(codePoint) ?? codePoint;
}

/** Folds a non-ASCII (or mixed) run of token characters; may return '' when every character vanishes. */
function foldRun(text: string, start: number, end: number): string {
  let out = '';
  for (let i = start; i < end; ) {
    const cp = text.codePointAt(i)!;
    i += cp > 0xffff ? 2 : 1;
    const folded = foldCodePoint(cp);
    if (folded >= 0) out += String.fromCodePoint(folded);
  }
  return out;
}

/**
 * Calls `visit(term, start, end)` for every token of `text`, in order. ASCII runs take a fast path (no
 * per-character folding); the rest go through the tables.
 */
export function forEachToken(text: string, visit: (term: string, start: number, end: number) => void): void {
  const n = text.length;
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c < 128) {
      if (ASCII_TOKEN[c] === 0) {
        i++;
        continue;
      }
    } else if (!isTokenAt(text, i)) {
      i += c >= 0xd800 && c <= 0xdbff && i + 1 < n && isLowSurrogate(text.charCodeAt(i + 1)) ? 2 : 1;
      continue;
    }
    const start = i;
    let ascii = true;
    let upper = false;
    while (i < n) {
      const d = text.charCodeAt(i);
      if (d < 128) {
        if (ASCII_TOKEN[d] === 0) break;
        if (d <= 90 && d >= 65) upper = true;
        i++;
      } else {
        if (!isTokenAt(text, i)) break;
        ascii = false;
        i += d >= 0xd800 && d <= 0xdbff && i + 1 < n && isLowSurrogate(text.charCodeAt(i + 1)) ? 2 : 1;
      }
    }
    const term = ascii
      ? upper
        ? text.slice(start, i).toLowerCase()
        : text.slice(start, i)
      : foldRun(text, start, i);
    if (term.length > 0) visit(term, start, i);
  }
}

function isLowSurrogate(c: number): boolean {
  return c >= 0xdc00 && c <= 0xdfff;
}

/** Token-ness of the (possibly astral) character at `i`; a lone surrogate is a separator. */
function isTokenAt(text: string, i: number): boolean {
  const c = text.charCodeAt(i);
  if (c >= 0xd800 && c <= 0xdbff) {
    const low = text.charCodeAt(i + 1);
    if (!isLowSurrogate(low)) return false;
    return isTokenChar(((c - 0xd800) << 10) + (low - 0xdc00) + 0x10000);
  }
  return BMP_TOKEN[c] === 1;
}

/** The folded terms of `text`, in order. */
export function tokenize(text: string): string[] {
  const out: string[] = [];
  forEachToken(text, (term) => {
    out.push(term);
  });
  return out;
}

/** The tokens of `text` with their offsets in the original string (for highlighting). */
export function tokenizeWithOffsets(text: string): Token[] {
  const out: Token[] = [];
  forEachToken(text, (term, start, end) => {
    out.push({ term, start, end });
  });
  return out;
}

/** True when the term has a digit: such terms are codes (S0C7, IEF212I, 911) and are never corrected. */
export function hasDigit(term: string): boolean {
  for (let i = 0; i < term.length; i++) {
    const c = term.charCodeAt(i);
    if (c >= 48 && c <= 57) return true;
    // Other scripts' digits (Arabic-Indic, fullwidth, mathematical…) count too.
    if (c > 127) return NON_ASCII_DIGIT.test(term);
  }
  return false;
}

const NON_ASCII_DIGIT = /\p{N}/u;
