/**
 * Deterministic generator of realistic mainframe source trees, for the scan benchmark.
 *
 * `generateTree` writes COBOL programs (`cobol/`), copybooks (`copy/`), JCL jobs (`jcl/`) and cataloged
 * PROCs (`proc/`), in buckets of at most 1,000 files (`cobol/000/PGM00001.cbl`). Every cross reference
 * points at a file of the tree: COPY statements name generated copybooks, CALL / LINK name generated
 * programs, job steps run generated programs or PROCs, and a job's DDs match the ASSIGN names of the
 * program it runs. Each file is built from its own PRNG stream (sfc32 over a hash of seed, kind and
 * index), so the output only depends on seed and file count, and generation is memory-flat: a file is
 * built, written and dropped; what a file needs of another (a copybook's fields, a program's files, a
 * PROC's steps) is re-derived from that file's stream.
 *
 * `mutateTree` edits a fraction of an existing tree in place the way maintenance does (lines inserted or
 * deleted in a paragraph, a variable renamed, a paragraph added, a copybook field added, a DD added) and
 * adds and removes a few files.
 *
 * CLI: `tsx bench/generate-tree.ts --dir D --files N [--seed S]`, `tsx bench/generate-tree.ts --mutate F --dir D [--seed S]`.
 */
import { fork } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SeededRandom } from '@mainframe-kb/testkit';

export interface GenerateTreeOptions {
  dir: string;
  files: number;
  seed?: string | number;
}

export interface GenerateTreeSummary {
  files: number;
  bytes: number;
  programs: number;
  copybooks: number;
  jcl: number;
  procs: number;
}

export interface MutateTreeOptions {
  dir: string;
  fraction: number;
  seed?: string | number;
}

export interface MutateTreeSummary {
  /** Paths relative to `dir`, with `/` separators, sorted. */
  changed: string[];
  added: string[];
  removed: string[];
}

const DEFAULT_SEED = 'mainframe-kb';
const BUCKET_SIZE = 1000;
const MAX_PER_KIND = 99_999;

// ---------------------------------------------------------------------------------------------------
// PRNG: testkit's SeededRandom (sfc32 seeded through cyrb128), with the two draws the tree needs besides.

class Rng extends SeededRandom {
  /** Log-uniform-ish integer in [lo, hi]; `skew` > 1 favours the low end. */
  logInt(lo: number, hi: number, skew = 1): number {
    return Math.round(lo * (hi / lo) ** (this.next() ** skew));
  }

  /** `k` distinct integers of [0, n), in drawing order. */
  indices(n: number, k: number): number[] {
    const out: number[] = [];
    const seen = new Set<number>();
    const want = Math.min(k, n);
    while (out.length < want) {
      const v = Math.floor(this.next() * n);
      if (!seen.has(v)) {
        seen.add(v);
        out.push(v);
      }
    }
    return out;
  }
}

const rngFor = (seed: string, kind: string, index: number): Rng => new Rng(`${seed}|${kind}|${index}`);

// ---------------------------------------------------------------------------------------------------
// Vocabulary. Codes and meanings follow packages/testkit/src/corpus/mainframe-vocabulary.ts (copied, so
// the bench runs without building the testkit).

const ABEND_MESSAGES: readonly (readonly [string, string])[] = [
  ['S0C7', 'DATA EXCEPTION - INVALID PACKED DATA'],
  ['S0C4', 'PROTECTION EXCEPTION'],
  ['S0C1', 'OPERATION EXCEPTION'],
  ['S0CB', 'DECIMAL DIVIDE EXCEPTION'],
  ['S013', 'OPEN ERROR - MEMBER NOT FOUND'],
  ['S213', 'DATA SET NOT ON VOLUME'],
  ['S322', 'CPU TIME LIMIT EXCEEDED'],
  ['S806', 'LOAD MODULE NOT FOUND'],
  ['S878', 'REGION TOO SMALL'],
  ['SB37', 'END OF VOLUME - OUT OF SPACE'],
  ['SD37', 'PRIMARY SPACE EXHAUSTED'],
  ['SE37', 'MAXIMUM EXTENTS REACHED'],
  ['S001', 'I/O ERROR - WRONG LENGTH RECORD'],
  ['U4038', 'LE SEVERE CONDITION'],
  ['U4093', 'LE INITIALISATION FAILURE'],
  ['U1026', 'CONTROL TOTALS OUT OF BALANCE'],
  ['U0016', 'PROGRAM REQUESTED ABEND'],
  ['IGZ0035S', 'OPEN FAILED FOR FILE'],
  ['IGZ0006S', 'SUBSCRIPT OUT OF RANGE'],
  ['IGZ0037S', 'FLOW OF CONTROL ERROR'],
  ['IEC141I', 'OPEN ERROR 013'],
  ['IEF212I', 'DATA SET NOT FOUND'],
  ['WER027A', 'SORT CAPACITY EXCEEDED'],
];

const FILE_STATUSES: readonly (readonly [string, string])[] = [
  ['35', 'FILE NOT FOUND'],
  ['22', 'DUPLICATE KEY'],
  ['23', 'RECORD NOT FOUND'],
  ['37', 'OPEN MODE NOT ALLOWED'],
  ['39', 'FILE ATTRIBUTE MISMATCH'],
  ['92', 'LOGIC ERROR'],
  ['93', 'RESOURCE NOT AVAILABLE'],
  ['97', 'OPEN OK - FILE VERIFIED'],
  ['30', 'PERMANENT I/O ERROR'],
  ['34', 'BOUNDARY VIOLATION'],
];

const SQLCODES: readonly (readonly [number, string])[] = [
  [-803, 'DUPLICATE KEY ON INSERT'],
  [-811, 'MORE THAN ONE ROW RETURNED'],
  [-904, 'RESOURCE UNAVAILABLE'],
  [-911, 'DEADLOCK OR TIMEOUT - ROLLED BACK'],
  [-913, 'DEADLOCK OR TIMEOUT'],
  [-805, 'PACKAGE NOT FOUND IN PLAN'],
  [-818, 'TIMESTAMP MISMATCH - REBIND'],
  [-180, 'INVALID DATE OR TIME VALUE'],
  [-204, 'UNDEFINED OBJECT NAME'],
  [-305, 'NULL VALUE WITHOUT INDICATOR'],
  [-922, 'AUTHORIZATION FAILURE'],
];

const CICS_ABENDS: readonly (readonly [string, string])[] = [
  ['ASRA', 'PROGRAM CHECK'],
  ['AEI0', 'PGMIDERR'],
  ['AEI9', 'MAPFAIL'],
  ['AICA', 'RUNAWAY TASK'],
  ['AEY9', 'DB2 CONNECTION NOT AVAILABLE'],
  ['AKCS', 'DEADLOCK TIMEOUT'],
];

const ENTITIES = [
  'CUST',
  'ACCT',
  'LOAN',
  'CARD',
  'PAY',
  'GL',
  'BILL',
  'STMT',
  'CLAIM',
  'POLICY',
  'TXN',
  'BRANCH',
  'FX',
  'TAX',
  'EMP',
  'INV',
  'ORDER',
  'ITEM',
  'ATM',
  'MTGE',
] as const;

const ENTITY_TITLES: Readonly<Record<string, string>> = {
  CUST: 'CUSTOMER',
  ACCT: 'ACCOUNT',
  LOAN: 'LOAN',
  CARD: 'CARD',
  PAY: 'PAYROLL',
  GL: 'GENERAL LEDGER',
  BILL: 'BILLING',
  STMT: 'STATEMENT',
  CLAIM: 'CLAIMS',
  POLICY: 'POLICY',
  TXN: 'TRANSACTION',
  BRANCH: 'BRANCH',
  FX: 'FX RATE',
  TAX: 'TAX',
  EMP: 'EMPLOYEE',
  INV: 'INVOICE',
  ORDER: 'ORDER',
  ITEM: 'ITEM',
  ATM: 'ATM',
  MTGE: 'MORTGAGE',
};

type AttrKind = 'id' | 'alnum' | 'amount' | 'count' | 'rate' | 'date' | 'time' | 'code' | 'flag';

const ATTRS: readonly (readonly [string, AttrKind])[] = [
  ['ID', 'id'],
  ['NO', 'id'],
  ['NAME', 'alnum'],
  ['ADDR-LINE', 'alnum'],
  ['CITY', 'alnum'],
  ['POSTAL-CD', 'alnum'],
  ['DESC', 'alnum'],
  ['REMARKS', 'alnum'],
  ['BAL', 'amount'],
  ['AMT', 'amount'],
  ['TOTAL', 'amount'],
  ['LIMIT', 'amount'],
  ['FEE', 'amount'],
  ['PRICE', 'amount'],
  ['CNT', 'count'],
  ['QTY', 'count'],
  ['SEQ', 'count'],
  ['RATE', 'rate'],
  ['PCT', 'rate'],
  ['DATE', 'date'],
  ['EFF-DATE', 'date'],
  ['EXP-DATE', 'date'],
  ['TIME', 'time'],
  ['STATUS', 'code'],
  ['TYPE', 'code'],
  ['CODE', 'code'],
  ['CCY', 'code'],
  ['FLAG', 'flag'],
  ['IND', 'flag'],
];

const QUALIFIERS = ['LAST', 'PREV', 'CURR', 'ORIG', 'NEXT', 'MIN', 'MAX', 'AVG', 'YTD', 'MTD', 'DAILY'];
const VERBS = [
  'VALIDATE',
  'EDIT',
  'CALC',
  'UPDATE',
  'FORMAT',
  'BUILD',
  'LOAD',
  'CHECK',
  'POST',
  'APPLY',
  'WRITE',
  'PRINT',
  'SUMMARIZE',
  'MATCH',
  'ACCUM',
  'LOOKUP',
  'CONVERT',
  'RECONCILE',
];
const DD_SUFFIXES = ['IN', 'OUT', 'MST', 'RPT', 'EXT', 'HST', 'TRN', 'ERR'];
const AUTHORS = ['J SMITH', 'R PATEL', 'M GARCIA', 'K TANAKA', 'A MUELLER', 'D OKAFOR', 'S NOVAK', 'L ROSSI'];
const TICKETS = ['CHG', 'INC', 'PRB', 'REQ'];
const TRANSIDS = ['PAY1', 'ACIN', 'CUSQ', 'BLPR', 'LNAP', 'CRDA'];

interface SqlTable {
  name: string;
  abbrev: string;
  columns: readonly (readonly [string, string])[];
}

const SQL_TABLES: readonly SqlTable[] = [
  {
    name: 'ACCT_MASTER',
    abbrev: 'AM',
    columns: [
      ['ACCT_ID', 'X(10)'],
      ['CUST_ID', 'X(10)'],
      ['ACCT_BAL', 'S9(13)V99 COMP-3'],
      ['ACCT_STATUS', 'X(1)'],
      ['OPEN_DATE', 'X(10)'],
      ['LAST_TXN_TS', 'X(26)'],
    ],
  },
  {
    name: 'CUST_ADDR',
    abbrev: 'CA',
    columns: [
      ['CUST_ID', 'X(10)'],
      ['ADDR_LINE1', 'X(35)'],
      ['CITY', 'X(20)'],
      ['POSTAL_CD', 'X(9)'],
      ['COUNTRY_CD', 'X(3)'],
    ],
  },
  {
    name: 'LOAN_SCHED',
    abbrev: 'LS',
    columns: [
      ['LOAN_ID', 'X(12)'],
      ['INSTALL_NO', 'S9(4) COMP'],
      ['DUE_DATE', 'X(10)'],
      ['PRINCIPAL_AMT', 'S9(11)V99 COMP-3'],
      ['INTEREST_AMT', 'S9(9)V99 COMP-3'],
    ],
  },
  {
    name: 'GL_ENTRY',
    abbrev: 'GE',
    columns: [
      ['GL_ACCT', 'X(12)'],
      ['POST_DATE', 'X(10)'],
      ['ENTRY_AMT', 'S9(13)V99 COMP-3'],
      ['DR_CR_IND', 'X(1)'],
      ['BATCH_ID', 'X(8)'],
    ],
  },
  {
    name: 'CARD_TXN',
    abbrev: 'CT',
    columns: [
      ['CARD_NO', 'X(16)'],
      ['TXN_TS', 'X(26)'],
      ['TXN_AMT', 'S9(9)V99 COMP-3'],
      ['MERCHANT_ID', 'X(15)'],
      ['AUTH_CODE', 'X(6)'],
    ],
  },
  {
    name: 'PAY_RUN',
    abbrev: 'PR',
    columns: [
      ['EMP_ID', 'X(9)'],
      ['RUN_DATE', 'X(10)'],
      ['GROSS_AMT', 'S9(9)V99 COMP-3'],
      ['NET_AMT', 'S9(9)V99 COMP-3'],
      ['TAX_AMT', 'S9(9)V99 COMP-3'],
    ],
  },
];

// ---------------------------------------------------------------------------------------------------
// Tree layout.

export interface TreePlan {
  programs: number;
  copybooks: number;
  jcl: number;
  procs: number;
}

export function planTree(files: number): TreePlan {
  if (!Number.isInteger(files) || files < 4) throw new Error(`files must be an integer >= 4, got ${files}`);
  const copybooks = Math.max(1, Math.round(files * 0.25));
  const procs = Math.max(1, Math.round(files * 0.05));
  const jcl = Math.max(1, Math.round(files * 0.15));
  const programs = files - copybooks - procs - jcl;
  const plan = { programs, copybooks, jcl, procs };
  if (Math.max(programs, copybooks, jcl, procs) > MAX_PER_KIND)
    throw new Error(`at most ${MAX_PER_KIND} files of a kind`);
  return plan;
}

type Kind = 'program' | 'copybook' | 'jcl' | 'proc';

const KINDS: Readonly<Record<Kind, { folder: string; prefix: string; ext: string }>> = {
  program: { folder: 'cobol', prefix: 'PGM', ext: '.cbl' },
  copybook: { folder: 'copy', prefix: 'CPY', ext: '.cpy' },
  jcl: { folder: 'jcl', prefix: 'JOB', ext: '.jcl' },
  proc: { folder: 'proc', prefix: 'PRC', ext: '.prc' },
};

/** Member name of the `index`-th (0-based) file of a kind: PGM00001 … */
export const memberName = (kind: Kind, index: number): string =>
  `${KINDS[kind].prefix}${String(index + 1).padStart(5, '0')}`;

/** Path relative to the tree root, `/`-separated. */
export const memberPath = (kind: Kind, index: number): string =>
  `${KINDS[kind].folder}/${String(Math.floor(index / BUCKET_SIZE)).padStart(3, '0')}/${memberName(kind, index)}${KINDS[kind].ext}`;

const seedText = (seed: string | number | undefined): string => String(seed ?? DEFAULT_SEED);

// ---------------------------------------------------------------------------------------------------
// Fixed-format COBOL writer.

