import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { type CopybookResolver, preprocessCobol } from '../src/cobol/preprocessor.js';
import { CodeAnalysisError } from '../src/errors.js';
import { samplesDir } from './support/samples.js';

const copyReplaceDir = path.join(samplesDir, 'proleap/copyreplace');

/** Fixed-format source: every line gets a blank sequence and indicator area. */
const fixed = (...lines: string[]) => lines.map((l) => `       ${l}`).join('\n');

/** A resolver over an in-memory library. */
const library =
  (members: Record<string, string>): CopybookResolver =>
  (name) =>
    members[name.toUpperCase()];

function refusal(fn: () => unknown): CodeAnalysisError {
  try {
    fn();
  } catch (e) {
    if (e instanceof CodeAnalysisError) return e;
    throw e;
  }
  throw new Error('expected a CodeAnalysisError');
}

/** The code of the output, one string per line with program text (whitespace collapsed). */
const codeLines = (text: string) =>
  text
    .split('\n')
    .map((l) => l.trim().replace(/\s+/g, ' '))
    .filter((l) => l !== '' && !l.startsWith('*>'));

describe('preprocessCobol — ProLeap oracle', () => {
  it('expands CopyReplace.cbl exactly as ProLeap does (CopyReplace.cbl.preprocessed)', () => {
    const result = preprocessCobol(readFileSync(path.join(copyReplaceDir, 'CopyReplace.cbl'), 'utf8'), {
      file: 'CopyReplace.cbl',
      resolveCopybook: (name) => readFileSync(path.join(copyReplaceDir, 'copybooks', `${name}.cpy`), 'utf8'),
    });
    const expected = readFileSync(path.join(copyReplaceDir, 'CopyReplace.cbl.preprocessed'), 'utf8');
    // Byte-for-byte: 7 blank columns for sequence + indicator, right-trimmed lines, each COPY replaced by
    // its copybook's lines followed by the (empty) rest of the COPY line, no final line break.
    expect(result.text).toBe(expected);
    expect(result.copies).toEqual([
      {
        name: 'CopyReplace1',
        suppress: false,
        replacing: [{ mode: 'full', replaceable: 'This', replacement: 'Z (1, 2, 3)' }],
        line: 5,
        resolved: true,
        depth: 1,
      },
      {
        name: 'CopyReplace2',
        suppress: false,
        replacing: [{ mode: 'full', replaceable: '==That==', replacement: '==DISPLAY==' }],
        line: 6,
        resolved: true,
        depth: 1,
      },
    ]);
    expect(result.sourceMap.map((m) => `${m.file}:${m.line}`)).toEqual([
      'CopyReplace.cbl:1',
      'CopyReplace.cbl:2',
      'CopyReplace.cbl:3',
      'CopyReplace.cbl:4',
      'CopyReplace1:1',
      'CopyReplace.cbl:5',
      'CopyReplace2:1',
      'CopyReplace.cbl:6',
      'CopyReplace.cbl:7',
    ]);
    const display = result.tokens.find((t) => t.upper === 'DISPLAY' && t.file === 'CopyReplace2');
    expect(display).toMatchObject({ text: 'DISPLAY', line: 1, mainLine: 6 });
  });
});

