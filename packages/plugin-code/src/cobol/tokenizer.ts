/**
 * A small COBOL tokenizer working on one logical line at a time.
 *
 * Separators follow the COBOL reference format rules: spaces; `(` `)` `:`; `,` `;` and `.` only when
 * followed by a space or the end of the line (so `$$,$$9.99` and `1.5` stay one word); `==`
 * (pseudo-text delimiter); relational characters `<` `>` `=`. A floating comment `*>` ends the line.
 */
import type { SourceLine } from './source-reader.js';

export type TokenKind =
  /** COBOL word, numeric literal, PICTURE string, arithmetic operator. */
  | 'word'
  /** Alphanumeric / national / hexadecimal literal, quotes included (`'A''B'`, `X'FF'`). */
  | 'literal'
  /** `(` `)` `:` and relational operators `=` `<` `>` `<=` `>=` `<>`. */
  | 'punct'
  /** Separator comma or semicolon (ignored when matching REPLACING operands). */
  | 'separator'
  /** Separator period. */
  | 'period'
  /** Pseudo-text delimiter `==`. */
  | 'pseudo';

/** Where program text sits in the expanded output (see the preprocessor); shared by the tokens of a line. */
export interface OutputLine {
  /** Origin file; undefined for the main source. */
  file: string | undefined;
  /** 1-based line in that file. */
  line: number;
  /** Comment text for comment lines (rendered as `*>` comments). */
  comment?: string;
}

export interface CobolToken {
  kind: TokenKind;
  /** Text as written. */
  text: string;
  /** Upper-cased text, for keyword and name comparison. */
  upper: string;
  /** Origin file; undefined for the main source. */
  file: string | undefined;
  /** 1-based physical line and column. */
  line: number;
  column: number;
  /** Fixed format: the token starts in area A (columns 8–11). Always false in free format. */
  areaA: boolean;
  /** Line of the main source this token belongs to (for a copybook token, the COPY statement's line). */
  mainLine: number;
  /** Whitespace between the previous token on the same output line and this one (the indentation for the first). */
  gap: string;
  /** The output line the token is rendered on. */
  out: OutputLine;
}

const QUOTES = new Set(['"', "'"]);
/** Literal prefixes: X'..', N'..', G'..', Z'..', B'..', NX'..', U'..'. */
const LITERAL_PREFIX = /^(?:X|N|G|Z|B|NX|U)$/i;

function isSpace(c: string | undefined): boolean {
  return c === ' ' || c === '\t' || c === '\f';
}

/**
 * `,` `;` `.` are separators before a space or the end of the line; `,` `;` also before a character that
 * cannot continue a word (`A,:B` in SQL), `.` also before a closing pseudo-text delimiter (`==A.==`).
 */
function isSeparatorPunctuation(text: string, i: number): boolean {
  const next = text[i + 1];
  if (next === undefined || isSpace(next)) return true;
  if (text[i] === '.') return next === '=' && text[i + 2] === '=';
  return /[:()'"=<>]/.test(next);
}

function endsWord(text: string, i: number): boolean {
  const c = text[i]!;
  if (isSpace(c) || c === '(' || c === ')' || c === ':' || QUOTES.has(c)) return true;
  if (c === '=' || c === '<' || c === '>') return true;
  if (c === '*' && text[i + 1] === '>') return true;
  return (c === ',' || c === ';' || c === '.') && isSeparatorPunctuation(text, i);
}

export interface TokenizeContext {
  file: string | undefined;
  /** Line of the main source the tokens are attributed to; defaults to the token's own line. */
  mainLine?: number;
  /** Area A detection applies (fixed format). */
  fixed: boolean;
}

/** Tokenizes a code line; returns the tokens, each rendered on `out`. */
export function tokenizeLine(line: SourceLine, out: OutputLine, ctx: TokenizeContext): CobolToken[] {
  const text = line.text;
  const tokens: CobolToken[] = [];
  let pieceIndex = 0;
  let lastEnd = 0;
  const push = (kind: TokenKind, start: number, end: number) => {
    while (pieceIndex + 1 < line.pieces.length && line.pieces[pieceIndex + 1]!.offset <= start) pieceIndex++;
    const piece = line.pieces[pieceIndex]!;
    const column = piece.column + (start - piece.offset);
    const tokenText = text.slice(start, end);
    tokens.push({
      kind,
      text: tokenText,
      upper: kind === 'literal' ? tokenText : tokenText.toUpperCase(),
      file: ctx.file,
      line: piece.line,
      column,
      areaA: ctx.fixed && pieceIndex === 0 && column >= 8 && column <= 11,
      mainLine: ctx.mainLine ?? piece.line,
      gap: text.slice(lastEnd, start),
      out,
    });
    lastEnd = end;
  };

  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (isSpace(c)) {
      i++;
    } else if (c === '*' && text[i + 1] === '>') {
      break;
    } else if (QUOTES.has(c)) {
      const end = literalEnd(text, i);
      push('literal', i, end);
      i = end;
    } else if (c === '=' && text[i + 1] === '=') {
      push('pseudo', i, i + 2);
      i += 2;
    } else if (c === '<' || c === '>' || c === '=') {
      const two = text.slice(i, i + 2);
      const len = two === '<=' || two === '>=' || two === '<>' ? 2 : 1;
      push('punct', i, i + len);
      i += len;
    } else if (c === '(' || c === ')' || c === ':') {
      push('punct', i, i + 1);
      i++;
    } else if ((c === ',' || c === ';' || c === '.') && isSeparatorPunctuation(text, i)) {
      push(c === '.' ? 'period' : 'separator', i, i + 1);
      i++;
    } else {
      let end = i + 1;
      while (end < text.length && !endsWord(text, end)) end++;
      if (QUOTES.has(text[end] ?? '') && LITERAL_PREFIX.test(text.slice(i, end))) {
        end = literalEnd(text, end);
        push('literal', i, end);
      } else {
        push('word', i, end);
      }
      i = end;
    }
  }
  return tokens;
}

/** End offset (exclusive) of the literal opening at `start`; an unterminated literal runs to the end of the line. */
function literalEnd(text: string, start: number): number {
  const quote = text[start]!;
  let i = start + 1;
  while (i < text.length) {
    if (text[i] === quote) {
      if (text[i + 1] === quote) i += 2;
      else return i + 1;
    } else {
      i++;
    }
  }
  return text.length;
}

/** The value of an alphanumeric literal token without its quotes (doubled quotes undone), else the text. */
export function literalValue(token: Pick<CobolToken, 'kind' | 'text'>): string {
  if (token.kind !== 'literal') return token.text;
  const open = token.text.search(/["']/);
  const quote = token.text[open]!;
  const closed = token.text.length > open + 1 && token.text.endsWith(quote);
  const body = token.text.slice(open + 1, closed ? -1 : undefined);
  return body.split(quote + quote).join(quote);
}