const CODE_WIDTH = 65; // columns 8–72

/** Splits on blanks outside literals. */
function splitWords(text: string): string[] {
  const words: string[] = [];
  let current = '';
  let quote: string | undefined;
  for (const ch of text) {
    if (quote) {
      current += ch;
      if (ch === quote) quote = undefined;
    } else if (ch === ' ') {
      if (current) words.push(current);
      current = '';
    } else {
      if (ch === "'" || ch === '"') quote = ch;
      current += ch;
    }
  }
  if (current) words.push(current);
  return words;
}

class CobolWriter {
  readonly lines: string[] = [];
  private seq = 0;

  constructor(private readonly numbered: boolean) {}

  private seqArea(): string {
    this.seq += 100;
    return this.numbered ? String(this.seq).padStart(6, '0') : '      ';
  }

  get length(): number {
    return this.lines.length;
  }

  comment(text = ''): void {
    this.lines.push(`${this.seqArea()}*${text.slice(0, CODE_WIDTH)}`.trimEnd());
  }

  blank(): void {
    this.lines.push(this.seqArea().trimEnd());
  }

  /**
   * Program text starting in column `col` (8 = area A, 12 = area B). Text that does not fit is wrapped
   * between words (wrapped lines indented 4 more); a literal too long for what is left of a line is
   * continued with a `-` continuation line.
   */
  code(col: number, text: string): void {
    const indent = col - 8;
    if (indent + text.length <= CODE_WIDTH) {
      this.lines.push(`${this.seqArea()} ${' '.repeat(indent)}${text}`);
      return;
    }
    const words = splitWords(text);
    let line = ' '.repeat(indent);
    let fresh = true;
    const wrapIndent = ' '.repeat(Math.min(indent + 4, 28));
    const flush = (): void => {
      this.lines.push(`${this.seqArea()} ${line}`);
      line = wrapIndent;
      fresh = true;
    };
    for (const word of words) {
      const needed = (fresh ? 0 : 1) + word.length;
      if (line.length + needed <= CODE_WIDTH) {
        line += fresh ? word : ` ${word}`;
        fresh = false;
        continue;
      }
      const isLiteral = word.startsWith("'");
      if (isLiteral && (word.length > 40 || wrapIndent.length + word.length > CODE_WIDTH)) {
        if (CODE_WIDTH - line.length < 4) flush();
        this.continueLiteral(line + (fresh ? '' : ' '), word);
        line = wrapIndent;
        fresh = true;
        continue;
      }
      if (!fresh) flush();
      // A long word (a subscripted name) that does not fit at the wrap indent moves left, still in area B.
      if (line.length + word.length > CODE_WIDTH) line = ' '.repeat(Math.max(4, CODE_WIDTH - word.length));
      line += word;
      fresh = false;
    }
    if (!fresh) this.lines.push(`${this.seqArea()} ${line}`);
  }

  /** Writes `prefix` + `literal` (which starts with a quote) over as many continuation lines as needed. */
  private continueLiteral(prefix: string, literal: string): void {
    let room = CODE_WIDTH - prefix.length;
    this.lines.push(`${this.seqArea()} ${prefix}${literal.slice(0, room)}`);
    let rest = literal.slice(room);
    const contIndent = '    ';
    while (rest.length > 0) {
      room = CODE_WIDTH - contIndent.length - 1;
      const chunk = rest.slice(0, room);
      rest = rest.slice(room);
      this.lines.push(`${this.seqArea()}-${contIndent}'${chunk}`);
    }
  }

  text(): string {
    return `${this.lines.join('\n')}\n`;
  }
}

/** A data description entry laid out the usual way: level and name, clauses aligned on column 40. */
function dataEntry(w: CobolWriter, depth: number, level: number, name: string, clauses: string): void {
  const head = `${String(level).padStart(2, '0')}  ${name}`;
  const indent = depth * 4;
  if (!clauses) {
    w.code(8 + indent, `${head}.`);
    return;
  }
  const aligned = head.length + indent < 31 ? head.padEnd(32 - indent) : `${head} `;
  w.code(8 + indent, `${aligned}${clauses}.`);
}

// ---------------------------------------------------------------------------------------------------
// Copybooks.

interface FieldRef {
  /** Name as a program references it, with `:TAG:` left in for tagged copybooks. */
  name: string;
  kind: 'num' | 'alnum';
}

export interface CopybookModel {
  name: string;
  /** Field names start with `:TAG:` and the COPY needs REPLACING. */
  tagged: boolean;
  /** 1: the copybook holds a record (01); 5: a fragment of 05 items, copied under an 01. */
  top: 1 | 5;
  /** Scalar elementary items a program may use. */
  fields: FieldRef[];
  /** 88-level condition names. */
  conditions: string[];
  text: string;
}

function picFor(
  rng: Rng,
  kind: AttrKind,
): { pic: string; num: boolean; conds?: readonly (readonly [string, string])[] } {
  switch (kind) {
    case 'id':
      return rng.chance(0.7)
        ? { pic: `PIC X(${rng.pick([8, 10, 12, 16])})`, num: false }
        : { pic: 'PIC 9(9)', num: true };
    case 'alnum':
      return { pic: `PIC X(${rng.pick([20, 30, 35, 40, 50])})`, num: false };
    case 'amount':
      return { pic: `PIC S9(${rng.int(7, 13)})V99 COMP-3`, num: true };
    case 'count':
      return {
        pic: rng.pick(['PIC S9(4) COMP', 'PIC 9(5)', 'PIC S9(7) COMP-3', 'PIC S9(9) COMP']),
        num: true,
      };
    case 'rate':
      return { pic: rng.pick(['PIC S9(3)V9(4) COMP-3', 'PIC SV9(5) COMP-3', 'PIC 9(3)V99']), num: true };
    case 'date':
      return { pic: 'PIC 9(8)', num: true };
    case 'time':
      return { pic: 'PIC 9(6)', num: true };
    case 'code':
      return rng.chance(0.5)
        ? {
            pic: 'PIC X',
            num: false,
            conds: [
              ['ACTIVE', "'A'"],
              ['CLOSED', "'C'"],
              ['PENDING', "'P' 'H'"],
            ],
          }
        : {
            pic: 'PIC XX',
            num: false,
            conds: [
              ['VALID', "'01' THRU '49'"],
              ['SPECIAL', "'50' THRU '89'"],
              ['UNKNOWN', "'99'"],
            ],
          };
    case 'flag':
      return {
        pic: 'PIC X',
        num: false,
        conds: [
          ['YES', "'Y'"],
          ['NO', "'N'"],
        ],
      };
  }
}

function cbPrefix(index: number, entity: string): string {
  return `${entity.slice(0, 2)}${index.toString(36).toUpperCase().padStart(3, '0')}`;
}

/** The copybook `index` of the tree (its text and what a program can use of it). */
export function generateCopybook(seed: string, index: number): CopybookModel {
  const rng = rngFor(seed, 'copybook', index);
  const name = memberName('copybook', index);
  const numbered = rng.chance(0.75);
  const w = new CobolWriter(numbered);
  const tagged = rng.chance(0.3);
  const top: 1 | 5 = rng.chance(0.75) ? 1 : 5;
  const entity = rng.pick(ENTITIES);
  const prefix = tagged ? ':TAG:' : cbPrefix(index, entity);
  const target = rng.logInt(10, 300, 1.2);
  const fields: FieldRef[] = [];
  const conditions: string[] = [];
  const used = new Set<string>();
  const unique = (base: string): string => {
    let n = `${prefix}-${base}`;
    if (n.length > 30) n = n.slice(0, 30).replace(/-+$/, '');
    let k = 2;
    while (used.has(n)) {
      const suffix = `-${k++}`;
      n = `${prefix}-${base}`.slice(0, 30 - suffix.length).replace(/-+$/, '') + suffix;
    }
    used.add(n);
    return n;
  };

  w.comment('================================================================');
  w.comment(` COPYBOOK: ${name}   ${ENTITY_TITLES[entity]} RECORD LAYOUT`);
  if (tagged) w.comment(' COPY WITH REPLACING ==:TAG:== BY ==PREFIX== (WS, IN, OUT ...)');
  w.comment(` MAINTAINED BY: ${rng.pick(AUTHORS)}`);
  w.comment('================================================================');

  const d0 = top === 1 ? 1 : 0; // depth of the items at level 05
  if (top === 1) dataEntry(w, 0, 1, unique(`${entity}-REC`), '');
  const odo = target >= 30 && rng.chance(0.4);
  const counter = odo ? unique(`${entity}-DTL-CNT`) : '';
  if (odo) {
    dataEntry(w, d0, 5, counter, rng.pick(['PIC S9(4) COMP', 'PIC 9(3)', 'PIC S9(3) COMP-3']));
    fields.push({ name: counter, kind: 'num' });
  }
  const tailLines = odo ? 6 : 0;

  const elementary = (depth: number, level: number, inOccurs: boolean): void => {
    const [attr, kind] = rng.pick(ATTRS);
    const base = rng.chance(0.3) ? `${rng.pick(QUALIFIERS)}-${entity}-${attr}` : `${entity}-${attr}`;
    const fieldName = unique(base);
    const p = picFor(rng, kind);
    const value = !inOccurs && rng.chance(0.1) ? (p.num ? ' VALUE ZERO' : ' VALUE SPACES') : '';
    dataEntry(w, depth, level, fieldName, `${p.pic}${value}`);
    if (!inOccurs) fields.push({ name: fieldName, kind: p.num ? 'num' : 'alnum' });
    if (p.conds && rng.chance(0.6)) {
      for (const [cond, values] of p.conds.slice(0, rng.int(1, p.conds.length))) {
        const condName = unique(`${base.split('-').slice(-2).join('-')}-${cond}`);
        dataEntry(w, depth + 1, 88, condName, `VALUE ${values}`);
        if (!inOccurs) conditions.push(condName);
      }
    }
    if (kind === 'date' && p.pic === 'PIC 9(8)' && rng.chance(0.4)) {
      const r = unique(`${base}-R`);
      dataEntry(w, depth, level, r, `REDEFINES ${fieldName}`);
      for (const [part, pic] of [
        ['CC', '99'],
        ['YY', '99'],
        ['MM', '99'],
        ['DD', '99'],
      ] as const) {
        dataEntry(w, depth + 1, level + 5, unique(`${base}-${part}`), `PIC ${pic}`);
      }
    }
  };

  const group = (depth: number, level: number): void => {
    const kind = rng.int(0, 9);
    if (kind < 5) {
      const gname = unique(`${entity}-${rng.pick(['KEY', 'INFO', 'DATA', 'DETAIL', 'AUDIT', 'CTL', 'HDR'])}`);
      dataEntry(w, depth, level, gname, '');
      const n = rng.int(2, 8);
      for (let i = 0; i < n; i++) elementary(depth + 1, level + 5, false);
    } else if (kind < 7) {
      const gname = unique(`${entity}-${rng.pick(['HIST', 'BUCKET', 'MONTH', 'SLOT'])}-TBL`);
      dataEntry(w, depth, level, gname, `OCCURS ${rng.pick([4, 6, 12, 24, 31])} TIMES`);
      const n = rng.int(2, 4);
      for (let i = 0; i < n; i++) elementary(depth + 1, level + 5, true);
    } else if (kind < 8) {
      const size = rng.int(3, 8) * 10;
      const base = `${entity}-${rng.pick(['ALT', 'VAR', 'EXT', 'USER'])}-AREA`;
      const area = unique(base);
      dataEntry(w, depth, level, area, `PIC X(${size})`);
      fields.push({ name: area, kind: 'alnum' });
      dataEntry(w, depth, level, unique(`${base}-R`), `REDEFINES ${area}`);
      let left = size;
      while (left > 0) {
        const part = left <= 12 ? left : rng.int(4, Math.min(20, left - 1));
        left -= part;
        if (left === 0 && rng.chance(0.5)) dataEntry(w, depth + 1, level + 5, 'FILLER', `PIC X(${part})`);
        else
          dataEntry(w, depth + 1, level + 5, unique(`${entity}-ALT-${rng.pick(ATTRS)[0]}`), `PIC X(${part})`);
      }
    } else if (kind < 9) {
      dataEntry(w, depth, level, 'FILLER', `PIC X(${rng.int(1, 40)})`);
    } else {
      elementary(depth, level, false);
    }
  };

  while (w.length < target - tailLines) {
    if (rng.chance(0.55)) group(d0, 5);
    else elementary(d0, 5, false);
  }
  if (odo) {
    const dtl = unique(`${entity}-DTL`);
    dataEntry(w, d0, 5, dtl, `OCCURS 0 TO ${rng.pick([10, 25, 50, 99])} TIMES DEPENDING ON ${counter}`);
    const n = rng.int(2, 5);
    for (let i = 0; i < n; i++) elementary(d0 + 1, 10, true);
  }
  return { name, tagged, top, fields, conditions, text: w.text() };
}

/** Reads what a program can use of a copybook from its text (for trees generated by another run). */
export function copybookModelFromText(name: string, text: string): CopybookModel {
  const fields: FieldRef[] = [];
  const conditions: string[] = [];
  let top: 1 | 5 = 5;
  let seen = false;
  let occursDepth = Number.POSITIVE_INFINITY;
  for (const line of text.split('\n')) {
    if (line.charAt(6) === '*' || line.length < 8) continue;
    const m = /^\s*(\d\d)\s+([A-Z0-9:-]+)\s*(.*)$/.exec(line.slice(7, 72));
    if (!m) continue;
    const level = Number(m[1]);
    const rest = m[3] ?? '';
    if (!seen) {
      top = level === 1 ? 1 : 5;
      seen = true;
    }
    if (level === 88) {
      if (occursDepth === Number.POSITIVE_INFINITY) conditions.push(m[2]!);
      continue;
    }
    if (level <= occursDepth) occursDepth = Number.POSITIVE_INFINITY;
    if (/\bOCCURS\b/.test(rest)) {
      occursDepth = level;
      continue;
    }
    if (occursDepth !== Number.POSITIVE_INFINITY || m[2] === 'FILLER') continue;
    const pic = /\bPIC\s+(\S+)/.exec(rest);
    if (!pic) continue;
    fields.push({ name: m[2]!, kind: /^S?9|^SV9/.test(pic[1]!) ? 'num' : 'alnum' });
  }
  return { name, tagged: text.includes(':TAG:'), top, fields, conditions, text };
}

// ---------------------------------------------------------------------------------------------------
// Programs: the part other files need (files, kind), then the text.

interface FileSpec {
  dd: string;
  select: string;
  record: string;
  fs: string;
  mode: 'INPUT' | 'OUTPUT' | 'I-O' | 'EXTEND';
  indexed: boolean;
  lrecl: number;
  key?: string;
  eof: string;
  entity: string;
}

export interface ProgramShape {
  name: string;
  sql: boolean;
  cics: boolean;
  files: FileSpec[];
}

