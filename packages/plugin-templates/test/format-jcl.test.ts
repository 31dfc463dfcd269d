import { readFileSync } from 'node:fs';
import path from 'node:path';
import { mainframeSamplesDir } from '@mainframe-kb/testkit';
import { describe, expect, it } from 'vitest';
import { checkOutput } from '../src/format/index.js';

const samples = path.join(mainframeSamplesDir(), 'omp-cobol-course');

const jcl = (...lines: string[]) => `${lines.join('\n')}\n`;
const rules = (text: string) => checkOutput(text, 'jcl').problems.map((p) => [p.line, p.rule]);
/** `head`, blanks, then `tail` ending exactly at column `width`. */
const endAt = (head: string, width: number, tail: string) =>
  head + ' '.repeat(width - head.length - tail.length) + tail;

function expectStable(text: string) {
  const again = checkOutput(text, 'jcl', { wrap: true });
  expect(again.problems).toEqual([]);
  expect(again.text).toBe(text);
  expect(again.wrapped).toEqual([]);
  for (const line of text.split('\n')) expect(line.length).toBeLessThanOrEqual(71);
}

const REPRO = jcl(
  "//KBFIX01  JOB (ACCT),'KB FIX',CLASS=A,MSGCLASS=X,NOTIFY=&SYSUID",
  '//*  BACK UP THE ACCOUNT MASTER BEFORE THE FIX',
  '//REPRO    EXEC PGM=IDCAMS',
  '//SYSPRINT DD SYSOUT=*',
  '//INDD     DD DSN=PROD.ACCT.MASTER,DISP=SHR',
  '//OUTDD    DD DSN=PROD.ACCT.MASTER.BACKUP,',
  '//            DISP=(NEW,CATLG,DELETE),UNIT=SYSDA,',
  '//            SPACE=(CYL,(10,5),RLSE)',
  '//SYSIN    DD *',
  '  REPRO INFILE(INDD) OUTFILE(OUTDD) -',
  '        REPLACE',
  '/*',
  '// IF RC = 0 THEN',
  "//RUN      EXEC PGM=ACCTFIX,PARM='MODE=FIX'",
  '// ENDIF',
);

