/**
 * COBOL source reader: splits a source text into logical lines, interprets the fixed-format
 * areas (sequence 1–6, indicator 7, area A 8–11, area B 12–72, identification 73–80) or the
 * free format, joins continuation lines and keeps, for every character of a logical line, the
 * physical line and column it came from.
 */
import { CodeAnalysisError } from '../errors.js';
import { detectSourceFormat } from './format-detect.js';

export type CobolSourceFormat = 'fixed' | 'free';

/** What a logical line holds. `debug` lines are only returned as such when debug lines are not compiled. */
export type SourceLineKind = 'code' | 'comment' | 'blank' | 'debug' | 'directive';

/** Where a stretch of a logical line's text starts in the physical source. */
export interface SourcePiece {
  /** Offset in {@link SourceLine.text} where this piece starts. */
  offset: number;
  /** 1-based physical line. */
  line: number;
  /** 1-based physical column of `text[offset]`. */
  column: number;
}

export interface SourceLine {
  kind: SourceLineKind;
  /** 1-based physical line where the logical line starts. */
  line: number;
  /** Program text: areas A and B in fixed format (columns 8–72), the whole line in free format;
   * continuation lines are already appended; for comment lines the comment text. */
  text: string;
  /** One piece per physical line the logical line was built from (more than one with continuations). */
  pieces: SourcePiece[];
  /** True when the line is a `D` debug line compiled as code (`debugLines: 'code'`). */
  debug?: boolean;
}

export interface ReadCobolOptions {
  /** 'auto' (default) looks at the first lines, see {@link detectSourceFormat}. */
  format?: CobolSourceFormat | 'auto';
  /** File name used in error messages. */
  file?: string;
  /** `D`/`d` debug lines: 'skip' (default, returned with kind `debug`) or 'code' (compiled as code). */
  debugLines?: 'skip' | 'code';
  /** Longest accepted physical line, in characters (default 64 KiB). */
  maxLineLength?: number;
  /** Largest accepted source, in characters (default 32 MiB). */
  maxFileSize?: number;
}

export interface CobolSource {
  /** The format of the first line; `>>SOURCE FORMAT` directives may switch it further down. */
  format: CobolSourceFormat;
  lines: SourceLine[];
}

export const DEFAULT_MAX_LINE_LENGTH = 64 * 1024;
export const DEFAULT_MAX_FILE_SIZE = 32 * 1024 * 1024;

/** Fixed format: last column of area B; columns 73–80 are the identification area. */
const AREA_B_END = 72;
/** Fixed format: first column of area A (1-based). */
const AREA_A_START = 8;

/** NUL and other C0 controls except TAB, LF, FF, CR; DEL; U+FFFD (what a decoder leaves for invalid bytes). */
// biome-ignore lint/suspicious/noControlCharactersInRegex: detecting control characters is the point
const BINARY_CHAR = /[\u0000-\u0008\u000b\u000e-\u001f\u007f\ufffd]/;

