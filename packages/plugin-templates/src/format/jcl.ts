/**
 * z/OS JCL checks and wrapping, after the z/OS MVS JCL Reference: "JCL statement fields" (identifier, name,
 * operation, parameter and comments fields; columns 1–71, 72 continuation, 73–80 sequence), "Continuing JCL
 * statements" ("Continuing the parameter field", "Continuing parameter fields enclosed in apostrophes"),
 * "Comment statement" (comments in columns 4–80; may be placed between continuations), "Delimiter statement"
 * and the DD statement's `*`, `DATA` and `DLM` parameters (in-stream data).
 */
import { firstNonBlankColumn } from './lines.js';
import type { OutputProblem, WrapOutcome } from './types.js';

const LAST_COLUMN = 71;
const RECORD_LENGTH = 80;
/** Continued apostrophe strings resume in column 16; other continued parameters in columns 4–16. */
const QUOTE_RESUME = 16;

const OPERATIONS = new Set([
  'JOB',
  'EXEC',
  'DD',
  'PROC',
  'PEND',
  'SET',
  'IF',
  'ELSE',
  'ENDIF',
  'INCLUDE',
  'JCLLIB',
  'OUTPUT',
  'CNTL',
  'ENDCNTL',
  'EXPORT',
  'XMIT',
  'COMMAND',
  'SCHEDULE',
]);
/** Operations whose remaining text is not a comma-separated parameter field. */
const NO_PARAMETERS = new Set(['PEND', 'ELSE', 'ENDIF', 'ENDCNTL']);
/** Operations whose name may be qualified (`procstep.ddname` override; `PEND` per its Name field section). */
const QUALIFIED_NAMES = new Set(['DD', 'PEND']);
const NAME = /^[A-Z@#$][A-Z0-9@#$]{0,7}$/;

export type JclLineKind =
  | 'statement'
  | 'continuation'
  | 'comment'
  | 'delimiter'
  | 'data'
  | 'null'
  | 'not-jcl';

/** How a line was read; used by the wrap pass to re-lay out a line without re-parsing its context. */
export interface JclLine {
  kind: JclLineKind;
  /** 0-based index where the parameter field (or the continued part of it) starts; -1 if none. */
  paramStart: number;
  /** 0-based index just past the parameter field. */
  paramEnd: number;
  /** The line starts inside an apostrophe string continued from the line before. */
  startsInQuote: boolean;
}

interface Scan {
  lines: JclLine[];
  problems: OutputProblem[];
}

interface ParamScan {
  end: number;
  inQuote: boolean;
}

/** Reads a parameter field from `from`: it ends at the first blank outside apostrophes (`''` is an apostrophe inside). */
function scanParams(line: string, from: number, inQuote: boolean): ParamScan {
  let quote = inQuote;
  let i = from;
  while (i < line.length) {
    const ch = line[i];
    if (quote) {
      if (ch === "'") {
        if (line[i + 1] === "'") {
          i += 2;
          continue;
        }
        quote = false;
      }
    } else if (ch === ' ') {
      break;
    } else if (ch === "'") {
      quote = true;
    }
    i++;
  }
  return { end: i, inQuote: quote };
}

/** First positional parameter of a parameter field (before the first comma outside apostrophes and parentheses). */
function firstParameter(params: string): string {
  let depth = 0;
  let quote = false;
  for (let i = 0; i < params.length; i++) {
    const ch = params[i];
    if (ch === "'") quote = !quote;
    else if (!quote && ch === '(') depth++;
    else if (!quote && ch === ')') depth--;
    else if (!quote && depth === 0 && ch === ',') return params.slice(0, i);
  }
  return params;
}

function inStreamDelimiter(params: string): string | null {
  const first = firstParameter(params).toUpperCase();
  if (first !== '*' && first !== 'DATA') return null;
  const dlm = /(?:^|,)DLM=(?:'((?:[^']|'')+)'|([^,\s]+))/i.exec(params);
  const value = dlm ? (dlm[1] ?? dlm[2] ?? '/*').replace(/''/g, "'") : '/*';
  return value.slice(0, 2);
}