/** A program's kind and files: a cheap stream of its own, so jobs can give it the right DDs. */
export function programShape(seed: string, index: number): ProgramShape {
  const rng = rngFor(seed, 'program-shape', index);
  const cics = rng.chance(0.1);
  const sql = rng.chance(cics ? 0.4 : 0.3);
  const files: FileSpec[] = [];
  const nFiles = cics ? 0 : rng.int(1, 4);
  const dds = new Set<string>();
  for (let i = 0; i < nFiles; i++) {
    const entity = rng.pick(ENTITIES);
    let dd = `${entity}${i === 0 ? rng.pick(['IN', 'MST', 'TRN']) : rng.pick(DD_SUFFIXES)}`.slice(0, 7);
    while (dds.has(dd)) dd = `${dd.slice(0, 6)}${dds.size}`;
    dds.add(dd);
    const indexed = i > 0 ? rng.chance(0.25) : rng.chance(0.15);
    const mode: FileSpec['mode'] =
      i === 0
        ? 'INPUT'
        : indexed
          ? rng.pick(['INPUT', 'I-O'] as const)
          : rng.pick(['OUTPUT', 'OUTPUT', 'EXTEND'] as const);
    files.push({
      dd,
      select: `${dd}-FILE`,
      record: `${dd}-REC`,
      fs: `WS-FS-${dd}`,
      mode,
      indexed,
      lrecl: rng.pick([80, 100, 133, 150, 200, 250, 400, 500]),
      ...(indexed ? { key: `${dd}-KEY` } : {}),
      eof: `WS-EOF-${dd}`,
      entity,
    });
  }
  return { name: memberName('program', index), sql, cics, files };
}

/** Reads a program's files back from its text (SELECT … ASSIGN TO dd). */
function programShapeFromText(name: string, text: string): ProgramShape {
  const files: FileSpec[] = [];
  for (const m of text.matchAll(/ASSIGN TO ([A-Z0-9]+)/g)) {
    const dd = m[1]!;
    const mode = new RegExp(`OPEN (INPUT|OUTPUT|I-O|EXTEND) ${dd}-FILE`).exec(text)?.[1] ?? 'INPUT';
    files.push({
      dd,
      select: `${dd}-FILE`,
      record: `${dd}-REC`,
      fs: `WS-FS-${dd}`,
      mode: mode as FileSpec['mode'],
      indexed: text.includes(`RECORD KEY IS ${dd}-KEY`),
      lrecl: 200,
      eof: `WS-EOF-${dd}`,
      entity: 'CUST',
    });
  }
  return { name, sql: text.includes('EXEC SQL'), cics: text.includes('EXEC CICS'), files };
}

type ParaRole = 'main' | 'init' | 'process' | 'worker' | 'read' | 'term' | 'abend';

interface Para {
  /** Paragraph (or section) name. */
  name: string;
  num: string;
  role: ParaRole;
  children: Para[];
  file?: FileSpec;
  budget: number;
}

type Style = 'plain' | 'thru' | 'section';

interface CopyUse {
  model: CopybookModel;
  by?: string;
}

interface ProgramContext {
  /** Other programs this one may CALL. */
  programCount: number;
  copybookCount: number;
  copybook: (index: number) => CopybookModel;
}

class ProgramGen {
  readonly w: CobolWriter;
  readonly name: string;
  readonly style: Style;
  readonly nums: string[] = [];
  readonly alnums: string[] = [];
  readonly conds: string[] = [];
  readonly tables: { entry: string; idx: string; max: number; key: string; val: string }[] = [];
  readonly hostVars: { table: SqlTable; vars: string[]; cursor?: string }[] = [];
  readonly callTargets: string[] = [];
  readonly messages: string[] = [];
  private msgNo = 0;
  private paragraphs: Para[] = [];
  private current: Para | undefined;
  private abend!: Para;

  constructor(
    readonly rng: Rng,
    readonly shape: ProgramShape,
    readonly index: number,
    private readonly ctx: ProgramContext,
  ) {
    this.w = new CobolWriter(rng.chance(0.8));
    this.name = shape.name;
    this.style = rng.pick(['plain', 'plain', 'thru', 'thru', 'section'] as const);
  }

  generate(targetLines: number): string {
    const { w, rng, shape } = this;
    const copies = this.pickCopybooks();
    for (const idx of rng.indices(this.ctx.programCount, rng.int(0, 3))) {
      if (idx !== this.index) this.callTargets.push(memberName('program', idx));
    }
    this.header();
    this.environment();
    w.blank();
    w.code(8, 'DATA DIVISION.');
    this.fileSection();
    this.workingStorage(copies, targetLines);
    if (shape.cics) {
      w.code(8, 'LINKAGE SECTION.');
      dataEntry(w, 0, 1, 'DFHCOMMAREA', 'PIC X(200)');
    }
    w.blank();
    this.procedure(targetLines);
    return w.text();
  }

  private pickCopybooks(): CopyUse[] {
    const { rng } = this;
    const n = Math.min(this.ctx.copybookCount, rng.int(1, 5));
    const tags = ['WS', 'IN', 'OUT', 'SAV', 'PRV', 'NEW'];
    let tagIdx = 0;
    return rng.indices(this.ctx.copybookCount, n).map((i) => {
      const model = this.ctx.copybook(i);
      return model.tagged ? { model, by: tags[tagIdx++]! } : { model };
    });
  }

  private header(): void {
    const { w, rng, name } = this;
    const written = `${rng.int(1988, 2012)}-${String(rng.int(1, 12)).padStart(2, '0')}-${String(rng.int(1, 28)).padStart(2, '0')}`;
    const entity = rng.pick(ENTITIES);
    w.comment('****************************************************************');
    w.comment(` PROGRAM  : ${name}`);
    w.comment(
      ` FUNCTION : ${rng.pick(VERBS)} ${ENTITY_TITLES[entity]} ${rng.pick(['RECORDS', 'DATA', 'BALANCES', 'EXTRACT', 'FEED'])}`,
    );
    w.comment(
      ` ${this.shape.cics ? 'ONLINE - CICS TRANSACTION ' + rng.pick(TRANSIDS) : 'BATCH'}${this.shape.sql ? ' - DB2' : ''}`,
    );
    w.comment('****************************************************************');
    w.comment(' MODIFICATION LOG');
    for (let i = rng.int(1, 6); i > 0; i--) {
      const year = rng.int(1995, 2024);
      w.comment(
        ` ${year}-${String(rng.int(1, 12)).padStart(2, '0')}  ${rng.pick(AUTHORS).padEnd(10)} ${rng.pick(TICKETS)}${rng.int(100000, 999999)} ${rng.pick(['FIX', 'ADD', 'CHANGE', 'REMOVE'])} ${rng.pick(['ROUNDING', 'FIELD', 'EDIT', 'REPORT LINE', 'ABEND HANDLING', 'SQL', 'FILE STATUS CHECK'])}`,
      );
    }
    w.comment('****************************************************************');
    w.code(8, 'IDENTIFICATION DIVISION.');
    w.code(8, `PROGRAM-ID. ${name}.`);
    w.code(8, `AUTHOR. ${rng.pick(AUTHORS)}.`);
    w.code(8, 'INSTALLATION. DATA CENTRE.');
    w.code(8, `DATE-WRITTEN. ${written}.`);
    w.code(8, 'DATE-COMPILED.');
  }

  private environment(): void {
    const { w, shape, rng } = this;
    w.blank();
    w.code(8, 'ENVIRONMENT DIVISION.');
    w.code(8, 'CONFIGURATION SECTION.');
    w.code(8, 'SOURCE-COMPUTER. IBM-370.');
    w.code(8, 'OBJECT-COMPUTER. IBM-370.');
    if (rng.chance(0.3)) {
      w.code(8, 'SPECIAL-NAMES.');
      w.code(12, 'C01 IS TOP-OF-PAGE.');
    }
    if (shape.files.length === 0) return;
    w.code(8, 'INPUT-OUTPUT SECTION.');
    w.code(8, 'FILE-CONTROL.');
    for (const f of shape.files) {
      w.code(12, `SELECT ${f.select} ASSIGN TO ${f.dd}`);
      if (f.indexed) {
        w.code(16, 'ORGANIZATION IS INDEXED');
        w.code(16, `ACCESS MODE IS ${rng.pick(['RANDOM', 'DYNAMIC'])}`);
        w.code(16, `RECORD KEY IS ${f.key}`);
      } else if (rng.chance(0.5)) {
        w.code(16, 'ORGANIZATION IS SEQUENTIAL');
      }
      w.code(16, `FILE STATUS IS ${f.fs}.`);
    }
  }

  private fileSection(): void {
    const { w, shape, rng } = this;
    if (shape.files.length === 0) return;
    w.code(8, 'FILE SECTION.');
    for (const f of shape.files) {
      w.code(8, `FD  ${f.select}`);
      if (!f.indexed) {
        w.code(12, 'RECORDING MODE IS F');
        w.code(12, 'BLOCK CONTAINS 0 RECORDS');
      }
      w.code(12, `RECORD CONTAINS ${f.lrecl} CHARACTERS.`);
      if (f.key || rng.chance(0.5)) {
        dataEntry(w, 0, 1, f.record, '');
        const keyLen = 10;
        dataEntry(w, 1, 5, f.key ?? `${f.dd}-REC-TYPE`, `PIC X(${keyLen})`);
        dataEntry(w, 1, 5, `${f.dd}-DATA`, `PIC X(${f.lrecl - keyLen})`);
        this.alnums.push(`${f.dd}-DATA`);
      } else {
        dataEntry(w, 0, 1, f.record, `PIC X(${f.lrecl})`);
      }
    }
  }

  private message(code: string, text: string): string {
    this.msgNo++;
    return `'${this.name} E${String(this.msgNo).padStart(3, '0')} ${code} ${text}'`;
  }

