/**
 * Fixed-format (reference format) COBOL checks and wrapping, after IBM Enterprise COBOL for z/OS
 * Language Reference, "Reference format" (sections "Sequence number area", "Indicator area", "Area A",
 * "Area B", "Area A or Area B", "Continuation lines", "Continuation of alphanumeric and national literals")
 * and "Level-numbers" (data description entry).
 *
 * Columns: 1–6 sequence number area, 7 indicator area, 8–11 Area A, 12–72 Area B, 73–80 identification
 * area (ignored by the compiler: anything there is silently lost, so it must be blank here).
 */
import { firstNonBlankColumn } from './lines.js';
import type { OutputProblem, WrapOutcome } from './types.js';

const LAST_COLUMN = 72;
const AREA_B = 12;
const INDICATORS = new Set([' ', '*', '/', '-', 'D', 'd']);
const BLANK_SEQUENCE = '      ';

/** Verbs and scope terminators: a word followed by a period in Area A that is one of these is a statement, not a paragraph header. */
const VERBS = new Set(
  (
    'ACCEPT ADD ALLOCATE ALTER CALL CANCEL CLOSE COMPUTE CONTINUE DELETE DISPLAY DIVIDE ELSE ENTRY EVALUATE ' +
    'EXEC EXIT FREE GO GOBACK IF INITIALIZE INSPECT INVOKE JSON MERGE MOVE MULTIPLY NEXT NOT OPEN PERFORM READ ' +
    'RELEASE RETURN REWRITE SEARCH SET SORT START STOP STRING SUBTRACT UNSTRING WHEN WRITE XML'
  ).split(' '),
);

/** Compiler-directing statements, which may begin in Area A or Area B. */
const DIRECTING =
  /^(COPY|REPLACE|EJECT|SKIP[123]|TITLE|BASIS|INSERT|SERVICE|CBL|PROCESS|READY|RESET)(\s|\.|$)/i;

interface Masked {
  /** Columns 8–72 with the contents of literals blanked and a floating comment removed. */
  code: string;
  /** Quote character of a literal still open at column 72, or null. */
  openQuote: string | null;
}

/** Blanks literal contents in `body` (columns 8–72) starting at index `from`, optionally inside an open literal. */
function maskLiterals(body: string, from: number, openQuote: string | null): Masked {
  const chars = body.split('');
  for (let i = 0; i < from; i++) chars[i] = ' ';
  let quote = openQuote;
  let i = from;
  while (i < chars.length) {
    const ch = chars[i];
    if (quote !== null) {
      if (ch === quote) {
        if (chars[i + 1] === quote) {
          chars[i] = ' ';
          chars[i + 1] = ' ';
          i += 2;
          continue;
        }
        quote = null;
      } else {
        chars[i] = ' ';
      }
      i++;
      continue;
    }
    if (ch === '*' && chars[i + 1] === '>') {
      chars.length = i;
      break;
    }
    if (ch === "'" || ch === '"') quote = ch;
    i++;
  }
  return { code: chars.join(''), openQuote: quote };
}

function levelNumber(text: string): number | null {
  const m = /^(\d{1,2})(\s|\.|$)/.exec(text);
  return m ? Number(m[1]) : null;
}

/** Items IBM allows to begin in Area A ("Area A" and "Area A or Area B" sections, "Level-numbers"). */
function mayBeginInAreaA(text: string): boolean {
  const level = levelNumber(text);
  if (level !== null) return (level >= 1 && level <= 49) || level === 66 || level === 77 || level === 88;
  if (/^(FD|SD|RD|CD)(\s|$)/i.test(text)) return true;
  if (/^[A-Z0-9][A-Z0-9-]*\s+(DIVISION|SECTION)(\s|\.|$)/i.test(text)) return true;
  if (/^(DECLARATIVES\s*\.|END\s+(DECLARATIVES|PROGRAM|CLASS|METHOD|FUNCTION)(\s|\.|$))/i.test(text))
    return true;
  if (DIRECTING.test(text) || text.startsWith('>>') || text.startsWith('*>')) return true;
  const paragraph = /^([A-Z0-9][A-Z0-9-]*)\.(\s|$)/i.exec(text);
  if (paragraph) {
    const word = paragraph[1]!.toUpperCase();
    return !VERBS.has(word) && !word.startsWith('END-');
  }
  return false;
}

