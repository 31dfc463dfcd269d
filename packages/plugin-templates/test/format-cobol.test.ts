import { readFileSync } from 'node:fs';
import path from 'node:path';
import { mainframeSamplesDir } from '@mainframe-kb/testkit';
import { describe, expect, it } from 'vitest';
import { checkOutput } from '../src/format/index.js';

const samples = path.join(mainframeSamplesDir(), 'omp-cobol-course');

const src = (...lines: string[]) => `${lines.join('\n')}\n`;
/** `head` followed by `fill` characters and `tail`, so that the line is exactly `width` long. */
const widen = (head: string, width: number, tail = '', fill = 'X') =>
  head + fill.repeat(width - head.length - tail.length) + tail;
const rules = (text: string) => checkOutput(text, 'cobol').problems.map((p) => [p.line, p.rule]);

/** Wrapped output must pass the checker and be a fixed point of wrapping. */
function expectStable(text: string) {
  const again = checkOutput(text, 'cobol', { wrap: true });
  expect(again.problems).toEqual([]);
  expect(again.text).toBe(text);
  expect(again.wrapped).toEqual([]);
  for (const line of text.split('\n')) expect(line.length).toBeLessThanOrEqual(72);
}

const PROGRAM = src(
  '       IDENTIFICATION DIVISION.',
  '       PROGRAM-ID.    ACCTFIX.',
  '       DATA DIVISION.',
  '       WORKING-STORAGE SECTION.',
  '       01  WS-FLAGS.',
  '           05  WS-OVERFLOW-FLAG      PIC X VALUE SPACE.',
  "               88  WS-OVERFLOW           VALUE 'Y'.",
  '       77  WS-NEW-BALANCE            PIC S9(7)V99 COMP-3.',
  '       PROCEDURE DIVISION.',
  '       MAIN-PARA.',
  '           IF WS-ACCT-BALANCE-IN IS NUMERIC',
  '               COMPUTE WS-NEW-BALANCE ROUNDED =',
  '                       WS-ACCT-BALANCE-IN + WS-INTEREST-AMOUNT',
  "                   ON SIZE ERROR MOVE 'Y' TO WS-OVERFLOW-FLAG",
  '               END-COMPUTE',
  '           END-IF',
  '           GOBACK.',
);