describe('preprocessCobol — COPY and REPLACING', () => {
  it('matches multi-word pseudo-text across spaces, commas and line breaks, case-insensitively', () => {
    const result = preprocessCobol(fixed('COPY BOOK REPLACING ==MOVE  a TO b== BY ==INITIALIZE C==.'), {
      resolveCopybook: library({ BOOK: fixed('DISPLAY X.', 'move A,', '   to B.', 'MOVE A TO Z.') }),
    });
    expect(codeLines(result.text)).toEqual(['DISPLAY X.', 'INITIALIZE C', '.', 'MOVE A TO Z.']);
  });

  it('applies each replacement once per position: ==A== BY ==A A== does not loop', () => {
    const result = preprocessCobol(fixed('COPY BOOK REPLACING ==A== BY ==A A==.'), {
      resolveCopybook: library({ BOOK: fixed('MOVE A TO B A.') }),
    });
    expect(codeLines(result.text)).toEqual(['MOVE A A TO B A A.']);
  });

  it('replaces literals, identifiers, LEADING and TRAILING parts of words', () => {
    const result = preprocessCobol(
      fixed(
        "COPY BOOK REPLACING 'OLD' BY 'NEW'",
        '    LEADING ==PFX-== BY ==CUST-==',
        '    TRAILING ==-IN== BY ==-OUT==.',
      ),
      {
        resolveCopybook: library({
          BOOK: fixed("05 PFX-NAME PIC X VALUE 'OLD'.", '05 REC-IN PIC X.', "05 OLDX PIC X VALUE 'OLDX'."),
        }),
      },
    );
    expect(codeLines(result.text)).toEqual([
      "05 CUST-NAME PIC X VALUE 'NEW'.",
      '05 REC-OUT PIC X.',
      "05 OLDX PIC X VALUE 'OLDX'.",
    ]);
    expect(result.copies[0]!.replacing.map((r) => r.mode)).toEqual(['full', 'leading', 'trailing']);
  });

  it('expands nested COPY and applies the outer REPLACING to the whole expansion', () => {
    const members: Record<string, string> = {
      'MYLIB/OUTER': fixed('05 :P:-A PIC X.', 'COPY INNER.'),
      '/INNER': fixed('05 :P:-B PIC X.'),
    };
    const result = preprocessCobol(fixed('01 REC.', '   COPY OUTER OF MYLIB REPLACING ==:P:== BY ==WS==.'), {
      file: 'main.cbl',
      resolveCopybook: (name, lib) => members[`${lib ?? ''}/${name}`],
    });
    expect(codeLines(result.text)).toEqual(['01 REC.', '05 WS-A PIC X.', '05 WS-B PIC X.']);
    expect(result.copies.map((c) => [c.name, c.library, c.depth, c.file, c.line, c.resolved])).toEqual([
      ['OUTER', 'MYLIB', 1, undefined, 2, true],
      ['INNER', undefined, 2, 'MYLIB/OUTER', 2, true],
    ]);
    const b = result.tokens.find((t) => t.upper === 'WS-B')!;
    expect([b.file, b.line, b.mainLine]).toEqual(['INNER', 1, 2]);
  });

  it('records a missing copybook as unresolved, or refuses it with requireCopybooks', () => {
    const source = fixed('COPY NOPE SUPPRESS.', 'MOVE A TO B.');
    const result = preprocessCobol(source, { resolveCopybook: () => undefined });
    expect(result.copies).toEqual([
      { name: 'NOPE', suppress: true, replacing: [], line: 1, resolved: false, depth: 1 },
    ]);
    expect(codeLines(result.text)).toEqual(['MOVE A TO B.']);
    const e = refusal(() => preprocessCobol(source, { requireCopybooks: true }));
    expect([e.reason, e.line]).toEqual(['COPY_NOT_FOUND', 1]);
  });

  it('applies REPLACE until REPLACE OFF, after COPY expansion, and removes the statements', () => {
    const result = preprocessCobol(
      fixed(
        'REPLACE ==WS-X== BY ==WS-Y==.',
        'COPY BOOK.',
        'MOVE 1 TO WS-X.',
        'REPLACE OFF.',
        'MOVE 2 TO WS-X.',
      ),
      { resolveCopybook: library({ BOOK: fixed('ADD 1 TO WS-X.') }) },
    );
    expect(codeLines(result.text)).toEqual(['ADD 1 TO WS-Y.', 'MOVE 1 TO WS-Y.', 'MOVE 2 TO WS-X.']);
    expect(result.replaces.map((r) => [r.line, r.off, r.replacing.length])).toEqual([
      [1, false, 1],
      [4, true, 0],
    ]);
  });

  it('keeps COPY inside EXEC blocks alone and comments as *> lines', () => {
    const text = ['      * note', fixed('EXEC SQL INCLUDE SQLCA END-EXEC.')].join('\n');
    const result = preprocessCobol(text, { resolveCopybook: () => 'x' });
    // ProLeap's comment layout: `*> ` then the comment's area A/B text (here ' note').
    expect(result.text).toBe('      *>  note\n       EXEC SQL INCLUDE SQLCA END-EXEC.');
    expect(result.copies).toEqual([]);
  });
});

