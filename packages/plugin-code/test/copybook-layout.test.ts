import { describe, expect, it } from 'vitest';
import { formatCobrixLayout } from '../src/copybook/cobrix-layout.js';
import type { Copybook, CopybookField } from '../src/copybook/model.js';
import { parseCopybook } from '../src/copybook/parse-copybook.js';
import { extractRecordLayouts } from '../src/copybook/program.js';
import { CodeAnalysisError } from '../src/errors.js';
import { sample } from './support/samples.js';

const text = (relPath: string): string => sample(relPath).toString('utf8');
/** A fixed-format copybook from code lines (code starts in column 8). */
const fixed = (...lines: string[]): string => lines.map((line) => `       ${line}`).join('\n');
const field = (copybook: Copybook, key: string): CopybookField => {
  const found = copybook.fields.find((f) => f.key === key);
  if (!found) throw new Error(`no field ${key}`);
  return found;
};

interface LayoutRow {
  readonly name: string;
  readonly start: number;
  readonly end: number;
  readonly length: number;
}

/** The field rows of a Cobrix `*_layout.txt` (the record line of an old listing has no level). */
function layoutRows(listing: string): LayoutRow[] {
  return listing
    .split('\n')
    .slice(2)
    .map((line) => {
      const match = /^\s*(?:\d+ )?(\S+)\s.*?(\d+)\s+(\d+)\s+(\d+)$/.exec(line);
      if (!match) throw new Error(`unreadable layout line: ${line}`);
      const [, name = '', start, end, length] = match;
      return { name, start: Number(start), end: Number(end), length: Number(length) };
    });
}

const LAYOUT_ORACLES = [
  {
    copybook: 'cobrix/data/test6_copybook.cob',
    layout: 'cobrix/data/test6_expected/test6_layout.txt',
    legacy: false,
  },
  {
    copybook: 'cobrix/data/test7_fillers.cob',
    layout: 'cobrix/data/test7_expected/test7c_layout.txt',
    legacy: false,
  },
  {
    copybook: 'cobrix/data/test17_hierarchical.cob',
    layout: 'cobrix/data/test17_expected/test17a_layout.txt',
    legacy: false,
  },
  // An older Cobrix listing: the record line has no level nor number, FILLERs are not renamed.
  {
    copybook: 'cobrix/data/test19_display_num.cob',
    layout: 'cobrix/data/test19_display_num_expected/test19_layout.txt',
    legacy: true,
  },
];