describe('checkOutput(cobol): reference format rules', () => {
  it('accepts a valid program and leaves it untouched, even with wrap', () => {
    expect(checkOutput(PROGRAM, 'cobol')).toEqual({ text: PROGRAM, problems: [], wrapped: [] });
    expect(checkOutput(PROGRAM, 'cobol', { wrap: true })).toEqual({
      text: PROGRAM,
      problems: [],
      wrapped: [],
    });
  });

  it('text up to column 72 passes; one character in column 73 fails with line and rule', () => {
    const at72 = widen("           DISPLAY '", 72, "'.");
    expect(at72).toHaveLength(72);
    expect(rules(src('       PROCEDURE DIVISION.', at72))).toEqual([]);
    const at73 = widen("           DISPLAY '", 73, "'.");
    const { problems } = checkOutput(src('       PROCEDURE DIVISION.', at73), 'cobol');
    expect(problems).toEqual([
      expect.objectContaining({ line: 2, column: 73, rule: 'cobol/beyond-column-72' }),
    ]);
    expect(problems[0]?.message).toMatch(/^line 2: /);
  });

  it('columns 73-80 may hold blanks, but not text', () => {
    expect(rules(src(widen('           GOBACK.', 80, '', ' ')))).toEqual([]);
    expect(rules(src(widen('           GOBACK.', 80, 'ACCTFIX1', ' ')))).toEqual([
      [1, 'cobol/beyond-column-72'],
    ]);
  });

  it('sequence numbers may be digits or blank; anything else is refused', () => {
    expect(rules(src('000100 PROCEDURE DIVISION.', '000200     GOBACK.'))).toEqual([]);
    // Code not indented into the reference format: "MOVE A" lands in the sequence area, "TO B." in Area A.
    expect(rules(src('MOVE A TO B.'))).toEqual([
      [1, 'cobol/sequence-area'],
      [1, 'cobol/area-b'],
    ]);
    expect(rules(src('DISPLAY WS-X.'))).toEqual([
      [1, 'cobol/sequence-area'],
      [1, 'cobol/indicator'],
    ]);
  });

  it('column 7 must be blank, *, /, -, D or d', () => {
    expect(rules(src('      *A COMMENT', '      /NEW PAGE', '      D    DISPLAY WS-X'))).toEqual([]);
    expect(rules(src('      X    DISPLAY WS-X'))).toEqual([[1, 'cobol/indicator']]);
  });

  it('refuses a tab character', () => {
    const { problems } = checkOutput(src('       PROCEDURE DIVISION.', '\tMOVE A TO B.'), 'cobol', {
      wrap: true,
    });
    expect(problems).toEqual([expect.objectContaining({ line: 2, column: 1, rule: 'cobol/tab' })]);
  });

  it('finds a statement starting in Area A', () => {
    const text = src(
      '       PROCEDURE DIVISION.',
      '       MAIN-PARA.',
      '        MOVE WS-A TO WS-B.',
      '       GOBACK.',
    );
    const { problems } = checkOutput(text, 'cobol');
    expect(problems.map((p) => [p.line, p.column, p.rule])).toEqual([
      [3, 9, 'cobol/area-b'],
      [4, 8, 'cobol/area-b'],
    ]);
  });

  it('finds headers, 01/77 entries and FD starting in Area B', () => {
    const text = src(
      '       DATA DIVISION.',
      '            FILE SECTION.',
      '           FD  ACCT-REC RECORDING MODE F.',
      '           01  ACCT-FIELDS.',
      '           77  WS-COUNT PIC 9(4).',
      '            PROCEDURE DIVISION.',
    );
    expect(rules(text)).toEqual([
      [2, 'cobol/area-a'],
      [3, 'cobol/area-a'],
      [4, 'cobol/area-a'],
      [5, 'cobol/area-a'],
      [6, 'cobol/area-a'],
    ]);
  });

  it('lets level-numbers 02-49, 66 and 88 begin in Area A (IBM "Level-numbers"), as the course sample does', () => {
    expect(
      rules(src('       DATA DIVISION.', '       01 FLAGS.', '         05 LASTREC PIC X VALUE SPACE.')),
    ).toEqual([]);
  });

  it('checks continuation lines: Area A blank, a quotation mark to resume an open literal', () => {
    const open = widen("           DISPLAY 'ACCOUNT ", 72);
    expect(rules(src(open, "      -    'NOT FOUND'."))).toEqual([]);
    expect(rules(src(open, "      -   'NOT FOUND'."))).toEqual([[2, 'cobol/continuation']]);
    expect(rules(src(open, "      -    NOT FOUND'."))).toEqual([[2, 'cobol/continuation']]);
    expect(rules(src(open, "           'NOT FOUND'."))).toEqual([[1, 'cobol/continuation']]);
  });

  it('skips SQL between EXEC and END-EXEC', () => {
    const text = src(
      '       WORKING-STORAGE SECTION.',
      '           EXEC SQL BEGIN',
      '                DECLARE SECTION',
      '           END-EXEC.',
    );
    expect(rules(text)).toEqual([]);
  });

  it('keeps CRLF line endings', () => {
    const text = PROGRAM.replace(/\n/g, '\r\n');
    expect(checkOutput(text, 'cobol', { wrap: true }).text).toBe(text);
  });
});

