import { CodeAnalysisError } from '../errors.js';
import type { Diagnostics } from './diagnostics.js';
import { LAST_COLUMN } from './lines.js';
import { keywordParam, parseOperands, positionals, valueText } from './operands.js';
import type { JclComment, JclInstreamData } from './types.js';

/** One logical JCL statement: its fields, continuation lines joined. */
export interface JclStatement {
  /** `statement` (`//name op operands`), `null` (`//` alone) or `jes` (a `/*XXX` JES2 control statement). */
  readonly kind: 'statement' | 'null' | 'jes';
  readonly line: number;
  readonly name: string | undefined;
  /** Upper-cased operation (`JOB`, `EXEC`, `DD`…); the whole text for `jes`, empty for `null`. */
  readonly operation: string;
  /** Operand field without comments; for IF, the condition between IF and THEN. */
  readonly operands: string;
  readonly instream?: JclInstreamData;
  /** The PROC or INCLUDE member the statement was read from. */
  readonly member?: string;
}

export interface ReadOptions {
  readonly file: string | undefined;
  readonly member?: string;
  readonly maxInstreamChars: number;
}

export interface ReadResult {
  readonly statements: JclStatement[];
  readonly comments: JclComment[];
}

/** Operations whose fields after the operation are all comments. */
const NO_OPERANDS = new Set(['ELSE', 'ENDIF', 'PEND', 'ENDCNTL']);

/** Column (1-based) by which a continued operand must resume. */
const LAST_CONTINUATION_COLUMN = 16;

/** `//name operation rest` of a statement's first line. */
const HEADER = /^\/\/(\S*)\s+(\S+)(.*)$/;

const THEN = /(^|[\s)])THEN(\s|$)/i;

/** Result of scanning part of an operand field. */
interface Scan {
  /** Operand text up to the first blank outside apostrophes (or the end). */
  readonly text: string;
  /** Whether the segment ended inside a quoted string (continued to column 71). */
  readonly inQuote: boolean;
}

/** Scans an operand segment: a blank outside apostrophes ends the operand field, the rest is comment. */
function scanOperand(segment: string, inQuote: boolean): Scan {
  let quoted = inQuote;
  for (let i = 0; i < segment.length; i++) {
    const c = segment[i];
    if (c === "'") quoted = !quoted;
    else if (c === ' ' && !quoted) return { text: segment.slice(0, i), inQuote: false };
  }
  return { text: segment, inQuote: quoted };
}

/** A `//` line with a blank column 3 and something after it: the only line that can continue a statement. */
function isContinuationLine(text: string): boolean {
  return text.startsWith('// ') && text.trim() !== '//';
}

/**
 * Reads physical lines into logical statements: columns 1–71, `//*` comments, `/*` delimiters and
 * JES2 statements, the `//` null statement, continuation (operand ending with a comma, quoted string
 * continued to column 71 and resumed at column 16, IF conditions up to THEN) and in-stream data.
 */
class StatementReader {
  private index = 0;
  private readonly statements: JclStatement[] = [];
  private readonly comments: JclComment[] = [];

  constructor(
    private readonly lines: readonly string[],
    private readonly options: ReadOptions,
    private readonly diagnostics: Diagnostics,
  ) {}

  read(): ReadResult {
    while (this.index < this.lines.length) this.readNext();
    return { statements: this.statements, comments: this.comments };
  }

  private readNext(): void {
    const line = this.index + 1;
    const text = this.significant(this.index);
    this.index++;
    if (text.trim() === '') return;
    if (text.startsWith('//*')) {
      this.comments.push({ line, text: text.slice(3).trimEnd() });
    } else if (text.startsWith('/*')) {
      if (text.length > 2 && text[2] !== ' ') this.push({ kind: 'jes', line, operation: text.trimEnd() });
      else this.warn('STRAY_DELIMITER', "'/*' outside in-stream data", line);
    } else if (!text.startsWith('//')) {
      this.warn('NOT_JCL', 'line is not a JCL statement (in-stream data without a DD * before it?)', line);
    } else if (text.trim() === '//') {
      this.push({ kind: 'null', line, operation: '' });
    } else {
      this.readStatement(text, line);
    }
  }

  private readStatement(text: string, line: number): void {
    const header = HEADER.exec(text);
    if (!header) {
      this.warn('NO_OPERATION', `statement '${text.trim()}' has no operation`, line);
      return;
    }
    const name = header[1] || undefined;
    const operation = (header[2] ?? '').toUpperCase();
    const rest = (header[3] ?? '').replace(/^ +/, '');
    const operands = NO_OPERANDS.has(operation)
      ? ''
      : operation === 'IF'
        ? this.readCondition(rest, line)
        : this.readOperands(rest, line);
    const statement = { kind: 'statement' as const, line, name, operation, operands };
    const instream = operation === 'DD' ? this.readInstream(name, operands, line) : undefined;
    this.push(instream ? { ...statement, instream } : statement);
  }

