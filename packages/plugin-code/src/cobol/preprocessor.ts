/**
 * COBOL preprocessor: COPY (with OF/IN, SUPPRESS, REPLACING, nesting) and REPLACE / REPLACE OFF.
 *
 * The source is read ({@link readCobolSource}) and tokenized; COPY statements are expanded depth first
 * (the copybook is itself preprocessed, then the COPY's REPLACING is applied to its whole expansion);
 * REPLACE statements are applied last, to the expanded text, as COBOL specifies.
 *
 * Output text layout (the one ProLeap's preprocessor produces): every output line is seven blank
 * columns (sequence and indicator areas) followed by the program text with its original indentation,
 * right-trimmed and without the 73–80 area; comment lines become `*>` comments; a continued line is
 * one output line. A COPY statement is replaced by the lines of its copybook: text before COPY on the
 * same line stays on a line of its own, the text after the COPY's period (possibly nothing) forms the
 * line that follows the copybook, and lines inside a multi-line COPY statement disappear.
 */
import { CodeAnalysisError } from '../errors.js';
import { applyReplacing, ExpansionBudget, parseReplacingPairs, type ReplacingPair } from './replacing.js';
import { type CobolSourceFormat, type ReadCobolOptions, readCobolSource } from './source-reader.js';
import { type CobolToken, literalValue, type OutputLine, tokenizeLine } from './tokenizer.js';

export type CopybookResolver = (name: string, library?: string) => string | undefined;

export interface PreprocessOptions {
  resolveCopybook?: CopybookResolver;
  /** Name of the main source, for messages and the source map. */
  file?: string;
  format?: CobolSourceFormat | 'auto';
  /** Format of copybooks (default 'auto'). */
  copybookFormat?: CobolSourceFormat | 'auto';
  debugLines?: ReadCobolOptions['debugLines'];
  maxLineLength?: number;
  maxFileSize?: number;
  /** Deepest accepted COPY nesting (default 16): a COPY inside a copybook has depth 2. */
  maxDepth?: number;
  /** Cap on the characters produced by COPY and REPLACING over all nesting levels (default 16 MiB). */
  maxExpansionBytes?: number;
  /** A copybook the resolver cannot find is an error (`COPY_NOT_FOUND`) instead of an unresolved entry. */
  requireCopybooks?: boolean;
}

export interface ReplacingInfo {
  mode: ReplacingPair['mode'];
  /** Operand texts as written (pseudo-text with its `==`). */
  replaceable: string;
  replacement: string;
}

export interface CopyStatementInfo {
  name: string;
  library?: string;
  suppress: boolean;
  replacing: ReplacingInfo[];
  /** File holding the COPY statement; undefined for the main source. */
  file?: string;
  line: number;
  resolved: boolean;
  /** 1 for a COPY in the main source, 2 inside a copybook … */
  depth: number;
}

export interface ReplaceStatementInfo {
  file?: string;
  line: number;
  /** `REPLACE OFF` / `REPLACE LAST OFF`. */
  off: boolean;
  replacing: ReplacingInfo[];
}

export interface SourceMapEntry {
  /** Main file name (option `file`) or copybook name. */
  file: string | undefined;
  line: number;
  copybook: boolean;
}

export interface PreprocessResult {
  format: CobolSourceFormat;
  /** The expanded text, lines joined by `\n` (no final line break). */
  text: string;
  /** `sourceMap[i]` is where output line `i + 1` comes from. */
  sourceMap: SourceMapEntry[];
  copies: CopyStatementInfo[];
  replaces: ReplaceStatementInfo[];
  /** The expanded token stream the analyser works on. */
  tokens: CobolToken[];
}

export const DEFAULT_MAX_COPY_DEPTH = 16;
export const DEFAULT_MAX_EXPANSION = 16 * 1024 * 1024;

interface Unit {
  tokens: CobolToken[];
  lines: OutputLine[];
}

interface Frame {
  /** Copybook keys from the main source down to this unit, for cycle detection. */
  chain: string[];
  depth: number;
  /** File of this unit; undefined for the main source. */
  file: string | undefined;
}

