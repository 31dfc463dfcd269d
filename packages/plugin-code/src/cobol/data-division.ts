/**
 * Environment and data division facts: FILE-CONTROL SELECT entries, FD / SD / RD entries with their
 * level-01 records, and every named data description entry (level, VALUE, parent).
 */
import type { DataItem, FileDescription, SelectEntry } from './analysis-types.js';
import type { ExecBlock } from './exec-blocks.js';
import type { ProgramScope, TokenRange } from './structure.js';
import { type CobolToken, literalValue } from './tokenizer.js';
import { isWord } from './words.js';

/** Calls `visit` with the token range of each period-terminated entry in `range`, skipping EXEC blocks. */
function forEachEntry(
  tokens: readonly CobolToken[],
  range: TokenRange,
  execBlocks: ReadonlyMap<number, ExecBlock>,
  visit: (start: number, end: number) => void,
): void {
  let start = range.start;
  for (let i = range.start; i <= range.end; i++) {
    const exec = execBlocks.get(i);
    if (exec) {
      i = exec.end + (tokens[exec.end + 1]?.kind === 'period' ? 1 : 0);
      start = i + 1;
    } else if (tokens[i]!.kind === 'period') {
      if (i > start) visit(start, i - 1);
      start = i + 1;
    }
  }
  if (start <= range.end) visit(start, range.end);
}

const SELECT_CLAUSES = new Set([
  'ORGANIZATION',
  'ACCESS',
  'RECORD',
  'ALTERNATE',
  'RELATIVE',
  'FILE',
  'STATUS',
  'RESERVE',
  'PADDING',
  'LOCK',
  'SHARING',
  'LINE',
  'SEQUENTIAL',
  'INDEXED',
  'OPTIONAL',
]);

/** SELECT entries of the environment division of `scope`. */
export function selectEntries(
  tokens: readonly CobolToken[],
  scope: ProgramScope,
  execBlocks: ReadonlyMap<number, ExecBlock>,
): SelectEntry[] {
  const env = scope.divisions.get('ENVIRONMENT');
  if (!env) return [];
  const entries: SelectEntry[] = [];
  forEachEntry(tokens, env, execBlocks, (start, end) => {
    let i = start;
    if (!isWord(tokens[i], 'SELECT')) {
      // `FILE-CONTROL. SELECT …`: the paragraph header is its own entry; anything else is not a SELECT.
      return;
    }
    i++;
    if (isWord(tokens[i], 'OPTIONAL')) i++;
    const name = tokens[i];
    if (!name) return;
    const entry: SelectEntry = {
      file: name.text,
      assignTo: [],
      alternateKeys: [],
      line: tokens[start]!.line,
    };
    if (scope.name !== undefined) entry.program = scope.name;
    const at = (k: number) => (k <= end ? tokens[k] : undefined);
    const skip = (k: number, ...words: string[]) => {
      let j = k;
      while (isWord(at(j), ...words)) j++;
      return j;
    };
    for (i++; i <= end; i++) {
      const t = tokens[i]!;
      if (isWord(t, 'ASSIGN')) {
        i = skip(i + 1, 'TO', 'USING');
        while (i <= end && !isWord(tokens[i], ...SELECT_CLAUSES))
          entry.assignTo.push(literalValue(tokens[i++]!));
        i--;
      } else if (isWord(t, 'ORGANIZATION')) {
        i = skip(i + 1, 'IS');
        const org = at(i);
        if (org && isWord(org, 'LINE', 'RECORD') && at(i + 1))
          entry.organization = `${org.upper} ${at(++i)!.upper}`;
        else if (org) entry.organization = org.upper;
      } else if (isWord(t, 'SEQUENTIAL', 'INDEXED', 'RELATIVE') && !isWord(at(i + 1), 'KEY')) {
        entry.organization = t.upper;
      } else if (isWord(t, 'LINE') && isWord(at(i + 1), 'SEQUENTIAL')) {
        entry.organization = 'LINE SEQUENTIAL';
        i++;
      } else if (isWord(t, 'ACCESS')) {
        i = skip(i + 1, 'MODE', 'IS');
        if (at(i)) entry.accessMode = at(i)!.upper;
      } else if (isWord(t, 'RECORD') && isWord(at(i + 1), 'KEY')) {
        i = skip(i + 2, 'IS');
        if (at(i)) entry.recordKey = at(i)!.text;
      } else if (isWord(t, 'ALTERNATE')) {
        i = skip(i + 1, 'RECORD', 'KEY', 'IS');
        if (at(i)) entry.alternateKeys.push(at(i)!.text);
      } else if (isWord(t, 'RELATIVE') && isWord(at(i + 1), 'KEY')) {
        i = skip(i + 2, 'IS');
        if (at(i)) entry.relativeKey = at(i)!.text;
      } else if (isWord(t, 'STATUS')) {
        i = skip(i + 1, 'IS');
        if (at(i)) entry.fileStatus = at(i)!.text;
      }
    }
    entries.push(entry);
  });
  return entries;
}

