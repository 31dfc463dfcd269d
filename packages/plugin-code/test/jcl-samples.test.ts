import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseJcl } from '../src/jcl/index.js';
import { samplesDir } from './support/samples.js';

const course = (file: string) => readFileSync(path.join(samplesDir, 'omp-cobol-course', file), 'utf8');
const db2cbl = course('jclproc/DB2CBL.jcl');
const resolveProc = (name: string) => (name === 'DB2CBL' ? db2cbl : undefined);

describe('CBL0001J.jcl: job calling the cataloged IGYWCL, not available', () => {
  const jcl = parseJcl(course('jcl/CBL0001J.jcl'), { file: 'CBL0001J.jcl' });

  it('reads the JOB card and counts statements and comments', () => {
    expect(jcl.kind).toBe('job');
    expect(jcl.job).toEqual({ name: 'CBL0001J', line: 1, accounting: '1', params: { NOTIFY: '&SYSUID' } });
    expect(jcl.statements).toBe(14);
    expect(jcl.comments.map((c) => c.line)).toEqual([2, 3, 4, 5, 9, 11, 19]);
    expect(jcl.issues).toEqual([]);
  });

  it('lists the steps, the PROC call reported unresolved and its proc-step DD overrides', () => {
    expect(jcl.steps.map((s) => [s.name, s.line, s.proc, s.program])).toEqual([
      ['COBRUN', 6, 'IGYWCL', undefined],
      ['RUN', 12, undefined, 'CBL0001'],
    ]);
    expect(jcl.unresolvedProcs).toEqual([{ name: 'IGYWCL', step: 'COBRUN', line: 6 }]);
    const overrides = jcl.steps[0]!.dds.map((d) => [d.procStep, d.name, d.dsn, d.disp?.status]);
    expect(overrides).toEqual([
      ['COBOL', 'SYSIN', '&SYSUID..CBL(CBL0001)', 'SHR'],
      ['LKED', 'SYSLMOD', '&SYSUID..LOAD(CBL0001)', 'SHR'],
    ]);
    expect(jcl.expandedSteps.map((s) => s.qualifiedName)).toEqual(['COBRUN', 'RUN']);
  });

  it('puts RUN under IF RC = 0 and reads its DDs (DSN, SYSOUT, DUMMY)', () => {
    const run = jcl.steps[1]!;
    expect(jcl.steps[0]!.conditions).toEqual([]);
    expect(run.conditions).toEqual([{ condition: 'RC = 0', branch: 'THEN', line: 10 }]);
    expect(run.dds.map((d) => [d.name, d.dsn ?? null, d.sysout ?? null, d.dummy])).toEqual([
      ['STEPLIB', '&SYSUID..LOAD', null, false],
      ['ACCTREC', '&SYSUID..DATA', null, false],
      ['PRTLINE', null, '*', false],
      ['SYSOUT', null, '*', false],
      ['CEEDUMP', null, null, true],
      ['SYSUDUMP', null, null, true],
    ]);
    expect(run.dds[2]!.params).toEqual({ SYSOUT: '*', OUTLIM: '15000' });
  });

  it('summarises programs, data sets and symbols; SYSUID stays unresolved unless given', () => {
    expect(jcl.programs).toEqual([{ name: 'CBL0001', steps: ['RUN'] }]);
    expect(jcl.datasets.map((d) => [d.dsn, d.uses.map((u) => `${u.step}:${u.dd}`)])).toEqual([
      ['&SYSUID..CBL(CBL0001)', ['COBRUN:COBOL.SYSIN']],
      ['&SYSUID..LOAD(CBL0001)', ['COBRUN:LKED.SYSLMOD']],
      ['&SYSUID..LOAD', ['RUN:STEPLIB']],
      ['&SYSUID..DATA', ['RUN:ACCTREC']],
    ]);
    expect(jcl.symbolsUsed).toEqual(['SYSUID']);
    expect(jcl.unresolvedSymbols).toEqual(['SYSUID']);

    const withUser = parseJcl(course('jcl/CBL0001J.jcl'), { symbols: { SYSUID: 'Z12345' } });
    expect(withUser.job?.params.NOTIFY).toBe('Z12345');
    expect(withUser.steps[1]!.dds[0]).toMatchObject({ dsn: 'Z12345.LOAD', dsnRaw: '&SYSUID..LOAD' });
    expect(withUser.unresolvedSymbols).toEqual([]);
  });
});