/** Items that must begin in Area A but were found in Area B (only the unambiguous ones; see README of the module). */
function mustBeginInAreaA(text: string, division: string | null): string | null {
  const header = /^([A-Z0-9][A-Z0-9-]*)\s+(DIVISION|SECTION)(\s|\.|$)/i.exec(text);
  if (header) return `${header[1]!.toUpperCase()} ${header[2]!.toUpperCase()} header`;
  if (/^(DECLARATIVES\s*\.|END\s+(DECLARATIVES|PROGRAM|CLASS|METHOD|FUNCTION)(\s|\.|$))/i.test(text)) {
    return `"${text.split(/[\s.]/)[0]!.toUpperCase()}" marker`;
  }
  if (division === 'DATA') {
    const level = levelNumber(text);
    if (level === 1 || level === 77) return `level-number ${String(level).padStart(2, '0')}`;
    const indicator = /^(FD|SD|RD|CD)(\s|$)/i.exec(text);
    if (indicator) return `level indicator ${indicator[1]!.toUpperCase()}`;
  }
  return null;
}

/** Checks fixed-format COBOL source lines; problems name 1-based line and column. */
export function checkCobol(lines: readonly string[]): OutputProblem[] {
  const problems: OutputProblem[] = [];
  let division: string | null = null;
  let inExec = false;
  let open: { quote: string; line: number } | null = null;

  for (const [index, raw] of lines.entries()) {
    const line = index + 1;
    const tab = raw.indexOf('\t');
    if (tab >= 0) {
      problems.push({
        line,
        column: tab + 1,
        rule: 'cobol/tab',
        message: `line ${line}: tab character in column ${tab + 1}; columns are ambiguous, use spaces`,
      });
      continue;
    }
    const past = firstNonBlankColumn(raw, LAST_COLUMN);
    if (past > 0) {
      problems.push({
        line,
        column: past,
        rule: 'cobol/beyond-column-72',
        message:
          `line ${line}: text in column ${past}; columns 73–80 are the identification area and are ignored ` +
          'by the compiler, so the statement would be cut at column 72',
      });
    }
    const badSequence = /[^0-9 ]/.exec(raw.slice(0, 6));
    if (badSequence) {
      problems.push({
        line,
        column: badSequence.index + 1,
        rule: 'cobol/sequence-area',
        message: `line ${line}: columns 1–6 (sequence number area) must hold digits or blanks; is the line indented by 7 columns?`,
      });
    }
    const indicator = raw[6] ?? ' ';
    if (!INDICATORS.has(indicator)) {
      problems.push({
        line,
        column: 7,
        rule: 'cobol/indicator',
        message: `line ${line}: column 7 (indicator area) holds "${indicator}"; only blank, *, /, -, D or d are allowed`,
      });
      continue;
    }
    if (indicator === '*' || indicator === '/') continue;
    const body = raw.slice(7, LAST_COLUMN);
    const first = body.search(/\S/);
    if (first < 0) continue;
    const column = first + 8;

    if (indicator === '-') {
      if (column < AREA_B) {
        problems.push({
          line,
          column,
          rule: 'cobol/continuation',
          message: `line ${line}: Area A (columns 8–11) of a continuation line must be blank`,
        });
      }
      let from = first;
      let quote: string | null = null;
      if (open) {
        // Read on as inside the literal either way, so one missing quotation mark is reported once.
        quote = open.quote;
        if (body[first] !== open.quote) {
          problems.push({
            line,
            column,
            rule: 'cobol/continuation',
            message: `line ${line}: continues the literal opened on line ${open.line}, so its first non-blank character must be ${open.quote}`,
          });
        } else {
          from = first + 1;
        }
      }
      const masked = maskLiterals(body, from, quote);
      open = masked.openQuote ? { quote: masked.openQuote, line } : null;
      if (/\bEND-EXEC\b/i.test(masked.code)) inExec = false;
      continue;
    }

    if (open) {
      problems.push({
        line: open.line,
        rule: 'cobol/continuation',
        message:
          `line ${open.line}: literal not closed, and line ${line} is not a continuation line ` +
          '(a hyphen in column 7 and a quotation mark as first non-blank character in Area B)',
      });
      open = null;
    }
    const masked = maskLiterals(body, first, null);
    const text = masked.code.slice(first);
    if (!inExec) {
      if (column < AREA_B) {
        if (!mayBeginInAreaA(text)) {
          problems.push({
            line,
            column,
            rule: 'cobol/area-b',
            message:
              `line ${line}: "${text.split(/\s/)[0]}" starts in Area A (column ${column}); statements, ` +
              'clauses and continued entries must start in Area B (columns 12–72)',
          });
        }
      } else {
        const item = mustBeginInAreaA(text, division);
        if (item) {
          problems.push({
            line,
            column,
            rule: 'cobol/area-a',
            message: `line ${line}: ${item} starts in column ${column}; it must start in Area A (columns 8–11)`,
          });
        }
      }
      const header = /^([A-Z]+)\s+DIVISION(\s|\.|$)/i.exec(text);
      if (header) division = header[1]!.toUpperCase();
    }
    if (/\bEXEC\b/i.test(masked.code)) inExec = true;
    if (/\bEND-EXEC\b/i.test(masked.code)) inExec = false;
    open = masked.openQuote ? { quote: masked.openQuote, line } : null;
  }
  if (open !== null) {
    problems.push({
      line: open.line,
      rule: 'cobol/continuation',
      message: `line ${open.line}: literal not closed at the end of the source`,
    });
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------- wrapping

interface Token {
  /** Index in the line (0-based, so column = start + 1). */
  start: number;
  text: string;
  /** Part of a floating comment (`*>` and the words after it). */
  comment: boolean;
}

/** Splits a code line from column 8 into blank-separated tokens; a literal (blanks included) stays inside its token. */
function tokenize(raw: string): Token[] | null {
  const tokens: Token[] = [];
  let i = 7;
  let comment = false;
  while (i < raw.length) {
    if (raw[i] === ' ') {
      i++;
      continue;
    }
    const start = i;
    if (!comment && raw[i] === '*' && raw[i + 1] === '>') comment = true;
    let quote: string | null = null;
    while (i < raw.length && (quote !== null || raw[i] !== ' ')) {
      const ch = raw[i];
      if (!comment) {
        if (quote !== null && ch === quote) {
          if (raw[i + 1] === quote) i++;
          else quote = null;
        } else if (quote === null && (ch === "'" || ch === '"')) {
          quote = ch;
        }
      }
      i++;
    }
    if (quote !== null) return null; // literal continued on the next line: not ours to re-lay out
    tokens.push({ start, text: raw.slice(start, i), comment });
  }
  return tokens;
}

interface Literal {
  prefix: string;
  quote: string;
  /** Contents between the delimiters, doubled quotes kept as written. */
  content: string;
  suffix: string;
}

/** The first literal of a token, if it may be continued (no DBCS/national literal: IBM forbids continuing those with DBCS content). */
function literalOf(text: string): Literal | null {
  const q = text.search(/['"]/);
  if (q < 0) return null;
  const quote = text[q]!;
  const prefix = text.slice(0, q);
  if (/(N|G|NX)$/i.test(prefix)) return null;
  let i = q + 1;
  while (i < text.length) {
    if (text[i] === quote) {
      if (text[i + 1] === quote) {
        i += 2;
        continue;
      }
      break;
    }
    i++;
  }
  return { prefix, quote, content: text.slice(q + 1, i), suffix: text.slice(i + 1) };
}

/** True when the `count`-th character of `content` is the first quote of a doubled pair (splitting there would end the literal). */
function splitsPair(content: string, count: number, quote: string): boolean {
  let i = 0;
  while (i < count) {
    if (content[i] === quote) {
      if (i === count - 1) return true;
      i += 2;
    } else {
      i++;
    }
  }
  return false;
}

function pad(line: string, column: number): string {
  return line.length >= column - 1 ? line : line + ' '.repeat(column - 1 - line.length);
}

/**
 * Lays out one code line over as many lines as needed:
 * (a) between words, the next line continuing in Area B at `cont` with the same indicator (no hyphen:
 *     "the last character of the preceding line is assumed to be followed by a space");
 * (b) an alphanumeric literal that cannot fit on a line of its own is continued per IBM's rule
 *     ("Continuation of alphanumeric and national literals"): the literal runs to column 72 exactly (spaces
 *     through column 72 belong to the literal), the next line has a hyphen in column 7, Area A blank, and its
 *     first non-blank character is the literal's quotation mark, the literal resuming right after it;
 * (c) a word that fits no line is refused (IBM would allow splitting a word with a hyphen in column 7; we do not).
 */
function wrapCode(raw: string, line: number): string[] | string {
  const indicator = raw[6] ?? ' ';
  const tokens = tokenize(raw);
  if (!tokens) return `line ${line}: it ends inside a continued literal, which is not re-laid out`;
  const first = tokens[0];
  if (!first) return `line ${line}: nothing to wrap`;
  const cont = Math.min(Math.max(first.start + 1 + 4, AREA_B), 36);
  const out: string[] = [];
  let cur = raw.slice(0, first.start);
  let placed = false;
  let prevEnd = first.start;

  const breakLine = (column: number, ind: string) => {
    out.push(cur);
    cur = pad(BLANK_SEQUENCE + ind, column);
    placed = false;
  };
  const fits = (column: number, text: string) => column + text.length - 1 <= LAST_COLUMN;

  for (const token of tokens) {
    const gap = placed ? token.start - prevEnd : 0;
    const fresh = token.comment && !token.text.startsWith('*>') ? `*> ${token.text}` : token.text;
    prevEnd = token.start + token.text.length;
    if (fits(cur.length + gap + 1, token.text)) {
      cur += ' '.repeat(gap) + token.text;
      placed = true;
      continue;
    }
    if (placed && fits(cont, fresh)) {
      breakLine(cont, indicator);
      cur += fresh;
      placed = true;
      continue;
    }
    const literal = token.comment ? null : literalOf(token.text);
    if (literal) {
      if (indicator !== ' ') return `line ${line}: a literal on a debugging line cannot be continued`;
      let start = placed ? cur.length + gap + 1 : cur.length + 1;
      let rest = literal.content;
      let lead = literal.prefix + literal.quote;
      const tail = literal.quote + literal.suffix;
      if (literal.suffix.search(/['"]/) >= 0) {
        return `line ${line}: token "${token.text}" holds more than one literal and does not fit`;
      }
      if (LAST_COLUMN - (start + lead.length - 1) < 1) {
        if (!placed) return `line ${line}: no room to start the literal in "${token.text}"`;
        breakLine(cont, indicator);
        start = cont;
      }
      for (;;) {
        const room = LAST_COLUMN - (start + lead.length - 1);
        if (rest.length + tail.length <= room) {
          cur = pad(cur, start) + lead + rest + tail;
          break;
        }
        let count = Math.min(room, rest.length - 1);
        if (count >= 1 && splitsPair(rest, count, literal.quote)) count--;
        if (count < 1) return `line ${line}: the literal in "${token.text}" cannot be continued here`;
        cur = pad(cur, LAST_COLUMN - count - lead.length + 1) + lead + rest.slice(0, count);
        out.push(cur);
        cur = pad(`${BLANK_SEQUENCE}-`, cont);
        start = cont;
        rest = rest.slice(count);
        lead = literal.quote;
      }
      placed = true;
      continue;
    }
    if (placed && fits(AREA_B, fresh)) {
      breakLine(AREA_B, indicator);
      cur += fresh;
      placed = true;
      continue;
    }
    return (
      `line ${line}: "${token.text}" (${token.text.length} characters) cannot fit in Area B ` +
      `(columns ${placed ? AREA_B : token.start + 1}–72) and a word is not split`
    );
  }
  out.push(cur);
  return out;
}

/** Comment lines wrap between words into further comment lines (`*` in column 7), keeping the text's indentation. */
function wrapComment(raw: string): string[] {
  const width = LAST_COLUMN - 7;
  let text = raw.slice(7).trimEnd();
  const indent = Math.min(text.length - text.trimStart().length, 20);
  const out: string[] = [];
  let head = raw.slice(0, 7);
  while (text.length > width) {
    let cut = text.lastIndexOf(' ', width);
    if (cut <= indent) cut = width;
    out.push(head + text.slice(0, cut).trimEnd());
    text = ' '.repeat(indent) + text.slice(cut).trimStart();
    head = `${BLANK_SEQUENCE}*`;
  }
  out.push(head + text);
  return out;
}

/** Wraps every line with text past column 72 that can be wrapped; other lines are returned untouched. */
export function wrapCobol(lines: readonly string[]): WrapOutcome {
  const out: string[] = [];
  const wrapped: number[] = [];
  const problems: OutputProblem[] = [];
  lines.forEach((raw, index) => {
    const line = index + 1;
    const indicator = raw[6] ?? ' ';
    if (raw.includes('\t') || firstNonBlankColumn(raw, LAST_COLUMN) < 0 || !INDICATORS.has(indicator)) {
      out.push(raw);
      return;
    }
    const result =
      indicator === '*' || indicator === '/'
        ? wrapComment(raw)
        : indicator === '-'
          ? `line ${line}: a continuation line is not re-laid out`
          : wrapCode(raw.trimEnd(), line);
    if (typeof result === 'string') {
      problems.push({ line: out.length + 1, rule: 'cobol/unwrappable', message: `cannot wrap ${result}` });
      out.push(raw);
      return;
    }
    wrapped.push(line);
    out.push(...result);
  });
  return { lines: out, wrapped, problems };
}