  private workingStorage(copies: CopyUse[], targetLines: number): void {
    const { w, rng, shape, name } = this;
    w.code(8, 'WORKING-STORAGE SECTION.');
    dataEntry(w, 0, 1, 'WS-PROGRAM-NAME', `PIC X(8) VALUE '${name}'`);
    if (shape.files.length > 0) {
      dataEntry(w, 0, 1, 'WS-FILE-STATUSES', '');
      for (const f of shape.files) {
        dataEntry(w, 1, 5, f.fs, "PIC XX VALUE '00'");
        dataEntry(w, 2, 88, `${f.fs}-OK`, "VALUE '00' '97'");
        dataEntry(w, 2, 88, `${f.fs}-EOF`, "VALUE '10'");
        if (f.indexed) dataEntry(w, 2, 88, `${f.fs}-NOTFND`, "VALUE '23'");
        this.conds.push(`${f.fs}-OK`);
      }
      dataEntry(w, 0, 1, 'WS-SWITCHES', '');
      for (const f of shape.files.filter((x) => x.mode === 'INPUT' && !x.indexed)) {
        dataEntry(w, 1, 5, `${f.eof}-SW`, "PIC X VALUE 'N'");
        dataEntry(w, 2, 88, f.eof, "VALUE 'Y'");
        dataEntry(w, 2, 88, `WS-MORE-${f.dd}`, "VALUE 'N'");
      }
    }
    dataEntry(w, 0, 1, 'WS-FLAGS', '');
    for (const flag of rng
      .indices(6, rng.int(1, 4))
      .map((i) => ['ERROR', 'FIRST-TIME', 'FOUND', 'VALID', 'CHANGED', 'BYPASS'][i]!)) {
      dataEntry(w, 1, 5, `WS-${flag}-SW`, "PIC X VALUE 'N'");
      dataEntry(w, 2, 88, `WS-${flag}`, "VALUE 'Y'");
      dataEntry(w, 2, 88, `WS-NOT-${flag}`, "VALUE 'N'");
      this.conds.push(`WS-${flag}`, `WS-NOT-${flag}`);
    }
    const usedNames = new Set<string>();
    const uniqueName = (n: string): string => {
      let out = n;
      for (let k = 2; usedNames.has(out); k++) out = `${n}-${k}`;
      usedNames.add(out);
      return out;
    };
    dataEntry(w, 0, 1, 'WS-COUNTERS', '');
    for (const f of shape.files) {
      const verb = f.mode === 'INPUT' ? 'READ' : f.mode === 'I-O' ? 'UPDT' : 'WRIT';
      const c = uniqueName(`WS-CNT-${verb}-${f.dd}`);
      dataEntry(w, 1, 5, c, 'PIC S9(9) COMP VALUE ZERO');
      this.nums.push(c);
    }
    for (let i = rng.int(1, 4); i > 0; i--) {
      const c = uniqueName(
        `WS-CNT-${rng.pick(ENTITIES)}-${rng.pick(['ERR', 'SKIP', 'MATCH', 'PROC', 'REJ'])}`,
      );
      dataEntry(w, 1, 5, c, rng.pick(['PIC S9(9) COMP VALUE ZERO', 'PIC S9(7) COMP-3 VALUE ZERO']));
      this.nums.push(c);
    }
    dataEntry(w, 1, 5, 'WS-SUB', 'PIC S9(4) COMP VALUE ZERO');
    dataEntry(w, 0, 1, 'WS-AMOUNTS', '');
    for (let i = rng.int(2, 6); i > 0; i--) {
      const a = uniqueName(
        `WS-${rng.pick(['AMT', 'TOT', 'BAL', 'SUM'])}-${rng.pick(ENTITIES)}-${rng.pick(['DR', 'CR', 'NET', 'GROSS', 'FEE', 'INT'])}`,
      );
      dataEntry(w, 1, 5, a, `PIC S9(${rng.int(9, 15)})V99 COMP-3 VALUE ZERO`);
      this.nums.push(a);
    }
    const rate = uniqueName(`WS-RATE-${rng.pick(ENTITIES)}`);
    dataEntry(w, 1, 5, rate, 'PIC S9(3)V9(6) COMP-3 VALUE ZERO');
    this.nums.push(rate);
    dataEntry(w, 0, 1, 'WS-DATE-FIELDS', '');
    dataEntry(w, 1, 5, 'WS-CURRENT-DATE', 'PIC 9(8) VALUE ZERO');
    dataEntry(w, 1, 5, 'WS-CURRENT-DATE-R', 'REDEFINES WS-CURRENT-DATE');
    dataEntry(w, 2, 10, 'WS-CURR-YYYY', 'PIC 9(4)');
    dataEntry(w, 2, 10, 'WS-CURR-MM', 'PIC 99');
    dataEntry(w, 2, 10, 'WS-CURR-DD', 'PIC 99');
    dataEntry(w, 1, 5, 'WS-CURRENT-TIME', 'PIC 9(8) VALUE ZERO');
    this.nums.push('WS-CURR-YYYY', 'WS-CURR-MM');
    dataEntry(w, 0, 1, 'WS-ABEND-FIELDS', '');
    dataEntry(w, 1, 5, 'WS-ABEND-CODE', 'PIC S9(9) COMP VALUE +4038');
    dataEntry(w, 1, 5, 'WS-ABEND-FORM', 'PIC S9(9) COMP VALUE +1');
    dataEntry(w, 1, 5, 'WS-ERROR-CODE', 'PIC X(8) VALUE SPACES');
    dataEntry(w, 1, 5, 'WS-ERROR-PARA', 'PIC X(30) VALUE SPACES');
    dataEntry(w, 1, 5, 'WS-CALL-PGM', 'PIC X(8) VALUE SPACES');
    this.alnums.push('WS-ERROR-PARA');
    if (shape.sql) {
      dataEntry(w, 1, 5, 'WS-SQLCODE-DISP', 'PIC -9(9)');
      w.blank();
      w.code(12, 'EXEC SQL INCLUDE SQLCA END-EXEC.');
      for (const ti of rng.indices(SQL_TABLES.length, rng.int(1, 2))) this.sqlTable(SQL_TABLES[ti]!);
    }
    if (shape.cics) {
      dataEntry(w, 0, 1, 'WS-RESP', 'PIC S9(8) COMP VALUE ZERO');
      dataEntry(w, 0, 1, 'WS-RESP2', 'PIC S9(8) COMP VALUE ZERO');
      dataEntry(w, 0, 1, 'WS-COMMAREA', '');
      dataEntry(w, 1, 5, 'WS-CA-FUNCTION', 'PIC X');
      dataEntry(w, 2, 88, 'WS-CA-INQUIRY', "VALUE 'I'");
      dataEntry(w, 2, 88, 'WS-CA-UPDATE', "VALUE 'U'");
      dataEntry(w, 1, 5, 'WS-CA-KEY', 'PIC X(10)');
      dataEntry(w, 1, 5, 'WS-CA-DATA', 'PIC X(189)');
      dataEntry(w, 0, 1, 'WS-MAP-AREA', 'PIC X(500) VALUE SPACES');
      this.conds.push('WS-CA-INQUIRY', 'WS-CA-UPDATE');
      this.alnums.push('WS-CA-KEY');
    }
    // Copybooks.
    copies.forEach((use, i) => {
      const stmt =
        use.by === undefined
          ? `COPY ${use.model.name}.`
          : `COPY ${use.model.name} REPLACING ==:TAG:== BY ==${use.by}==.`;
      if (use.model.top === 5) dataEntry(w, 0, 1, `WS-${use.model.name}-AREA${i > 9 ? i : ''}`, '');
      w.code(use.model.top === 5 ? 12 : 8, stmt);
      const rename = (n: string): string => (use.by === undefined ? n : n.replace(':TAG:', use.by));
      for (const f of use.model.fields) (f.kind === 'num' ? this.nums : this.alnums).push(rename(f.name));
      for (const c of use.model.conditions) this.conds.push(rename(c));
    });
    // Work areas, tables, messages, report lines: about a quarter of the program.
    const dataTarget = Math.max(40, Math.round(targetLines * 0.25));
    let t = 0;
    while (w.length < dataTarget) {
      const r = rng.int(0, 9);
      if (r < 3) {
        const grp = uniqueName(`WS-${rng.pick(ENTITIES)}-WORK`);
        dataEntry(w, 0, 1, grp, '');
        for (let i = rng.int(2, 7); i > 0; i--) {
          const [attr, kind] = rng.pick(ATTRS);
          const n = uniqueName(`WS-W-${rng.pick(ENTITIES)}-${attr}`);
          const p = picFor(rng, kind);
          dataEntry(w, 1, 5, n, p.pic);
          (p.num ? this.nums : this.alnums).push(n);
          if (p.conds && rng.chance(0.4)) {
            const c = uniqueName(`${n}-${p.conds[0]![0]}`.slice(0, 30));
            dataEntry(w, 2, 88, c, `VALUE ${p.conds[0]![1]}`);
            this.conds.push(c);
          }
        }
      } else if (r < 5) {
        const base = uniqueName(`WS-${rng.pick(ENTITIES)}-TBL${++t}`);
        const max = rng.pick([10, 20, 50, 100, 500]);
        const entry = `${base}-ENT`;
        const idx = `${base}-IDX`;
        dataEntry(w, 0, 1, base, '');
        dataEntry(w, 1, 5, `${base}-CNT`, 'PIC S9(4) COMP VALUE ZERO');
        dataEntry(w, 1, 5, entry, `OCCURS ${max} TIMES INDEXED BY ${idx}`);
        dataEntry(w, 2, 10, `${base}-KEY`, 'PIC X(10)');
        dataEntry(w, 2, 10, `${base}-VAL`, 'PIC S9(9)V99 COMP-3');
        dataEntry(w, 2, 10, `${base}-DESC`, 'PIC X(30)');
        this.tables.push({ entry, idx, max, key: `${base}-KEY`, val: `${base}-VAL` });
        this.nums.push(`${base}-CNT`);
      } else if (r < 7) {
        const grp = uniqueName('WS-MESSAGES');
        dataEntry(w, 0, 1, grp, '');
        for (let i = rng.int(1, 4); i > 0; i--) {
          const [code, text] = rng.pick(ABEND_MESSAGES);
          const n = uniqueName(`WS-MSG-${code}`);
          const lit = this.message(
            code,
            `${text} - CONTACT ${rng.pick(['ON-CALL', 'BATCH SUPPORT', 'DBA TEAM', 'APPLICATION TEAM'])}`,
          );
          dataEntry(w, 1, 5, n, `PIC X(${Math.max(80, lit.length)}) VALUE ${lit}`);
          this.messages.push(n);
        }
      } else {
        const grp = uniqueName(`RPT-${rng.pick(['DETAIL', 'HEADER', 'TOTAL', 'TRAILER'])}-LINE`);
        dataEntry(w, 0, 1, grp, '');
        dataEntry(w, 1, 5, 'FILLER', 'PIC X VALUE SPACE');
        for (let i = rng.int(2, 6); i > 0; i--) {
          const n = uniqueName(`${grp.slice(0, 10)}-${rng.pick(ATTRS)[0]}`);
          if (rng.chance(0.5)) {
            dataEntry(
              w,
              1,
              5,
              n,
              rng.pick(['PIC Z,ZZZ,ZZ9.99-', 'PIC ZZZ,ZZ9', 'PIC -(9)9.99', 'PIC $$$,$$9.99']),
            );
          } else {
            dataEntry(w, 1, 5, n, `PIC X(${rng.int(8, 30)})`);
          }
          dataEntry(w, 1, 5, 'FILLER', `PIC X(${rng.int(1, 4)}) VALUE SPACES`);
        }
      }
    }
  }

  private sqlTable(table: SqlTable): void {
    const { w, rng } = this;
    const vars = table.columns.map(([c]) => `${table.abbrev}-${c.replaceAll('_', '-')}`);
    if (rng.chance(0.5)) {
      w.code(12, `EXEC SQL DECLARE ${table.name} TABLE`);
      table.columns.forEach(([c, pic], i) => {
        const type = pic.startsWith('X(')
          ? `CHAR(${pic.slice(2, -1)})`
          : pic.includes('COMP-3')
            ? 'DECIMAL(15, 2)'
            : 'SMALLINT';
        w.code(
          12,
          `${i === 0 ? '( ' : '  '}${c.padEnd(18)} ${type}${i === table.columns.length - 1 ? '' : ','}`,
        );
      });
      w.code(12, ') END-EXEC.');
    }
    dataEntry(w, 0, 1, `DCL${table.name.replaceAll('_', '-')}`, '');
    table.columns.forEach(([, pic], i) => {
      dataEntry(w, 2, 10, vars[i]!, `PIC ${pic}`);
    });
    const entry: (typeof this.hostVars)[number] = { table, vars };
    if (rng.chance(0.5)) {
      const cursor = `${table.abbrev}-CSR`;
      w.code(12, 'EXEC SQL');
      w.code(16, `DECLARE ${cursor} CURSOR WITH HOLD FOR`);
      w.code(16, `SELECT ${table.columns.map(([c]) => c).join(', ')}`);
      w.code(18, `FROM ${table.name}`);
      w.code(17, `WHERE ${table.columns[0]![0]} >= :${vars[0]}`);
      w.code(16, `ORDER BY ${table.columns[0]![0]}`);
      w.code(12, 'END-EXEC.');
      entry.cursor = cursor;
    }
    this.hostVars.push(entry);
  }

  // -------------------------------------------------------------------------- procedure division

  private planParagraphs(targetLines: number): void {
    const { rng, shape } = this;
    const left = Math.max(60, targetLines - this.w.length);
    const workers = Math.max(1, Math.min(56, Math.round(left / 38) - 4));
    const mk = (num: string, name: string, role: ParaRole, file?: FileSpec): Para => ({
      name: `${num}-${name}`.slice(0, 30).replace(/-+$/, ''),
      num,
      role,
      children: [],
      budget: 0,
      ...(file ? { file } : {}),
    });
    const main = mk('0000', 'MAINLINE', 'main');
    const init = mk('1000', 'INITIALIZE', 'init');
    const process = mk('2000', shape.cics ? 'PROCESS-REQUEST' : 'PROCESS-RECORDS', 'process');
    const paras: Para[] = [main, init, process];
    const step = Math.max(10, Math.floor(5800 / workers / 10) * 10);
    const workerParas: Para[] = [];
    const names = new Set<string>();
    for (let i = 0; i < workers; i++) {
      const num = String(2100 + i * step);
      let nm = `${rng.pick(VERBS)}-${rng.pick(ENTITIES)}${rng.chance(0.4) ? `-${rng.pick(ATTRS)[0]}` : ''}`;
      while (names.has(nm)) nm = `${nm}-X`;
      names.add(nm);
      const p = mk(num, nm, 'worker');
      const parentPool = [process, ...workerParas.slice(Math.max(0, workerParas.length - 6))];
      rng.pick(parentPool).children.push(p);
      workerParas.push(p);
    }
    paras.push(...workerParas);
    const reads: Para[] = [];
    shape.files
      .filter((f) => f.mode === 'INPUT' || f.mode === 'I-O')
      .forEach((f, i) => {
        reads.push(mk(String(8000 + i * 100), `READ-${f.dd}`, 'read', f));
      });
    paras.push(...reads);
    const term = mk('9000', 'TERMINATE', 'term');
    this.abend = mk('9999', 'ABEND-ROUTINE', 'abend');
    paras.push(term, this.abend);
    main.children.push(init, process, term);
    // Sequential input files are read by the process loop; the first is primed by the init paragraph.
    const seqReads = reads.filter((r) => r.file && !r.file.indexed);
    if (seqReads[0]) init.children.push(seqReads[0]);
    for (const r of reads) {
      if (r === seqReads[0]) process.children.push(r);
      else rng.pick([process, ...workerParas]).children.push(r);
    }
    this.paragraphs = paras;
  }

  private exitName(p: Para): string {
    return `${p.num}-EXIT`;
  }

  private performText(p: Para): string {
    return this.style === 'thru' && p.role !== 'main'
      ? `PERFORM ${p.name} THRU ${this.exitName(p)}`
      : `PERFORM ${p.name}`;
  }

  private procedure(targetLines: number): void {
    const { w, shape } = this;
    this.planParagraphs(targetLines);
    w.code(8, shape.cics ? 'PROCEDURE DIVISION USING DFHCOMMAREA.' : 'PROCEDURE DIVISION.');
    const paras = this.paragraphs;
    // Lines a paragraph takes besides a worker's budget (banner, header, exit, fixed bodies), estimated.
    const overhead = (r: Para): number =>
      (this.style === 'plain' ? 4 : 6) +
      (r.role === 'read' ? 16 : r.role === 'term' ? 6 : r.role === 'abend' ? 10 : 2 * r.children.length);
    paras.forEach((p, k) => {
      this.current = p;
      if (p.role === 'worker' || p.role === 'process') {
        // Budgets follow what is left, so the program ends close to its target length.
        const rest = paras.slice(k + 1);
        const workersLeft = rest.filter((r) => r.role === 'worker').length;
        const reserve = rest.reduce((n, r) => n + overhead(r), 0) + overhead(p);
        const share = (targetLines - w.length - reserve) / (workersLeft + 1);
        p.budget = Math.max(2, Math.round(share * (workersLeft > 0 ? 0.5 + this.rng.next() : 1)));
      }
      w.comment('----------------------------------------------------------------');
      w.comment(` ${p.name}`);
      w.comment('----------------------------------------------------------------');
      if (this.style === 'section') {
        w.code(8, `${p.name} SECTION.`);
        w.code(8, `${p.num}-START.`);
      } else {
        w.code(8, `${p.name}.`);
      }
      this.body(p);
      if (p.role !== 'main' && this.style !== 'plain') {
        w.code(8, `${this.exitName(p)}.`);
        w.code(12, 'EXIT.');
      }
    });
  }

