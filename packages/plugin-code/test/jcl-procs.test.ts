import { describe, expect, it } from 'vitest';
import { CodeAnalysisError } from '../src/errors.js';
import { parseJcl } from '../src/jcl/index.js';

const lines = (...text: string[]) => `${text.join('\n')}\n`;

const COPYPROC = [
  '//COPY     PROC OUT=NEW.FILE,CLS=A',
  '//STEP1    EXEC PGM=IEBGENER,PARM=OLD1,COND=(4,LT)',
  '//SYSUT1   DD DSN=IN.FILE,DISP=SHR,DCB=(RECFM=FB,LRECL=80)',
  '//SYSUT2   DD DSN=&OUT,DISP=(NEW,CATLG),UNIT=SYSDA,SPACE=(TRK,1)',
  '//LIB      DD DSN=LIB.ONE,DISP=SHR',
  '//         DD DSN=LIB.TWO,DISP=SHR',
  '//SYSPRINT DD SYSOUT=&CLS',
  '//STEP2    EXEC PGM=REPORT,PARM=OLD2',
  '//REPORT   DD DUMMY',
  '//         PEND',
];

describe('PROC expansion', () => {
  it('expands an in-stream PROC with symbolics, EXEC and DD overrides, nullification and additions', () => {
    const jcl = parseJcl(
      lines(
        '//J1 JOB 1',
        ...COPYPROC,
        '//RUN  EXEC COPY,OUT=MY.FILE,PARM.STEP2=NEW2,COND=',
        '//STEP1.SYSUT1 DD DCB=,DSN=OTHER.FILE',
        '//STEP1.LIB DD',
        '//          DD DSN=LIB.NEW,DISP=SHR',
        '//          DD DSN=LIB.ADDED,DISP=SHR',
        '//STEP1.SYSPRINT DD DSN=PRINT.FILE,DISP=SHR',
        '//STEP2.REPORT DD DSN=RPT.OUT,DISP=OLD',
        '//STEP2.EXTRA DD SYSOUT=B',
        '//NOSUCH.DD1 DD DUMMY',
      ),
    );
    expect(jcl.inStreamProcs).toEqual([{ name: 'COPY', line: 2, defaults: { OUT: 'NEW.FILE', CLS: 'A' } }]);
    const [s1, s2] = jcl.expandedSteps;
    expect(jcl.expandedSteps.map((s) => s.qualifiedName)).toEqual(['RUN.STEP1', 'RUN.STEP2']);
    expect(s1!.params).toEqual({ PARM: 'OLD1' });
    expect(s2!.params).toEqual({ PARM: 'NEW2' });

    const dd = (step: typeof s1, name: string) => step!.dds.find((d) => d.name === name)!;
    expect(dd(s1, 'SYSUT1')).toMatchObject({
      dsn: 'OTHER.FILE',
      params: { DSN: 'OTHER.FILE', DISP: 'SHR' },
      overriddenAt: 13,
    });
    expect(dd(s1, 'SYSUT2')).toMatchObject({ dsn: 'MY.FILE', dsnRaw: '&OUT' });
    const lib = dd(s1, 'LIB');
    expect([lib.dsn, ...lib.concatenation.map((d) => d.dsn)]).toEqual(['LIB.ONE', 'LIB.NEW', 'LIB.ADDED']);
    expect(dd(s1, 'SYSPRINT')).toMatchObject({
      dsn: 'PRINT.FILE',
      params: { DSN: 'PRINT.FILE', DISP: 'SHR' },
    });
    expect(dd(s1, 'SYSPRINT').sysout).toBeUndefined();
    expect(dd(s2, 'REPORT')).toMatchObject({ dummy: false, dsn: 'RPT.OUT' });
    expect(dd(s2, 'EXTRA')).toMatchObject({ sysout: 'B', line: 19 });
    expect(dd(s2, 'EXTRA').procStep).toBeUndefined();
    expect(jcl.issues.map((i) => [i.code, i.line])).toEqual([['OVERRIDE_NO_STEP', 20]]);
    expect(jcl.programs.map((p) => [p.name, p.steps])).toEqual([
      ['IEBGENER', ['RUN.STEP1']],
      ['REPORT', ['RUN.STEP2']],
    ]);
  });

  it('warns on an EXEC symbolic the PROC never uses and a parameter override naming no step', () => {
    const jcl = parseJcl(lines('//J1 JOB 1', ...COPYPROC, '//RUN EXEC PROC=COPY,NOPE=1,PARM.STEP9=X'));
    expect(jcl.issues.map((i) => i.code).sort()).toEqual(['OVERRIDE_NO_STEP', 'UNUSED_SYMBOL']);
  });

  it('expands nested cataloged PROCs and prefers an in-stream PROC', () => {
    const catalog: Record<string, string> = {
      OUTER: lines('//OUTER PROC', '//O1 EXEC INNER,V=&P', '//O2 EXEC PGM=OPGM'),
      INNER: lines('//INNER PROC V=DEF', '//I1 EXEC PGM=I&V'),
      COPY: lines('//COPY PROC', '//X EXEC PGM=CATALOGED'),
    };
    const calls: string[] = [];
    const jcl = parseJcl(
      lines('//J1 JOB 1', ...COPYPROC, '//A EXEC OUTER,P=XY', '//B EXEC COPY', '//C EXEC OUTER'),
      {
        resolveProc: (name) => {
          calls.push(name);
          return catalog[name];
        },
      },
    );
    expect(jcl.expandedSteps.map((s) => [s.qualifiedName, s.program, s.procName, s.invokingStep])).toEqual([
      ['A.O1.I1', 'IXY', 'INNER', 'A'],
      ['A.O2', 'OPGM', 'OUTER', 'A'],
      ['B.STEP1', 'IEBGENER', 'COPY', 'B'],
      ['B.STEP2', 'REPORT', 'COPY', 'B'],
      ['C.O1.I1', 'I&P', 'INNER', 'C'],
      ['C.O2', 'OPGM', 'OUTER', 'C'],
    ]);
    expect(calls).toEqual(['OUTER', 'INNER']);
    expect(jcl.expandedSteps[0]!.member).toBe('INNER');
  });

  it('refuses a PROC that invokes itself, directly or not', () => {
    const catalog: Record<string, string> = {
      PA: lines('//PA PROC', '//S EXEC PB'),
      PB: lines('//PB PROC', '//S EXEC PA'),
    };
    const run = () =>
      parseJcl(lines('//J1 JOB 1', '//GO EXEC PA'), { file: 'cycle.jcl', resolveProc: (n) => catalog[n] });
    expect(run).toThrow(CodeAnalysisError);
    expect(run).toThrow(expect.objectContaining({ reason: 'PROC_CYCLE', file: 'cycle.jcl' }));
    const self = () => parseJcl(lines('//J1 JOB 1', '//ME PROC', '//S EXEC ME', '// PEND', '//GO EXEC ME'));
    expect(self).toThrow(expect.objectContaining({ reason: 'PROC_CYCLE' }));
  });

  it('refuses PROC nesting deeper than maxProcDepth', () => {
    const resolveProc = (name: string) => {
      const level = Number(name.slice(1));
      return level < 10
        ? lines(`//${name} PROC`, `//S EXEC P${level + 1}`)
        : lines(`//${name} PROC`, '//S EXEC PGM=LEAF');
    };
    const text = lines('//J1 JOB 1', '//GO EXEC P1');
    expect(parseJcl(text, { resolveProc }).expandedSteps[0]!.program).toBe('LEAF');
    expect(() => parseJcl(text, { resolveProc, maxProcDepth: 5 })).toThrow(
      expect.objectContaining({ reason: 'PROC_DEPTH' }),
    );
  });

  it('reads a member without JOB or PROC statement as a procedure without defaults', () => {
    const jcl = parseJcl(lines('//S1 EXEC PGM=A', '//IN DD DSN=X,DISP=SHR'));
    expect(jcl.kind).toBe('proc');
    expect(jcl.proc).toEqual({ name: undefined, line: undefined, defaults: {} });
    expect(jcl.programs).toEqual([{ name: 'A', steps: ['S1'] }]);
  });

  it('warns on an in-stream PROC without PEND', () => {
    const jcl = parseJcl(lines('//J1 JOB 1', '//P PROC', '//S EXEC PGM=A'));
    expect(jcl.issues.map((i) => i.code)).toEqual(['PROC_WITHOUT_PEND']);
    expect(jcl.inStreamProcs.map((p) => p.name)).toEqual(['P']);
  });
});