describe('checkOutput(jcl): statement rules', () => {
  it('accepts a valid IDCAMS REPRO job and leaves it untouched, even with wrap', () => {
    expect(checkOutput(REPRO, 'jcl')).toEqual({ text: REPRO, problems: [], wrapped: [] });
    expect(checkOutput(REPRO, 'jcl', { wrap: true })).toEqual({ text: REPRO, problems: [], wrapped: [] });
  });

  it('text up to column 71 passes; a character in column 72 fails with line and rule', () => {
    const at71 = endAt('//SYSPRINT DD SYSOUT=*', 71, 'IDCAMS LISTING');
    expect(at71).toHaveLength(71);
    expect(rules(jcl('//REPRO    EXEC PGM=IDCAMS', at71))).toEqual([]);
    const at72 = endAt('//SYSPRINT DD SYSOUT=*', 72, 'IDCAMS LISTING');
    const { problems } = checkOutput(jcl('//REPRO    EXEC PGM=IDCAMS', at72), 'jcl');
    expect(problems).toEqual([
      expect.objectContaining({ line: 2, column: 72, rule: 'jcl/beyond-column-71' }),
    ]);
    expect(problems[0]?.message).toMatch(/^line 2: /);
  });

  it('columns 72-80 may be blank; text in the sequence columns 73-80 is refused', () => {
    expect(rules(jcl(endAt('//SYSPRINT DD SYSOUT=*', 80, ' ')))).toEqual([]);
    expect(rules(jcl(endAt('//SYSPRINT DD SYSOUT=*', 80, '00000100')))).toEqual([
      [1, 'jcl/beyond-column-71'],
    ]);
  });

  it('comment statements may use columns 4-80 (IBM "Comment statement"), not 81', () => {
    expect(rules(jcl(endAt('//* BACKUP', 80, '*')))).toEqual([]);
    expect(rules(jcl(endAt('//* BACKUP', 81, '*')))).toEqual([[1, 'jcl/record-length']]);
  });

  it('refuses a 9-character step name and names starting with a digit; accepts 8 and procstep.ddname', () => {
    expect(rules(jcl('//REPROSTP EXEC PGM=IDCAMS'))).toEqual([]);
    const { problems } = checkOutput(jcl('//REPROSTEP EXEC PGM=IDCAMS'), 'jcl');
    expect(problems).toEqual([expect.objectContaining({ line: 1, column: 3, rule: 'jcl/name' })]);
    expect(problems[0]?.message).toContain('"REPROSTEP" has 9');
    expect(rules(jcl('//1STEP    EXEC PGM=IDCAMS'))).toEqual([[1, 'jcl/name']]);
    expect(rules(jcl('//COBOL.SYSIN DD DSN=KB.SRC(ACCTFIX),DISP=SHR'))).toEqual([]);
    expect(rules(jcl('//STEP.ONE EXEC PGM=IDCAMS'))).toEqual([[1, 'jcl/name']]);
  });

  it('refuses an unknown or missing operation and a JOB without a name', () => {
    expect(rules(jcl('//REPRO    EXECUTE PGM=IDCAMS'))).toEqual([[1, 'jcl/operation']]);
    expect(rules(jcl('//REPRO'))).toEqual([[1, 'jcl/operation']]);
    expect(rules(jcl('//         JOB 1,NOTIFY=&SYSUID'))).toEqual([[1, 'jcl/name']]);
  });

  it('refuses lines that are not JCL outside in-stream data, and tabs', () => {
    expect(rules(jcl('//REPRO    EXEC PGM=IDCAMS', '', 'REPRO INFILE(INDD)'))).toEqual([
      [2, 'jcl/identifier'],
      [3, 'jcl/identifier'],
    ]);
    const { problems } = checkOutput(jcl('//SYSPRINT DD\tSYSOUT=*'), 'jcl', { wrap: true });
    expect(problems).toEqual([expect.objectContaining({ line: 1, column: 14, rule: 'jcl/tab' })]);
  });

  it('checks continued parameter fields: next line // and blank column 3, resuming in columns 4-16', () => {
    const head = '//OUTDD    DD DSN=PROD.ACCT.MASTER.BACKUP,';
    expect(rules(jcl(head, '//   DISP=SHR'))).toEqual([]);
    expect(rules(jcl(head, `//${' '.repeat(13)}DISP=SHR`))).toEqual([]);
    expect(rules(jcl(head, `//${' '.repeat(14)}DISP=SHR`))).toEqual([[2, 'jcl/continuation-column']]);
    expect(rules(jcl(head, '//SYSIN    DD *'))).toEqual([[1, 'jcl/continuation']]);
    expect(rules(jcl(head))).toEqual([[1, 'jcl/continuation']]);
    expect(
      rules(jcl(head, '//* COMMENTS MAY STAND BETWEEN CONTINUATIONS', '//            DISP=SHR')),
    ).toEqual([]);
  });

  it('checks a continued PARM string: through column 71, resumed in column 16', () => {
    const head = "//RUN      EXEC PGM=ACCTFIX,PARM='ACCTFILE=PROD.CUSTOMER.ACCOUNTS.MASTE";
    expect(head).toHaveLength(71);
    expect(rules(jcl(head, "//             R,MODE=FIX'"))).toEqual([]);
    expect(rules(jcl(head, "//            R,MODE=FIX'"))).toEqual([[2, 'jcl/continuation-column']]);
    expect(rules(jcl("//RUN      EXEC PGM=ACCTFIX,PARM='MODE=", "//             FIX'"))).toEqual([
      [1, 'jcl/quoted-continuation'],
    ]);
  });

  it('does not check in-stream data, except records longer than 80', () => {
    const data = ` REPRO INFILE(INDD) OUTFILE(OUTDD) ${'X'.repeat(40)}`;
    expect(data.length).toBeGreaterThan(71);
    expect(rules(jcl('//SYSIN    DD *', data, '/*'))).toEqual([]);
    expect(rules(jcl('//SYSIN    DD *', `${data}${'X'.repeat(10)}`, '/*'))).toEqual([
      [2, 'jcl/record-length'],
    ]);
    // DD DATA,DLM=$$: lines starting with // are data too, up to the $$ delimiter.
    expect(
      rules(jcl('//SYSUT1   DD DATA,DLM=$$', '//COPIED JCL IS DATA HERE', '$$', '//NEXT     DD DUMMY')),
    ).toEqual([]);
  });
});

