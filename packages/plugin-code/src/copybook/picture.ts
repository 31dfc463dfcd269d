import { CodeAnalysisError } from '../errors.js';
import type { SignInfo } from './model.js';

/** What a PICTURE string says about an item, before USAGE is applied. */
export interface Picture {
  readonly text: string;
  readonly category: 'alphanumeric' | 'alphabetic' | 'numeric' | 'edited';
  /** Character positions (S, V and P take none; CR and DB take two). */
  readonly displayLength: number;
  readonly digits: number;
  readonly scale: number;
  readonly signed: boolean;
  /** A sign that the picture itself places: '+', '-', CR or DB. */
  readonly sign?: SignInfo;
  readonly explicitDecimalPoint: boolean;
}

interface Run {
  readonly symbol: string;
  readonly count: number;
}

/** The largest repetition factor accepted in `(n)`. */
const MAX_REPEAT = 100_000_000;
const SINGLE_SYMBOLS = new Set([
  'X',
  'A',
  '9',
  'S',
  'V',
  'P',
  '.',
  ',',
  'Z',
  '$',
  'B',
  '0',
  '/',
  '*',
  '+',
  '-',
]);
/** Symbols that make a numeric picture numeric-edited ('.' alone is read as an explicit decimal point). */
const EDIT_SYMBOLS = new Set(['Z', '*', '$', ',', 'B', '0', '/', '+', '-', 'CR', 'DB']);
/** Symbols that may float: a run of two or more is one sign/currency position plus digit positions. */
const FLOATING = new Set(['$', '+', '-']);

type Fail = (message: string) => never;

/** Reads the symbols of a picture into runs, expanding `(n)` repetitions. */
function readRuns(text: string, fail: Fail): Run[] {
  const runs: Run[] = [];
  let i = 0;
  while (i < text.length) {
    const two = text.slice(i, i + 2);
    if (two === 'CR' || two === 'DB') {
      runs.push({ symbol: two, count: 1 });
      i += 2;
      continue;
    }
    const ch = text[i] as string;
    if (ch === '(') {
      const close = text.indexOf(')', i);
      const digits = close < 0 ? '' : text.slice(i + 1, close);
      const previous = runs.pop();
      if (!previous || !/^\d+$/.test(digits)) fail(`bad repetition at position ${i + 1}`);
      const count = Number(digits);
      if (count < 1 || count > MAX_REPEAT) fail(`repetition (${digits}) out of range`);
      runs.push({ symbol: previous.symbol, count: previous.count + count - 1 });
      i = close + 1;
      continue;
    }
    if (!SINGLE_SYMBOLS.has(ch)) fail(`unsupported symbol '${ch}'`);
    const last = runs[runs.length - 1];
    if (last && last.symbol === ch) runs[runs.length - 1] = { symbol: ch, count: last.count + 1 };
    else runs.push({ symbol: ch, count: 1 });
    i++;
  }
  if (runs.length === 0) fail('empty picture');
  return runs;
}

const isSignSymbol = (symbol: string): boolean =>
  symbol === '+' || symbol === '-' || symbol === 'CR' || symbol === 'DB';

/** The sign a '+', '-', CR or DB places: it must open (possibly after '$') or close the picture. */
function pictureSign(runs: readonly Run[], fail: Fail): SignInfo | undefined {
  const symbols = new Set(runs.filter((r) => isSignSymbol(r.symbol)).map((r) => r.symbol));
  if (symbols.size === 0) return undefined;
  if (symbols.size > 1) fail('more than one kind of sign symbol');
  const firstNonCurrency = runs.find((r) => r.symbol !== '$');
  if (firstNonCurrency && isSignSymbol(firstNonCurrency.symbol))
    return { position: 'leading', separate: true };
  if (isSignSymbol(runs[runs.length - 1]?.symbol ?? '')) return { position: 'trailing', separate: true };
  return fail('a sign symbol must be first or last');
}

/**
 * Parses a PICTURE character-string (X, A, 9, S, V, P, '.', and the editing symbols Z $ , CR DB B 0 / * + -,
 * with `(n)` repetition). Throws a `PICTURE` error naming the line for anything else.
 */
export function parsePicture(raw: string, where: { file?: string; line?: number } = {}): Picture {
  const text = raw.toUpperCase();
  const fail: Fail = (message) => {
    throw new CodeAnalysisError('PICTURE', `invalid PICTURE '${raw}': ${message}`, where);
  };
  const runs = readRuns(text, fail);
  const has = (symbol: string): boolean => runs.some((r) => r.symbol === symbol);
  const count = (symbol: string): number => runs.reduce((n, r) => n + (r.symbol === symbol ? r.count : 0), 0);

  if (count('S') > 1 || (has('S') && runs[0]?.symbol !== 'S')) fail("'S' must appear once, first");
  if (count('V') > 1) fail("'V' must appear at most once");
  if (count('.') > 1 || (has('.') && has('V'))) fail('more than one decimal point');

  const isEdited = runs.some((r) => EDIT_SYMBOLS.has(r.symbol));
  const numericOnly = runs.every((r) => ['9', 'S', 'V', 'P', '.'].includes(r.symbol));
  if (has('X') || has('A')) {
    if (
      runs.some(
        (r) =>
          ['S', 'V', 'P', '.'].includes(r.symbol) ||
          (EDIT_SYMBOLS.has(r.symbol) && !'B0/'.includes(r.symbol)),
      )
    ) {
      fail('numeric symbols mixed with X or A');
    }
    const alphabetic = runs.every((r) => r.symbol === 'A' || r.symbol === 'B');
    return {
      text,
      category: alphabetic ? 'alphabetic' : 'alphanumeric',
      displayLength: runs.reduce((n, r) => n + r.count, 0),
      digits: 0,
      scale: 0,
      signed: false,
      explicitDecimalPoint: false,
    };
  }
  if (!numericOnly && !isEdited) fail('not a valid numeric picture');
  if (count('9') + count('Z') + count('*') + count('$') + count('+') + count('-') + count('P') === 0) {
    fail('no digit positions');
  }

  const sign = pictureSign(runs, fail);
  let digits = 0;
  let scale = 0;
  let displayLength = 0;
  let fractional = false;
  let seenDigit = false;
  const floatingSeen = new Set<string>();
  for (const run of runs) {
    const { symbol, count: n } = run;
    if (symbol === 'V' || symbol === '.') {
      fractional = true;
      if (symbol === '.') displayLength += 1;
      continue;
    }
    if (symbol === 'S') continue;
    if (symbol === 'P') {
      // Leading P: implied decimal positions before the digits; trailing P: implied zeros after them.
      if (seenDigit && !fractional) scale -= n;
      else {
        scale += n;
        fractional = true;
      }
      continue;
    }
    displayLength += symbol === 'CR' || symbol === 'DB' ? 2 : n;
    let digitPositions = symbol === '9' || symbol === 'Z' || symbol === '*' ? n : 0;
    if (FLOATING.has(symbol) && count(symbol) > 1) {
      // A floating string: its first symbol is the sign/currency position, the others are digit positions.
      digitPositions = floatingSeen.has(symbol) ? n : n - 1;
      floatingSeen.add(symbol);
    }
    if (digitPositions > 0) {
      seenDigit = true;
      digits += digitPositions;
      if (fractional) scale += digitPositions;
    }
  }
  return {
    text,
    category: isEdited ? 'edited' : 'numeric',
    displayLength,
    digits,
    scale,
    signed: has('S') || sign !== undefined,
    ...(sign ? { sign } : {}),
    explicitDecimalPoint: has('.'),
  };
}