describe('preprocessCobol — hostile input', () => {
  it('refuses a COPY cycle and names the chain', () => {
    const e = refusal(() =>
      preprocessCobol(fixed('COPY A.'), {
        resolveCopybook: library({ A: fixed('COPY B.'), B: fixed('COPY A.') }),
      }),
    );
    expect(e.reason).toBe('COPY_CYCLE');
    expect(e.message).toContain('A -> B -> A');
    expect(e.file).toBe('B');
  });

  it('refuses nesting deeper than maxDepth', () => {
    const members = { L1: fixed('COPY L2.'), L2: fixed('COPY L3.'), L3: fixed('MOVE A TO B.') };
    expect(
      preprocessCobol(fixed('COPY L1.'), { resolveCopybook: library(members), maxDepth: 3 }).copies,
    ).toHaveLength(3);
    const e = refusal(() =>
      preprocessCobol(fixed('COPY L1.'), { resolveCopybook: library(members), maxDepth: 2 }),
    );
    expect([e.reason, e.file, e.line]).toEqual(['COPY_DEPTH', 'L2', 1]);
  });

  it('stops REPLACING output that grows past maxExpansionBytes', () => {
    const book = fixed(...Array.from({ length: 200 }, () => 'A A A A A A A A A A A A A A A A A A A A.'));
    const growing = fixed('COPY BOOK REPLACING ==A==', `  BY ==${'A '.repeat(20)}==.`);
    // 200 lines x 20 A's, each becoming 20 A's: 80,000 words (+ 200 periods), about 160,000 characters.
    const ok = preprocessCobol(growing, { resolveCopybook: library({ BOOK: book }) });
    expect(ok.tokens).toHaveLength(80_200);
    const e = refusal(() =>
      preprocessCobol(growing, { resolveCopybook: library({ BOOK: book }), maxExpansionBytes: 50_000 }),
    );
    expect(e.reason).toBe('REPLACING_LIMIT');
  });

  it('stops COPY fan-out past maxExpansionBytes', () => {
    const ten = (name: string) => fixed(...Array.from({ length: 10 }, () => `COPY ${name}.`));
    const members = { B1: ten('B2'), B2: ten('B3'), B3: ten('B4'), B4: fixed('MOVE SOMETHING TO OTHER.') };
    const e = refusal(() =>
      preprocessCobol(ten('B1'), { resolveCopybook: library(members), maxExpansionBytes: 100_000 }),
    );
    expect(e.reason).toBe('FILE_TOO_LARGE');
  });

  it('refuses a replaceable pseudo-text too long to match in linear time', () => {
    const words = Array.from({ length: 30 }, () => 'A A A A A A A A A A');
    const e = refusal(() =>
      preprocessCobol(fixed('COPY BOOK REPLACING ==', ...words, '== BY ==B==.'), {
        resolveCopybook: () => '',
      }),
    );
    expect(e.reason).toBe('REPLACING_LIMIT');
  });

  it('refuses unterminated pseudo-text and a COPY without its period', () => {
    const pseudo = refusal(() =>
      preprocessCobol(fixed('MOVE A TO B.', 'COPY BOOK REPLACING ==A== BY ==B.'), {
        resolveCopybook: () => '',
      }),
    );
    expect([pseudo.reason, pseudo.line]).toEqual(['UNTERMINATED', 2]);
    const copy = refusal(() => preprocessCobol(fixed('COPY BOOK'), { resolveCopybook: () => '' }));
    expect(copy.reason).toBe('UNTERMINATED');
    const missingBy = refusal(() => preprocessCobol(fixed('COPY BOOK REPLACING ==A== ==B==.')));
    expect(missingBy.reason).toBe('SYNTAX');
  });
});