describe('copybook layout against the Cobrix listings', () => {
  for (const oracle of LAYOUT_ORACLES) {
    describe(oracle.copybook, () => {
      const copybook = parseCopybook(text(oracle.copybook), { file: oracle.copybook });
      const rows = layoutRows(text(oracle.layout));

      it('has every field at Cobrix start, end and length', () => {
        const ours = copybook.fields.map((f) => ({
          name: oracle.legacy && f.isFiller ? f.name : f.key,
          start: f.start,
          end: f.end,
          length: f.end - f.start + 1,
        }));
        expect(ours.length).toBe(rows.length);
        rows.forEach((row, i) => {
          expect(ours[i], `field ${i + 1} ${row.name}`).toEqual(row);
        });
        expect(copybook.recordLength).toBe(rows[0]?.length);
      });

      it('prints the same listing', () => {
        expect(formatCobrixLayout(copybook, { legacy: oracle.legacy })).toBe(text(oracle.layout));
      });
    });
  }

  it('reads the types and numeric attributes of test6', () => {
    const copybook = parseCopybook(text('cobrix/data/test6_copybook.cob'));
    const pick = (key: string) => {
      const f = field(copybook, key);
      return [f.dataType, f.digits, f.scale, f.signed, f.dataLength];
    };
    expect(pick('NUM_STR_SDEC10')).toEqual(['numeric-display', 28, 10, true, 28]);
    expect(pick('NUM_BIN_INT13')).toEqual(['binary', 20, 0, false, 9]);
    expect(pick('NUM_BCD_SINT14')).toEqual(['packed', 37, 0, true, 19]);
    expect(pick('COMMON_UPC5DDC')).toEqual(['packed', 5, 8, false, 3]);
    expect(pick('COMMON_UPI5DISP')).toEqual(['numeric-display', 5, -3, true, 5]);
    expect(pick('FLOAT_01')).toEqual(['float', 0, 0, true, 4]);
    expect(pick('DOUBLE_01')).toEqual(['double', 0, 0, true, 8]);
    expect(pick('EX_NUM_DEC02')).toEqual(['edited', 8, 2, true, 9]);
    expect(field(copybook, 'NUM_STR_EDEC03').explicitDecimalPoint).toBe(true);
    // SIGN IS / LEADING SEPARATE: the clause runs over two lines, the second starting with TABs.
    expect(field(copybook, 'NUM_SL_STR_INT01').sign).toEqual({ position: 'leading', separate: true });
    expect(field(copybook, 'NUM_ST_STR_DEC01').sign).toEqual({ position: 'trailing', separate: true });
    expect(field(copybook, 'NUM_SLI_STR_DEC01').sign).toEqual({ position: 'leading', separate: false });
  });

  it('lays out test1 as its Spark schema describes it (names, nesting, arrays, string lengths)', () => {
    const copybook = parseCopybook(text('cobrix/data/test1_copybook.cob'));
    const root = copybook.roots[0] as CopybookField;
    interface SparkField {
      name: string;
      type: string | { type: string; fields?: SparkField[]; elementType?: { fields: SparkField[] } };
      metadata: { maxLength?: number };
    }
    // The stored schema has its ODO array metadata replaced by `[redacted]` (not JSON): read it as empty.
    const schemaText = text('cobrix/data/test1_expected/test1_schema.json').replace(
      /\{\s*\[redacted\](?:,\s*\[redacted\])*\s*\}/g,
      '{}',
    );
    const schema = JSON.parse(schemaText) as { fields: SparkField[] };
    /** The Spark type Cobrix derives: strings, integers up to 9 digits, structs, arrays of structs. */
    const sparkShape = (f: CopybookField): unknown => {
      if (f.dataType === 'group') {
        const struct = { type: 'struct', fields: f.children.map(sparkShape) };
        return { name: f.key, type: f.occurs ? { type: 'array', elementType: struct } : struct };
      }
      if (f.dataType === 'alphanumeric') return { name: f.key, type: 'string', maxLength: f.dataLength };
      return { name: f.key, type: f.scale === 0 && f.digits <= 9 ? 'integer' : 'other' };
    };
    const fromSchema = (s: SparkField): unknown => {
      if (typeof s.type === 'string') {
        return s.type === 'string'
          ? { name: s.name, type: 'string', maxLength: s.metadata.maxLength }
          : { name: s.name, type: s.type };
      }
      if (s.type.type === 'array') {
        return {
          name: s.name,
          type: {
            type: 'array',
            elementType: { type: 'struct', fields: s.type.elementType?.fields.map(fromSchema) },
          },
        };
      }
      return { name: s.name, type: { type: 'struct', fields: s.type.fields?.map(fromSchema) } };
    };
    expect(root.children.map(sparkShape)).toEqual(schema.fields.map(fromSchema));
    const detail = field(copybook, 'ACCOUNT_DETAIL');
    expect(detail.occurs).toEqual({ min: 0, max: 80, dependingOn: 'NUMBER_OF_ACCTS' });
    expect(field(copybook, 'NUMBER_OF_ACCTS').isOdoCounter).toBe(true);
    expect([detail.start, detail.length, detail.end]).toEqual([43, 27, 2202]);
    expect(copybook.recordLength).toBe(2202);
  });

  it('lays out the FD records of CBL0001: ACCT-FIELDS is 170 bytes', () => {
    const layouts = extractRecordLayouts(text('omp-cobol-course/cbl/CBL0001.cobol'));
    expect(layouts.map((l) => [l.name, l.section, l.fd, l.copybook.recordLength])).toEqual([
      ['PRINT-REC', 'FILE', 'PRINT-LINE', 119],
      ['ACCT-FIELDS', 'FILE', 'ACCT-REC', 170],
      ['FLAGS', 'WORKING-STORAGE', undefined, 1],
    ]);
    const acct = (layouts[1] as (typeof layouts)[number]).copybook;
    expect(acct.fields.map((f) => [f.key, f.offset, f.length])).toEqual([
      ['ACCT_FIELDS', 0, 170],
      ['ACCT_NO', 0, 8],
      ['ACCT_LIMIT', 8, 5],
      ['ACCT_BALANCE', 13, 5],
      ['LAST_NAME', 18, 20],
      ['FIRST_NAME', 38, 15],
      ['CLIENT_ADDR', 53, 60],
      ['STREET_ADDR', 53, 25],
      ['CITY_COUNTY', 78, 20],
      ['USA_STATE', 98, 15],
      ['RESERVED', 113, 7],
      ['COMMENTS', 120, 50],
    ]);
    const limitOut = field((layouts[0] as (typeof layouts)[number]).copybook, 'ACCT_LIMIT_O');
    expect([limitOut.dataType, limitOut.dataLength, limitOut.digits, limitOut.scale]).toEqual([
      'edited',
      13,
      9,
      2,
    ]);
    expect(field((layouts[2] as (typeof layouts)[number]).copybook, 'LASTREC').value).toBe('SPACE');
  });
});

