import { describe, expect, it } from 'vitest';
import { CodeAnalysisError } from '../src/errors.js';
import { parseJcl } from '../src/jcl/index.js';

const lines = (...text: string[]) => `${text.join('\n')}\n`;

/** The CodeAnalysisError `run` throws. */
function refusal(run: () => unknown): CodeAnalysisError {
  try {
    run();
  } catch (error) {
    if (error instanceof CodeAnalysisError) return error;
    throw error;
  }
  throw new Error('expected a CodeAnalysisError');
}

describe('hostile JCL', () => {
  it('refuses binary input (NUL and other control bytes)', () => {
    const nul = refusal(() => parseJcl(lines('//J JOB 1', '//S EXEC PGM=A\u0000B'), { file: 'bin.jcl' }));
    expect(nul).toMatchObject({ reason: 'BINARY_INPUT', file: 'bin.jcl', line: 2 });
    expect(refusal(() => parseJcl('//J JOB 1\u0007\n')).reason).toBe('BINARY_INPUT');
    expect(parseJcl('//J JOB 1\r\n//S\tEXEC PGM=A\r\n').steps).toHaveLength(1); // TAB and CRLF are text
  });

  it('refuses a 10 MB single line at once, and any line over maxLineLength', () => {
    const started = performance.now();
    const huge = refusal(() => parseJcl(`//J JOB ${'A'.repeat(10 * 1024 * 1024)}`));
    expect(huge).toMatchObject({ reason: 'LINE_TOO_LONG', line: 1 });
    expect(performance.now() - started).toBeLessThan(2000);
    const text = lines('//J JOB 1', `${'//S EXEC PGM=A'.padEnd(71)}${'9'.repeat(90)}`);
    expect(refusal(() => parseJcl(text, { maxLineLength: 80 }))).toMatchObject({
      reason: 'LINE_TOO_LONG',
      line: 2,
    });
    expect(parseJcl(text, { maxLineLength: 200 }).steps).toHaveLength(1);
  });

  it('refuses DD * with a DLM= never found, naming the DD and its line', () => {
    const error = refusal(() =>
      parseJcl(lines('//J JOB 1', '//S EXEC PGM=A', '//SYSIN DD *,DLM=ZZ', 'DATA', '/*', '//NEXT DD DUMMY'), {
        file: 'dlm.jcl',
      }),
    );
    expect(error).toMatchObject({ reason: 'UNTERMINATED', file: 'dlm.jcl', line: 3 });
    expect(error.message).toContain('SYSIN');
    expect(refusal(() => parseJcl(lines('//J JOB 1', '//S EXEC PGM=A', '//IN DD DATA', 'X')))).toMatchObject({
      reason: 'UNTERMINATED',
      line: 3,
    });
  });

  it('refuses unbalanced parentheses and apostrophes, naming the line', () => {
    const cases = [
      '//OUT DD DSN=A.B,SPACE=(TRK,(1,1)',
      '//OUT DD DSN=A.B,SPACE=TRK,1)',
      "//OUT DD DSN='A.B,DISP=SHR",
      '//OUT DD DSN=A.B(MEM,DISP=SHR',
    ];
    for (const dd of cases) {
      expect(
        refusal(() => parseJcl(lines('//J JOB 1', '//S EXEC PGM=A', dd, '//S2 EXEC PGM=B'))),
      ).toMatchObject({
        reason: 'SYNTAX',
        line: 3,
      });
    }
  });

  it('analyses a generated 50,000-line job without hanging', () => {
    const body: string[] = ['//BIG JOB 1', "// SET HLQ='PROD'"];
    for (let i = 0; body.length < 50_000; i++) {
      body.push(`//S${i} EXEC PGM=P${i % 7},PARM='RUN ${i}',`, '//            REGION=0M');
      body.push(
        `//IN DD DSN=&HLQ..IN${i % 100},DISP=SHR`,
        '//   DD DSN=&HLQ..COMMON,DISP=SHR',
        '//SYSIN DD *',
        `DATA ${i}`,
        '/*',
      );
      body.push('// IF RC = 0 THEN', '// ENDIF', '//* comment');
    }
    const started = performance.now();
    const jcl = parseJcl(lines(...body));
    expect(performance.now() - started).toBeLessThan(20_000);
    expect(jcl.steps.length).toBe(5000);
    expect(jcl.programs).toHaveLength(7);
    expect(jcl.datasets.find((d) => d.dsn === 'PROD.COMMON')?.uses).toHaveLength(5000);
    expect(jcl.issues).toEqual([]);
  });
});