describe('checkOutput(jcl, { wrap: true })', () => {
  it('wraps a long DSN in a DD statement after a comma', () => {
    const text = jcl(
      '//OUTDD    DD DSN=PROD.CUSTOMER.ACCOUNTS.MASTER.BACKUP.G0001V00,DISP=(NEW,CATLG,DELETE),',
      '//            UNIT=SYSDA,SPACE=(CYL,(10,5),RLSE)',
    );
    const result = checkOutput(text, 'jcl', { wrap: true });
    expect(result.problems).toEqual([]);
    expect(result.wrapped).toEqual([1]);
    expect(result.text).toBe(
      jcl(
        '//OUTDD    DD DSN=PROD.CUSTOMER.ACCOUNTS.MASTER.BACKUP.G0001V00,',
        '//            DISP=(NEW,CATLG,DELETE),',
        '//            UNIT=SYSDA,SPACE=(CYL,(10,5),RLSE)',
      ),
    );
    expectStable(result.text);
  });

  it('continues a PARM string through column 71 and resumes it in column 16', () => {
    const text = jcl(
      "//RUN      EXEC PGM=ACCTFIX,PARM='ACCTFILE=PROD.CUSTOMER.ACCOUNTS.MASTER,MODE=FIX,TRACE=NO'",
    );
    const result = checkOutput(text, 'jcl', { wrap: true });
    expect(result.problems).toEqual([]);
    expect(result.text).toBe(
      jcl(
        "//RUN      EXEC PGM=ACCTFIX,PARM='ACCTFILE=PROD.CUSTOMER.ACCOUNTS.MASTE",
        "//             R,MODE=FIX,TRACE=NO'",
      ),
    );
    expect(result.text.split('\n')[1]?.indexOf('R')).toBe(15);
    expectStable(result.text);
  });

  it('continues a PARM string over three lines, and keeps a trailing comment', () => {
    const text = jcl(
      "//RUN      EXEC PGM=ACCTFIX,REGION=0M,PARM='ACCTFILE=PROD.CUSTOMER.ACCOUNTS.MASTER,MODE=FIX,TRACE=NO,REPORT=FULL,MAXERR=100,RESTART=NO' KB-1234",
    );
    const result = checkOutput(text, 'jcl', { wrap: true });
    expect(result.problems).toEqual([]);
    expect(result.text).toBe(
      jcl(
        "//RUN      EXEC PGM=ACCTFIX,REGION=0M,PARM='ACCTFILE=PROD.CUSTOMER.ACCO",
        '//             UNTS.MASTER,MODE=FIX,TRACE=NO,REPORT=FULL,MAXERR=100,RES',
        "//             TART=NO' KB-1234",
      ),
    );
    expectStable(result.text);
  });

  it('does not break a JCL symbol inside apostrophes at column 71', () => {
    // &SYSUID would straddle column 71 on the first line: the PARM moves to a continuation line instead.
    const text = jcl(`//RUN      EXEC PGM=ACCTFIX,PARM='${'A'.repeat(36)}&SYSUID..${'B'.repeat(40)}'`);
    const result = checkOutput(text, 'jcl', { wrap: true });
    expect(result.problems).toEqual([]);
    expect(result.text).toBe(
      jcl(
        '//RUN      EXEC PGM=ACCTFIX,',
        `//             PARM='${'A'.repeat(36)}&SYSUID..${'B'.repeat(5)}`,
        `//             ${'B'.repeat(35)}'`,
      ),
    );
    expectStable(result.text);
  });

  it('refuses a single parameter that cannot fit, naming line and parameter', () => {
    const path71 = '/u/kbuser/templates/rendered/output/for/the/analyst/review/logfile.txt';
    const text = jcl('//REPRO    EXEC PGM=IDCAMS', `//LOG      DD PATH=${path71},PATHDISP=KEEP`);
    const result = checkOutput(text, 'jcl', { wrap: true });
    expect(result.text).toBe(text);
    expect(result.problems.map((p) => [p.line, p.rule])).toEqual([
      [2, 'jcl/beyond-column-71'],
      [2, 'jcl/unwrappable'],
    ]);
    expect(result.problems[1]?.message).toMatch(/line 2: parameter PATH /);
  });
});

describe('Open Mainframe Project COBOL course JCL', () => {
  for (const file of ['jcl/CBL0001J.jcl', 'jcl/CBLDB21C.jcl', 'jclproc/DB2CBL.jcl']) {
    it(`${file} passes with zero problems`, () => {
      const text = readFileSync(path.join(samples, file), 'utf8');
      expect(checkOutput(text, 'jcl').problems).toEqual([]);
      expect(checkOutput(text, 'jcl', { wrap: true }).text).toBe(text);
    });
  }
});

describe('checkOutput(text)', () => {
  it('is the identity', () => {
    const text = `\tanything ${'x'.repeat(200)}\n`;
    expect(checkOutput(text, 'text', { wrap: true })).toEqual({ text, problems: [], wrapped: [] });
  });
});
