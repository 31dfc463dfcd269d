import { CodeAnalysisError } from '../errors.js';
import type { ConditionValue, SignInfo, Usage } from './model.js';
import { type Picture, parsePicture } from './picture.js';
import type { Sentence, Token } from './tokenizer.js';

/** One data description entry as written, before the hierarchy and the offsets are worked out. */
export interface DataEntry {
  readonly level: number;
  /** Undefined for an unnamed item (an implicit FILLER). */
  readonly name: string | undefined;
  readonly line: number;
  readonly picture?: Picture;
  readonly usage?: Usage;
  readonly sign?: SignInfo;
  readonly occurs?: { readonly min: number; readonly max: number; readonly dependingOn?: string };
  readonly redefines?: string;
  /** VALUE of an item, VALUE/VALUES of a level 88. */
  readonly values: readonly ConditionValue[];
  readonly renames?: { readonly from: string; readonly thru?: string };
  readonly justified: boolean;
  readonly blankWhenZero: boolean;
  readonly synchronized: boolean;
}

const USAGES: Readonly<Record<string, Usage>> = {
  DISPLAY: 'display',
  COMP: 'binary',
  COMPUTATIONAL: 'binary',
  'COMP-0': 'binary',
  'COMPUTATIONAL-0': 'binary',
  'COMP-4': 'binary',
  'COMPUTATIONAL-4': 'binary',
  'COMP-5': 'binary',
  'COMPUTATIONAL-5': 'binary',
  BINARY: 'binary',
  'COMP-3': 'packed',
  'COMPUTATIONAL-3': 'packed',
  'PACKED-DECIMAL': 'packed',
  'COMP-1': 'float',
  'COMPUTATIONAL-1': 'float',
  'COMP-2': 'double',
  'COMPUTATIONAL-2': 'double',
};

const THRU = new Set(['THRU', 'THROUGH']);
/** Words that open a clause: a VALUES list stops before them. */
const CLAUSE_WORDS = new Set([
  'PIC',
  'PICTURE',
  'USAGE',
  'SIGN',
  'OCCURS',
  'REDEFINES',
  'VALUE',
  'VALUES',
  'SYNC',
  'SYNCHRONIZED',
  'JUST',
  'JUSTIFIED',
  'BLANK',
  'EXTERNAL',
  'GLOBAL',
  'LEADING',
  'TRAILING',
  ...Object.keys(USAGES),
]);

/** A cursor over the tokens of one entry, with the error reporting they share. */
class Cursor {
  private index = 0;
  constructor(
    private readonly tokens: readonly Token[],
    private readonly file: string | undefined,
  ) {}

  get done(): boolean {
    return this.index >= this.tokens.length;
  }
  peek(): Token | undefined {
    return this.tokens[this.index];
  }
  peekWord(): string | undefined {
    const t = this.peek();
    return t?.kind === 'word' ? t.text : undefined;
  }
  next(what: string): Token {
    const t = this.tokens[this.index];
    if (!t) this.fail('SYNTAX', `${what} expected at the end of the entry`);
    this.index++;
    return t;
  }
  /** Consumes the word if it is one of `words`. */
  accept(...words: string[]): boolean {
    const w = this.peekWord();
    if (w !== undefined && words.includes(w)) {
      this.index++;
      return true;
    }
    return false;
  }
  integer(what: string): number {
    const t = this.next(what);
    if (t.kind !== 'word' || !/^\d+$/.test(t.text))
      this.fail('SYNTAX', `${what} expected, found '${t.text}'`, t);
    return Number(t.text);
  }
  name(what: string): string {
    const t = this.next(what);
    if (t.kind !== 'word') this.fail('SYNTAX', `${what} expected, found a literal`, t);
    return t.text;
  }
  fail(reason: 'SYNTAX' | 'LAYOUT', message: string, at?: Token): never {
    const line = (at ?? this.peek() ?? this.tokens[this.tokens.length - 1])?.line;
    throw new CodeAnalysisError(reason, message, {
      ...(this.file === undefined ? {} : { file: this.file }),
      ...(line === undefined ? {} : { line }),
    });
  }
}

/** VALUE/VALUES literals, with THRU ranges, up to the next clause word. */
function readValues(cursor: Cursor): ConditionValue[] {
  cursor.accept('IS', 'ARE');
  const values: ConditionValue[] = [];
  while (!cursor.done) {
    const t = cursor.peek() as Token;
    if (t.kind === 'word' && CLAUSE_WORDS.has(t.text) && values.length > 0) break;
    cursor.next('a literal');
    if (cursor.accept(...THRU)) values.push({ from: t.text, thru: cursor.next('a literal after THRU').text });
    else values.push({ from: t.text });
  }
  if (values.length === 0) cursor.fail('SYNTAX', 'VALUE without a literal');
  return values;
}