/** Preprocesses `text`: see the module comment. */
export function preprocessCobol(text: string, options: PreprocessOptions = {}): PreprocessResult {
  const state: Expansion = new Expansion(options);
  const main = state.read(text, { chain: [], depth: 0, file: undefined }, options.format ?? 'auto');
  const unit = state.expand(main.unit, { chain: [], depth: 0, file: undefined });
  const tokens = state.applyReplaceStatements(unit.tokens);
  return {
    format: main.format,
    text: render(unit.lines, tokens),
    sourceMap: unit.lines.map((l) => ({
      file: l.file ?? options.file,
      line: l.line,
      copybook: l.file !== undefined,
    })),
    copies: state.copies,
    replaces: state.replaces,
    tokens,
  };
}

class Expansion {
  readonly copies: CopyStatementInfo[] = [];
  readonly replaces: ReplaceStatementInfo[] = [];
  private readonly budget: ExpansionBudget;
  private readonly maxDepth: number;

  constructor(private readonly options: PreprocessOptions) {
    this.budget = new ExpansionBudget(options.maxExpansionBytes ?? DEFAULT_MAX_EXPANSION, options.file);
    this.maxDepth = options.maxDepth ?? DEFAULT_MAX_COPY_DEPTH;
  }

  /** Reads and tokenizes one source; copybook tokens are attributed to `mainLine` of the main source. */
  read(
    text: string,
    frame: Frame,
    format: CobolSourceFormat | 'auto',
    mainLine?: number,
  ): { unit: Unit; format: CobolSourceFormat } {
    const source = readCobolSource(text, {
      format,
      file: frame.file ?? this.options.file,
      debugLines: this.options.debugLines,
      maxLineLength: this.options.maxLineLength,
      maxFileSize: this.options.maxFileSize,
    });
    const unit: Unit = { tokens: [], lines: [] };
    for (const line of source.lines) {
      const out: OutputLine = { file: frame.file, line: line.line };
      unit.lines.push(out);
      if (line.kind === 'code') {
        const fixed = source.format === 'fixed';
        for (const t of tokenizeLine(line, out, { file: frame.file, mainLine, fixed })) unit.tokens.push(t);
      } else if (line.kind !== 'blank') {
        out.comment = line.text;
      }
    }
    return { unit, format: source.format };
  }

  /** Replaces the COPY statements of `unit` by their expansion (see the module comment for the lines). */
  expand(unit: Unit, frame: Frame): Unit {
    const { tokens, lines } = unit;
    const lineIndex = new Map(lines.map((l, i) => [l, i]));
    const result: Unit = { tokens: [], lines: [] };
    let nextLine = 0;
    const emitLinesBefore = (index: number) => {
      while (nextLine < index) result.lines.push(lines[nextLine++]!);
    };
    let inExec = false;
    for (let i = 0; i < tokens.length; i++) {
      const t = tokens[i]!;
      if (t.kind === 'word' && (t.upper === 'EXEC' || t.upper === 'END-EXEC')) inExec = t.upper === 'EXEC';
      if (inExec || t.kind !== 'word' || t.upper !== 'COPY') {
        result.tokens.push(t);
        continue;
      }
      const stmt = parseCopyStatement(tokens, i);
      const first = lineIndex.get(t.out)!;
      const periodLine = tokens[stmt.end]!.out;
      const last = lineIndex.get(periodLine)!;
      emitLinesBefore(first);
      if (result.tokens[result.tokens.length - 1]?.out === t.out) result.lines.push(lines[first]!);
      const child = this.copy(stmt, t, frame);
      if (child) {
        for (const l of child.lines) result.lines.push(l);
        for (const c of child.tokens) result.tokens.push(c);
      }
      // The text after the period starts a new line that stands for the COPY statement's last line.
      const suffix: OutputLine = { file: periodLine.file, line: periodLine.line };
      for (let k = stmt.end + 1; k < tokens.length && tokens[k]!.out === periodLine; k++)
        tokens[k]!.out = suffix;
      lines[last] = suffix;
      lineIndex.set(suffix, last);
      nextLine = last;
      i = stmt.end;
    }
    emitLinesBefore(lines.length);
    return result;
  }

