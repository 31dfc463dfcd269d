import { CodeAnalysisError } from '../errors.js';
import type { ParseCopybookOptions } from './model.js';

export const DEFAULT_MAX_LINE_LENGTH = 32_768;
export const DEFAULT_MAX_SOURCE_LENGTH = 16 * 1024 * 1024;
const DEFAULT_TAB_WIDTH = 8;
/** Columns 8–72 of fixed format. */
const FIXED_CODE_WIDTH = 65;

/**
 * The code of a source with comments, sequence numbers and continuation lines resolved: one string of
 * code (physical lines joined by '\n') and a way back from an offset in it to the 1-based source line.
 */
export interface SourceCode {
  readonly text: string;
  lineAt(offset: number): number;
}

/** Fixed-format indicators that are not code; anything else in column 7 is read as code (like Cobrix). */
const COMMENT_INDICATORS = new Set(['*', '/', 'D', 'd']);

interface PhysicalLine {
  readonly text: string;
  readonly line: number;
}

/** Splits the source into physical lines, refusing an over-long one before doing anything else with it. */
function physicalLines(source: string, options: ParseCopybookOptions): PhysicalLine[] {
  const maxSource = options.maxSourceLength ?? DEFAULT_MAX_SOURCE_LENGTH;
  const maxLine = options.maxLineLength ?? DEFAULT_MAX_LINE_LENGTH;
  const where = options.file === undefined ? {} : { file: options.file };
  if (source.length > maxSource) {
    throw new CodeAnalysisError(
      'FILE_TOO_LARGE',
      `source of ${source.length} characters exceeds ${maxSource}`,
      where,
    );
  }
  const lines: PhysicalLine[] = [];
  let from = 0;
  for (let line = 1; from <= source.length; line++) {
    let to = source.indexOf('\n', from);
    if (to < 0) to = source.length;
    if (to - from > maxLine) {
      throw new CodeAnalysisError('LINE_TOO_LONG', `line of ${to - from} characters exceeds ${maxLine}`, {
        ...where,
        line,
      });
    }
    lines.push({ text: source.slice(from, to).replace(/\r$/, ''), line });
    from = to + 1;
  }
  return lines;
}

function expandTabs(text: string, tabWidth: number): string {
  if (!text.includes('\t')) return text;
  let out = '';
  for (const ch of text) {
    out += ch === '\t' ? ' '.repeat(tabWidth - (out.length % tabWidth)) : ch;
  }
  return out;
}

/** Removes a floating comment (`*>` outside a literal) from a line of code. */
function stripFloatingComment(code: string): string {
  let quote: string | undefined;
  for (let i = 0; i < code.length; i++) {
    const ch = code[i];
    if (quote) {
      if (ch === quote) quote = undefined;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
    } else if (ch === '*' && code[i + 1] === '>') {
      return code.slice(0, i);
    }
  }
  return code;
}

/** The quote character of a literal still open at the end of `code`, if any. */
function openLiteral(code: string): string | undefined {
  let quote: string | undefined;
  for (const ch of code) {
    if (quote) {
      if (ch === quote) quote = undefined;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
    }
  }
  return quote;
}

/**
 * Reads COBOL source text: expands TABs, drops sequence numbers (1–6) and the identification area (73+)
 * in fixed format, drops comment and debug lines, and joins continuation lines ('-' in column 7): a
 * continued literal resumes after the quote that opens the continuation line, a continued word is glued
 * to the end of the previous line.
 */
export function readSource(source: string, options: ParseCopybookOptions = {}): SourceCode {
  const tabWidth = options.tabWidth ?? DEFAULT_TAB_WIDTH;
  const fixed = (options.format ?? 'fixed') === 'fixed';
  let text = '';
  const starts: number[] = [];
  const lineNumbers: number[] = [];
  let previousOpenQuote: string | undefined;

  for (const physical of physicalLines(source, options)) {
    const expanded = expandTabs(physical.text, tabWidth);
    let code: string;
    let continuation = false;
    if (fixed) {
      const indicator = expanded.charAt(6);
      if (COMMENT_INDICATORS.has(indicator)) continue;
      continuation = indicator === '-';
      const fromColumn = indicator === ' ' || indicator === '' || continuation ? 7 : 6;
      code = expanded.slice(fromColumn, 72);
    } else {
      if (/^\s*\*>/.test(expanded) || expanded.startsWith('*')) continue;
      code = expanded;
    }
    code = stripFloatingComment(code);

    if (continuation && text.length > 0) {
      let rest = code.trimStart();
      if (previousOpenQuote && rest.startsWith(previousOpenQuote)) {
        rest = rest.slice(1);
      } else {
        text = text.trimEnd();
      }
      starts.push(text.length);
      lineNumbers.push(physical.line);
      text += rest;
      previousOpenQuote = openLiteral(text.slice(text.lastIndexOf('\n') + 1));
      continue;
    }
    if (text.length > 0) text += '\n';
    starts.push(text.length);
    lineNumbers.push(physical.line);
    // A literal still open at the end of the line runs to column 72: keep (or restore) its trailing spaces.
    previousOpenQuote = openLiteral(code);
    text += previousOpenQuote === undefined ? code.trimEnd() : fixed ? code.padEnd(FIXED_CODE_WIDTH) : code;
  }

  return {
    text,
    lineAt(offset: number): number {
      let lo = 0;
      let hi = starts.length - 1;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if ((starts[mid] ?? 0) <= offset) lo = mid;
        else hi = mid - 1;
      }
      return lineNumbers[lo] ?? 1;
    },
  };
}