  /** The operand field of a statement and its continuation lines. */
  private readOperands(first: string, line: number): string {
    let scan = scanOperand(first, false);
    let operands = scan.text;
    for (;;) {
      if (scan.inQuote) {
        const next = this.takeContinuation();
        if (next === undefined) throw this.syntax('unbalanced apostrophe (quoted string never closed)', line);
        scan = scanOperand(this.quotedResumption(next), true);
      } else if (operands.endsWith(',')) {
        const next = this.takeContinuation();
        if (next === undefined) {
          this.warn('CONTINUATION', 'operand field ends with a comma but no continuation line follows', line);
          return operands;
        }
        const resumeAt = next.slice(2).search(/\S/) + 3;
        if (resumeAt > LAST_CONTINUATION_COLUMN) {
          this.warn(
            'CONTINUATION',
            `continued operand starts in column ${resumeAt}, after column 16`,
            this.index,
          );
        }
        scan = scanOperand(next.slice(resumeAt - 1), false);
      } else {
        return operands;
      }
      operands += scan.text;
    }
  }

  /** A quoted string continues in column 16; text in columns 4–15 is tolerated with a warning. */
  private quotedResumption(next: string): string {
    const lead = next.slice(2, LAST_CONTINUATION_COLUMN - 1);
    if (lead.trim() === '') return next.slice(LAST_CONTINUATION_COLUMN - 1);
    this.warn('CONTINUATION', 'continued quoted string must resume in column 16', this.index);
    return next.slice(2).replace(/^ +/, '');
  }

  /** The condition of an IF statement: the text up to THEN, continued on following lines until THEN. */
  private readCondition(first: string, line: number): string {
    const parts: string[] = [];
    let text: string | undefined = first;
    while (text !== undefined) {
      const then = THEN.exec(text);
      if (then) {
        parts.push(text.slice(0, then.index + then[1]!.length));
        return joinWords(parts);
      }
      parts.push(text);
      text = this.takeContinuation()?.slice(2);
    }
    this.warn('UNBALANCED_IF', 'IF statement without THEN', line);
    return joinWords(parts);
  }

  /**
   * Consumes the next continuation line (comment statements in between are recorded and skipped);
   * `undefined`, consuming nothing, when the next statement line is not a continuation.
   */
  private takeContinuation(): string | undefined {
    while (this.index < this.lines.length) {
      const text = this.significant(this.index);
      if (text.startsWith('//*')) {
        this.comments.push({ line: this.index + 1, text: text.slice(3).trimEnd() });
        this.index++;
        continue;
      }
      if (!isContinuationLine(text)) return undefined;
      this.index++;
      return text;
    }
    return undefined;
  }

  /** In-stream data after `DD *` / `DD DATA`, up to its delimiter. */
  private readInstream(
    name: string | undefined,
    operands: string,
    line: number,
  ): JclInstreamData | undefined {
    const params = parseOperands(operands, { file: this.options.file, line });
    const first = positionals(params)[0];
    const kind = first?.raw === '*' ? '*' : first?.raw.toUpperCase() === 'DATA' ? 'DATA' : undefined;
    if (kind === undefined) return undefined;
    const dlm = keywordParam(params, 'DLM');
    const delimiter = dlm ? valueText(dlm.value, dlm.raw) : '/*';
    /** `DD *` without DLM also ends at the next `//` statement; DD DATA and DLM= only at the delimiter. */
    const endsAtStatement = kind === '*' && dlm === undefined;
    const start = this.index;
    const kept: string[] = [];
    let chars = 0;
    let truncated = false;
    const block = (ending: string): JclInstreamData => ({
      kind,
      delimiter: ending,
      line: start + 1,
      lineCount: this.index - start,
      text: kept.join('\n'),
      truncated,
    });
    for (; this.index < this.lines.length; this.index++) {
      const data = this.lines[this.index] ?? '';
      if (data.startsWith(delimiter)) {
        const result = block(delimiter);
        this.index++;
        return result;
      }
      if (endsAtStatement && data.startsWith('//')) return block('//');
      if (!truncated && chars + data.length <= this.options.maxInstreamChars) {
        kept.push(data.trimEnd());
        chars += data.length + 1;
      } else {
        truncated = true;
      }
    }
    if (endsAtStatement) return block('//');
    throw new CodeAnalysisError(
      'UNTERMINATED',
      `in-stream data of DD ${name ?? '(unnamed)'} (line ${line}) never ended by '${delimiter}'`,
      { file: this.options.file, line },
    );
  }

  private significant(index: number): string {
    return (this.lines[index] ?? '').slice(0, LAST_COLUMN);
  }

  private push(statement: Omit<JclStatement, 'name' | 'operands'> & Partial<JclStatement>): void {
    const member = this.options.member;
    this.statements.push({
      name: undefined,
      operands: '',
      ...statement,
      ...(member === undefined ? {} : { member }),
    });
  }

  private warn(code: Parameters<Diagnostics['warn']>[0], message: string, line: number): void {
    this.diagnostics.warn(code, message, line, this.options.member);
  }

  private syntax(message: string, line: number): CodeAnalysisError {
    return new CodeAnalysisError('SYNTAX', message, { file: this.options.file, line });
  }
}

function joinWords(parts: readonly string[]): string {
  return parts.join(' ').trim().replace(/\s+/g, ' ');
}

/** Reads the statements, comments and in-stream data of JCL lines. */
export function readStatements(
  lines: readonly string[],
  options: ReadOptions,
  diagnostics: Diagnostics,
): ReadResult {
  return new StatementReader(lines, options, diagnostics).read();
}