const SOURCE_FORMAT_DIRECTIVE = /^>>\s*SOURCE\s+(?:FORMAT\s+)?(?:IS\s+)?(FIXED|FREE)\b/i;
const MF_SOURCE_FORMAT_DIRECTIVE = /^\$\s*SET\s+SOURCEFORMAT\s*\(?\s*["']?(FIXED|FREE)/i;

/**
 * Reads a COBOL source. Refuses, with a {@link CodeAnalysisError}: a text longer than `maxFileSize`
 * (`FILE_TOO_LARGE`), a text with NUL / control characters (`BINARY_INPUT`), a physical line longer
 * than `maxLineLength` (`LINE_TOO_LONG`, detected before the line is looked at, so a huge single line
 * costs one linear scan).
 *
 * Continuation (fixed format, `-` in column 7): when the continued line ends inside an alphanumeric
 * literal, the literal runs up to column 72 (trailing spaces included) and resumes after the first
 * quotation mark of the continuation line's area B; otherwise the continued line is right-trimmed and
 * the first non-blank character of the continuation line follows its last non-blank character.
 */
export function readCobolSource(text: string, options: ReadCobolOptions = {}): CobolSource {
  const file = options.file;
  const maxFileSize = options.maxFileSize ?? DEFAULT_MAX_FILE_SIZE;
  const maxLineLength = options.maxLineLength ?? DEFAULT_MAX_LINE_LENGTH;
  if (text.length > maxFileSize) {
    throw new CodeAnalysisError(
      'FILE_TOO_LARGE',
      `source of ${text.length} characters exceeds the limit of ${maxFileSize}`,
      { file },
    );
  }
  const binary = BINARY_CHAR.exec(text);
  if (binary) {
    throw new CodeAnalysisError(
      'BINARY_INPUT',
      `not a text source: control character U+${binary[0].charCodeAt(0).toString(16).padStart(4, '0')}`,
      { file, line: lineNumberAt(text, binary.index) },
    );
  }
  const physical = splitLines(text, maxLineLength, file);
  const requested = options.format ?? 'auto';
  const initial = requested === 'auto' ? detectSourceFormat(physical) : requested;
  const builder = new LineBuilder(options.debugLines === 'code');
  let format = initial;
  physical.forEach((raw, index) => {
    const switched = builder.add(raw, index + 1, format);
    if (switched) format = switched;
  });
  return { format: initial, lines: builder.lines };
}

/** 1-based line number of a character offset. */
function lineNumberAt(text: string, offset: number): number {
  let line = 1;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) line++;
  return line;
}

/** Splits on LF / CRLF / CR; a final line terminator does not open an extra empty line. */
function splitLines(text: string, maxLineLength: number, file: string | undefined): string[] {
  const lines: string[] = [];
  let start = 0;
  while (start < text.length) {
    let end = start;
    // Find the end of the line without building anything first, so an over-long line is refused at once.
    const lf = text.indexOf('\n', start);
    const cr = text.indexOf('\r', start);
    end = lf === -1 ? (cr === -1 ? text.length : cr) : cr === -1 ? lf : Math.min(lf, cr);
    if (end - start > maxLineLength) {
      throw new CodeAnalysisError('LINE_TOO_LONG', `physical line longer than ${maxLineLength} characters`, {
        file,
        line: lines.length + 1,
      });
    }
    lines.push(text.slice(start, end));
    start = text[end] === '\r' && text[end + 1] === '\n' ? end + 2 : end + 1;
  }
  return lines;
}

/** Scans text for alphanumeric literals; remembers whether the text so far ends inside one. */
class LiteralState {
  /** The quotation mark of the open literal, or undefined. */
  open: string | undefined;

  scan(text: string): void {
    for (let i = 0; i < text.length; i++) {
      const c = text[i];
      if (this.open) {
        if (c === this.open) {
          // A doubled quotation mark inside the literal stands for one quotation mark.
          if (text[i + 1] === this.open) i++;
          else this.open = undefined;
        }
      } else if (c === '"' || c === "'") {
        this.open = c;
      } else if (c === '*' && text[i + 1] === '>') {
        return; // floating comment: the rest of the line is not program text
      }
    }
  }
}

/** Accumulates logical lines, joining continuation lines onto the last code line. */
class LineBuilder {
  readonly lines: SourceLine[] = [];
  private lastCode: SourceLine | undefined;
  private literal = new LiteralState();

  constructor(private readonly debugAsCode: boolean) {}

  /** Adds one physical line; returns the new format when the line is a source-format directive. */
  add(raw: string, lineNo: number, format: CobolSourceFormat): CobolSourceFormat | undefined {
    return format === 'fixed' ? this.addFixed(raw, lineNo) : this.addFree(raw, lineNo);
  }

  private addFixed(raw: string, lineNo: number): CobolSourceFormat | undefined {
    const indicator = raw.length >= 7 ? raw[6]! : ' ';
    const area = raw.slice(AREA_A_START - 1, AREA_B_END);
    switch (indicator) {
      case '*':
      case '/':
        this.push('comment', area.trimEnd(), lineNo, AREA_A_START);
        return undefined;
      case '-':
        this.continueLine(area, lineNo);
        return undefined;
      case '$':
        return this.directive(area.trim(), lineNo, AREA_A_START, MF_SOURCE_FORMAT_DIRECTIVE, raw.slice(6));
      case 'D':
      case 'd':
        return this.codeOrDebug(area, lineNo, AREA_A_START, true);
      default: {
        const trimmed = area.trim();
        if (trimmed.startsWith('>>'))
          return this.directive(trimmed, lineNo, AREA_A_START, SOURCE_FORMAT_DIRECTIVE);
        return this.codeOrDebug(area, lineNo, AREA_A_START, false);
      }
    }
  }

  private addFree(raw: string, lineNo: number): CobolSourceFormat | undefined {
    const trimmed = raw.trim();
    if (trimmed.startsWith('*>')) {
      this.push('comment', trimmed.slice(2), lineNo, raw.indexOf('*>') + 3);
      return undefined;
    }
    if (/^>>\s*D\b/i.test(trimmed)) {
      const start = raw.indexOf('>>');
      const body = raw.slice(start).replace(/^>>\s*D/i, (m) => ' '.repeat(m.length));
      return this.codeOrDebug(body, lineNo, start + 1, true);
    }
    if (trimmed.startsWith('>>')) return this.directive(trimmed, lineNo, 1, SOURCE_FORMAT_DIRECTIVE);
    return this.codeOrDebug(raw, lineNo, 1, false);
  }

  private directive(
    text: string,
    lineNo: number,
    column: number,
    pattern: RegExp,
    matchText = text,
  ): CobolSourceFormat | undefined {
    this.push('directive', text, lineNo, column);
    const m = pattern.exec(matchText.trim());
    return m ? (m[1]!.toLowerCase() as CobolSourceFormat) : undefined;
  }

  /** A program-text line; a debug line is code only when debug lines are compiled. */
  private codeOrDebug(text: string, lineNo: number, column: number, isDebugLine: boolean): undefined {
    const content = text.trimEnd();
    if (content.trim() === '') {
      this.push('blank', '', lineNo, column);
      return undefined;
    }
    const kind = isDebugLine && !this.debugAsCode ? 'debug' : 'code';
    const line = this.push(kind, content, lineNo, column);
    if (kind === 'code') {
      if (isDebugLine) line.debug = true;
      this.lastCode = line;
      this.literal = new LiteralState();
      this.literal.scan(content);
      // Keep the trailing spaces of an open literal: they belong to it up to column 72.
      if (this.literal.open) line.text = text.padEnd(AREA_B_END - AREA_A_START + 1);
    }
    return undefined;
  }

  /** Appends a continuation line (fixed format) to the last code line. */
  private continueLine(area: string, lineNo: number): void {
    const target = this.lastCode;
    const firstNonBlank = area.search(/\S/);
    if (!target || firstNonBlank === -1) {
      this.push('blank', '', lineNo, AREA_A_START);
      return;
    }
    let start = firstNonBlank;
    if (this.literal.open) {
      // The continued literal resumes after the quotation mark that opens the continuation line.
      if (area[start] === this.literal.open) start++;
    } else {
      target.text = target.text.trimEnd();
    }
    const piece = area.slice(start).trimEnd();
    target.pieces.push({ offset: target.text.length, line: lineNo, column: AREA_A_START + start });
    this.literal.scan(piece);
    target.text += this.literal.open
      ? area.slice(start).padEnd(AREA_B_END - AREA_A_START + 1 - start)
      : piece;
  }

  private push(kind: SourceLineKind, text: string, lineNo: number, column: number): SourceLine {
    const line: SourceLine = { kind, line: lineNo, text, pieces: [{ offset: 0, line: lineNo, column }] };
    this.lines.push(line);
    return line;
  }
}