  private body(p: Para): void {
    const { w, rng, shape } = this;
    const col = 12;
    switch (p.role) {
      case 'main': {
        const [init, process, term] = p.children as [Para, Para, Para];
        if (shape.cics) {
          w.code(col, 'EXEC CICS HANDLE ABEND');
          w.code(col + 4, `LABEL(${this.abend.name})`);
          w.code(col, 'END-EXEC');
          w.code(col, 'IF EIBCALEN = ZERO');
          w.code(col + 4, 'MOVE LOW-VALUES TO WS-COMMAREA');
          w.code(col, 'ELSE');
          w.code(col + 4, 'MOVE DFHCOMMAREA(1:EIBCALEN) TO WS-COMMAREA');
          w.code(col, 'END-IF');
          w.code(col, this.performText(init));
          w.code(col, this.performText(process));
          w.code(col, this.performText(term));
          w.code(col, 'EXEC CICS RETURN');
          w.code(col + 4, `TRANSID('${rng.pick(TRANSIDS)}')`);
          w.code(col + 4, 'COMMAREA(WS-COMMAREA)');
          w.code(col + 4, 'LENGTH(LENGTH OF WS-COMMAREA)');
          w.code(col, 'END-EXEC');
          w.code(col, 'GOBACK.');
          return;
        }
        w.code(col, this.performText(init));
        const driver = shape.files.find((f) => f.mode === 'INPUT' && !f.indexed);
        if (driver) w.code(col, `${this.performText(process)} UNTIL ${driver.eof}`);
        else w.code(col, `${this.performText(process)} VARYING WS-SUB FROM 1 BY 1 UNTIL WS-SUB > 10`);
        w.code(col, this.performText(term));
        w.code(col, rng.chance(0.7) ? 'GOBACK.' : 'STOP RUN.');
        return;
      }
      case 'init': {
        w.code(col, 'INITIALIZE WS-COUNTERS WS-AMOUNTS');
        w.code(col, 'ACCEPT WS-CURRENT-DATE FROM DATE YYYYMMDD');
        w.code(col, 'ACCEPT WS-CURRENT-TIME FROM TIME');
        for (const f of shape.files) {
          w.code(col, `OPEN ${f.mode} ${f.select}`);
          if (rng.chance(0.7)) {
            w.code(col, `IF ${f.fs} = '35'`);
            w.code(col + 4, `DISPLAY ${this.message('IGZ0035S', `${f.dd} FILE NOT FOUND - STATUS 35`)}`);
            w.code(col + 4, `MOVE 'IGZ0035S' TO WS-ERROR-CODE`);
            w.code(col + 4, this.performText(this.abend));
            w.code(col, 'END-IF');
          }
          w.code(col, `IF NOT ${f.fs}-OK`);
          w.code(col + 4, `DISPLAY ${this.message('U4038', `OPEN ERROR ${f.dd} STATUS `)} ${f.fs}`);
          w.code(col + 4, `MOVE '${f.fs}' TO WS-ERROR-PARA`);
          w.code(col + 4, this.performText(this.abend));
          w.code(col, 'END-IF');
        }
        for (const c of p.children) w.code(col, this.performText(c));
        break;
      }
      case 'read': {
        const f = p.file!;
        if (f.indexed) {
          w.code(col, `READ ${f.select}`);
          w.code(col + 4, `KEY IS ${f.key}`);
          w.code(col + 4, 'INVALID KEY');
          w.code(col + 8, `DISPLAY ${this.message('23', `${f.dd} RECORD NOT FOUND KEY `)} ${f.key}`);
          w.code(col + 4, 'NOT INVALID KEY');
          w.code(col + 8, `ADD 1 TO ${this.nums[0]}`);
          w.code(col, 'END-READ');
          w.code(col, `EVALUATE ${f.fs}`);
          w.code(col + 4, "WHEN '00'");
          w.code(col + 4, "WHEN '23'");
          w.code(col + 8, 'CONTINUE');
          const [st, text] = rng.pick(FILE_STATUSES);
          w.code(col + 4, `WHEN '${st}'`);
          w.code(col + 8, `DISPLAY ${this.message(`VSAM${st}`, text)}`);
          w.code(col + 8, this.performText(this.abend));
          w.code(col + 4, 'WHEN OTHER');
          w.code(col + 8, `DISPLAY 'READ ERROR ${f.dd} STATUS ' ${f.fs}`);
          w.code(col + 8, this.performText(this.abend));
          w.code(col, 'END-EVALUATE');
        } else {
          w.code(col, `READ ${f.select}`);
          w.code(col + 4, 'AT END');
          w.code(col + 8, `SET ${f.eof} TO TRUE`);
          w.code(col + 4, 'NOT AT END');
          const counter = this.nums.find((n) => n.endsWith(`-${f.dd}`)) ?? this.nums[0]!;
          w.code(col + 8, `ADD 1 TO ${counter}`);
          w.code(col, 'END-READ');
          w.code(col, `IF NOT ${f.fs}-OK AND NOT ${f.fs}-EOF`);
          w.code(col + 4, `DISPLAY ${this.message('S001', `READ ERROR ON ${f.dd} STATUS `)} ${f.fs}`);
          w.code(col + 4, this.performText(this.abend));
          w.code(col, 'END-IF');
        }
        break;
      }
      case 'term': {
        if (shape.files.length > 0) w.code(col, `CLOSE ${shape.files.map((f) => f.select).join(' ')}`);
        for (const n of this.nums.slice(0, rng.int(1, 3))) {
          w.code(col, `DISPLAY '${this.name} ${n.slice(0, 24)} = ' ${n}`);
        }
        if (shape.sql && rng.chance(0.6)) {
          w.code(col, 'EXEC SQL COMMIT END-EXEC');
        }
        w.code(col, 'MOVE ZERO TO RETURN-CODE');
        break;
      }
      case 'abend': {
        w.code(col, `DISPLAY '${this.name} ABENDING - CODE ' WS-ERROR-CODE`);
        w.code(col, "DISPLAY 'FAILING PARAGRAPH: ' WS-ERROR-PARA");
        if (shape.sql) {
          w.code(col, 'MOVE SQLCODE TO WS-SQLCODE-DISP');
          w.code(col, "DISPLAY 'LAST SQLCODE: ' WS-SQLCODE-DISP");
          w.code(col, 'EXEC SQL ROLLBACK END-EXEC');
        }
        if (shape.cics) {
          w.code(col, 'EXEC CICS SYNCPOINT ROLLBACK END-EXEC');
          w.code(col, 'EXEC CICS ABEND');
          w.code(col + 4, `ABCODE('${rng.pick(['AB01', 'APLE', 'U999'])}')`);
          w.code(col + 4, 'NODUMP');
          w.code(col, 'END-EXEC');
        } else {
          w.code(col, 'MOVE 16 TO RETURN-CODE');
          w.code(col, "CALL 'CEE3ABD' USING WS-ABEND-CODE WS-ABEND-FORM");
        }
        w.code(col, rng.chance(0.5) ? 'GOBACK.' : 'STOP RUN.');
        return;
      }
      default:
        this.worker(p, col);
        return;
    }
    w.code(col, '.');
  }

  private worker(p: Para, col: number): void {
    const { w, rng } = this;
    const end = w.length + p.budget;
    const children = [...p.children];
    if (p.role === 'process' && this.shape.cics) this.cicsRequest(col);
    // Children are performed at random points of the body, the loop ones with an UNTIL.
    const slots = children.map(() => rng.next()).sort((a, b) => a - b);
    let slot = 0;
    const startLen = w.length;
    while (w.length < end || slot < children.length) {
      const progress = p.budget > 0 ? (w.length - startLen) / p.budget : 1;
      if (slot < children.length && (progress >= slots[slot]! || w.length >= end)) {
        const child = children[slot++]!;
        const table = this.tables.length > 0 && rng.chance(0.2) ? rng.pick(this.tables) : undefined;
        if (table && child.role === 'worker') {
          w.code(col, `${this.performText(child)}`);
          w.code(col + 4, `VARYING ${table.idx} FROM 1 BY 1`);
          w.code(col + 4, `UNTIL ${table.idx} > ${table.max}`);
        } else if (child.role === 'worker' && rng.chance(0.25)) {
          w.code(col, `IF ${this.condition()}`);
          w.code(col + 4, this.performText(child));
          w.code(col, 'END-IF');
        } else {
          w.code(col, this.performText(child));
        }
        continue;
      }
      // Near the end of the budget only one-line statements, so the paragraph lands on its length.
      if (end - w.length < 10) this.simpleStatement(col);
      else this.statement(col, 0);
    }
    if (p.role === 'process' && !this.shape.cics) {
      const out = this.shape.files.find((f) => f.mode === 'OUTPUT' || f.mode === 'EXTEND');
      if (out) this.writeRecord(col, out);
    }
    w.code(col, '.');
  }

  private num(): string {
    return this.rng.pick(this.nums);
  }
  private alnum(): string {
    return this.alnums.length > 0 ? this.rng.pick(this.alnums) : 'WS-ERROR-PARA';
  }

  private condition(depth = 0): string {
    const { rng } = this;
    switch (rng.int(0, 8)) {
      case 0:
      case 1:
        return this.conds.length > 0 ? rng.pick(this.conds) : `${this.num()} > ZERO`;
      case 2:
        return `${this.num()} > ${rng.pick(['ZERO', '100', this.num()])}`;
      case 3:
        return `${this.alnum()} = ${rng.pick(['SPACES', "'A'", "'Y'", 'LOW-VALUES'])}`;
      case 4:
        return `${this.num()} NOT NUMERIC`;
      case 5:
        return `${this.alnum()} NOT = ${rng.pick(['SPACES', "'00'", this.alnum()])}`;
      case 6:
        return depth < 1 ? `${this.condition(1)} AND ${this.condition(1)}` : `${this.num()} < ZERO`;
      case 7:
        return depth < 1 ? `(${this.condition(1)} OR ${this.condition(1)})` : `${this.num()} = ZERO`;
      default:
        return `${this.num()} >= ${this.num()}`;
    }
  }

  private simpleStatement(col: number): void {
    const r = this.rng.int(0, 2);
    if (r === 0) this.move(col);
    else if (r === 1) this.arith(col);
    else this.w.code(col, `MOVE '${this.current?.name ?? ''}' TO WS-ERROR-PARA`);
  }

  private statement(col: number, depth: number): void {
    const { rng, shape } = this;
    const r = rng.int(0, 99);
    if (r < 14) this.move(col);
    else if (r < 22) this.arith(col);
    else if (r < 30) this.compute(col);
    else if (r < 42 && depth < 3) this.ifStmt(col, depth);
    else if (r < 48 && depth < 3) this.evaluate(col, depth);
    else if (r < 54) this.display(col);
    else if (r < 58 && this.callTargets.length > 0) this.call(col);
    else if (r < 70 && shape.sql && this.hostVars.length > 0) this.sql(col);
    else if (r < 76 && shape.cics) this.cics(col);
    else if (r < 79 && this.tables.length > 0) this.tableLoop(col, depth);
    else if (r < 82) this.stringStmt(col);
    else if (r < 85)
      this.w.comment(
        ` ${rng.pick(VERBS)} ${ENTITY_TITLES[rng.pick(ENTITIES)]} ${rng.pick(['FIELDS', 'TOTALS', 'KEYS', 'AMOUNTS', 'STATUS'])}`,
      );
    else if (r < 88 && this.style !== 'plain' && this.current && depth > 0) this.goToExit(col);
    else if (r < 91 && depth > 0) this.w.code(col, `SET ${rng.pick(this.conds)} TO TRUE`);
    else if (r < 94 && shape.files.some((f) => f.mode === 'OUTPUT' || f.mode === 'EXTEND')) {
      this.writeRecord(col, rng.pick(shape.files.filter((f) => f.mode === 'OUTPUT' || f.mode === 'EXTEND')));
    } else this.move(col);
  }

  private move(col: number): void {
    const { rng, w } = this;
    if (rng.chance(0.5)) {
      w.code(
        col,
        `MOVE ${rng.pick(['SPACES', "'N'", "'Y'", this.alnum(), 'LOW-VALUES'])} TO ${this.alnum()}`,
      );
    } else {
      w.code(col, `MOVE ${rng.pick(['ZERO', '1', this.num(), this.num()])} TO ${this.num()}`);
    }
  }

  private arith(col: number): void {
    const { rng, w } = this;
    const n = this.num();
    switch (rng.int(0, 3)) {
      case 0:
        w.code(col, `ADD 1 TO ${n}`);
        break;
      case 1:
        w.code(col, `ADD ${this.num()} TO ${n}`);
        break;
      case 2:
        w.code(col, `SUBTRACT ${this.num()} FROM ${n}`);
        break;
      default:
        w.code(col, `MULTIPLY ${this.num()} BY ${n} ROUNDED`);
    }
  }

  private compute(col: number): void {
    const { rng, w } = this;
    const op = rng.pick(['*', '+', '-', '/']);
    w.code(
      col,
      `COMPUTE ${this.num()} ROUNDED = ${this.num()} ${op} ${this.num()}${rng.chance(0.4) ? ` * ${rng.pick(['1.05', '100', '0.0125', '12'])}` : ''}`,
    );
    if (rng.chance(0.5)) {
      const [code, text] =
        op === '/'
          ? (['S0CB', 'DECIMAL DIVIDE EXCEPTION'] as const)
          : (['S0C7', 'SIZE ERROR IN COMPUTE'] as const);
      w.code(col + 4, 'ON SIZE ERROR');
      w.code(col + 8, `DISPLAY ${this.message(code, text)}`);
      w.code(col + 8, `MOVE '${code}' TO WS-ERROR-CODE`);
      if (rng.chance(0.5)) w.code(col + 8, this.performText(this.abend));
      w.code(col, 'END-COMPUTE');
    }
  }

  private block(col: number, depth: number, max: number): void {
    const n = this.rng.int(1, max);
    for (let i = 0; i < n; i++) this.statement(col, depth);
  }

  private ifStmt(col: number, depth: number): void {
    const { rng, w } = this;
    if (rng.chance(0.15) && this.shape.files.length > 0) {
      const f = rng.pick(this.shape.files);
      const [st, text] = rng.pick(FILE_STATUSES);
      w.code(col, `IF ${f.fs} = '${st}'`);
      w.code(col + 4, `DISPLAY ${this.message(`VSAM${st}`, `${text} ON ${f.dd}`)}`);
      w.code(col + 4, `MOVE '${rng.pick(ABEND_MESSAGES)[0]}' TO WS-ERROR-CODE`);
      w.code(col + 4, this.performText(this.abend));
      w.code(col, 'END-IF');
      return;
    }
    w.code(col, `IF ${this.condition()}`);
    this.block(col + 4, depth + 1, 3);
    if (rng.chance(0.4)) {
      w.code(col, 'ELSE');
      this.block(col + 4, depth + 1, 2);
    }
    w.code(col, 'END-IF');
  }

  private evaluate(col: number, depth: number): void {
    const { rng, w } = this;
    if (rng.chance(0.5) && this.alnums.length > 0) {
      w.code(col, `EVALUATE ${this.alnum()}`);
      for (const v of rng
        .indices(5, rng.int(1, 4))
        .map((i) => ["'A'", "'B'", "'C' THRU 'F'", "'01'", 'SPACES'][i]!)) {
        w.code(col + 4, `WHEN ${v}`);
        this.block(col + 8, depth + 1, 2);
      }
    } else {
      w.code(col, 'EVALUATE TRUE');
      for (let i = rng.int(1, 3); i > 0; i--) {
        w.code(col + 4, `WHEN ${this.condition(1)}`);
        this.block(col + 8, depth + 1, 2);
      }
    }
    w.code(col + 4, 'WHEN OTHER');
    if (rng.chance(0.5)) w.code(col + 8, 'CONTINUE');
    else this.block(col + 8, depth + 1, 1);
    w.code(col, 'END-EVALUATE');
  }

  private display(col: number): void {
    const { rng, w } = this;
    if (this.messages.length > 0 && rng.chance(0.3)) {
      w.code(col, `DISPLAY ${rng.pick(this.messages)}`);
      return;
    }
    const [code, text] = rng.pick(ABEND_MESSAGES);
    const lit = this.message(
      code,
      rng.chance(0.3) ? `${text} - CHECK ${rng.pick(ENTITIES)} INPUT AND RESTART FROM LAST CHECKPOINT` : text,
    );
    w.code(col, `DISPLAY ${lit}${rng.chance(0.5) ? ` ${this.alnum()}` : ''}`);
  }

