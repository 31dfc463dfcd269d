import { CodeAnalysisError } from '../errors.js';
import type { JclParam, JclValue } from './types.js';

interface Where {
  readonly file: string | undefined;
  readonly line: number;
}

/** `KEYWORD=` or `KEYWORD.procstep=` at the start of a parameter. */
const KEYWORD = /[A-Za-z@#$][A-Za-z0-9@#$]*(?:\.[A-Za-z@#$][A-Za-z0-9@#$]*)?=/y;

/**
 * Recursive-descent parser of a JCL operand field: parameters separated by commas, `KEYWORD=value`,
 * sublists in parentheses (nested), quoted strings with doubled apostrophes. Parentheses that follow
 * text belong to the value (`LIB.CBL(MEMBER)`, `CODEPAGE(1047)`).
 */
class OperandParser {
  private pos = 0;

  constructor(
    private readonly text: string,
    private readonly where: Where,
  ) {}

  parseAll(): JclParam[] {
    if (this.text === '') return [];
    const params = this.parseList(false);
    if (this.pos < this.text.length) this.fail(`unbalanced ')' at column ${this.pos + 1} of the operands`);
    return params;
  }

  private parseList(inParens: boolean): JclParam[] {
    const params: JclParam[] = [];
    for (;;) {
      params.push(this.parseParam());
      const c = this.text[this.pos];
      if (c === ',') {
        this.pos++;
        continue;
      }
      if (c === ')' && inParens) {
        this.pos++;
        return params;
      }
      if (c === undefined && inParens) this.fail(`unbalanced '(' in the operands`);
      if (c !== undefined && c !== ')') this.fail(`unexpected '${c}' after a sublist`);
      return params;
    }
  }

  private parseParam(): JclParam {
    KEYWORD.lastIndex = this.pos;
    const match = KEYWORD.exec(this.text);
    let keyword: string | undefined;
    if (match) {
      keyword = match[0].slice(0, -1).toUpperCase();
      this.pos += match[0].length;
    }
    const start = this.pos;
    const value = this.parseValue();
    const raw = this.text.slice(start, this.pos);
    return keyword === undefined ? { value, raw } : { keyword, value, raw };
  }

  private parseValue(): JclValue {
    if (this.text[this.pos] === '(') {
      this.pos++;
      return this.parseList(true);
    }
    const start = this.pos;
    let depth = 0;
    for (; this.pos < this.text.length; this.pos++) {
      const c = this.text[this.pos];
      if (c === "'") this.skipQuoted();
      else if (c === '(') depth++;
      else if (c === ')') {
        if (depth === 0) break;
        depth--;
      } else if (c === ',' && depth === 0) break;
    }
    if (depth > 0) this.fail(`unbalanced '(' in the operands`);
    return unquote(this.text.slice(start, this.pos));
  }

  /** Moves `pos` onto the closing apostrophe of the string opening at `pos`. */
  private skipQuoted(): void {
    const close = closingQuote(this.text, this.pos);
    if (close < 0) this.fail('unbalanced apostrophe in the operands');
    this.pos = close;
  }

  private fail(message: string): never {
    throw new CodeAnalysisError('SYNTAX', message, this.where);
  }
}

/** Index of the apostrophe closing the string that opens at `open`, skipping doubled ones; -1 if none. */
function closingQuote(text: string, open: number): number {
  let i = open + 1;
  for (;;) {
    const close = text.indexOf("'", i);
    if (close < 0) return -1;
    if (text[close + 1] !== "'") return close;
    i = close + 2;
  }
}

/** The content of a value written as one quoted string (doubled apostrophes undoubled); else the text. */
export function unquote(text: string): string {
  if (text.length >= 2 && text.startsWith("'") && closingQuote(text, 0) === text.length - 1) {
    return text.slice(1, -1).replaceAll("''", "'");
  }
  return text;
}

/** Parses an operand field (continuations already joined) into its parameters. */
export function parseOperands(text: string, where: Where): JclParam[] {
  return new OperandParser(text, where).parseAll();
}

/** First parameter with this keyword. */
export function keywordParam<P extends JclParam>(params: readonly P[], keyword: string): P | undefined {
  return params.find((p) => p.keyword === keyword);
}

/** Positional parameters, in order. */
export function positionals<P extends JclParam>(params: readonly P[]): P[] {
  return params.filter((p) => p.keyword === undefined);
}

/** A value's items as strings: the text itself, or each item's raw text of a sublist. */
export function valueItems(value: JclValue): string[] {
  return typeof value === 'string' ? [value] : value.map((item) => valueText(item.value, item.raw));
}

/** A value as plain text: the (unquoted) string, or the sublist as written. */
export function valueText(value: JclValue, raw: string): string {
  return typeof value === 'string' ? value : raw;
}

/** Keyword parameters as a record of their raw values (first occurrence wins, as in JCL). */
export function keywordRecord(params: readonly JclParam[]): Record<string, string> {
  const record: Record<string, string> = {};
  for (const p of params) {
    if (p.keyword !== undefined && !(p.keyword in record)) record[p.keyword] = p.raw;
  }
  return record;
}
