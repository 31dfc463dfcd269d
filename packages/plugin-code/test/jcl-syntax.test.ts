import { describe, expect, it } from 'vitest';
import { parseJcl } from '../src/jcl/index.js';
import { parseOperands } from '../src/jcl/operands.js';

const lines = (...text: string[]) => `${text.join('\n')}\n`;
const job = (...text: string[]) => lines("//TESTJOB  JOB (ACCT,1),'J SMITH',CLASS=A,MSGCLASS=X", ...text);
const codes = (jcl: { issues: readonly { code: string }[] }) => jcl.issues.map((i) => i.code);

describe('operand parser', () => {
  it('parses positionals, keywords, nested sublists, members and quoted strings', () => {
    const params = parseOperands("DSN=A.B(MEM),DISP=(,CATLG,DELETE),SPACE=(CYL,(1,1)),'IT''S',PARM.S1=X", {
      file: undefined,
      line: 1,
    });
    expect(params.map((p) => [p.keyword, p.raw])).toEqual([
      ['DSN', 'A.B(MEM)'],
      ['DISP', '(,CATLG,DELETE)'],
      ['SPACE', '(CYL,(1,1))'],
      [undefined, "'IT''S'"],
      ['PARM.S1', 'X'],
    ]);
    expect(params[2]!.value).toEqual([
      { value: 'CYL', raw: 'CYL' },
      {
        value: [
          { value: '1', raw: '1' },
          { value: '1', raw: '1' },
        ],
        raw: '(1,1)',
      },
    ]);
    expect(params[3]!.value).toBe("IT'S");
    expect(params[1]!.value).toEqual([
      { value: '', raw: '' },
      { value: 'CATLG', raw: 'CATLG' },
      { value: 'DELETE', raw: 'DELETE' },
    ]);
  });
});