  private call(col: number): void {
    const { rng, w } = this;
    const target = rng.pick(this.callTargets);
    const using = [this.alnum(), this.num()].slice(0, rng.int(1, 2)).join(' ');
    if (rng.chance(0.3)) {
      w.code(col, `MOVE '${target}' TO WS-CALL-PGM`);
      w.code(col, `CALL WS-CALL-PGM USING ${using}`);
    } else {
      w.code(col, `CALL '${target}' USING ${using}`);
    }
    if (rng.chance(0.6)) {
      w.code(col, 'IF RETURN-CODE NOT = ZERO');
      w.code(col + 4, `DISPLAY ${this.message('S806', `CALL TO ${target} FAILED RC=`)} RETURN-CODE`);
      w.code(col + 4, this.performText(this.abend));
      w.code(col, 'END-IF');
    }
  }

  private sqlCheck(col: number): void {
    const { rng, w } = this;
    if (rng.chance(0.4)) {
      w.code(col, 'IF SQLCODE = -911 OR SQLCODE = -913');
      w.code(col + 4, `DISPLAY ${this.message('SQLCODE-911', 'DEADLOCK OR TIMEOUT - ROLLED BACK')}`);
      w.code(col + 4, "MOVE 'DSNT408I' TO WS-ERROR-CODE");
      w.code(col + 4, this.performText(this.abend));
      w.code(col, 'END-IF');
      return;
    }
    w.code(col, 'EVALUATE SQLCODE');
    w.code(col + 4, 'WHEN 0');
    w.code(col + 8, `ADD 1 TO ${this.num()}`);
    w.code(col + 4, 'WHEN +100');
    w.code(col + 8, `SET ${rng.pick(this.conds)} TO TRUE`);
    for (const i of rng.indices(SQLCODES.length, rng.int(1, 3))) {
      const [code, text] = SQLCODES[i]!;
      w.code(col + 4, `WHEN ${code}`);
      w.code(col + 8, `DISPLAY ${this.message(`SQLCODE${code}`, text)}`);
      if (rng.chance(0.6)) w.code(col + 8, this.performText(this.abend));
    }
    w.code(col + 4, 'WHEN OTHER');
    w.code(col + 8, 'MOVE SQLCODE TO WS-SQLCODE-DISP');
    w.code(col + 8, `DISPLAY ${this.message('DSNT408I', 'UNEXPECTED SQLCODE ')} WS-SQLCODE-DISP`);
    w.code(col + 8, this.performText(this.abend));
    w.code(col, 'END-EVALUATE');
  }

  private sql(col: number): void {
    const { rng, w } = this;
    const hv = rng.pick(this.hostVars);
    const { table, vars } = hv;
    const cols = table.columns.map(([c]) => c);
    const kind = rng.int(0, 4);
    w.code(col, 'EXEC SQL');
    if (kind === 0 || (kind === 3 && !hv.cursor)) {
      w.code(col + 4, `SELECT ${cols.slice(1).join(', ')}`);
      w.code(
        col + 6,
        `INTO ${vars
          .slice(1)
          .map((v) => `:${v}`)
          .join(', ')}`,
      );
      w.code(col + 6, `FROM ${table.name}`);
      w.code(col + 5, `WHERE ${cols[0]} = :${vars[0]}`);
    } else if (kind === 1) {
      w.code(col + 4, `UPDATE ${table.name}`);
      w.code(col + 7, `SET ${cols[cols.length - 1]} = :${vars[vars.length - 1]}`);
      w.code(col + 5, `WHERE ${cols[0]} = :${vars[0]}`);
    } else if (kind === 2) {
      w.code(col + 4, `INSERT INTO ${table.name}`);
      w.code(col + 6, `(${cols.join(', ')})`);
      w.code(col + 4, `VALUES (${vars.map((v) => `:${v}`).join(', ')})`);
    } else if (kind === 3) {
      w.code(col + 4, `FETCH ${hv.cursor}`);
      w.code(col + 6, `INTO ${vars.map((v) => `:${v}`).join(', ')}`);
    } else {
      w.code(col + 4, `DELETE FROM ${table.name}`);
      w.code(col + 5, `WHERE ${cols[0]} = :${vars[0]}`);
    }
    w.code(col, 'END-EXEC');
    if (kind === 2 && rng.chance(0.5)) {
      w.code(col, 'IF SQLCODE = -803');
      w.code(col + 4, `DISPLAY ${this.message('SQLCODE-803', `DUPLICATE KEY ON ${table.name}`)}`);
      w.code(col + 4, `ADD 1 TO ${this.num()}`);
      w.code(col, 'END-IF');
    } else {
      this.sqlCheck(col);
    }
  }

  private cicsRequest(col: number): void {
    const { w } = this;
    w.code(col, `EXEC CICS RECEIVE MAP('${this.name.slice(3)}M') MAPSET('${this.name.slice(0, 3)}MS')`);
    w.code(col + 4, 'INTO(WS-MAP-AREA)');
    w.code(col + 4, 'RESP(WS-RESP)');
    w.code(col, 'END-EXEC');
    w.code(col, 'IF WS-RESP = DFHRESP(MAPFAIL)');
    w.code(col + 4, `DISPLAY ${this.message('AEI9', 'MAPFAIL ON RECEIVE MAP')}`);
    w.code(col + 4, 'MOVE LOW-VALUES TO WS-MAP-AREA');
    w.code(col, 'END-IF');
  }

  private cics(col: number): void {
    const { rng, w } = this;
    switch (rng.int(0, 3)) {
      case 0: {
        w.code(col, 'EXEC CICS READ');
        w.code(col + 4, `FILE('${rng.pick(ENTITIES)}MST')`);
        w.code(col + 4, 'INTO(WS-CA-DATA)');
        w.code(col + 4, 'RIDFLD(WS-CA-KEY)');
        w.code(col + 4, 'RESP(WS-RESP) RESP2(WS-RESP2)');
        w.code(col, 'END-EXEC');
        w.code(col, 'EVALUATE WS-RESP');
        w.code(col + 4, 'WHEN DFHRESP(NORMAL)');
        w.code(col + 8, `ADD 1 TO ${this.num()}`);
        w.code(col + 4, 'WHEN DFHRESP(NOTFND)');
        w.code(col + 8, 'MOVE SPACES TO WS-CA-DATA');
        w.code(col + 4, 'WHEN OTHER');
        const [code, text] = rng.pick(CICS_ABENDS);
        w.code(col + 8, `DISPLAY ${this.message(code, text)}`);
        w.code(col + 8, this.performText(this.abend));
        w.code(col, 'END-EVALUATE');
        break;
      }
      case 1: {
        const target = this.callTargets.length > 0 ? rng.pick(this.callTargets) : this.name;
        w.code(col, 'EXEC CICS LINK');
        w.code(col + 4, `PROGRAM('${target}')`);
        w.code(col + 4, 'COMMAREA(WS-COMMAREA)');
        w.code(col + 4, 'RESP(WS-RESP)');
        w.code(col, 'END-EXEC');
        w.code(col, 'IF WS-RESP = DFHRESP(PGMIDERR)');
        w.code(col + 4, `DISPLAY ${this.message('AEI0', `PGMIDERR LINKING TO ${target}`)}`);
        w.code(col + 4, this.performText(this.abend));
        w.code(col, 'END-IF');
        break;
      }
      case 2:
        w.code(col, `EXEC CICS SEND MAP('${this.name.slice(3)}M') MAPSET('${this.name.slice(0, 3)}MS')`);
        w.code(col + 4, 'FROM(WS-MAP-AREA)');
        w.code(col + 4, 'ERASE');
        w.code(col, 'END-EXEC');
        break;
      default:
        w.code(col, 'EXEC CICS SYNCPOINT END-EXEC');
    }
  }

  private tableLoop(col: number, depth: number): void {
    const { rng, w } = this;
    const t = rng.pick(this.tables);
    if (rng.chance(0.4)) {
      w.code(col, `SET ${t.idx} TO 1`);
      w.code(col, `SEARCH ${t.entry}`);
      w.code(col + 4, 'AT END');
      w.code(col + 8, `MOVE 'NOT FOUND' TO WS-ERROR-PARA`);
      w.code(col + 4, `WHEN ${t.key}(${t.idx}) = ${this.alnum()}`);
      w.code(col + 8, `ADD ${t.val}(${t.idx}) TO ${this.num()}`);
      w.code(col, 'END-SEARCH');
      return;
    }
    w.code(col, `PERFORM VARYING ${t.idx} FROM 1 BY 1`);
    w.code(col + 8, `UNTIL ${t.idx} > ${t.max}`);
    w.code(col + 4, `ADD ${t.val}(${t.idx}) TO ${this.num()}`);
    if (depth < 2 && rng.chance(0.5)) this.block(col + 4, depth + 1, 2);
    w.code(col, 'END-PERFORM');
  }

  private stringStmt(col: number): void {
    const { rng, w } = this;
    const r = rng.int(0, 3);
    if (r < 2) {
      w.code(col, `STRING ${this.alnum()} DELIMITED BY SPACE`);
      w.code(col + 7, `'-' DELIMITED BY SIZE`);
      w.code(col + 7, `${this.alnum()} DELIMITED BY SIZE`);
      w.code(col + 7, `INTO ${this.alnum()}`);
      w.code(col, 'END-STRING');
    } else if (r === 2) {
      w.code(col, `INSPECT ${this.alnum()} REPLACING ALL LOW-VALUES BY SPACES`);
    } else {
      w.code(col, `INITIALIZE ${this.alnum()}`);
    }
  }

  private goToExit(col: number): void {
    const p = this.current!;
    if (p.role === 'main') {
      this.move(col);
      return;
    }
    this.w.code(col, `MOVE '${p.name}' TO WS-ERROR-PARA`);
    this.w.code(col, `GO TO ${this.exitName(p)}`);
  }

  private writeRecord(col: number, f: FileSpec): void {
    const { w } = this;
    w.code(
      col,
      `WRITE ${f.record}${this.alnums.length > 0 && this.rng.chance(0.5) ? ` FROM ${this.alnum()}` : ''}`,
    );
    w.code(col, `IF NOT ${f.fs}-OK`);
    w.code(col + 4, `DISPLAY ${this.message('SB37', `WRITE ERROR ${f.dd} STATUS `)} ${f.fs}`);
    w.code(col + 4, this.performText(this.abend));
    w.code(col, 'END-IF');
    const counter = this.nums.find((n) => n.endsWith(`-${f.dd}`));
    if (counter) w.code(col, `ADD 1 TO ${counter}`);
  }
}

function generateProgram(
  seed: string,
  index: number,
  ctx: ProgramContext,
  shape = programShape(seed, index),
): string {
  const rng = rngFor(seed, 'program', index);
  const target = rng.logInt(210, 1980, 1.3);
  return new ProgramGen(rng, shape, index, ctx).generate(target);
}

// ---------------------------------------------------------------------------------------------------
// JCL.

/** Formats one JCL statement, continued after a comma when the operands pass column 71. */
function jclStatement(out: string[], name: string, op: string, params: readonly string[]): void {
  let line = `//${name.padEnd(8)} ${op} `;
  if (line.length < 16) line = line.padEnd(16);
  let first = true;
  params.forEach((p, i) => {
    const piece = p + (i < params.length - 1 ? ',' : '');
    if (!first && line.length + piece.length > 71) {
      out.push(line);
      line = `//${' '.repeat(13)}`;
    }
    line += piece;
    first = false;
  });
  out.push(line.trimEnd());
}

interface ProcShape {
  name: string;
  symbols: [string, string][];
  steps: string[];
}

const DSN_MIDDLE = [
  'CUST',
  'ACCT',
  'LOAN',
  'CARD',
  'PAYROLL',
  'GL',
  'BILLING',
  'STMT',
  'CLAIMS',
  'FX',
  'HR',
  'TXN',
];
const DSN_LAST = [
  'MASTER',
  'DAILY',
  'EXTRACT',
  'HISTORY',
  'TRANS',
  'REPORT',
  'BACKUP',
  'SORTED',
  'ERRORS',
  'KSDS',
];

function dsnFor(rng: Rng, hlq: string, dd: string): string {
  const parts = [hlq, rng.pick(DSN_MIDDLE), dd.replace(/[^A-Z0-9]/g, '').slice(0, 8) || 'DATA'];
  if (rng.chance(0.5)) parts.push(rng.pick(DSN_LAST));
  return parts.join('.');
}

function procShape(seed: string, index: number, programCount: number): ProcShape {
  const rng = rngFor(seed, 'proc-shape', index);
  const symbols: [string, string][] = [['MBR', memberName('program', rng.int(0, programCount - 1))]];
  symbols.push(['HLQ', rng.pick(['PROD', 'PROD', 'PRODB'])]);
  if (rng.chance(0.6)) symbols.push(['ENV', rng.pick(['P', 'Q', 'PRD'])]);
  if (rng.chance(0.5)) symbols.push(['OUTC', rng.pick(['X', 'A', 'T'])]);
  if (rng.chance(0.4)) symbols.push(['RGN', rng.pick(['0M', '64M', '128M'])]);
  const steps: string[] = [];
  const names = ['STEP1', 'RUN', 'BACKUP', 'REPORT'];
  for (let i = rng.int(1, 4); i > 0; i--) {
    const n = names[steps.length]!;
    steps.push(n);
  }
  return { name: memberName('proc', index), symbols, steps };
}

function generateProc(
  seed: string,
  index: number,
  programCount: number,
  shape: (i: number) => ProgramShape,
): string {
  const rng = rngFor(seed, 'proc', index);
  const ps = procShape(seed, index, programCount);
  const sym = new Map(ps.symbols);
  const out: string[] = [];
  jclStatement(
    out,
    ps.name,
    'PROC',
    ps.symbols.map(([k, v]) => `${k}=${v}`),
  );
  out.push('//*-------------------------------------------------------------------');
  out.push(`//* ${ps.name} - ${rng.pick(VERBS)} ${ENTITY_TITLES[rng.pick(ENTITIES)]} CATALOGED PROCEDURE`);
  out.push(`//* SYMBOLICS: ${ps.symbols.map(([k]) => k).join(', ')}`);
  out.push('//*-------------------------------------------------------------------');
  const hlq = '&HLQ.';
  ps.steps.forEach((step, i) => {
    const pgm = i === 0 ? '&MBR' : memberName('program', rng.int(0, programCount - 1));
    const params = [`PGM=${pgm}`];
    if (sym.has('RGN')) params.push('REGION=&RGN');
    if (sym.has('ENV') && i === 0) params.push('PARM=&ENV');
    if (i > 0) params.push('COND=(4,LT)');
    jclStatement(out, step, 'EXEC', params);
    jclStatement(out, 'STEPLIB', 'DD', [`DSN=${hlq}.LOADLIB`, 'DISP=SHR']);
    if (rng.chance(0.3)) jclStatement(out, '', 'DD', ['DSN=SYS1.CEE.SCEERUN', 'DISP=SHR']);
    if (i > 0) {
      for (const f of shape(Number(pgm.slice(3)) - 1).files) {
        jclStatement(out, f.dd, 'DD', [`DSN=${dsnFor(rng, hlq, f.dd)}`, 'DISP=SHR']);
      }
    } else {
      jclStatement(out, 'INFILE', 'DD', [
        `DSN=${hlq}.${sym.has('ENV') ? '&ENV..' : ''}${rng.pick(DSN_MIDDLE)}.INPUT`,
        'DISP=SHR',
      ]);
    }
    const outc = sym.has('OUTC') ? '&OUTC' : '*';
    jclStatement(out, 'SYSOUT', 'DD', [`SYSOUT=${outc}`]);
    jclStatement(out, 'SYSPRINT', 'DD', [`SYSOUT=${outc}`]);
    if (rng.chance(0.5)) jclStatement(out, 'SYSUDUMP', 'DD', ['SYSOUT=*']);
    jclStatement(out, 'SYSIN', 'DD', ['DUMMY']);
  });
  return `${out.join('\n')}\n`;
}