describe('copybook source format', () => {
  it('drops sequence numbers, comment/debug lines and columns 73+, expands TABs, joins continuations', () => {
    const openLiteralLine = "000700     05  GREETING   PIC X(30) VALUE 'HELLO";
    const source = [
      '000100 01  REC.                                                         IGNORED1',
      '000200*    05  COMMENTED  PIC X(99).',
      '000300/    05  EJECTED    PIC X(99).',
      '000400D    05  DEBUGGED   PIC X(99).',
      '000500     05  LONG-NA',
      '000600-        ME         PIC X(3).                                     IGNORED2',
      openLiteralLine,
      "000800-    'WORLD'.",
      '\t 05  TABBED\tPIC\t9(2)\tCOMP.',
    ].join('\n');
    const copybook = parseCopybook(source);
    expect(copybook.fields.map((f) => [f.key, f.offset, f.dataLength])).toEqual([
      ['REC', 0, 35],
      ['LONG_NAME', 0, 3],
      ['GREETING', 3, 30],
      ['TABBED', 33, 2],
    ]);
    // The literal open on line 7 runs to column 72, then resumes after the quote of the continuation line.
    const literalStart = openLiteralLine.indexOf("'") + 1;
    expect(field(copybook, 'GREETING').value).toBe(
      `${openLiteralLine.slice(literalStart).padEnd(72 - literalStart)}WORLD`,
    );
  });

  it('reads free format with floating comments', () => {
    const copybook = parseCopybook(
      '01 REC. *> the record\n  05 A PIC X(4).\n*> a comment line\n  05 B PIC S9(3)V99 COMP-3.',
      { format: 'free' },
    );
    expect(copybook.fields.map((f) => [f.key, f.offset, f.dataLength])).toEqual([
      ['REC', 0, 7],
      ['A', 0, 4],
      ['B', 4, 3],
    ]);
  });
});

