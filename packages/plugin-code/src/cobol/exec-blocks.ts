/**
 * EXEC … END-EXEC blocks: located once over the whole token stream, then described (SQL statement
 * kind, cursor, host variables; CICS command and options).
 */
import { CodeAnalysisError } from '../errors.js';
import type { CicsOption, SqlHostVariable } from './analysis-types.js';
import { type CobolToken, literalValue } from './tokenizer.js';
import { isWord } from './words.js';

export interface ExecBlock {
  /** Index of EXEC. */
  start: number;
  /** Index of END-EXEC. */
  end: number;
  /** SQL, CICS, SQLIMS, DLI … (the word after EXEC). */
  language: string;
  /** Tokens between the language word and END-EXEC. */
  body: CobolToken[];
}

/** Finds every EXEC block; an EXEC without END-EXEC is `UNTERMINATED` (reported at the EXEC line). */
export function findExecBlocks(
  tokens: readonly CobolToken[],
  file: string | undefined,
): Map<number, ExecBlock> {
  const blocks = new Map<number, ExecBlock>();
  for (let i = 0; i < tokens.length; i++) {
    if (!isWord(tokens[i], 'EXEC')) continue;
    const start = i;
    while (i < tokens.length && !isWord(tokens[i], 'END-EXEC')) i++;
    if (i >= tokens.length) {
      const at = tokens[start]!;
      throw new CodeAnalysisError('UNTERMINATED', `EXEC ${tokens[start + 1]?.upper ?? ''} without END-EXEC`, {
        file: at.file ?? file,
        line: at.line,
      });
    }
    blocks.set(start, {
      start,
      end: i,
      language: tokens[start + 1]?.upper ?? '',
      body: tokens.slice(start + 2, i),
    });
  }
  return blocks;
}

/** Text of tokens with every run of spaces / line breaks made one space. */
export function normalisedText(tokens: readonly CobolToken[]): string {
  let text = '';
  tokens.forEach((t, i) => {
    if (i > 0 && (t.gap !== '' || t.out !== tokens[i - 1]!.out)) text += ' ';
    text += t.text;
  });
  return text;
}

const FETCH_ORIENTATION = new Set([
  'NEXT',
  'PRIOR',
  'FIRST',
  'LAST',
  'CURRENT',
  'BEFORE',
  'AFTER',
  'ABSOLUTE',
  'RELATIVE',
  'FROM',
  'SENSITIVE',
  'INSENSITIVE',
  'WITH',
  'CONTINUE',
  'ROWSET',
  'STARTING',
  'AT',
]);

export interface SqlDescription {
  kind: string;
  cursor?: string;
  include?: string;
  hostVariables: SqlHostVariable[];
}

/** Statement kind, cursor, INCLUDE member and host variables of an EXEC SQL body. */
export function describeSql(body: readonly CobolToken[]): SqlDescription {
  const words = body.filter((t) => t.kind === 'word');
  const w = (i: number) => words[i]?.upper ?? '';
  const result: SqlDescription = { kind: w(0), hostVariables: hostVariables(body) };
  switch (w(0)) {
    case 'DECLARE':
      if (w(2) === 'CURSOR' || w(3) === 'CURSOR' || words.some((t) => t.upper === 'CURSOR')) {
        result.kind = 'DECLARE CURSOR';
        result.cursor = words[1]?.text;
      } else if (w(2) === 'TABLE') {
        result.kind = 'DECLARE TABLE';
      } else if (w(1) === 'SECTION') {
        result.kind = 'DECLARE SECTION';
      }
      break;
    case 'BEGIN':
    case 'END':
      if (w(1) === 'DECLARE') result.kind = `${w(0)} DECLARE SECTION`;
      break;
    case 'OPEN':
    case 'CLOSE':
      result.cursor = words[1]?.text;
      break;
    case 'FETCH': {
      const cursor = words.slice(1).find((t) => !FETCH_ORIENTATION.has(t.upper));
      if (cursor) result.cursor = cursor.text;
      break;
    }
    case 'INCLUDE':
      if (words[1]) result.include = words[1].text;
      break;
  }
  return result;
}

/**
 * `:NAME`, `:NAME:IND`, `:NAME INDICATOR :IND` and `:NAME :IND` (the INDICATOR keyword is optional in
 * Db2) — a colon directly followed by a word.
 */
function hostVariables(body: readonly CobolToken[]): SqlHostVariable[] {
  const vars: SqlHostVariable[] = [];
  const hostAt = (i: number): CobolToken | undefined => {
    const colon = body[i];
    const name = body[i + 1];
    return colon?.text === ':' && name?.kind === 'word' && name.gap === '' ? name : undefined;
  };
  for (let i = 0; i < body.length; i++) {
    const name = hostAt(i);
    if (!name) continue;
    const variable: SqlHostVariable = { name: name.text, line: name.line };
    let j = i + 2;
    if (isWord(body[j], 'INDICATOR')) j++;
    const indicator = hostAt(j);
    if (indicator) {
      variable.indicator = indicator.text;
      i = j + 1;
    } else {
      i++;
    }
    vars.push(variable);
  }
  return vars;
}

/** CICS commands whose second word is part of the command. */
const CICS_TWO_WORD: Readonly<Record<string, ReadonlySet<string>>> = {
  SEND: new Set(['MAP', 'TEXT', 'PAGE', 'CONTROL']),
  RECEIVE: new Set(['MAP']),
  HANDLE: new Set(['CONDITION', 'AID', 'ABEND']),
  IGNORE: new Set(['CONDITION']),
  GET: new Set(['CONTAINER']),
  PUT: new Set(['CONTAINER']),
  WRITEQ: new Set(['TS', 'TD']),
  READQ: new Set(['TS', 'TD']),
  DELETEQ: new Set(['TS', 'TD']),
  START: new Set(['TRANSID']),
};

/** Command and `NAME(value)` / `NAME` options of an EXEC CICS body. */
export function describeCics(body: readonly CobolToken[]): { command: string; options: CicsOption[] } {
  let i = 0;
  let command = body[0]?.upper ?? '';
  if (CICS_TWO_WORD[command]?.has(body[1]?.upper ?? '')) {
    command += ` ${body[1]!.upper}`;
    i = 1;
  }
  const options: CicsOption[] = [];
  for (i++; i < body.length; i++) {
    const t = body[i]!;
    if (t.kind !== 'word') continue;
    const option: CicsOption = { name: t.upper };
    if (body[i + 1]?.text === '(') {
      let depth = 0;
      let j = i + 1;
      for (; j < body.length; j++) {
        if (body[j]!.text === '(') depth++;
        else if (body[j]!.text === ')' && --depth === 0) break;
      }
      const inner = body.slice(i + 2, j);
      option.value =
        inner.length === 1 && inner[0]!.kind === 'literal' ? literalValue(inner[0]!) : normalisedText(inner);
      i = j;
    }
    options.push(option);
  }
  return { command, options };
}