function controlCards(rng: Rng, program: string): string[] {
  const cards: string[] = [];
  switch (rng.int(0, 2)) {
    case 0:
      cards.push(
        `RUNDATE=${rng.int(2019, 2025)}${String(rng.int(1, 12)).padStart(2, '0')}${String(rng.int(1, 28)).padStart(2, '0')}`,
      );
      cards.push(`ENV=PROD  MODE=${rng.pick(['FULL', 'DELTA', 'RESTART'])}`);
      break;
    case 1:
      cards.push(`  SORT FIELDS=(1,${rng.int(5, 20)},CH,A,${rng.int(21, 40)},8,PD,D)`);
      cards.push(`  INCLUDE COND=(${rng.int(1, 60)},2,CH,EQ,C'${rng.pick(['01', 'AC', 'CL'])}')`);
      break;
    default: {
      const card = `${program} ${rng.pick(ENTITIES)}-PARMS CHECKPOINT=${rng.int(1000, 50000)} TRACE=N`;
      cards.push(card.padEnd(72) + String(rng.int(1, 99999999)).padStart(8, '0'));
    }
  }
  return cards;
}

function generateJob(
  seed: string,
  index: number,
  plan: TreePlan,
  shape: (i: number) => ProgramShape,
  proc: (i: number) => ProcShape,
): string {
  const rng = rngFor(seed, 'jcl', index);
  const name = memberName('jcl', index);
  const out: string[] = [];
  const entity = rng.pick(ENTITIES);
  const jobParams = [
    `(${rng.pick(['ACCT', 'FIN', 'OPS', 'BAT'])}${rng.int(10, 99)},'D${rng.int(100, 999)}')`,
    `'${entity} ${rng.pick(['DAILY', 'WEEKLY', 'MONTH END', 'INTRADAY'])}'`,
    `CLASS=${rng.pick(['A', 'B', 'P'])}`,
    `MSGCLASS=${rng.pick(['X', 'H', 'A'])}`,
    'MSGLEVEL=(1,1)',
  ];
  if (rng.chance(0.5)) jobParams.push('NOTIFY=&SYSUID');
  jobParams.push(`REGION=${rng.pick(['0M', '64M', '256M'])}`);
  if (rng.chance(0.3)) jobParams.push('TIME=1440');
  jclStatement(out, name, 'JOB', jobParams);
  out.push('//*********************************************************************');
  out.push(`//* JOB ${name}: ${ENTITY_TITLES[entity]} ${rng.pick(VERBS)} RUN`);
  out.push(
    `//* SCHEDULED BY ${rng.pick(['CA7', 'TWS', 'CONTROL-M'])} - ON FAILURE CALL ${rng.pick(['BATCH SUPPORT', 'ON-CALL'])}`,
  );
  out.push('//*********************************************************************');
  if (rng.chance(0.4)) jclStatement(out, 'JOBLIB', 'DD', ['DSN=PROD.LOADLIB', 'DISP=SHR']);
  const steps = rng.int(1, 8);
  let openIf = false;
  for (let s = 0; s < steps; s++) {
    const stepName = `STEP${String((s + 1) * 10).padStart(3, '0')}`;
    if (openIf && rng.chance(0.5)) {
      out.push('//         ENDIF');
      openIf = false;
    }
    if (!openIf && s > 0 && rng.chance(0.3)) {
      out.push(
        rng.chance(0.5)
          ? '// IF RC = 0 THEN'
          : `//CHK${String((s + 1) * 10).padStart(3, '0')}   IF (STEP${String(s * 10).padStart(3, '0')}.RC <= 4) THEN`,
      );
      openIf = true;
    }
    if (rng.chance(0.3))
      out.push(`//* STEP ${stepName}: ${rng.pick(VERBS)} ${ENTITY_TITLES[rng.pick(ENTITIES)]}`);
    if (plan.procs > 0 && rng.chance(0.3)) {
      const pi = rng.int(0, plan.procs - 1);
      const ps = proc(pi);
      const pgmIndex = rng.int(0, plan.programs - 1);
      const params = [ps.name, `MBR=${memberName('program', pgmIndex)}`];
      for (const [k, v] of ps.symbols.slice(1))
        if (rng.chance(0.4)) params.push(`${k}=${k === 'HLQ' ? 'PROD' : v}`);
      jclStatement(out, stepName, 'EXEC', params);
      const first = ps.steps[0]!;
      // DDs of the program the first proc step runs, added to that step.
      for (const f of shape(pgmIndex).files) {
        jclStatement(out, `${first}.${f.dd}`, 'DD', [`DSN=${dsnFor(rng, 'PROD', f.dd)}`, 'DISP=SHR']);
      }
      if (rng.chance(0.5)) {
        out.push(`//${first}.SYSIN DD *`);
        out.push(...controlCards(rng, memberName('program', pgmIndex)));
        out.push('/*');
      }
      if (ps.steps.length > 1 && rng.chance(0.3)) {
        jclStatement(out, `${ps.steps[1]}.SYSOUT`, 'DD', ['SYSOUT=*']);
      }
      continue;
    }
    const pgmIndex = rng.int(0, plan.programs - 1);
    const pgm = memberName('program', pgmIndex);
    const params = [`PGM=${pgm}`];
    if (s > 0 && rng.chance(0.4)) params.push('COND=(4,LT)');
    if (rng.chance(0.3)) params.push(`PARM='${rng.pick(['UPDATE', 'REPORT', 'RESTART'])},${rng.int(1, 9)}'`);
    if (rng.chance(0.3)) params.push(`REGION=${rng.pick(['0M', '32M'])}`);
    jclStatement(out, stepName, 'EXEC', params);
    if (rng.chance(0.3)) jclStatement(out, 'STEPLIB', 'DD', ['DSN=PROD.LOADLIB', 'DISP=SHR']);
    for (const f of shape(pgmIndex).files) {
      const dsn = dsnFor(rng, 'PROD', f.dd);
      if (f.mode === 'OUTPUT') {
        if (rng.chance(0.3)) {
          jclStatement(out, f.dd, 'DD', [
            `DSN=${dsn}(+1)`,
            'DISP=(NEW,CATLG,DELETE)',
            'UNIT=SYSDA',
            `SPACE=(CYL,(${rng.int(1, 50)},${rng.int(1, 20)}),RLSE)`,
            `DCB=(RECFM=FB,LRECL=${f.lrecl},BLKSIZE=0)`,
          ]);
        } else if (rng.chance(0.2)) {
          jclStatement(out, f.dd, 'DD', [
            `DSN=&&${f.dd}`,
            'DISP=(NEW,PASS)',
            'UNIT=SYSDA',
            `SPACE=(TRK,(${rng.int(10, 500)},${rng.int(10, 100)}))`,
          ]);
        } else {
          jclStatement(out, f.dd, 'DD', [
            `DSN=${dsn}`,
            'DISP=(NEW,CATLG,DELETE)',
            'UNIT=SYSDA',
            `SPACE=(CYL,(${rng.int(1, 50)},${rng.int(1, 20)}),RLSE)`,
            `DCB=(RECFM=FB,LRECL=${f.lrecl},BLKSIZE=0)`,
          ]);
        }
      } else if (f.mode === 'EXTEND') {
        jclStatement(out, f.dd, 'DD', [`DSN=${dsn}`, 'DISP=MOD']);
      } else if (f.mode === 'I-O') {
        jclStatement(out, f.dd, 'DD', [`DSN=${dsn}`, 'DISP=OLD']);
      } else {
        jclStatement(out, f.dd, 'DD', [`DSN=${dsn}`, 'DISP=SHR']);
        if (!f.indexed && rng.chance(0.2)) jclStatement(out, '', 'DD', [`DSN=${dsn}.PREV`, 'DISP=SHR']);
      }
    }
    jclStatement(out, 'SYSOUT', 'DD', ['SYSOUT=*']);
    if (rng.chance(0.5)) jclStatement(out, 'SYSPRINT', 'DD', ['SYSOUT=*']);
    if (rng.chance(0.5)) jclStatement(out, 'CEEDUMP', 'DD', ['SYSOUT=*']);
    if (rng.chance(0.3)) jclStatement(out, 'SYSUDUMP', 'DD', ['DUMMY']);
    if (rng.chance(0.4)) {
      out.push('//SYSIN    DD *');
      out.push(...controlCards(rng, pgm));
      out.push('/*');
    }
  }
  if (openIf) out.push('//         ENDIF');
  if (rng.chance(0.3)) out.push('//');
  return `${out.join('\n')}\n`;
}

// ---------------------------------------------------------------------------------------------------
// Writing.

/**
 * Writes files one at a time, synchronously: for many small files this is about twice as fast as
 * promise-based writes through the thread pool, and nothing but the current file is held in memory.
 */
class Writer {
  private readonly dirs = new Set<string>();
  bytes = 0;
  files = 0;

  constructor(private readonly root: string) {}

  write(rel: string, text: string): void {
    const full = path.join(this.root, rel);
    const dir = path.dirname(full);
    if (!this.dirs.has(dir)) {
      mkdirSync(dir, { recursive: true });
      this.dirs.add(dir);
    }
    this.bytes += Buffer.byteLength(text);
    this.files++;
    writeFileSync(full, text);
  }
}

/** Copybook models with a small cache: programs pick copybooks at random, so hits are a bonus. */
function copybookCache(seed: string): (i: number) => CopybookModel {
  const cache = new Map<number, CopybookModel>();
  return (i) => {
    let m = cache.get(i);
    if (!m) {
      m = generateCopybook(seed, i);
      if (cache.size >= 512) cache.delete(cache.keys().next().value as number);
      cache.set(i, m);
    }
    return m;
  };
}

interface PartJob {
  dir: string;
  seed: string;
  files: number;
  part: number;
  parts: number;
}

/** Writes the files whose index is `part` modulo `parts` (every kind); the split does not change any file. */
function generatePart(job: PartJob): { files: number; bytes: number } {
  const { seed, part, parts } = job;
  const plan = planTree(job.files);
  const out = new Writer(job.dir);
  const copybook = copybookCache(seed);
  const shape = (i: number): ProgramShape => programShape(seed, i);
  const proc = (i: number): ProcShape => procShape(seed, i, plan.programs);
  const ctx: ProgramContext = { programCount: plan.programs, copybookCount: plan.copybooks, copybook };
  for (let i = part; i < plan.copybooks; i += parts) out.write(memberPath('copybook', i), copybook(i).text);
  for (let i = part; i < plan.procs; i += parts)
    out.write(memberPath('proc', i), generateProc(seed, i, plan.programs, shape));
  for (let i = part; i < plan.programs; i += parts)
    out.write(memberPath('program', i), generateProgram(seed, i, ctx));
  for (let i = part; i < plan.jcl; i += parts)
    out.write(memberPath('jcl', i), generateJob(seed, i, plan, shape, proc));
  return { files: out.files, bytes: out.bytes };
}

/** Runs one part in a child process (same module, same loader flags: `tsx` when run through it). */
function runPart(job: PartJob): Promise<{ files: number; bytes: number }> {
  return new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(import.meta.url), ['--part', JSON.stringify(job)], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    let result: { files: number; bytes: number } | undefined;
    child.on('message', (m) => {
      result = m as { files: number; bytes: number };
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code === 0 && result) resolve(result);
      else reject(new Error(`generator part ${job.part} exited with code ${code}`));
    });
  });
}

/**
 * Writes a tree of `files` files into `dir` (created; it must be empty or absent). Large trees are
 * generated by `workers` processes (default: 2 from 5,000 files when two cores are available, else 1);
 * the output does not depend on it.
 */
export async function generateTree(
  options: GenerateTreeOptions & { workers?: number },
): Promise<GenerateTreeSummary> {
  const seed = seedText(options.seed);
  const plan = planTree(options.files);
  const existing = await readdir(options.dir).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return [] as string[];
    throw e;
  });
  if (existing.length > 0) throw new Error(`${options.dir} is not empty`);
  await mkdir(options.dir, { recursive: true });
  const parts = Math.max(
    1,
    options.workers ?? (options.files >= 5000 ? Math.min(2, availableParallelism()) : 1),
  );
  const job = { dir: options.dir, seed, files: options.files, parts };
  const children: Promise<{ files: number; bytes: number }>[] = [];
  for (let part = 1; part < parts; part++) children.push(runPart({ ...job, part }));
  // Let the children start before this process blocks on its own share.
  if (children.length > 0) await new Promise((r) => setTimeout(r, 0));
  const results = [generatePart({ ...job, part: 0 }), ...(await Promise.all(children))];
  return {
    files: results.reduce((n, r) => n + r.files, 0),
    bytes: results.reduce((n, r) => n + r.bytes, 0),
    ...plan,
  };
}

// ---------------------------------------------------------------------------------------------------
// Mutation.

async function listTree(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (rel: string): Promise<void> => {
    const entries = await readdir(path.join(dir, rel), { withFileTypes: true });
    for (const e of entries) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) await walk(r);
      else if (e.isFile()) out.push(r);
    }
  };
  await walk('');
  return out.sort();
}

const kindOf = (rel: string): Kind | undefined => {
  if (rel.endsWith('.cbl')) return 'program';
  if (rel.endsWith('.cpy')) return 'copybook';
  if (rel.endsWith('.jcl')) return 'jcl';
  if (rel.endsWith('.prc')) return 'proc';
  return undefined;
};

const SIMPLE_STATEMENT = /^\s{4,}(MOVE|ADD|DISPLAY|SUBTRACT|INITIALIZE|INSPECT|SET|MULTIPLY) /;

/** Sequence number for a line inserted after `prev` (ISPF-style: between the neighbours). */
function insertedSeq(prev: string | undefined, k: number): string {
  const m = prev === undefined ? undefined : /^(\d{6})/.exec(prev);
  if (!m) return '      ';
  return String(Math.min(999999, Number(m[1]) + k)).padStart(6, '0');
}

function cobolLine(prev: string | undefined, k: number, col: number, text: string): string {
  return `${insertedSeq(prev, k)} ${' '.repeat(col - 8)}${text}`;
}