describe('copybook clauses', () => {
  it('sizes every USAGE and inherits a group USAGE', () => {
    const copybook = parseCopybook(
      fixed(
        '01  R.',
        '    05  B1  PIC S9(4)  COMP.',
        '    05  B2  PIC 9(9)   COMPUTATIONAL-5.',
        '    05  B3  PIC S9(18) BINARY.',
        '    05  P1  PIC S9(7)V99 PACKED-DECIMAL.',
        '    05  F1  COMP-1.',
        '    05  F2  USAGE IS COMP-2.',
        '    05  G   COMP-3.',
        '        10  G1  PIC 9(4).',
        '        10  G2  PIC 9(5) DISPLAY.',
      ),
    );
    expect(copybook.fields.slice(1).map((f) => [f.key, f.dataType, f.dataLength])).toEqual([
      ['B1', 'binary', 2],
      ['B2', 'binary', 4],
      ['B3', 'binary', 8],
      ['P1', 'packed', 5],
      ['F1', 'float', 4],
      ['F2', 'double', 8],
      ['G', 'group', 8],
      ['G1', 'packed', 3],
      ['G2', 'numeric-display', 5],
    ]);
  });

  it('reads P scaling, explicit points, edited pictures and SIGN clauses', () => {
    const copybook = parseCopybook(
      fixed(
        '01  R.',
        '    05  A  PIC PPP99.',
        '    05  B  PIC 9(3)PP.',
        '    05  C  PIC 9(4).99.',
        '    05  D  PIC ZZ,ZZ9.99CR.',
        '    05  E  PIC ***,**9.99.',
        '    05  F  PIC +++9.',
        '    05  G  PIC 99/99/99.',
        '    05  H  PIC X(3)BX(2)0.',
        '    05  I  PIC S9(3) SIGN IS TRAILING SEPARATE CHARACTER.',
        '    05  J  PIC A(5).',
      ),
    );
    const view = (key: string) => {
      const f = field(copybook, key);
      return [f.dataType, f.dataLength, f.digits, f.scale, f.sign?.position ?? '-', f.sign?.separate ?? '-'];
    };
    expect(view('A')).toEqual(['numeric-display', 2, 2, 5, '-', '-']);
    expect(view('B')).toEqual(['numeric-display', 3, 3, -2, '-', '-']);
    expect(view('C')).toEqual(['numeric-display', 7, 6, 2, '-', '-']);
    expect(view('D')).toEqual(['edited', 11, 7, 2, 'trailing', true]);
    expect(view('E')).toEqual(['edited', 10, 8, 2, '-', '-']);
    expect(view('F')).toEqual(['edited', 4, 3, 0, 'leading', true]);
    expect(view('G')).toEqual(['edited', 8, 6, 0, '-', '-']);
    expect(view('H')).toEqual(['alphanumeric', 7, 0, 0, '-', '-']);
    expect(view('I')).toEqual(['numeric-display', 4, 3, 0, 'trailing', true]);
    expect(view('J')).toEqual(['alphabetic', 5, 0, 0, '-', '-']);
  });

  it('attaches 88 conditions, keeps 66 RENAMES apart, lays out 77 items, accepts SYNC/JUST/BLANK WHEN ZERO', () => {
    const copybook = parseCopybook(
      fixed(
        '01  R.',
        '    05  STATUS-CODE  PIC X.',
        "        88  ACTIVE   VALUE 'A'.",
        "        88  CLOSED   VALUES ARE 'C', 'X' 'Z'.",
        '    05  SCORE  PIC 9(3) SYNC JUSTIFIED RIGHT',
        '               BLANK WHEN ZERO VALUE 0.',
        '        88  LOW  VALUE 0 THRU 49.',
        '        88  HIGH VALUES 50 THROUGH 99, 100.',
        '66  ALIAS RENAMES STATUS-CODE THRU SCORE.',
        '77  COUNTER  PIC S9(4) COMP.',
      ),
    );
    expect(field(copybook, 'STATUS_CODE').conditions).toEqual([
      { name: 'ACTIVE', line: 3, values: [{ from: 'A' }] },
      { name: 'CLOSED', line: 4, values: [{ from: 'C' }, { from: 'X' }, { from: 'Z' }] },
    ]);
    const score = field(copybook, 'SCORE');
    expect(score.conditions.map((c) => c.values)).toEqual([
      [{ from: '0', thru: '49' }],
      [{ from: '50', thru: '99' }, { from: '100' }],
    ]);
    expect([score.synchronized, score.justified, score.blankWhenZero, score.value]).toEqual([
      true,
      true,
      true,
      '0',
    ]);
    expect(copybook.renames).toEqual([{ name: 'ALIAS', line: 9, from: 'STATUS-CODE', thru: 'SCORE' }]);
    expect(copybook.notes[0]).toMatch(/RENAMES .*not laid out/);
    expect(copybook.roots.map((r) => [r.key, r.offset, r.length])).toEqual([
      ['R', 0, 4],
      ['COUNTER', 0, 2],
    ]);
  });

  it('lays out nested OCCURS, OCCURS DEPENDING ON (at its maximum) and REDEFINES groups', () => {
    const copybook = parseCopybook(
      fixed(
        '01  R.',
        '    05  N        PIC 9.',
        '    05  T        OCCURS 2 TIMES.',
        '        10  U    OCCURS 3.',
        '            15  V  PIC X(2).',
        '    05  W        PIC X(1) OCCURS 1 TO 4 TIMES DEPENDING ON N.',
        '    05  A        PIC X(3).',
        '    05  B        REDEFINES A PIC X(5).',
        '    05  C        REDEFINES A PIC 9(2).',
        '    05  D        PIC X.',
      ),
    );
    expect(copybook.fields.map((f) => [f.key, f.offset, f.length, f.end])).toEqual([
      ['R', 0, 23, 23],
      ['N', 0, 1, 1],
      ['T', 1, 6, 13],
      ['U', 1, 2, 7],
      ['V', 1, 2, 3],
      ['W', 13, 1, 17],
      ['A', 17, 5, 22],
      ['B', 17, 5, 22],
      ['C', 17, 5, 22],
      ['D', 22, 1, 23],
    ]);
    expect(copybook.recordLength).toBe(23);
    expect(field(copybook, 'W').occurs).toEqual({ min: 1, max: 4, dependingOn: 'N' });
    expect(
      ['A', 'B', 'C'].map((k) => [field(copybook, k).isRedefined, field(copybook, k).redefines]),
    ).toEqual([
      [true, undefined],
      [true, 'A'],
      [false, 'A'],
    ]);
  });

  it('accepts levels nested 49 deep', () => {
    const lines = Array.from(
      { length: 49 },
      (_, i) => `${' '.repeat(i)}${String(i + 1).padStart(2, '0')} L${i + 1}.`,
    );
    lines[48] = `${' '.repeat(48)}49 LEAF PIC X(7).`;
    const copybook = parseCopybook(lines.join('\n'), { format: 'free' });
    const leaf = field(copybook, 'LEAF');
    expect([leaf.path.length, leaf.offset, copybook.recordLength]).toEqual([48, 0, 7]);
  });
});