describe('CBLDB21C.jcl: job calling the in-house PROC DB2CBL', () => {
  it('without the PROC: the call, its symbolics and PARM, the BIND.SYSTSIN in-stream override', () => {
    const jcl = parseJcl(course('jcl/CBLDB21C.jcl'));
    expect(jcl.steps).toHaveLength(1);
    const step = jcl.steps[0]!;
    expect(step).toMatchObject({ name: 'COMPILE', proc: 'DB2CBL', symbolics: { MBR: 'CBLDB21' } });
    expect(step.params).toEqual({ PARM: "('SQL,CODEPAGE(1047)')" });
    expect(jcl.unresolvedProcs.map((p) => p.name)).toEqual(['DB2CBL']);
    const systsin = step.dds[0]!;
    expect(systsin).toMatchObject({ procStep: 'BIND', name: 'SYSTSIN', symbols: 'CNVTSYS', line: 7 });
    expect(systsin.instream).toEqual({
      kind: '*',
      delimiter: '/*',
      line: 8,
      lineCount: 3,
      text: [
        ' DSN SYSTEM(DBCG)',
        ' BIND PLAN(&SYSUID) PKLIST(&SYSUID..*) MEMBER(CBLDB21) -',
        '      ACT(REP) ISO(CS) ENCODING(EBCDIC)',
      ].join('\n'),
      truncated: false,
    });
    expect(jcl.programs).toEqual([]);
  });

  describe('expanded with DB2CBL resolved', () => {
    const jcl = parseJcl(course('jcl/CBLDB21C.jcl'), { resolveProc, symbols: { SYSUID: 'Z99' } });
    const steps = jcl.expandedSteps;
    const step = (name: string) => steps.find((s) => s.procStep === name)!;

    it('expands into the three PROC steps named after the invoking step, with their IF nesting', () => {
      expect(steps.map((s) => [s.qualifiedName, s.invokingStep, s.procStep, s.procName, s.program])).toEqual([
        ['COMPILE.COBOL', 'COMPILE', 'COBOL', 'DB2CBL', 'IGYCRCTL'],
        ['COMPILE.LKED', 'COMPILE', 'LKED', 'DB2CBL', 'IEWBLINK'],
        ['COMPILE.BIND', 'COMPILE', 'BIND', 'DB2CBL', 'IKJEFT01'],
      ]);
      expect(steps.map((s) => s.conditions.map((c) => c.condition))).toEqual([
        ['RC = 0'],
        ['RC <= 4'],
        ['RC <= 4'],
      ]);
      expect(jcl.unresolvedProcs).toEqual([]);
      expect(jcl.issues).toEqual([]);
    });

    it('substitutes MBR from the EXEC over the PROC default into the DSNs', () => {
      expect(step('COBOL').dds.find((d) => d.name === 'SYSIN')).toMatchObject({
        dsn: 'Z99.CBL(CBLDB21)',
        dsnRaw: '&SYSUID..CBL(&MBR)',
      });
      expect(step('LKED').dds.find((d) => d.name === 'SYSLMOD')?.dsn).toBe('Z99.LOAD(CBLDB21)');
    });

    it('applies the EXEC PARM to the first PROC step and nullifies it on the others', () => {
      expect(step('COBOL').params).toEqual({ REGION: '0M', PARM: "('SQL,CODEPAGE(1047)')" });
      expect(step('LKED').params).toEqual({ COND: '(8,LT,COBOL)', REGION: '0M' });
      expect(step('BIND').params).toEqual({});
    });

    it('replaces the PROC SYSTSIN DD DUMMY by the in-stream override', () => {
      const systsin = step('BIND').dds.find((d) => d.name === 'SYSTSIN')!;
      expect(systsin).toMatchObject({ dummy: false, overriddenAt: 7, symbols: 'CNVTSYS' });
      expect(systsin.instream?.lineCount).toBe(3);
    });

    it('keeps the STEPLIB concatenation and the &&LOADSET temporary data set', () => {
      const steplib = step('COBOL').dds[0]!;
      expect([steplib.dsn, ...steplib.concatenation.map((d) => d.dsn)]).toEqual([
        'IGY630.SIGYCOMP',
        'DSNC10.DBCG.SDSNEXIT',
        'DSNC10.SDSNLOAD',
        'CEE.SCEERUN',
        'CEE.SCEERUN2',
      ]);
      const loadset = jcl.datasets.find((d) => d.dsn === '&&LOADSET')!;
      expect(loadset.temporary).toBe(true);
      expect(loadset.uses.map((u) => [u.step, u.disp])).toEqual([
        ['COMPILE.COBOL', { status: 'MOD', normal: 'PASS' }],
        ['COMPILE.LKED', { status: 'OLD', normal: 'DELETE' }],
      ]);
      expect(jcl.datasets.find((d) => d.dsn === 'DSNC10.SDSNLOAD')?.uses.map((u) => u.step)).toEqual([
        'COMPILE.COBOL',
        'COMPILE.LKED',
        'COMPILE.BIND',
      ]);
    });

    it('lists the programs run after expansion', () => {
      expect(jcl.programs.map((p) => p.name)).toEqual(['IGYCRCTL', 'IEWBLINK', 'IKJEFT01']);
    });
  });
});

describe('DB2CBL.jcl parsed alone', () => {
  const jcl = parseJcl(db2cbl, { file: 'DB2CBL.jcl' });

  it('is a procedure with its PROC defaults', () => {
    expect(jcl.kind).toBe('proc');
    expect(jcl.job).toBeUndefined();
    expect(jcl.proc).toEqual({ name: 'DB2CBL', line: 1, defaults: { MBR: 'DB2CBL' } });
  });

  it('applies the defaults to its steps', () => {
    expect(jcl.steps.map((s) => [s.name, s.program])).toEqual([
      ['COBOL', 'IGYCRCTL'],
      ['LKED', 'IEWBLINK'],
      ['BIND', 'IKJEFT01'],
    ]);
    expect(jcl.steps[0]!.dds.find((d) => d.name === 'SYSIN')?.dsn).toBe('&SYSUID..CBL(DB2CBL)');
    expect(jcl.steps[0]!.params).toEqual({ REGION: '0M', PARM: "'SQL'" });
    expect(jcl.steps[0]!.dds.find((d) => d.name === 'SYSLIN')?.params).toEqual({
      DSN: '&&LOADSET',
      UNIT: 'SYSALLDA',
      DISP: '(MOD,PASS)',
      SPACE: '(CYL,(1,1))',
    });
    expect(jcl.symbolsUsed).toEqual(['SYSUID', 'MBR']);
    expect(jcl.unresolvedSymbols).toEqual(['SYSUID']);
    expect(jcl.issues).toEqual([]);
  });
});