describe('statement reader', () => {
  it('reads the JOB card positionals and keywords', () => {
    const jcl = parseJcl(job('//S1 EXEC PGM=IEFBR14'));
    expect(jcl.job).toEqual({
      name: 'TESTJOB',
      line: 1,
      accounting: '(ACCT,1)',
      programmer: 'J SMITH',
      params: { CLASS: 'A', MSGCLASS: 'X' },
    });
  });

  it('joins continued operands, drops comments and columns 72-80', () => {
    const jcl = parseJcl(
      job(
        '//S1       EXEC PGM=MYPROG,      first comment',
        '//*  a comment between continuation lines',
        '//             PARM=ABC,REGION=4M  second comment'.padEnd(71) + '00000100',
        '//OUT      DD DSN=MY.OUT,DISP=(NEW,CATLG,DELETE),'.padEnd(71) + 'X0000200',
        '//            UNIT=SYSDA,SPACE=(TRK,(5,5)),DCB=(RECFM=FB,LRECL=80)',
      ),
    );
    const step = jcl.steps[0]!;
    expect(step.operands).toBe('PGM=MYPROG,PARM=ABC,REGION=4M');
    expect(step.params).toEqual({ PARM: 'ABC', REGION: '4M' });
    expect(step.dds[0]).toMatchObject({
      dsn: 'MY.OUT',
      disp: { status: 'NEW', normal: 'CATLG', abnormal: 'DELETE' },
      params: { UNIT: 'SYSDA', SPACE: '(TRK,(5,5))', DCB: '(RECFM=FB,LRECL=80)' },
    });
    expect(jcl.statements).toBe(3);
    expect(jcl.comments).toEqual([{ line: 3, text: '  a comment between continuation lines' }]);
    expect(jcl.issues).toEqual([]);
  });

  it('warns when a continued operand starts after column 16 or the continuation is missing', () => {
    const jcl = parseJcl(
      job('//S1 EXEC PGM=X,', '//                   REGION=4M', '//S2 EXEC PGM=Y,', '//S3 EXEC PGM=Z'),
    );
    expect(jcl.steps[0]!.params).toEqual({ REGION: '4M' });
    expect(jcl.issues.map((i) => [i.code, i.line])).toEqual([
      ['CONTINUATION', 3],
      ['CONTINUATION', 4],
    ]);
    expect(jcl.steps.map((s) => s.name)).toEqual(['S1', 'S2', 'S3']);
  });

  it('continues a quoted string from column 71 to column 16 of the next line', () => {
    const first = "//S1 EXEC PGM=X,PARM='THIS PARM IS CONTINUED TO COLUMN SEVENTY-ONE";
    expect(first.length).toBeLessThan(71);
    const jcl = parseJcl(job(first.padEnd(71), `//${' '.repeat(13)}AND RESUMED',REGION=1M`));
    const parm = jcl.steps[0]!.params.PARM!;
    expect(parm).toBe(
      `'THIS PARM IS CONTINUED TO COLUMN SEVENTY-ONE${' '.repeat(71 - first.length)}AND RESUMED'`,
    );
    expect(jcl.steps[0]!.params.REGION).toBe('1M');
  });

  it('reads DD * data up to /*, or up to the next statement', () => {
    const jcl = parseJcl(
      job('//S1 EXEC PGM=X', '//IN1 DD *', 'LINE 1', 'LINE 2', '/*', '//IN2 DD *', 'ONLY', '//OUT DD DUMMY'),
    );
    const [in1, in2, out] = jcl.steps[0]!.dds;
    expect(in1!.instream).toEqual({
      kind: '*',
      delimiter: '/*',
      line: 4,
      lineCount: 2,
      text: 'LINE 1\nLINE 2',
      truncated: false,
    });
    expect(in2!.instream).toMatchObject({ delimiter: '//', lineCount: 1, text: 'ONLY' });
    expect(out).toMatchObject({ name: 'OUT', dummy: true });
    expect(jcl.issues).toEqual([]);
  });

  it('reads DD DATA through // lines, and DLM= through /* and //', () => {
    const jcl = parseJcl(
      job(
        '//S1 EXEC PGM=X',
        '//IN1 DD DATA',
        '//NOT A STATEMENT',
        '/*',
        "//IN2 DD *,DLM='@@'",
        '/* STILL DATA',
        '//ALSO DATA',
        '@@',
        '//IN3 DD DATA,DLM=$$',
        'X',
        '$$',
      ),
    );
    const [in1, in2, in3] = jcl.steps[0]!.dds;
    expect(in1!.instream).toMatchObject({ kind: 'DATA', delimiter: '/*', text: '//NOT A STATEMENT' });
    expect(in2!.instream).toMatchObject({
      kind: '*',
      delimiter: '@@',
      lineCount: 2,
      text: '/* STILL DATA\n//ALSO DATA',
    });
    expect(in3!.instream).toMatchObject({ kind: 'DATA', delimiter: '$$', text: 'X' });
    expect(jcl.statements).toBe(5);
  });

  it('caps the in-stream text but counts every line', () => {
    const data = Array.from({ length: 100 }, (_, i) => `RECORD ${i}`);
    const jcl = parseJcl(job('//S1 EXEC PGM=X', '//IN DD *', ...data, '/*'), { maxInstreamChars: 50 });
    const block = jcl.steps[0]!.dds[0]!.instream!;
    expect(block.lineCount).toBe(100);
    expect(block.truncated).toBe(true);
    expect(block.text.length).toBeLessThanOrEqual(50);
  });

  it('concatenates unnamed DDs to the named DD before them', () => {
    const jcl = parseJcl(
      job(
        '//S1 EXEC PGM=X',
        '//LIB DD DSN=A.LOAD,DISP=SHR',
        '//    DD DSN=B.LOAD,DISP=SHR',
        '//    DD DSN=C.LOAD,DISP=SHR',
        '//OUT DD SYSOUT=A',
      ),
    );
    const [lib, out] = jcl.steps[0]!.dds;
    expect(lib!.dsn).toBe('A.LOAD');
    expect(lib!.concatenation.map((d) => d.dsn)).toEqual(['B.LOAD', 'C.LOAD']);
    expect(out!.sysout).toBe('A');
    expect(jcl.datasets.find((d) => d.dsn === 'C.LOAD')?.uses).toEqual([
      { step: 'S1', dd: 'LIB', disp: { status: 'SHR' }, line: 5 },
    ]);
  });

  it('records the IF/THEN/ELSE nesting of each step', () => {
    const jcl = parseJcl(
      job(
        '//S1 EXEC PGM=A',
        '//CHK1 IF (S1.RC = 0 &',
        '//         S1.RUN = TRUE) THEN   comment',
        '//S2 EXEC PGM=B',
        '// IF S2.RC > 4 THEN',
        '//S3 EXEC PGM=C',
        '// ELSE',
        '//S4 EXEC PGM=D',
        '// ENDIF',
        '// ELSE',
        '//S5 EXEC PGM=E',
        '// ENDIF',
        '//S6 EXEC PGM=F',
      ),
    );
    const nesting = Object.fromEntries(
      jcl.steps.map((s) => [s.name, s.conditions.map((c) => `${c.condition}:${c.branch}`)]),
    );
    expect(nesting).toEqual({
      S1: [],
      S2: ['(S1.RC = 0 & S1.RUN = TRUE):THEN'],
      S3: ['(S1.RC = 0 & S1.RUN = TRUE):THEN', 'S2.RC > 4:THEN'],
      S4: ['(S1.RC = 0 & S1.RUN = TRUE):THEN', 'S2.RC > 4:ELSE'],
      S5: ['(S1.RC = 0 & S1.RUN = TRUE):ELSE'],
      S6: [],
    });
    expect(jcl.steps[1]!.conditions[0]).toMatchObject({ name: 'CHK1', line: 3 });
    expect(jcl.issues).toEqual([]);
  });

  it('warns on unbalanced IF/ELSE/ENDIF', () => {
    expect(codes(parseJcl(job('// ENDIF', '//S1 EXEC PGM=A')))).toEqual(['UNBALANCED_IF']);
    expect(codes(parseJcl(job('// ELSE', '//S1 EXEC PGM=A')))).toEqual(['UNBALANCED_IF']);
    const open = parseJcl(job('// IF RC = 0 THEN', '//S1 EXEC PGM=A'));
    expect(open.issues.map((i) => [i.code, i.line])).toEqual([['UNBALANCED_IF', 2]]);
    expect(codes(parseJcl(job('// IF RC = 0 THEN', '// ELSE', '// ELSE', '// ENDIF')))).toEqual([
      'UNBALANCED_IF',
    ]);
  });

  it('substitutes SET symbols in the statements that follow', () => {
    const jcl = parseJcl(
      job(
        '//S0 EXEC PGM=A,PARM=&HLQ',
        "// SET HLQ=PROD,OPTS='A,B',MEM='PAY01'",
        '//S1 EXEC PGM=A,PARM=(&OPTS)',
        '//IN DD DSN=&HLQ..DATA(&MEM),DISP=SHR',
        '//OUT DD DSN=&&TEMP,DISP=(NEW,PASS)',
      ),
    );
    expect(jcl.steps[0]!.params.PARM).toBe('&HLQ');
    expect(jcl.steps[1]!.params.PARM).toBe("('A,B')");
    expect(jcl.steps[1]!.dds[0]).toMatchObject({ dsn: 'PROD.DATA(PAY01)', dsnRaw: '&HLQ..DATA(&MEM)' });
    expect(jcl.steps[1]!.dds[1]).toMatchObject({ dsn: '&&TEMP' });
    expect(jcl.datasets.find((d) => d.dsn === '&&TEMP')?.temporary).toBe(true);
    expect(jcl.symbolsUsed).toEqual(['HLQ', 'OPTS', 'MEM']);
    expect(jcl.unresolvedSymbols).toEqual(['HLQ']);
  });

  it('warns on invalid names, unknown statements and non-JCL lines', () => {
    const jcl = parseJcl(
      job(
        '//STEPNAME9 EXEC PGM=A',
        '//1STEP EXEC PGM=B',
        '//S3 FROB X=1',
        'stray data',
        '/*',
        '//S4.IN DD DUMMY',
      ),
    );
    expect(jcl.issues.map((i) => [i.code, i.line])).toEqual([
      ['NOT_JCL', 5],
      ['STRAY_DELIMITER', 6],
      ['INVALID_NAME', 2],
      ['INVALID_NAME', 3],
      ['UNKNOWN_STATEMENT', 4],
      ['OVERRIDE_NO_STEP', 7],
    ]);
    expect(jcl.steps.map((s) => s.name)).toEqual(['STEPNAME9', '1STEP']);
  });

  it('treats // as the end of the job', () => {
    const jcl = parseJcl(job('//S1 EXEC PGM=A', '//', '//S2 EXEC PGM=B'));
    expect(jcl.steps.map((s) => s.name)).toEqual(['S1']);
    expect(codes(jcl)).toEqual(['MULTIPLE_JOBS']);
  });

  it('records JCLLIB and INCLUDE, expanding an INCLUDE only when its member resolves', () => {
    const members: Record<string, string> = { STDLIBS: lines('//STEPLIB DD DSN=SYS1.LINKLIB,DISP=SHR') };
    const jcl = parseJcl(
      job(
        '// JCLLIB ORDER=(MY.PROCLIB,SYS1.PROCLIB)',
        '//S1 EXEC PGM=A',
        '// INCLUDE MEMBER=STDLIBS',
        '// INCLUDE MEMBER=NOPE',
      ),
      { resolveInclude: (m) => members[m] },
    );
    expect(jcl.includes).toEqual([
      { kind: 'JCLLIB', line: 2, order: ['MY.PROCLIB', 'SYS1.PROCLIB'], expanded: false },
      { kind: 'INCLUDE', line: 4, member: 'STDLIBS', expanded: true },
      { kind: 'INCLUDE', line: 5, member: 'NOPE', expanded: false },
    ]);
    expect(jcl.steps[0]!.dds.map((d) => [d.name, d.dsn, d.member])).toEqual([
      ['STEPLIB', 'SYS1.LINKLIB', 'STDLIBS'],
    ]);
  });
});
