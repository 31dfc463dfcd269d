/** Reserved words the recogniser needs, and small token predicates shared by the analyser modules. */
import { type CobolToken, literalValue } from './tokenizer.js';

/** Words that begin a COBOL statement (procedure division). `EXEC` stands for a whole EXEC … END-EXEC block. */
export const STATEMENT_VERBS: ReadonlySet<string> = new Set([
  'ACCEPT',
  'ADD',
  'ALLOCATE',
  'ALTER',
  'CALL',
  'CANCEL',
  'CLOSE',
  'COMPUTE',
  'CONTINUE',
  'DELETE',
  'DISPLAY',
  'DIVIDE',
  'ENTRY',
  'EVALUATE',
  'EXEC',
  'EXIT',
  'FREE',
  'GO',
  'GOBACK',
  'IF',
  'INITIALIZE',
  'INITIATE',
  'INSPECT',
  'INVOKE',
  'JSON',
  'MERGE',
  'MOVE',
  'MULTIPLY',
  'OPEN',
  'PERFORM',
  'READ',
  'RELEASE',
  'RETURN',
  'REWRITE',
  'SEARCH',
  'SET',
  'SORT',
  'START',
  'STOP',
  'STRING',
  'SUBTRACT',
  'TERMINATE',
  'UNSTRING',
  'WRITE',
  'XML',
]);

/** Words that can never be a paragraph name standing alone before a period. */
const NOT_PARAGRAPH_NAMES: ReadonlySet<string> = new Set([
  ...STATEMENT_VERBS,
  'DECLARATIVES',
  'ELSE',
  'THEN',
  'END',
  'RUN',
  'PROGRAM',
  'PARAGRAPH',
  'SECTION',
  'PERFORM',
  'OTHER',
]);

export function canBeParagraphName(t: CobolToken): boolean {
  return t.kind === 'word' && !NOT_PARAGRAPH_NAMES.has(t.upper) && !t.upper.startsWith('END-');
}

export function isWord(t: CobolToken | undefined, ...words: string[]): boolean {
  return t !== undefined && t.kind === 'word' && words.includes(t.upper);
}

export function isVerb(t: CobolToken | undefined): boolean {
  return t !== undefined && t.kind === 'word' && STATEMENT_VERBS.has(t.upper);
}

/** Figurative constants and their value as a condition value. */
export const FIGURATIVE_VALUES: ReadonlyMap<string, string> = new Map([
  ['ZERO', '0'],
  ['ZEROS', '0'],
  ['ZEROES', '0'],
  ['SPACE', ' '],
  ['SPACES', ' '],
]);

/** Statement verbs whose conditional phrase (AT END, INVALID KEY …) opens a nested scope, by phrase. */
export const PHRASE_OWNERS: ReadonlyMap<string, ReadonlySet<string>> = new Map([
  ['AT END', new Set(['READ', 'RETURN', 'SEARCH'])],
  ['END-OF-PAGE', new Set(['WRITE'])],
  ['INVALID', new Set(['READ', 'WRITE', 'REWRITE', 'DELETE', 'START'])],
  ['SIZE', new Set(['ADD', 'SUBTRACT', 'MULTIPLY', 'DIVIDE', 'COMPUTE'])],
  ['OVERFLOW', new Set(['STRING', 'UNSTRING', 'CALL'])],
  ['EXCEPTION', new Set(['CALL', 'ACCEPT', 'XML', 'JSON', 'INVOKE'])],
]);

/** Routines whose CALL ends the run unit with an abend. */
export const ABEND_ROUTINES: ReadonlySet<string> = new Set(['CEE3ABD', 'CEE3AB2', 'ILBOABN0']);

/** The value of a literal, numeric literal (without a leading `+`) or figurative constant; else undefined. */
export function constantValue(t: CobolToken | undefined): string | undefined {
  if (!t) return undefined;
  if (t.kind === 'literal') return literalValue(t);
  if (t.kind !== 'word') return undefined;
  const figurative = FIGURATIVE_VALUES.get(t.upper);
  if (figurative !== undefined) return figurative;
  return /^[+-]?\d+(?:[.,]\d+)?$/.test(t.text) ? t.text.replace(/^\+/, '') : undefined;
}