/** Reads JCL line by line; returns how each line was read and the problems found. */
export function scanJcl(lines: readonly string[]): Scan {
  const problems: OutputProblem[] = [];
  const info: JclLine[] = [];
  const report = (line: number, rule: OutputProblem['rule'], message: string, column?: number) => {
    problems.push(column === undefined ? { line, rule, message } : { line, column, rule, message });
  };
  /** Pending continuation of the current statement. */
  let pending: 'comma' | 'quote' | 'if' | null = null;
  let statementLine = 0;
  let operation = '';
  let params = '';
  const stream: { data: { delimiter: string; star: boolean } | null } = { data: null };

  const finishStatement = () => {
    if (operation === 'DD') {
      const delimiter = inStreamDelimiter(params);
      if (delimiter !== null) {
        stream.data = { delimiter, star: firstParameter(params) === '*' && delimiter === '/*' };
      }
    }
    operation = '';
    params = '';
  };
  const entry = (kind: JclLineKind, paramStart = -1, paramEnd = -1, startsInQuote = false): JclLine => ({
    kind,
    paramStart,
    paramEnd,
    startsInQuote,
  });

  for (const [index, raw] of lines.entries()) {
    const line = index + 1;
    const tab = raw.indexOf('\t');
    if (tab >= 0)
      report(line, 'jcl/tab', `line ${line}: tab character in column ${tab + 1}; use spaces`, tab + 1);

    const current = stream.data;
    if (current !== null) {
      const ends = raw.startsWith(current.delimiter) || (current.star && raw.startsWith('//'));
      if (!ends) {
        if (raw.length > RECORD_LENGTH) {
          report(
            line,
            'jcl/record-length',
            `line ${line}: in-stream data record of ${raw.length} characters; records are ${RECORD_LENGTH} long`,
            RECORD_LENGTH + 1,
          );
        }
        info.push(entry('data'));
        continue;
      }
      stream.data = null;
      if (raw.startsWith(current.delimiter) && current.delimiter !== '/*') {
        info.push(entry('delimiter'));
        continue;
      }
    }

    if (raw.startsWith('//*')) {
      // Comment statement: comments in columns 4 through 80, allowed between continuations.
      if (raw.length > RECORD_LENGTH) {
        report(
          line,
          'jcl/record-length',
          `line ${line}: comment statement of ${raw.length} characters; comments end at column 80`,
          RECORD_LENGTH + 1,
        );
      }
      info.push(entry('comment'));
      continue;
    }

    if (pending !== null) {
      const isContinuation = raw.startsWith('//') && raw[2] === ' ' && raw.slice(2).trim() !== '';
      if (!isContinuation) {
        report(
          statementLine,
          'jcl/continuation',
          `line ${statementLine}: the statement is continued (${
            pending === 'quote' ? 'apostrophe string open at column 71' : 'parameter field ends with a comma'
          }) but line ${line} is not a continuation (// in columns 1–2, blank column 3)`,
        );
        pending = null;
        finishStatement();
      }
    }

    const past = firstNonBlankColumn(raw, LAST_COLUMN);
    const isDelimiter = raw.startsWith('/*') && (raw.length === 2 || raw[2] === ' ');
    if (past > 0 && !isDelimiter && raw.startsWith('/')) {
      report(
        line,
        'jcl/beyond-column-71',
        `line ${line}: text in column ${past}; JCL fields end at column 71 (72 is the continuation column, 73–80 are ignored)`,
        past,
      );
    }

    if (raw.startsWith('/*')) {
      if (isDelimiter && raw.length > RECORD_LENGTH) {
        report(line, 'jcl/record-length', `line ${line}: delimiter statement longer than 80 characters`, 81);
      }
      info.push(entry('delimiter'));
      continue;
    }
    if (!raw.startsWith('//')) {
      report(
        line,
        'jcl/identifier',
        `line ${line}: not a JCL statement (columns 1–2 must be //) and not inside in-stream data`,
        1,
      );
      info.push(entry('not-jcl'));
      continue;
    }

    if (pending !== null) {
      const first = firstNonBlankColumn(raw, 2);
      if (pending === 'quote') {
        if (first !== QUOTE_RESUME) {
          report(
            line,
            'jcl/continuation-column',
            `line ${line}: a continued apostrophe string must resume in column ${QUOTE_RESUME} (found column ${first})`,
            first,
          );
        }
      } else if (first > QUOTE_RESUME) {
        report(
          line,
          'jcl/continuation-column',
          `line ${line}: a continued parameter field must resume in columns 4–16 (found column ${first}); ` +
            'the system would read it as a comment',
          first,
        );
      }
      if (pending === 'if') {
        info.push(entry('continuation'));
        if (/\sTHEN(\s|$)/.test(` ${raw.slice(first - 1)}`)) {
          pending = null;
          finishStatement();
        }
        continue;
      }
      const startsInQuote = pending === 'quote';
      const scan = scanParams(raw, first - 1, startsInQuote);
      info.push(entry('continuation', first - 1, scan.end, startsInQuote));
      params += raw.slice(first - 1, scan.end);
      pending = nextPending(raw, line, scan, report);
      if (pending === null) finishStatement();
      continue;
    }

    if (raw.slice(2).trim() === '') {
      info.push(entry('null'));
      continue;
    }

    // New statement: name field (column 3), operation, parameters, comments.
    statementLine = line;
    const fields = /^\/\/(\S*)( +)(\S+)?( *)/.exec(raw);
    const name = fields?.[1] ?? raw.slice(2);
    const op = fields?.[3] ?? '';
    if (name !== '') {
      const parts = QUALIFIED_NAMES.has(op) ? name.split('.') : [name];
      const bad = parts.find((part) => !NAME.test(part)) ?? (parts.length > 2 ? name : undefined);
      if (bad !== undefined) {
        report(
          line,
          'jcl/name',
          `line ${line}: name "${name}" is invalid: 1–8 characters, the first A–Z, @, # or $, the others A–Z, 0–9, @, # or $` +
            (bad.length > 8 ? ` ("${bad}" has ${bad.length})` : ''),
          3,
        );
      }
    } else if (op === 'JOB') {
      report(line, 'jcl/name', `line ${line}: a JOB statement needs a job name in column 3`, 3);
    }
    if (!OPERATIONS.has(op)) {
      report(
        line,
        'jcl/operation',
        op === ''
          ? `line ${line}: no operation field after the name`
          : `line ${line}: unknown operation "${op}"`,
        op === '' ? undefined : raw.indexOf(op, 2 + name.length) + 1,
      );
      info.push(entry('statement'));
      continue;
    }
    operation = op;
    const paramStart = fields ? fields[0].length : raw.length;
    if (op === 'IF') {
      info.push(entry('statement'));
      pending = /\sTHEN(\s|$)/.test(raw.slice(paramStart - 1)) ? null : 'if';
      if (pending === null) finishStatement();
      continue;
    }
    if (NO_PARAMETERS.has(op) || paramStart >= raw.length) {
      info.push(entry('statement', -1, -1));
      finishStatement();
      continue;
    }
    const scan = scanParams(raw, paramStart, false);
    info.push(entry('statement', paramStart, scan.end));
    params = raw.slice(paramStart, scan.end);
    pending = nextPending(raw, line, scan, report);
    if (pending === null) finishStatement();
  }
  if (pending !== null) {
    report(
      statementLine,
      'jcl/continuation',
      `line ${statementLine}: the statement is continued but the text ends`,
    );
  }
  return { lines: info, problems };
}

