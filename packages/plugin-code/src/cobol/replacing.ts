/**
 * REPLACING / REPLACE operands and their application to a token stream.
 *
 * Matching follows the COBOL rules: the stream is compared text-word by text-word from the left;
 * at each position the operands are tried in the order written and the first one that matches is
 * replaced; the replacement is never compared again (so `==A== BY ==A A==` cannot loop) and the
 * comparison resumes after the matched words. Separator commas / semicolons, spaces, line breaks and
 * comment lines do not take part in the comparison; words compare case-insensitively, literals exactly.
 * `LEADING` / `TRAILING` operands replace the leading / trailing part of a word.
 */
import { CodeAnalysisError, type CodeErrorReason } from '../errors.js';
import type { CobolToken } from './tokenizer.js';

export interface ReplacingOperand {
  /** Text as written, pseudo-text delimiters included. */
  text: string;
  /** The operand's tokens (separators included, pseudo-text delimiters excluded). */
  tokens: CobolToken[];
}

export interface ReplacingPair {
  /** `full` replaces whole text-word sequences; `leading` / `trailing` a part of a word. */
  mode: 'full' | 'leading' | 'trailing';
  replaceable: ReplacingOperand;
  replacement: ReplacingOperand;
}

/** Longest accepted replaceable operand, in text words. */
export const MAX_PATTERN_WORDS = 256;

/** A cap on the characters produced by an expansion; charged by COPY and by REPLACING. */
export class ExpansionBudget {
  private used = 0;
  constructor(
    readonly limit: number,
    private readonly file: string | undefined,
  ) {}

  charge(tokens: readonly CobolToken[], reason: CodeErrorReason, line: number | undefined): void {
    for (const t of tokens) this.used += t.text.length + t.gap.length;
    if (this.used > this.limit) {
      throw new CodeAnalysisError(
        reason,
        `expanded source exceeds the limit of ${this.limit} characters (maxExpansionBytes)`,
        { file: this.file, line },
      );
    }
  }
}

/** Tokens that take part in matching: everything but separator commas / semicolons. */
function textWords(tokens: readonly CobolToken[]): CobolToken[] {
  return tokens.filter((t) => t.kind !== 'separator');
}

function sameWord(a: CobolToken, b: CobolToken): boolean {
  return a.kind === b.kind && a.upper === b.upper;
}

/**
 * Parses `[LEADING|TRAILING] operand BY operand` pairs starting at `start`, as long as the next token
 * can start an operand and `isEnd` does not stop it. Returns the pairs and the index after the last one.
 */
export function parseReplacingPairs(
  tokens: readonly CobolToken[],
  start: number,
  isEnd: (t: CobolToken) => boolean,
): { pairs: ReplacingPair[]; next: number } {
  const pairs: ReplacingPair[] = [];
  let i = start;
  while (i < tokens.length && !isEnd(tokens[i]!)) {
    const lead = tokens[i]!;
    let mode: ReplacingPair['mode'] = 'full';
    if (lead.kind === 'word' && (lead.upper === 'LEADING' || lead.upper === 'TRAILING')) {
      mode = lead.upper === 'LEADING' ? 'leading' : 'trailing';
      i++;
    }
    const replaceable = parseOperand(tokens, i);
    const by = tokens[replaceable.next];
    if (by?.kind !== 'word' || by.upper !== 'BY') {
      throw new CodeAnalysisError(
        'SYNTAX',
        `expected BY after REPLACING operand ${replaceable.operand.text}`,
        {
          file: lead.file,
          line: lead.line,
        },
      );
    }
    const replacement = parseOperand(tokens, replaceable.next + 1);
    checkPair(mode, replaceable.operand, replacement.operand, lead);
    pairs.push({ mode, replaceable: replaceable.operand, replacement: replacement.operand });
    i = replacement.next;
  }
  return { pairs, next: i };
}

function checkPair(
  mode: ReplacingPair['mode'],
  from: ReplacingOperand,
  to: ReplacingOperand,
  at: CobolToken,
): void {
  const words = textWords(from.tokens);
  const where = { file: at.file, line: at.line };
  if (words.length === 0) {
    throw new CodeAnalysisError('SYNTAX', `empty REPLACING operand ${from.text}`, where);
  }
  if (words.length > MAX_PATTERN_WORDS) {
    // Matching costs up to pattern length per position: a huge pattern would make it quadratic.
    throw new CodeAnalysisError(
      'REPLACING_LIMIT',
      `REPLACING operand longer than ${MAX_PATTERN_WORDS} words`,
      where,
    );
  }
  if (mode !== 'full' && (words.length !== 1 || textWords(to.tokens).length > 1)) {
    throw new CodeAnalysisError('SYNTAX', `${mode.toUpperCase()} needs a single-word pseudo-text`, where);
  }
}

/**
 * One operand: pseudo-text `==...==`, a literal, or an identifier (word, `OF`/`IN` qualifiers,
 * a parenthesised subscript list).
 */