const DATA_CLAUSE_WORDS = new Set([
  'PIC',
  'PICTURE',
  'VALUE',
  'VALUES',
  'REDEFINES',
  'OCCURS',
  'USAGE',
  'COMP',
  'COMP-3',
  'BINARY',
  'PACKED-DECIMAL',
  'DISPLAY',
  'SIGN',
  'JUSTIFIED',
  'JUST',
  'BLANK',
  'SYNC',
  'SYNCHRONIZED',
  'EXTERNAL',
  'GLOBAL',
  'RENAMES',
  'INDEX',
  'POINTER',
]);

export interface DataDivisionFacts {
  items: DataItem[];
  files: FileDescription[];
}

/** Data description entries and FD / SD / RD entries of the data division of `scope`. */
export function dataDivisionFacts(
  tokens: readonly CobolToken[],
  scope: ProgramScope,
  execBlocks: ReadonlyMap<number, ExecBlock>,
): DataDivisionFacts {
  const facts: DataDivisionFacts = { items: [], files: [] };
  const program = scope.name === undefined ? {} : { program: scope.name };
  for (const section of scope.sections) {
    if (section.division !== 'DATA') continue;
    const parents: { level: number; name: string }[] = [];
    let fd: FileDescription | undefined;
    let record: FileDescription['records'][number] | undefined;
    forEachEntry(tokens, section, execBlocks, (start, end) => {
      const first = tokens[start]!;
      const lastLine = tokens[end]!.mainLine;
      if (isWord(first, 'FD', 'SD', 'RD') && tokens[start + 1]) {
        fd = {
          kind: first.upper as FileDescription['kind'],
          file: tokens[start + 1]!.text,
          records: [],
          line: first.mainLine,
          endLine: lastLine,
          ...program,
        };
        facts.files.push(fd);
        record = undefined;
        parents.length = 0;
        return;
      }
      if (first.kind !== 'word' || !/^\d{1,2}$/.test(first.text)) return;
      const level = Number(first.text);
      const nameToken = tokens[start + 1];
      const named = start + 1 <= end && nameToken?.kind === 'word' && !DATA_CLAUSE_WORDS.has(nameToken.upper);
      if (level !== 88 && level !== 66) {
        while (parents.length > 0 && parents[parents.length - 1]!.level >= level) parents.pop();
      }
      if (fd && level === 1) {
        record =
          named && nameToken.upper !== 'FILLER'
            ? { name: nameToken.text, line: first.mainLine, endLine: lastLine }
            : undefined;
        if (record) fd.records.push(record);
      }
      if (fd) fd.endLine = lastLine;
      if (record) record.endLine = lastLine;
      if (!named || nameToken.upper === 'FILLER') return;
      const item: DataItem = {
        name: nameToken.text,
        level,
        section: section.name.toUpperCase(),
        line: nameToken.line,
        ...program,
      };
      if (nameToken.file !== undefined) item.file = nameToken.file;
      const parent = parents[parents.length - 1];
      if (parent) item.parent = parent.name;
      const values = valueClause(tokens, start + 2, end);
      if (values.length > 0) item.values = values;
      facts.items.push(item);
      if (level !== 88 && level !== 66 && level !== 77) parents.push({ level, name: nameToken.text });
    });
  }
  return facts;
}

/** The literals of a VALUE / VALUES clause between `from` and `end`; `a THRU b` for a range. */
function valueClause(tokens: readonly CobolToken[], from: number, end: number): string[] {
  let i = from;
  while (i <= end && !isWord(tokens[i], 'VALUE', 'VALUES')) i++;
  const values: string[] = [];
  for (i++; i <= end; i++) {
    const t = tokens[i]!;
    if (isWord(t, 'IS', 'ARE', 'ALL')) continue;
    if (t.kind === 'separator') continue;
    if (t.kind === 'word' && !isValueWord(t.upper)) break;
    if (isWord(t, 'THRU', 'THROUGH') && values.length > 0 && tokens[i + 1] && i + 1 <= end) {
      values[values.length - 1] = `${values[values.length - 1]} THRU ${literalValue(tokens[++i]!)}`;
      continue;
    }
    if (t.kind !== 'literal' && t.kind !== 'word') break;
    values.push(literalValue(t));
  }
  return values;
}

const FIGURATIVE = /^(?:ZEROS?|ZEROES|SPACES?|HIGH-VALUES?|LOW-VALUES?|QUOTES?|NULLS?)$/;

/** A word that can be a VALUE: a numeric literal or a figurative constant. */
function isValueWord(upper: string): boolean {
  return (
    FIGURATIVE.test(upper) ||
    /^[+-]?\d*[.,]?\d+(?:E[+-]?\d+)?$/.test(upper) ||
    upper === 'THRU' ||
    upper === 'THROUGH'
  );
}
