import { describe, expect, it } from 'vitest';
import { detectSourceFormat } from '../src/cobol/format-detect.js';
import { readCobolSource } from '../src/cobol/source-reader.js';
import { CodeAnalysisError } from '../src/errors.js';

/** A fixed-format line: sequence area, indicator, then areas A/B from column 8. */
const card = (text: string, indicator = ' ', sequence = '000100') => `${sequence}${indicator}${text}`;

function refusal(fn: () => unknown): CodeAnalysisError {
  try {
    fn();
  } catch (e) {
    if (e instanceof CodeAnalysisError) return e;
    throw e;
  }
  throw new Error('expected a CodeAnalysisError');
}

describe('readCobolSource — fixed format', () => {
  it('drops the sequence area and columns 73-80, keeps line numbers and columns', () => {
    const text = [card('IDENTIFICATION DIVISION.'), card(`${'MOVE A TO B.'.padEnd(65)}IGNORED!`)].join('\n');
    const { format, lines } = readCobolSource(text, { format: 'fixed' });
    expect(format).toBe('fixed');
    expect(lines.map((l) => [l.kind, l.line, l.text])).toEqual([
      ['code', 1, 'IDENTIFICATION DIVISION.'],
      ['code', 2, 'MOVE A TO B.'],
    ]);
    expect(lines[0]!.pieces).toEqual([{ offset: 0, line: 1, column: 8 }]);
  });

  it('reads * and / lines as comments and blank lines as blank', () => {
    const text = [card('a comment', '*'), card('new page', '/'), '', card('DISPLAY X.')].join('\r\n');
    const { lines } = readCobolSource(text, { format: 'fixed' });
    expect(lines.map((l) => l.kind)).toEqual(['comment', 'comment', 'blank', 'code']);
    expect(lines[0]!.text).toBe('a comment');
    expect(lines[3]!.line).toBe(4);
  });

  it('keeps D debug lines out of the code unless asked', () => {
    const text = [card('DISPLAY "TRACE".', 'D'), card('DISPLAY "trace".', 'd')].join('\n');
    expect(readCobolSource(text, { format: 'fixed' }).lines.map((l) => l.kind)).toEqual(['debug', 'debug']);
    const asCode = readCobolSource(text, { format: 'fixed', debugLines: 'code' }).lines;
    expect(asCode.map((l) => [l.kind, l.debug])).toEqual([
      ['code', true],
      ['code', true],
    ]);
  });

  it('continues an alphanumeric literal: spaces up to column 72 belong to it, it resumes after the quote', () => {
    // The quote is in column 17, ABC in columns 18-20; the literal is not closed, so columns 21-72 are
    // 52 spaces of literal text; the continuation resumes after its quote (column 12), at column 13.
    const first = card(`    MOVE 'ABC${' '.repeat(7)}`);
    const second = card(`    'DEF' TO X.`, '-');
    const { lines } = readCobolSource([first, second].join('\n'), { format: 'fixed' });
    expect(lines).toHaveLength(1);
    const literal = lines[0]!.text.slice(lines[0]!.text.indexOf("'"));
    expect(literal).toBe(`'ABC${' '.repeat(52)}DEF' TO X.`);
    expect(lines[0]!.pieces).toEqual([
      { offset: 0, line: 1, column: 8 },
      { offset: 65, line: 2, column: 13 },
    ]);
  });

  it('continues a word: the first non-blank of the continuation follows the last non-blank', () => {
    const { lines } = readCobolSource(
      [card('    MOVE WS-LONG-NA   '), card('       ME TO X.', '-')].join('\n'),
      {
        format: 'fixed',
      },
    );
    expect(lines[0]!.text).toBe('    MOVE WS-LONG-NAME TO X.');
  });

  it('a literal closed in column 72 and reopened by the continuation gives an embedded quote', () => {
    const content = `    DISPLAY${' '.repeat(65 - 11 - 4)}'IT'`;
    expect(content).toHaveLength(65);
    const { lines } = readCobolSource([card(content), card(`    'S'.`, '-')].join('\n'), { format: 'fixed' });
    expect(lines[0]!.text.endsWith(` 'IT''S'.`)).toBe(true);
  });

  it('switches format on >>SOURCE FORMAT', () => {
    const text = [card('PROCEDURE DIVISION.'), '       >>SOURCE FORMAT IS FREE', 'DISPLAY "X". *> note'].join(
      '\n',
    );
    const { lines } = readCobolSource(text, { format: 'fixed' });
    expect(lines.map((l) => [l.kind, l.text])).toEqual([
      ['code', 'PROCEDURE DIVISION.'],
      ['directive', '>>SOURCE FORMAT IS FREE'],
      ['code', 'DISPLAY "X". *> note'],
    ]);
  });
});

describe('readCobolSource — free format and detection', () => {
  it('reads free format: *> comment lines, code from column 1', () => {
    const text = [
      '*> header',
      'IDENTIFICATION DIVISION.',
      '  PROGRAM-ID. FREE1.',
      '>>D DISPLAY "DEBUG".',
    ].join('\n');
    const { format, lines } = readCobolSource(text);
    expect(format).toBe('free');
    expect(lines.map((l) => [l.kind, l.line])).toEqual([
      ['comment', 1],
      ['code', 2],
      ['code', 3],
      ['debug', 4],
    ]);
    expect(lines[2]!.pieces[0]!.column).toBe(1);
  });

  it('detects fixed format from sequence numbers and comment indicators', () => {
    expect(
      detectSourceFormat(['000100 IDENTIFICATION DIVISION.', '      * note', '       PROGRAM-ID. X.']),
    ).toBe('fixed');
    expect(detectSourceFormat(['IDENTIFICATION DIVISION.', 'PROGRAM-ID. X.', '       MOVE A TO B.'])).toBe(
      'free',
    );
    expect(detectSourceFormat(['>>SOURCE FORMAT FREE', '      * looks fixed'])).toBe('free');
    expect(detectSourceFormat([])).toBe('fixed');
  });
});

describe('readCobolSource — hostile input', () => {
  it('refuses NUL bytes and control characters as BINARY_INPUT with the line', () => {
    const e = refusal(() => readCobolSource('       MOVE A TO B.\n       \u0000\u0001', { file: 'x.cbl' }));
    expect(e.reason).toBe('BINARY_INPUT');
    expect(e.line).toBe(2);
    expect(e.file).toBe('x.cbl');
  });

  it('refuses a 10 MB single line at once with LINE_TOO_LONG', () => {
    const huge = 'A'.repeat(10_000_000);
    const e = refusal(() => readCobolSource(`       MOVE A TO B.\n${huge}`));
    expect(e.reason).toBe('LINE_TOO_LONG');
    expect(e.line).toBe(2);
  });

  it('applies the configured limits: LINE_TOO_LONG and FILE_TOO_LARGE', () => {
    expect(refusal(() => readCobolSource('x'.repeat(81), { maxLineLength: 80 })).reason).toBe(
      'LINE_TOO_LONG',
    );
    expect(
      refusal(() => readCobolSource('       MOVE A TO B.\n'.repeat(10), { maxFileSize: 100 })).reason,
    ).toBe('FILE_TOO_LARGE');
  });
});