function parseOperand(
  tokens: readonly CobolToken[],
  start: number,
): { operand: ReplacingOperand; next: number } {
  const first = tokens[start];
  if (!first) {
    const last = tokens[tokens.length - 1];
    throw new CodeAnalysisError('UNTERMINATED', 'REPLACING operand missing at end of source', {
      file: last?.file,
      line: last?.line,
    });
  }
  if (first.kind === 'pseudo') {
    let end = start + 1;
    while (end < tokens.length && tokens[end]!.kind !== 'pseudo') end++;
    if (end >= tokens.length) {
      throw new CodeAnalysisError('UNTERMINATED', 'pseudo-text without its closing ==', {
        file: first.file,
        line: first.line,
      });
    }
    return { operand: operandOf(tokens, start, end + 1, start + 1, end), next: end + 1 };
  }
  if (first.kind === 'literal') return { operand: operandOf(tokens, start, start + 1), next: start + 1 };
  if (first.kind !== 'word') {
    throw new CodeAnalysisError('SYNTAX', `unexpected '${first.text}' in REPLACING`, {
      file: first.file,
      line: first.line,
    });
  }
  let end = start + 1;
  while (tokens[end]?.kind === 'word' && (tokens[end]!.upper === 'OF' || tokens[end]!.upper === 'IN'))
    end += 2;
  if (tokens[end]?.text === '(') {
    let depth = 0;
    for (; end < tokens.length; end++) {
      const t = tokens[end]!.text;
      if (t === '(') depth++;
      else if (t === ')' && --depth === 0) break;
    }
    end++;
  }
  end = Math.min(end, tokens.length);
  return { operand: operandOf(tokens, start, end), next: end };
}

function operandOf(
  tokens: readonly CobolToken[],
  from: number,
  to: number,
  innerFrom = from,
  innerTo = to,
): ReplacingOperand {
  return { text: renderTokens(tokens.slice(from, to)), tokens: tokens.slice(innerFrom, innerTo) };
}

/** Text of a token run: original spacing within a line, one space across line breaks. */
export function renderTokens(tokens: readonly CobolToken[]): string {
  let text = '';
  tokens.forEach((t, i) => {
    const prev = tokens[i - 1];
    if (prev) text += prev.out === t.out ? t.gap : ' ';
    text += t.text;
  });
  return text;
}

/**
 * Applies `pairs` to `stream` once per text-word position (see the module comment) and returns the new
 * stream. Replacement tokens take the position (file, line, column, output line) of the first word
 * they replace. Every produced token is charged to `budget`.
 */
export function applyReplacing(
  stream: readonly CobolToken[],
  pairs: readonly ReplacingPair[],
  budget: ExpansionBudget,
): CobolToken[] {
  const patterns = pairs.map((p) => textWords(p.replaceable.tokens));
  const result: CobolToken[] = [];
  let i = 0;
  while (i < stream.length) {
    const token = stream[i]!;
    let produced: CobolToken[] = [token];
    let next = i + 1;
    if (token.kind !== 'separator') {
      for (let p = 0; p < pairs.length; p++) {
        const pair = pairs[p]!;
        if (pair.mode === 'full') {
          const end = matchAt(stream, i, patterns[p]!);
          if (end === -1) continue;
          produced = relocate(pair.replacement.tokens, token);
          next = end;
          break;
        }
        const partial = replacePartial(token, pair, patterns[p]![0]!);
        if (partial) {
          produced = [partial];
          break;
        }
      }
    }
    budget.charge(produced, 'REPLACING_LIMIT', token.line);
    for (const t of produced) pushRetokenized(result, t);
    i = next;
  }
  return result;
}

/**
 * Appends `t`, joining it to the previous token when both are words with no space between: the
 * tokenizer never produces such a pair, so it comes from a replacement (`==:TAG:==` BY `==WS==`
 * turns `:TAG:-NAME` into the single word `WS-NAME`, as the compiler would read the replaced text).
 */
function pushRetokenized(result: CobolToken[], t: CobolToken): void {
  const prev = result[result.length - 1];
  if (prev && prev.kind === 'word' && t.kind === 'word' && t.gap === '' && prev.out === t.out) {
    const text = prev.text + t.text;
    result[result.length - 1] = { ...prev, text, upper: text.toUpperCase() };
  } else {
    result.push(t);
  }
}

/** Index after the last stream token matched by `pattern` at `start`, or -1. */
function matchAt(stream: readonly CobolToken[], start: number, pattern: readonly CobolToken[]): number {
  let i = start;
  for (const expected of pattern) {
    while (i < stream.length && stream[i]!.kind === 'separator') i++;
    const actual = stream[i];
    if (!actual || !sameWord(actual, expected)) return -1;
    i++;
  }
  return i;
}

function replacePartial(token: CobolToken, pair: ReplacingPair, pattern: CobolToken): CobolToken | undefined {
  if (token.kind !== 'word' || pattern.kind !== 'word' || token.upper.length < pattern.upper.length)
    return undefined;
  const by = textWords(pair.replacement.tokens)[0]?.text ?? '';
  const n = pattern.upper.length;
  let text: string;
  if (pair.mode === 'leading' && token.upper.startsWith(pattern.upper)) text = by + token.text.slice(n);
  else if (pair.mode === 'trailing' && token.upper.endsWith(pattern.upper))
    text = token.text.slice(0, token.text.length - n) + by;
  else return undefined;
  return { ...token, text, upper: text.toUpperCase() };
}

/** Copies replacement tokens to the place of `at`; the first takes its spacing. */
function relocate(tokens: readonly CobolToken[], at: CobolToken): CobolToken[] {
  return tokens.map((t, i) => ({
    ...t,
    file: at.file,
    line: at.line,
    column: at.column,
    areaA: i === 0 && at.areaA,
    mainLine: at.mainLine,
    gap: i === 0 ? at.gap : t.out === tokens[i - 1]!.out ? t.gap : ' ',
    out: at.out,
  }));
}