describe('hostile copybooks', () => {
  const refusal = (run: () => unknown): CodeAnalysisError => {
    try {
      run();
    } catch (error) {
      if (error instanceof CodeAnalysisError) return error;
      throw error;
    }
    throw new Error('no error');
  };

  it('refuses an invalid PICTURE naming the line', () => {
    const error = refusal(() =>
      parseCopybook(fixed('01  R.', '    05  A  PIC X(3).', '    05  B  PIC 9(3)Q.'), { file: 'bad.cpy' }),
    );
    expect([error.reason, error.file, error.line]).toEqual(['PICTURE', 'bad.cpy', 3]);
    expect(error.message).toMatch(/bad\.cpy:line 3: .*9\(3\)Q/);
    expect(refusal(() => parseCopybook(fixed('01  R.', '    05  A  PIC 9(0).'))).reason).toBe('PICTURE');
    expect(refusal(() => parseCopybook(fixed('01  R.', '    05  A  PIC 9S9.'))).reason).toBe('PICTURE');
    expect(refusal(() => parseCopybook(fixed('01  R.', '    05  A  PIC X(3)V9.'))).reason).toBe('PICTURE');
  });

  it('refuses a REDEFINES of an unknown field', () => {
    const error = refusal(() =>
      parseCopybook(fixed('01  R.', '    05  A  PIC X.', '    05  B  REDEFINES NOPE PIC X.')),
    );
    expect([error.reason, error.line]).toEqual(['LAYOUT', 3]);
    expect(error.message).toContain('NOPE');
  });

  it('refuses an OCCURS DEPENDING ON an unknown counter and an item nested in an elementary one', () => {
    expect(
      refusal(() => parseCopybook(fixed('01  R.', '    05  A PIC X OCCURS 1 TO 3 DEPENDING ON NOPE.')))
        .reason,
    ).toBe('LAYOUT');
    expect(
      refusal(() => parseCopybook(fixed('01  R.', '    05  A PIC X.', '        10  B PIC X.'))).reason,
    ).toBe('LAYOUT');
  });

  it('refuses a 10 MB line quickly, with a configurable limit', () => {
    const huge = `       01  R.\n       05  A PIC X.${' '.repeat(10 * 1024 * 1024)}\n`;
    const started = performance.now();
    const error = refusal(() => parseCopybook(huge));
    expect([error.reason, error.line]).toEqual(['LINE_TOO_LONG', 2]);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(refusal(() => parseCopybook(fixed('01  R.'), { maxLineLength: 10 })).reason).toBe('LINE_TOO_LONG');
    expect(refusal(() => parseCopybook(fixed('01  R.'), { maxSourceLength: 5 })).reason).toBe(
      'FILE_TOO_LARGE',
    );
  });

  it('refuses an unterminated literal and a sentence that is not an entry', () => {
    expect(refusal(() => parseCopybook(fixed('01  R.', "    05  A PIC X VALUE 'OPEN."))).reason).toBe(
      'UNTERMINATED',
    );
    expect(refusal(() => parseCopybook(fixed('MOVE A TO B.'))).reason).toBe('SYNTAX');
    expect(refusal(() => parseCopybook(fixed('01  R.', '    05  A PIC X FROBNICATE.'))).reason).toBe(
      'SYNTAX',
    );
  });
});