describe('checkOutput(cobol, { wrap: true })', () => {
  it('wraps a COMPUTE between words into Area B, keeping sequence numbers of unchanged lines', () => {
    const text = src(
      '001200     IF WS-ACCT-BALANCE-IN IS NUMERIC',
      '001300         COMPUTE WS-NEW-BALANCE ROUNDED = WS-ACCT-BALANCE-IN + WS-INTEREST-AMOUNT',
      "001400             ON SIZE ERROR MOVE 'Y' TO WS-OVERFLOW-FLAG",
      '001500         END-COMPUTE',
      '001600     END-IF.',
    );
    const result = checkOutput(text, 'cobol', { wrap: true });
    expect(result.problems).toEqual([]);
    expect(result.wrapped).toEqual([2]);
    expect(result.text).toBe(
      src(
        '001200     IF WS-ACCT-BALANCE-IN IS NUMERIC',
        '001300         COMPUTE WS-NEW-BALANCE ROUNDED = WS-ACCT-BALANCE-IN +',
        '                   WS-INTEREST-AMOUNT',
        "001400             ON SIZE ERROR MOVE 'Y' TO WS-OVERFLOW-FLAG",
        '001500         END-COMPUTE',
        '001600     END-IF.',
      ),
    );
    expectStable(result.text);
  });

  it('continues a long literal: through column 72, then "-" in column 7 and a quotation mark in Area B', () => {
    const text = src(
      "       01  WS-MESSAGE        PIC X(80) VALUE 'ACCOUNT MASTER PROD.ACCT.MASTER.BACKUP.G0001V00 COULD NOT BE OPENED'.",
    );
    const result = checkOutput(text, 'cobol', { wrap: true });
    expect(result.problems).toEqual([]);
    const lines = result.text.split('\n');
    expect(lines.slice(0, 2)).toEqual([
      "       01  WS-MESSAGE        PIC X(80) VALUE 'ACCOUNT MASTER PROD.ACCT.M",
      "      -    'ASTER.BACKUP.G0001V00 COULD NOT BE OPENED'.",
    ]);
    expect(lines[0]).toHaveLength(72);
    expectStable(result.text);
  });

  it('keeps the blanks that fall in column 72 inside the literal', () => {
    const text = src(
      "           DISPLAY 'THE VALUE OF THE ACCOUNT BALANCE IS NOT NUMERIC FOR THE CUSTOMER RECORD READ FROM ACCTREC'.",
    );
    const result = checkOutput(text, 'cobol', { wrap: true });
    expect(result.text.split('\n').slice(0, 2)).toEqual([
      "           DISPLAY 'THE VALUE OF THE ACCOUNT BALANCE IS NOT NUMERIC FOR ",
      "      -        'THE CUSTOMER RECORD READ FROM ACCTREC'.",
    ]);
    expectStable(result.text);
  });

  it('never splits a doubled quotation mark across column 72', () => {
    // The first quote of O''BRIEN would fall in column 72: the literal starts one column later instead.
    const head = "           DISPLAY '";
    const body = `${'N'.repeat(72 - head.length - 2)}O''BRIEN IS OVERDRAWN'.`;
    expect((head + body).indexOf("''") + 1).toBe(72);
    const result = checkOutput(src(head + body), 'cobol', { wrap: true });
    expect(result.problems).toEqual([]);
    const [first, second] = result.text.split('\n');
    expect(first).toBe(`           DISPLAY  '${'N'.repeat(50)}O`);
    expect(first).toHaveLength(72);
    expect(second).toBe("      -        '''BRIEN IS OVERDRAWN'.");
    expectStable(result.text);
  });

  it('wraps a long comment line into comment lines', () => {
    const text = src(
      '      *    FIX KB-1234: THE ACCOUNT MASTER IS NOW READ THROUGH THE ALTERNATE INDEX BEFORE THE REPRO STEP',
    );
    const result = checkOutput(text, 'cobol', { wrap: true });
    expect(result.text).toBe(
      src(
        '      *    FIX KB-1234: THE ACCOUNT MASTER IS NOW READ THROUGH THE',
        '      *    ALTERNATE INDEX BEFORE THE REPRO STEP',
      ),
    );
    expectStable(result.text);
  });

  it('refuses to split a single word that fits no line, naming the line', () => {
    const word = `WS-${'ACCOUNT-MASTER-'.repeat(4)}RECORD-KEY`;
    const text = src('       PROCEDURE DIVISION.', `           MOVE ${word} TO WS-KEY.`);
    const result = checkOutput(text, 'cobol', { wrap: true });
    expect(result.text).toBe(text);
    expect(result.wrapped).toEqual([]);
    expect(result.problems.map((p) => [p.line, p.rule])).toEqual([
      [2, 'cobol/beyond-column-72'],
      [2, 'cobol/unwrappable'],
    ]);
    expect(result.problems[1]?.message).toContain('line 2');
    expect(result.problems[1]?.message).toContain(word);
  });
});

describe('Open Mainframe Project COBOL course samples', () => {
  it('CBLDB21.cbl passes with zero problems', () => {
    const text = readFileSync(path.join(samples, 'cbl/CBLDB21.cbl'), 'utf8');
    expect(checkOutput(text, 'cobol').problems).toEqual([]);
  });

  it('CBL0001.cobol breaks only the tab rule, with a stray tab at the end of a comment line', () => {
    const text = readFileSync(path.join(samples, 'cbl/CBL0001.cobol'), 'utf8');
    const { problems } = checkOutput(text, 'cobol');
    expect(problems).toEqual([expect.objectContaining({ line: 22, column: 52, rule: 'cobol/tab' })]);
    expect(text.split('\n')[21]).toMatch(/^ {6}\*.*Z54321\.DATA\t$/);
    expect(checkOutput(text.replace('DATA\t\n', 'DATA\n'), 'cobol').problems).toEqual([]);
  });
});