function nextPending(
  raw: string,
  line: number,
  scan: ParamScan,
  report: (line: number, rule: OutputProblem['rule'], message: string, column?: number) => void,
): 'comma' | 'quote' | null {
  if (scan.inQuote) {
    if (raw.length < LAST_COLUMN) {
      report(
        line,
        'jcl/quoted-continuation',
        `line ${line}: apostrophe string not closed; to continue it, code it through column 71 and resume in column 16 ` +
          '(otherwise the blanks up to column 71 become part of the value)',
      );
    }
    return 'quote';
  }
  return raw[scan.end - 1] === ',' ? 'comma' : null;
}

/** Checks JCL lines; problems name 1-based line and, where useful, column. */
export function checkJcl(lines: readonly string[]): OutputProblem[] {
  return scanJcl(lines).problems;
}

// ---------------------------------------------------------------------------------------------- wrapping

/** Cuts a parameter field after each comma outside apostrophes (parameters and subparameters alike). */
function pieces(params: string, startsInQuote: boolean): string[] {
  const out: string[] = [];
  let quote = startsInQuote;
  let from = 0;
  for (let i = 0; i < params.length; i++) {
    const ch = params[i];
    if (ch === "'") {
      if (quote && params[i + 1] === "'") {
        i++;
        continue;
      }
      quote = !quote;
    } else if (ch === ',' && !quote) {
      out.push(params.slice(from, i + 1));
      from = i + 1;
    }
  }
  if (from < params.length) out.push(params.slice(from));
  return out;
}