  /** Resolves, reads and expands one COPY; records it. Undefined when the copybook is not found. */
  private copy(stmt: CopyStatement, at: CobolToken, frame: Frame): Unit | undefined {
    const where = { file: at.file ?? this.options.file, line: at.line };
    const key = `${stmt.library ? `${stmt.library}/` : ''}${stmt.name}`.toUpperCase();
    const info: CopyStatementInfo = {
      name: stmt.name,
      ...(stmt.library === undefined ? {} : { library: stmt.library }),
      suppress: stmt.suppress,
      replacing: stmt.replacing.map(describePair),
      ...(at.file === undefined ? {} : { file: at.file }),
      line: at.line,
      resolved: false,
      depth: frame.depth + 1,
    };
    this.copies.push(info);
    if (frame.chain.includes(key)) {
      const chain = [...frame.chain.slice(frame.chain.indexOf(key)), key].join(' -> ');
      throw new CodeAnalysisError('COPY_CYCLE', `COPY cycle: ${chain}`, where);
    }
    if (frame.depth + 1 > this.maxDepth) {
      throw new CodeAnalysisError(
        'COPY_DEPTH',
        `COPY ${stmt.name} nested deeper than ${this.maxDepth}`,
        where,
      );
    }
    const text = this.options.resolveCopybook?.(stmt.name, stmt.library);
    if (text === undefined) {
      if (this.options.requireCopybooks) {
        throw new CodeAnalysisError('COPY_NOT_FOUND', `copybook ${key} not found`, where);
      }
      return undefined;
    }
    info.resolved = true;
    const childFrame: Frame = {
      chain: [...frame.chain, key],
      depth: frame.depth + 1,
      file: stmt.library ? `${stmt.library}/${stmt.name}` : stmt.name,
    };
    const { unit } = this.read(text, childFrame, this.options.copybookFormat ?? 'auto', at.mainLine);
    const expanded = this.expand(unit, childFrame);
    this.budget.charge(expanded.tokens, 'FILE_TOO_LARGE', at.line);
    if (stmt.replacing.length > 0) {
      expanded.tokens = applyReplacing(expanded.tokens, stmt.replacing, this.budget);
    }
    return expanded;
  }

  /**
   * Applies REPLACE statements to the expanded stream: each statement's pairs act on the text after it
   * up to the next REPLACE; `REPLACE ALSO` stacks pairs on the active ones, `REPLACE LAST OFF` restores
   * the previous set, `REPLACE OFF` ends all replacement. The statements themselves are removed.
   */
  applyReplaceStatements(tokens: CobolToken[]): CobolToken[] {
    const result: CobolToken[] = [];
    const stack: ReplacingPair[][] = [];
    let segmentStart = 0;
    const flush = (end: number) => {
      const segment = tokens.slice(segmentStart, end);
      const active = stack[stack.length - 1];
      const replaced = active ? applyReplacing(segment, active, this.budget) : segment;
      for (const t of replaced) result.push(t);
    };
    let inExec = false;
    for (let i = 0; i < tokens.length; i++) {
      const t = tokens[i]!;
      if (t.kind === 'word' && (t.upper === 'EXEC' || t.upper === 'END-EXEC')) inExec = t.upper === 'EXEC';
      if (inExec || t.kind !== 'word' || t.upper !== 'REPLACE') continue;
      flush(i);
      const stmt = parseReplaceStatement(tokens, i);
      this.replaces.push({
        ...(t.file === undefined ? {} : { file: t.file }),
        line: t.line,
        off: stmt.off,
        replacing: stmt.pairs.map(describePair),
      });
      if (stmt.off) {
        if (stmt.last) stack.pop();
        else stack.length = 0;
      } else {
        stack.push(stmt.also ? [...(stack[stack.length - 1] ?? []), ...stmt.pairs] : stmt.pairs);
      }
      i = stmt.end;
      segmentStart = i + 1;
    }
    flush(tokens.length);
    return result;
  }
}

function describePair(p: ReplacingPair): ReplacingInfo {
  return { mode: p.mode, replaceable: p.replaceable.text, replacement: p.replacement.text };
}