function mutateProgram(rng: Rng, text: string): string {
  const lines = text.replace(/\n$/, '').split('\n');
  const procIdx = lines.findIndex((l) => l.slice(7, 72).trim().startsWith('PROCEDURE DIVISION'));
  const simple: number[] = [];
  for (let i = procIdx + 1; i < lines.length; i++) {
    const area = lines[i]!.slice(7, 72);
    const nextIndicator = lines[i + 1]?.charAt(6);
    if (
      lines[i]!.charAt(6) === ' ' &&
      SIMPLE_STATEMENT.test(area) &&
      nextIndicator !== '-' &&
      !area.includes("'") &&
      area.length < 60
    ) {
      simple.push(i);
    }
  }
  const choice = rng.int(0, 3);
  if (choice === 0 && simple.length > 0) {
    // Insert a few statements after a simple one, same indentation.
    const at = rng.pick(simple);
    const line = lines[at]!;
    const indent = line.slice(7).search(/\S/) + 8;
    const counters = [...text.matchAll(/ (WS-CNT-[A-Z0-9-]+) /g)].map((m) => m[1]!);
    const counter = counters.length > 0 ? rng.pick(counters) : 'WS-SUB';
    const added = [
      `ADD 1 TO ${counter}`,
      `DISPLAY 'TRACE ${rng.pick(VERBS)} ' ${counter}`,
      `MOVE ZERO TO ${counter}`,
      `MOVE 'Y' TO WS-ERROR-CODE`,
    ].slice(0, rng.int(1, 3));
    lines.splice(at + 1, 0, ...added.map((t, k) => cobolLine(line, k + 1, indent, t)));
  } else if (choice === 1 && simple.length > 1) {
    // Delete a simple statement that follows another at the same indentation (the block keeps one).
    const candidates = simple.filter(
      (i) =>
        simple.includes(i - 1) && lines[i]!.slice(7).search(/\S/) === lines[i - 1]!.slice(7).search(/\S/),
    );
    if (candidates.length > 0) lines.splice(rng.pick(candidates), 1);
    else lines.splice(rng.pick(simple) + 1, 0, cobolLine(lines[simple[0]!], 1, 12, 'CONTINUE'));
  } else if (choice === 2) {
    // Rename a WORKING-STORAGE item declared here (WS- → WK-, same length, so columns stay put).
    const declared = [...text.matchAll(/^.{7}\s+\d\d\s+(WS-[A-Z0-9-]+)[ .]/gm)].map((m) => m[1]!);
    const candidates = declared.filter(
      (n) => n !== 'WS-PROGRAM-NAME' && !text.includes(n.replace(/^WS-/, 'WK-')),
    );
    if (candidates.length > 0) {
      const from = rng.pick(candidates);
      const to = from.replace(/^WS-/, 'WK-');
      const re = new RegExp(`(?<![A-Z0-9-])${from.replaceAll('-', '\\-')}(?![A-Z0-9-])`, 'g');
      for (let i = 0; i < lines.length; i++) {
        const l = lines[i]!;
        if (l.charAt(6) !== '*' && l.includes(from)) lines[i] = l.slice(0, 7) + l.slice(7).replace(re, to);
      }
    } else if (simple.length > 0) {
      lines.splice(rng.pick(simple) + 1, 0, cobolLine(lines[simple[0]!], 1, 12, 'CONTINUE'));
    }
  } else {
    // Add a paragraph at the end and perform it from a simple statement's place.
    const num = rng.int(8500, 8999);
    const name = `${num}-${rng.pick(VERBS)}-AUDIT`;
    const last = lines[lines.length - 1];
    const counters = [...text.matchAll(/ (WS-CNT-[A-Z0-9-]+) /g)].map((m) => m[1]!);
    const counter = counters.length > 0 ? rng.pick(counters) : 'WS-SUB';
    const seqBase = /^\d{6}/.test(last ?? '') ? Number(last!.slice(0, 6)) : undefined;
    const seq = (k: number): string =>
      seqBase === undefined ? '      ' : String(Math.min(999999, seqBase + k * 100)).padStart(6, '0');
    lines.push(
      `${seq(1)}*----------------------------------------------------------------`,
      `${seq(2)}* ${name} - ADDED BY ${rng.pick(TICKETS)}${rng.int(100000, 999999)}`,
      `${seq(3)} ${name}.`,
      `${seq(4)}     IF ${counter} > ZERO`,
      `${seq(5)}         DISPLAY '${name.slice(0, 22)} ' ${counter}`,
      `${seq(6)}     END-IF`,
      `${seq(7)}     .`,
    );
    if (simple.length > 0) {
      const at = rng.pick(simple);
      const indent = lines[at]!.slice(7).search(/\S/) + 8;
      lines.splice(at + 1, 0, cobolLine(lines[at], 1, indent, `PERFORM ${name}`));
    }
  }
  return `${lines.join('\n')}\n`;
}

function mutateCopybook(rng: Rng, text: string): string {
  const lines = text.replace(/\n$/, '').split('\n');
  const entry = (l: string | undefined): RegExpExecArray | null =>
    l === undefined || l.charAt(6) === '*'
      ? null
      : /^(\s*)(\d\d)\s+([A-Z0-9:-]+)\s+(.*)$/.exec(l.slice(7, 72));
  const candidates: number[] = [];
  for (let i = 0; i < lines.length; i++) {
    const m = entry(lines[i]);
    if (
      !m ||
      m[2] === '88' ||
      !/\bPIC\b/.test(m[4]!) ||
      !m[4]!.endsWith('.') ||
      /REDEFINES|OCCURS/.test(m[4]!)
    )
      continue;
    if (m[3] === 'FILLER') continue;
    let j = i + 1;
    while (j < lines.length && lines[j]!.charAt(6) === '*') j++;
    const next = entry(lines[j]);
    if (next && (next[2] === '88' || /REDEFINES/.test(next[4]!) || Number(next[2]) > Number(m[2]))) continue;
    if (!next && j < lines.length) continue;
    candidates.push(i);
  }
  if (candidates.length === 0) {
    lines.push(
      `${insertedSeq(lines[lines.length - 1], 1)}* REVIEWED ${rng.pick(TICKETS)}${rng.int(100000, 999999)}`,
    );
    return `${lines.join('\n')}\n`;
  }
  const at = rng.pick(candidates);
  const m = entry(lines[at])!;
  const prefix = m[3]!.includes('-') ? m[3]!.slice(0, m[3]!.indexOf('-')) : m[3]!;
  let name = '';
  for (let k = 0; ; k++) {
    const [attr] = rng.pick(ATTRS);
    name = `${prefix}-${rng.pick(['NEW', 'EXT', 'ADDL', 'ALT'])}-${attr}${k > 3 ? `-${k}` : ''}`.slice(0, 30);
    if (!text.includes(name)) break;
  }
  const pic = rng.pick(['PIC X(10)', 'PIC S9(7)V99 COMP-3', 'PIC 9(8)', 'PIC X']);
  const head = `${m[2]}  ${name}`;
  const indent = m[1]!;
  const aligned = head.length + indent.length < 31 ? head.padEnd(32 - indent.length) : `${head} `;
  let line = `${insertedSeq(lines[at], 1)} ${indent}${aligned}${pic}.`;
  if (line.length > 72) line = `${insertedSeq(lines[at], 1)} ${indent}${head} ${pic}.`.slice(0, 72);
  lines.splice(at + 1, 0, line);
  return `${lines.join('\n')}\n`;
}

function mutateJcl(rng: Rng, text: string, programs: readonly string[]): string {
  const lines = text.replace(/\n$/, '').split('\n');
  const execs: number[] = [];
  lines.forEach((l, i) => {
    if (/^\/\/[A-Z0-9$#@]+\s+EXEC\s+PGM=/.test(l)) execs.push(i);
  });
  const dd = `${rng.pick(ENTITIES)}${rng.pick(DD_SUFFIXES)}`.slice(0, 7) + rng.int(0, 9);
  const ddLine = `//${dd.padEnd(8)} DD DSN=${dsnFor(rng, 'PROD', dd)},DISP=SHR`;
  if (execs.length > 0) {
    let at = rng.pick(execs);
    while (lines[at]!.endsWith(',') && at + 1 < lines.length) at++;
    lines.splice(at + 1, 0, ddLine);
  } else {
    // Jobs made only of PROC calls: add a step running a program of the tree.
    const pgm = programs.length > 0 ? rng.pick(programs) : 'PGM00001';
    let end = lines.length;
    while (end > 0 && (lines[end - 1] === '//' || /^\/\/\s+ENDIF/.test(lines[end - 1]!))) end--;
    lines.splice(end, 0, `//STEP${rng.int(900, 999)}  EXEC PGM=${pgm}`, ddLine, '//SYSOUT   DD SYSOUT=*');
  }
  return `${lines.join('\n')}\n`;
}

export async function mutateTree(options: MutateTreeOptions): Promise<MutateTreeSummary> {
  const seed = `${seedText(options.seed)}|mutate`;
  const rng = new Rng(seed);
  const all = (await listTree(options.dir)).filter((f) => kindOf(f) !== undefined);
  const count = Math.min(all.length, Math.max(0, Math.round(all.length * options.fraction)));
  const picked = rng.indices(all.length, count).map((i) => all[i]!);
  const changed = new Set(picked);
  const programs = all.filter((f) => kindOf(f) === 'program').map((f) => path.basename(f, '.cbl'));
  for (const rel of picked) {
    const full = path.join(options.dir, rel);
    const text = await readFile(full, 'utf8');
    const kind = kindOf(rel)!;
    const fileRng = new Rng(`${seed}|${rel}`);
    const next =
      kind === 'program'
        ? mutateProgram(fileRng, text)
        : kind === 'copybook'
          ? mutateCopybook(fileRng, text)
          : mutateJcl(fileRng, text, programs);
    await writeFile(full, next);
  }

  const extra = count === 0 ? 0 : Math.max(1, Math.round(count * 0.05));
  // Removals: jobs and programs not changed above (nothing COPYs them; a job may lose a program, as in life).
  const removable = all.filter((f) => !changed.has(f) && (kindOf(f) === 'jcl' || kindOf(f) === 'program'));
  const removed = rng.indices(removable.length, extra).map((i) => removable[i]!);
  for (const rel of removed) await rm(path.join(options.dir, rel));

  // Additions: new programs, copybooks and jobs after the highest member number of their kind.
  const added: string[] = [];
  const nextIndex = (kind: Kind): number => {
    let max = -1;
    for (const f of all) {
      if (kindOf(f) !== kind) continue;
      const n = Number(path.basename(f).slice(3, 8));
      if (Number.isFinite(n)) max = Math.max(max, n - 1);
    }
    return max + 1 + added.filter((f) => kindOf(f) === kind).length;
  };
  const copybookFiles = all.filter((f) => kindOf(f) === 'copybook');
  const out = new Writer(options.dir);
  for (let k = 0; k < extra; k++) {
    const r = rng.int(0, 9);
    if (r < 5 && programs.length > 0 && copybookFiles.length > 0) {
      // A new program COPYs up to five existing copybooks, read back from the tree.
      const index = nextIndex('program');
      const picks = new Rng(`${seed}|added-program|${index}`);
      const wanted = picks.indices(copybookFiles.length, Math.min(copybookFiles.length, 5));
      const models: CopybookModel[] = [];
      for (const i of wanted) {
        const rel = copybookFiles[i]!;
        const text = await readFile(path.join(options.dir, rel), 'utf8');
        models.push(copybookModelFromText(path.basename(rel, '.cpy'), text));
      }
      const ctx: ProgramContext = {
        programCount: programs.length,
        copybookCount: models.length,
        copybook: (i) => models[i]!,
      };
      const rel = memberPath('program', index);
      const shape = programShape(seed, index);
      out.write(rel, generateProgram(seed, index, ctx, shape));
      added.push(rel);
    } else if (r < 8) {
      const index = nextIndex('copybook');
      const rel = memberPath('copybook', index);
      out.write(rel, generateCopybook(seed, index).text);
      added.push(rel);
    } else {
      const index = nextIndex('jcl');
      const rel = memberPath('jcl', index);
      const remaining = all.filter((f) => kindOf(f) === 'program' && !removed.includes(f));
      const jobRng = new Rng(`${seed}|added-job|${index}`);
      const pgms = jobRng
        .indices(remaining.length, Math.min(remaining.length, jobRng.int(1, 4)))
        .map((i) => remaining[i]!);
      const jobLines: string[] = [];
      jclStatement(jobLines, memberName('jcl', index), 'JOB', [
        "(OPS01,'D100')",
        "'NEW JOB'",
        'CLASS=A',
        'MSGCLASS=X',
      ]);
      let s = 0;
      for (const p of pgms) {
        const ptext = await readFile(path.join(options.dir, p), 'utf8');
        const pshape = programShapeFromText(path.basename(p, '.cbl'), ptext);
        jclStatement(jobLines, `STEP${String(++s * 10).padStart(3, '0')}`, 'EXEC', [`PGM=${pshape.name}`]);
        for (const f of pshape.files)
          jclStatement(jobLines, f.dd, 'DD', [`DSN=${dsnFor(jobRng, 'PROD', f.dd)}`, 'DISP=SHR']);
        jclStatement(jobLines, 'SYSOUT', 'DD', ['SYSOUT=*']);
      }
      out.write(rel, `${jobLines.join('\n')}\n`);
      added.push(rel);
    }
  }
  return { changed: [...changed].sort(), added: added.sort(), removed: removed.sort() };
}

// ---------------------------------------------------------------------------------------------------
// CLI.

function argValue(args: readonly string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

async function main(args: readonly string[]): Promise<void> {
  const part = argValue(args, '--part');
  if (part !== undefined) {
    process.send?.(generatePart(JSON.parse(part) as PartJob));
    return;
  }
  const dir = argValue(args, '--dir');
  const seed = argValue(args, '--seed');
  const mutate = argValue(args, '--mutate');
  if (!dir)
    throw new Error('usage: generate-tree --dir D --files N [--seed S] | --mutate F --dir D [--seed S]');
  const started = performance.now();
  if (mutate !== undefined) {
    const r = await mutateTree({ dir, fraction: Number(mutate), ...(seed === undefined ? {} : { seed }) });
    console.log(
      JSON.stringify({
        changed: r.changed.length,
        added: r.added,
        removed: r.removed,
        ms: Math.round(performance.now() - started),
      }),
    );
    return;
  }
  const files = Number(argValue(args, '--files'));
  const summary = await generateTree({ dir, files, ...(seed === undefined ? {} : { seed }) });
  console.log(JSON.stringify({ ...summary, ms: Math.round(performance.now() - started) }));
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).catch((e: unknown) => {
    console.error(e instanceof Error ? e.message : e);
    process.exitCode = 1;
  });
}