/** Index ranges [open, close) of apostrophe contents inside a piece (close = length if still open). */
function quotedRanges(piece: string, startsInQuote: boolean): Array<[number, number]> {
  const ranges: Array<[number, number]> = [];
  let open = startsInQuote ? 0 : -1;
  for (let i = 0; i < piece.length; i++) {
    if (piece[i] !== "'") continue;
    if (open >= 0) {
      if (piece[i + 1] === "'") {
        i++;
        continue;
      }
      ranges.push([open, i]);
      open = -1;
    } else {
      open = i + 1;
    }
  }
  if (open >= 0) ranges.push([open, piece.length]);
  return ranges;
}

const SYMBOL_CHAR = /[A-Z0-9@#$]/;

/**
 * Whether a piece may be cut after its first `count` characters at column 71: the cut must fall inside an
 * apostrophe string, column 71 must not hold an apostrophe, and a JCL symbol (`&NAME`) must not be broken
 * ("Coding symbols in apostrophes": a symbol within apostrophes cannot be broken at column 71).
 */
function canCutString(
  piece: string,
  count: number,
  ranges: Array<[number, number]>,
  allowBlank: boolean,
): boolean {
  if (count < 1 || count >= piece.length) return false;
  const last = count - 1;
  if (!ranges.some(([open, close]) => last >= open && last < close && count < close)) return false;
  if (piece[last] === "'" || (!allowBlank && piece[last] === ' ')) return false;
  let i = last;
  while (i >= 0 && SYMBOL_CHAR.test(piece[i]!)) i--;
  if (i >= 0 && piece[i] === '&' && piece[i - 1] !== '&') {
    if (i === last || SYMBOL_CHAR.test(piece[count] ?? ' ')) return false;
  }
  return true;
}

/**
 * Re-lays out one statement or continuation line:
 * - after a comma that ends a parameter or subparameter, continuing on a line with // in columns 1–2, a blank
 *   column 3 and the parameters resuming at the statement's parameter column (at most 16, IBM: "any column
 *   from 4 through 16");
 * - a parameter in apostrophes too long for any line is coded through column 71 and resumed in column 16 of
 *   the next line (IBM: "Continuing parameter fields enclosed in apostrophes");
 * - a trailing comment that no longer fits becomes a comment statement (//*) after the line.
 */
function wrapStatement(raw: string, info: JclLine, line: number): string[] | string {
  if (info.paramStart < 0 || info.paramEnd <= info.paramStart) {
    return `line ${line}: the text past column 71 is not in a parameter field`;
  }
  const params = raw.slice(info.paramStart, info.paramEnd);
  const comment = raw.slice(info.paramEnd).trim();
  const resume = Math.min(Math.max(info.paramStart + 1, 4), QUOTE_RESUME);
  const blankTo = (column: number) => `//${' '.repeat(column - 3)}`;
  const out: string[] = [];
  let cur = raw.slice(0, info.paramStart);
  let placed = false;
  const fitsAt = (column: number, text: string) => column + text.length - 1 <= LAST_COLUMN;

  for (const [n, piece] of pieces(params, info.startsInQuote).entries()) {
    if (fitsAt(cur.length + 1, piece)) {
      cur += piece;
      placed = true;
      continue;
    }
    if (placed && fitsAt(resume, piece)) {
      out.push(cur);
      cur = blankTo(resume) + piece;
      continue;
    }
    const ranges = quotedRanges(piece, n === 0 && info.startsInQuote);
    // Prefer a cut that leaves no blank in column 71 (an editor stripping trailing blanks would hide it).
    const starts = placed ? [cur.length + 1, resume] : [cur.length + 1];
    const tries = [false, true].flatMap((allowBlank) => starts.map((start) => ({ start, allowBlank })));
    let done = false;
    for (const { start, allowBlank } of tries) {
      const lines: string[] = [];
      let text = piece;
      let offset = 0;
      let column = start;
      let ok = true;
      for (;;) {
        const room = LAST_COLUMN - column + 1;
        if (text.length <= room) break;
        const local = ranges.map(([a, b]): [number, number] => [a - offset, b - offset]);
        if (!canCutString(text, room, local, allowBlank)) {
          ok = false;
          break;
        }
        lines.push(text.slice(0, room));
        text = text.slice(room);
        offset += room;
        column = QUOTE_RESUME;
      }
      if (!ok) continue;
      if (start === resume && start !== cur.length + 1) {
        out.push(cur);
        cur = blankTo(resume);
      }
      const head = lines.shift();
      if (head === undefined) break;
      out.push(cur + head);
      for (const middle of lines) out.push(blankTo(QUOTE_RESUME) + middle);
      cur = blankTo(QUOTE_RESUME) + text;
      placed = true;
      done = true;
      break;
    }
    if (done) continue;
    if (placed && fitsAt(4, piece)) {
      out.push(cur);
      cur = blankTo(4) + piece;
      continue;
    }
    const name = piece.split('=')[0] ?? piece;
    return `line ${line}: parameter ${name} ("${piece}", ${piece.length} characters) cannot be continued within columns 4–71`;
  }
  if (comment !== '') {
    if (fitsAt(cur.length + 2, comment)) {
      cur += ` ${comment}`;
    } else {
      out.push(cur);
      // A comment statement may stand between continuations; it holds columns 4–80 and is not continued.
      let rest = comment;
      while (rest.length > RECORD_LENGTH - 4) {
        const cut = rest.lastIndexOf(' ', RECORD_LENGTH - 4);
        const at = cut > 0 ? cut : RECORD_LENGTH - 4;
        out.push(`//* ${rest.slice(0, at).trimEnd()}`);
        rest = rest.slice(at).trimStart();
      }
      cur = `//* ${rest}`;
    }
  }
  out.push(cur);
  return out;
}

/** Wraps statement lines with text past column 71; everything else (valid lines included) is returned untouched. */
export function wrapJcl(lines: readonly string[]): WrapOutcome {
  const scan = scanJcl(lines);
  const out: string[] = [];
  const wrapped: number[] = [];
  const problems: OutputProblem[] = [];
  lines.forEach((raw, index) => {
    const line = index + 1;
    const info = scan.lines[index];
    const kind = info?.kind;
    if (
      info === undefined ||
      (kind !== 'statement' && kind !== 'continuation') ||
      raw.includes('\t') ||
      firstNonBlankColumn(raw, LAST_COLUMN) < 0
    ) {
      out.push(raw);
      return;
    }
    const result = wrapStatement(raw.trimEnd(), info, line);
    if (typeof result === 'string') {
      problems.push({ line: out.length + 1, rule: 'jcl/unwrappable', message: `cannot wrap ${result}` });
      out.push(raw);
      return;
    }
    wrapped.push(line);
    out.push(...result);
  });
  return { lines: out, wrapped, problems };
}