interface CopyStatement {
  name: string;
  library?: string;
  suppress: boolean;
  replacing: ReplacingPair[];
  /** Index of the terminating period. */
  end: number;
}

const isWord = (t: CobolToken | undefined, ...words: string[]): boolean =>
  t !== undefined && t.kind === 'word' && words.includes(t.upper);

function syntax(message: string, at: CobolToken): CodeAnalysisError {
  return new CodeAnalysisError('SYNTAX', message, { file: at.file, line: at.line });
}

/** `COPY name [OF|IN library] [SUPPRESS] [REPLACING pairs] .` starting at `start`. */
function parseCopyStatement(tokens: readonly CobolToken[], start: number): CopyStatement {
  const copy = tokens[start]!;
  const nameToken = tokens[start + 1];
  if (!nameToken || (nameToken.kind !== 'word' && nameToken.kind !== 'literal')) {
    throw syntax('COPY without a copybook name', copy);
  }
  const stmt: CopyStatement = { name: literalValue(nameToken), suppress: false, replacing: [], end: -1 };
  let i = start + 2;
  if (isWord(tokens[i], 'OF', 'IN')) {
    const lib = tokens[i + 1];
    if (!lib || (lib.kind !== 'word' && lib.kind !== 'literal'))
      throw syntax('COPY ... OF without a library', copy);
    stmt.library = literalValue(lib);
    i += 2;
  }
  for (;;) {
    const t = tokens[i];
    if (!t) {
      throw new CodeAnalysisError('UNTERMINATED', `COPY ${stmt.name} without its terminating period`, {
        file: copy.file,
        line: copy.line,
      });
    }
    if (t.kind === 'period') break;
    if (isWord(t, 'SUPPRESS')) {
      stmt.suppress = true;
      i++;
    } else if (isWord(t, 'REPLACING')) {
      const parsed = parseReplacingPairs(tokens, i + 1, (x) => x.kind === 'period' || isWord(x, 'SUPPRESS'));
      if (parsed.pairs.length === 0) throw syntax('REPLACING without operands', t);
      stmt.replacing.push(...parsed.pairs);
      i = parsed.next;
    } else {
      throw syntax(`unexpected '${t.text}' in COPY ${stmt.name} (missing period?)`, t);
    }
  }
  stmt.end = i;
  return stmt;
}

/** `REPLACE [ALSO] pairs .` or `REPLACE [LAST] OFF .` starting at `start`. */
function parseReplaceStatement(
  tokens: readonly CobolToken[],
  start: number,
): { off: boolean; last: boolean; also: boolean; pairs: ReplacingPair[]; end: number } {
  const replace = tokens[start]!;
  let i = start + 1;
  const last = isWord(tokens[i], 'LAST');
  if (last) i++;
  if (isWord(tokens[i], 'OFF')) {
    if (tokens[i + 1]?.kind !== 'period') throw syntax('REPLACE OFF without its period', replace);
    return { off: true, last, also: false, pairs: [], end: i + 1 };
  }
  const also = isWord(tokens[i], 'ALSO');
  if (also) i++;
  const parsed = parseReplacingPairs(tokens, i, (x) => x.kind === 'period');
  if (parsed.pairs.length === 0) throw syntax('REPLACE without operands', replace);
  if (tokens[parsed.next]?.kind !== 'period') {
    throw new CodeAnalysisError('UNTERMINATED', 'REPLACE without its terminating period', {
      file: replace.file,
      line: replace.line,
    });
  }
  return { off: false, last: false, also, pairs: parsed.pairs, end: parsed.next };
}

/** Renders the output lines (see the module comment). */
function render(lines: readonly OutputLine[], tokens: readonly CobolToken[]): string {
  const text = new Map<OutputLine, string>();
  for (const t of tokens) text.set(t.out, (text.get(t.out) ?? '') + t.gap + t.text);
  return lines
    .map((l) => {
      const code = text.get(l);
      if (code !== undefined) return `       ${code}`.trimEnd();
      return l.comment === undefined ? '' : `      *> ${l.comment}`.trimEnd();
    })
    .join('\n');
}