function readOccurs(cursor: Cursor): NonNullable<DataEntry['occurs']> {
  const first = cursor.integer('the OCCURS count');
  const hasRange = cursor.accept('TO');
  const max = hasRange ? cursor.integer('the OCCURS maximum') : first;
  cursor.accept('TIMES');
  let dependingOn: string | undefined;
  if (cursor.accept('DEPENDING')) {
    cursor.accept('ON');
    dependingOn = cursor.name('the DEPENDING ON counter');
    // A qualified counter (X OF Y): the first name is the item itself.
    while (cursor.accept('OF', 'IN')) cursor.name('a qualifier');
  }
  // `OCCURS n DEPENDING ON x` (an IBM extension without TO) ranges over 0..n.
  const min = hasRange ? first : dependingOn === undefined ? first : 0;
  if (min > max) cursor.fail('SYNTAX', `OCCURS ${min} TO ${max}: minimum above maximum`);
  // ASCENDING/DESCENDING KEY IS … and INDEXED BY … name table keys and indexes: no storage.
  for (;;) {
    if (cursor.accept('ASCENDING', 'DESCENDING')) {
      cursor.accept('KEY');
      cursor.accept('IS');
    } else if (cursor.accept('INDEXED')) {
      cursor.accept('BY');
    } else break;
    while (!cursor.done && !CLAUSE_WORDS.has(cursor.peekWord() ?? '') && cursor.peek()?.kind === 'word') {
      const w = cursor.peekWord();
      if (w === 'ASCENDING' || w === 'DESCENDING' || w === 'INDEXED') break;
      cursor.next('a name');
    }
  }
  return { min, max, ...(dependingOn === undefined ? {} : { dependingOn }) };
}

function readSign(cursor: Cursor, position: 'leading' | 'trailing'): SignInfo {
  const separate = cursor.accept('SEPARATE');
  if (separate) cursor.accept('CHARACTER');
  return { position, separate };
}

/** Parses one sentence of the DATA DIVISION that starts with a level number. */
export function parseEntry(sentence: Sentence, file?: string): DataEntry {
  const cursor = new Cursor(sentence.tokens, file);
  const levelToken = cursor.next('a level number');
  const level = Number(levelToken.text);
  const validLevel = (level >= 1 && level <= 49) || level === 66 || level === 77 || level === 88;
  if (levelToken.kind !== 'word' || !/^\d{1,2}$/.test(levelToken.text) || !validLevel) {
    cursor.fail('SYNTAX', `'${levelToken.text}' is not a level number (01–49, 66, 77, 88)`, levelToken);
  }
  const where = { ...(file === undefined ? {} : { file }), line: sentence.line };
  let name: string | undefined;
  const firstWord = cursor.peekWord();
  if (firstWord !== undefined && !CLAUSE_WORDS.has(firstWord)) name = cursor.name('a data name');

  let picture: Picture | undefined;
  let usage: Usage | undefined;
  let sign: SignInfo | undefined;
  let occurs: DataEntry['occurs'];
  let redefines: string | undefined;
  let renames: DataEntry['renames'];
  let values: ConditionValue[] = [];
  let justified = false;
  let blankWhenZero = false;
  let synchronized = false;

  while (!cursor.done) {
    const token = cursor.next('a clause');
    const word = token.kind === 'word' ? token.text : '';
    if (word === 'PIC' || word === 'PICTURE') {
      cursor.accept('IS');
      const pic = cursor.next('a picture string');
      picture = parsePicture(pic.text, { ...where, line: pic.line });
    } else if (word === 'USAGE') {
      cursor.accept('IS');
      const u = cursor.name('a usage');
      const known = USAGES[u];
      if (!known) cursor.fail('SYNTAX', `unsupported USAGE ${u}`);
      usage = known;
    } else if (USAGES[word]) {
      usage = USAGES[word];
    } else if (word === 'SIGN') {
      cursor.accept('IS');
      const position = cursor.name('LEADING or TRAILING');
      if (position !== 'LEADING' && position !== 'TRAILING') cursor.fail('SYNTAX', `SIGN ${position}`);
      sign = readSign(cursor, position === 'LEADING' ? 'leading' : 'trailing');
    } else if (word === 'LEADING' || word === 'TRAILING') {
      sign = readSign(cursor, word === 'LEADING' ? 'leading' : 'trailing');
    } else if (word === 'OCCURS') {
      occurs = readOccurs(cursor);
    } else if (word === 'REDEFINES') {
      redefines = cursor.name('the redefined item');
    } else if (word === 'RENAMES') {
      const from = cursor.name('the first renamed item');
      renames = cursor.accept(...THRU) ? { from, thru: cursor.name('the last renamed item') } : { from };
    } else if (word === 'VALUE' || word === 'VALUES') {
      values = readValues(cursor);
    } else if (word === 'SYNC' || word === 'SYNCHRONIZED') {
      synchronized = true;
      cursor.accept('LEFT', 'RIGHT');
    } else if (word === 'JUST' || word === 'JUSTIFIED') {
      justified = true;
      cursor.accept('RIGHT');
    } else if (word === 'BLANK') {
      cursor.accept('WHEN');
      if (!cursor.accept('ZERO', 'ZEROS', 'ZEROES')) cursor.fail('SYNTAX', 'BLANK WHEN ZERO expected');
      blankWhenZero = true;
    } else if (word === 'EXTERNAL' || word === 'GLOBAL' || word === 'IS') {
      // no effect on the layout
    } else {
      cursor.fail('SYNTAX', `unexpected '${token.text}' in the entry of ${name ?? 'FILLER'}`, token);
    }
  }
  return {
    level,
    name: name === 'FILLER' ? undefined : name,
    line: sentence.line,
    ...(picture ? { picture } : {}),
    ...(usage ? { usage } : {}),
    ...(sign ? { sign } : {}),
    ...(occurs ? { occurs } : {}),
    ...(redefines === undefined ? {} : { redefines }),
    ...(renames ? { renames } : {}),
    values,
    justified,
    blankWhenZero,
    synchronized,
  };
}
