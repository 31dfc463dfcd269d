import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeCobol } from '../src/cobol/analyzer.js';
import { CodeAnalysisError } from '../src/errors.js';
import { samplesDir } from './support/samples.js';

const sample = (name: string) => readFileSync(path.join(samplesDir, 'omp-cobol-course/cbl', name), 'utf8');

/** Fixed-format source: every line gets a blank sequence and indicator area. */
const fixed = (...lines: string[]) => lines.map((l) => `       ${l}`).join('\n');

const pick = <T, K extends keyof T>(items: readonly T[], ...keys: K[]) =>
  items.map((item) => Object.fromEntries(keys.map((k) => [k, item[k]])));

describe('analyzeCobol — CBL0001.cobol', () => {
  const a = analyzeCobol(sample('CBL0001.cobol'), { file: 'CBL0001.cobol' });

  it('finds the program, divisions and sections with their lines', () => {
    expect(a.programId).toBe('CBL0001');
    expect(a.format).toBe('fixed');
    expect(pick(a.divisions, 'name', 'line', 'endLine')).toEqual([
      { name: 'IDENTIFICATION', line: 5, endLine: 8 },
      { name: 'ENVIRONMENT', line: 10, endLine: 15 },
      { name: 'DATA', line: 24, endLine: 59 },
      { name: 'PROCEDURE', line: 61, endLine: 97 },
    ]);
    expect(pick(a.sections, 'name', 'division', 'line')).toEqual([
      { name: 'INPUT-OUTPUT', division: 'ENVIRONMENT', line: 12 },
      { name: 'FILE', division: 'DATA', line: 26 },
      { name: 'WORKING-STORAGE', division: 'DATA', line: 57 },
    ]);
  });

  it('lists the paragraphs with lines, statement counts and complexity', () => {
    // Complexity by hand: READ-NEXT-RECORD has one PERFORM UNTIL (+1), READ-RECORD one AT END (+1);
    // the other paragraphs have no decision. Program: 1 + 2 = 3.
    expect(
      pick(a.paragraphs, 'name', 'line', 'endLine', 'statementCount', 'complexity', 'fallsThrough'),
    ).toEqual([
      { name: 'OPEN-FILES', line: 63, endLine: 65, statementCount: 2, complexity: 1, fallsThrough: true },
      {
        name: 'READ-NEXT-RECORD',
        line: 67,
        endLine: 78,
        statementCount: 4,
        complexity: 2,
        fallsThrough: true,
      },
      { name: 'CLOSE-STOP', line: 80, endLine: 83, statementCount: 3, complexity: 1, fallsThrough: false },
      { name: 'READ-RECORD', line: 85, endLine: 88, statementCount: 2, complexity: 2, fallsThrough: true },
      { name: 'WRITE-RECORD', line: 90, endLine: 97, statementCount: 7, complexity: 1, fallsThrough: true },
    ]);
    expect(a.programs).toEqual([{ name: 'CBL0001', line: 5, endLine: 97, complexity: 3 }]);
  });

  it('builds the PERFORM graph; the inline PERFORM UNTIL is not an edge', () => {
    expect(pick(a.controlFlow, 'kind', 'from', 'to', 'line', 'resolved')).toEqual([
      { kind: 'perform', from: 'READ-NEXT-RECORD', to: 'READ-RECORD', line: 68, resolved: true },
      { kind: 'perform', from: 'READ-NEXT-RECORD', to: 'WRITE-RECORD', line: 75, resolved: true },
      { kind: 'perform', from: 'READ-NEXT-RECORD', to: 'READ-RECORD', line: 76, resolved: true },
    ]);
    // OPEN-FILES is the entry, READ-NEXT-RECORD and CLOSE-STOP are reached by fall-through (GOBACK stops it).
    expect(a.neverPerformed.map((p) => p.name)).toEqual(['OPEN-FILES', 'READ-NEXT-RECORD', 'CLOSE-STOP']);
    expect(a.unreachable).toEqual([]);
  });

  it('reads SELECT and FD entries with their records', () => {
    expect(pick(a.fileControl, 'file', 'assignTo', 'line')).toEqual([
      { file: 'PRINT-LINE', assignTo: ['PRTLINE'], line: 14 },
      { file: 'ACCT-REC', assignTo: ['ACCTREC'], line: 15 },
    ]);
    expect(a.fileDescriptions).toEqual([
      {
        kind: 'FD',
        file: 'PRINT-LINE',
        line: 27,
        endLine: 37,
        program: 'CBL0001',
        records: [{ name: 'PRINT-REC', line: 28, endLine: 37 }],
      },
      {
        kind: 'FD',
        file: 'ACCT-REC',
        line: 41,
        endLine: 55,
        program: 'CBL0001',
        records: [{ name: 'ACCT-FIELDS', line: 42, endLine: 55 }],
      },
    ]);
  });

  it('lists the data names with level, line and parent', () => {
    expect(a.dataItems).toHaveLength(21);
    expect(a.dataItems.find((d) => d.name === 'USA-STATE')).toMatchObject({
      level: 10,
      line: 53,
      parent: 'CLIENT-ADDR',
      section: 'FILE',
    });
    expect(a.dataItems.find((d) => d.name === 'LASTREC')).toMatchObject({
      level: 5,
      line: 59,
      values: ['SPACE'],
      section: 'WORKING-STORAGE',
    });
    expect(a.calls).toEqual([]);
    expect(a.handledConditions).toEqual([]);
  });
});

describe('analyzeCobol — CBLDB21.cbl (Db2)', () => {
  const a = analyzeCobol(sample('CBLDB21.cbl'), { file: 'CBLDB21.cbl' });

  it('finds every EXEC SQL block with its kind, cursor and host variables', () => {
    expect(pick(a.sql, 'kind', 'line', 'endLine', 'cursor', 'include', 'paragraph')).toEqual([
      { kind: 'INCLUDE', line: 38, endLine: 38, cursor: undefined, include: 'SQLCA', paragraph: undefined },
      {
        kind: 'DECLARE TABLE',
        line: 53,
        endLine: 64,
        cursor: undefined,
        include: undefined,
        paragraph: undefined,
      },
      {
        kind: 'DECLARE CURSOR',
        line: 68,
        endLine: 70,
        cursor: 'CUR1',
        include: undefined,
        paragraph: undefined,
      },
      { kind: 'OPEN', line: 102, endLine: 102, cursor: 'CUR1', include: undefined, paragraph: 'LIST-ALL' },
      { kind: 'FETCH', line: 107, endLine: 107, cursor: 'CUR1', include: undefined, paragraph: 'LIST-ALL' },
      { kind: 'CLOSE', line: 114, endLine: 114, cursor: 'CUR1', include: undefined, paragraph: 'LIST-ALL' },
      {
        kind: 'FETCH',
        line: 122,
        endLine: 122,
        cursor: 'CUR1',
        include: undefined,
        paragraph: 'PRINT-AND-GET1',
      },
    ]);
    expect(a.sql[2]!.text).toBe('DECLARE CUR1 CURSOR FOR SELECT * FROM Z#####T');
    expect(a.sql[4]!.hostVariables).toEqual([{ name: 'CUSTOMER-RECORD', line: 107 }]);
  });

  it('reports the SQLCODE checks and the RETURN-CODE it sets', () => {
    expect(pick(a.handledConditions, 'kind', 'value', 'operator', 'line', 'paragraph')).toEqual([
      { kind: 'sqlcode', value: '0', operator: '<>', line: 103, paragraph: 'LIST-ALL' },
      // UNTIL SQLCODE IS NOT EQUAL TO ZERO
      { kind: 'sqlcode', value: '0', operator: '<>', line: 109, paragraph: 'LIST-ALL' },
      { kind: 'sqlcode', value: '100', operator: '<>', line: 110, paragraph: 'LIST-ALL' },
      { kind: 'sqlcode', value: '0', operator: '<>', line: 115, paragraph: 'LIST-ALL' },
      { kind: 'sqlcode', value: '0', operator: '<>', line: 140, paragraph: 'SQL-ERROR-HANDLING' },
      { kind: 'sqlcode', value: '100', operator: '<>', line: 140, paragraph: 'SQL-ERROR-HANDLING' },
      { kind: 'return-code', value: '1000', operator: undefined, line: 141, paragraph: 'SQL-ERROR-HANDLING' },
    ]);
  });

  it('counts complexity and statements by hand', () => {
    // LIST-ALL: 3 IF + PERFORM … UNTIL = 4 decisions; SQL-ERROR-HANDLING: UNTIL, OR, IF, AND = 4.
    // Program: 1 + 8 = 9. LIST-ALL statements: 3 EXEC, 3 IF, 3 MOVE, 4 PERFORM = 13.
    expect(pick(a.paragraphs, 'name', 'statementCount', 'complexity')).toEqual([
      { name: 'PROG-START', statementCount: 2, complexity: 1 },
      { name: 'PROG-END', statementCount: 2, complexity: 1 },
      { name: 'LIST-ALL', statementCount: 13, complexity: 5 },
      { name: 'PRINT-AND-GET1', statementCount: 2, complexity: 1 },
      { name: 'PRINT-A-LINE', statementCount: 7, complexity: 1 },
      { name: 'SQL-ERROR-HANDLING', statementCount: 7, complexity: 5 },
    ]);
    expect(a.programs[0]!.complexity).toBe(9);
  });

  it('reports the static CALL, the loop PERFORM and the file entries', () => {
    expect(a.calls).toEqual([
      {
        target: 'DSNTIAR',
        kind: 'static',
        using: ['SQLCA', 'ERROR-MESSAGE', 'ERROR-TEXT-LEN'],
        paragraph: 'SQL-ERROR-HANDLING',
        program: 'CBLDB21',
        line: 134,
      },
    ]);
    expect(a.controlFlow.find((e) => e.to === 'PRINT-AND-GET1')).toMatchObject({
      from: 'LIST-ALL',
      loop: 'until',
      line: 108,
    });
    expect(a.neverPerformed.map((p) => p.name)).toEqual(['PROG-START', 'PROG-END']);
    expect(a.unreachable).toEqual([]);
    expect(a.fileControl).toMatchObject([{ file: 'REPOUT', assignTo: ['UT-S-REPORT'], line: 15 }]);
    expect(a.fileDescriptions).toMatchObject([
      { file: 'REPOUT', line: 21, records: [{ name: 'REPREC', line: 26, endLine: 32 }] },
    ]);
  });
});

describe('analyzeCobol — control flow fixtures', () => {
  it('follows GO TO, DEPENDING ON, THRU ranges, sections and ALTER; reports dead paragraphs', () => {
    const a = analyzeCobol(
      fixed(
        'IDENTIFICATION DIVISION.',
        'PROGRAM-ID. FLOW.',
        'PROCEDURE DIVISION.',
        'MAIN SECTION.',
        'M-1.',
        '    PERFORM P-A THRU P-C.',
        '    PERFORM WORK-S.',
        '    GO TO M-2 M-3 DEPENDING ON WS-I.',
        'M-2.',
        '    ALTER SW TO PROCEED TO M-4.',
        '    GO TO SW.',
        'M-3.',
        '    DISPLAY "NEVER".',
        'DEAD-1.',
        '    IF X = 1 GOBACK END-IF.',
        'SW.',
        '    GO TO M-3.',
        'M-4.',
        '    STOP RUN.',
        'DEAD-2.',
        '    DISPLAY "DEAD".',
        'P-A.',
        '    CONTINUE.',
        'P-B.',
        '    CONTINUE.',
        'P-C.',
        '    EXIT.',
        'WORK-S SECTION.',
        'W-1.',
        '    EXIT.',
      ),
    );
    expect(pick(a.controlFlow, 'kind', 'from', 'to', 'thru', 'dependingOn', 'resolved')).toEqual([
      { kind: 'perform', from: 'M-1', to: 'P-A', thru: 'P-C', dependingOn: undefined, resolved: true },
      { kind: 'perform', from: 'M-1', to: 'WORK-S', thru: undefined, dependingOn: undefined, resolved: true },
      { kind: 'goto', from: 'M-1', to: 'M-2', thru: undefined, dependingOn: 'WS-I', resolved: true },
      { kind: 'goto', from: 'M-1', to: 'M-3', thru: undefined, dependingOn: 'WS-I', resolved: true },
      { kind: 'alter', from: 'SW', to: 'M-4', thru: undefined, dependingOn: undefined, resolved: true },
      { kind: 'goto', from: 'M-2', to: 'SW', thru: undefined, dependingOn: undefined, resolved: true },
      { kind: 'goto', from: 'SW', to: 'M-3', thru: undefined, dependingOn: undefined, resolved: true },
    ]);
    // M-3 falls through to DEAD-1, whose GOBACK is conditional, so SW is reached too; M-4 ends with STOP RUN.
    expect(a.unreachable.map((p) => p.name)).toEqual(['DEAD-2']);
    expect(a.neverPerformed.map((p) => p.name)).toEqual([
      'M-1',
      'M-2',
      'M-3',
      'DEAD-1',
      'SW',
      'M-4',
      'DEAD-2',
    ]);
    expect(a.paragraphs.find((p) => p.name === 'W-1')).toMatchObject({ section: 'WORK-S' });
    expect(a.paragraphs.find((p) => p.name === 'M-2')!.fallsThrough).toBe(false);
  });

  it('treats an unconditional GO TO as the end of a paragraph and a missing target as unresolved', () => {
    const a = analyzeCobol(
      fixed(
        'PROCEDURE DIVISION.',
        'A-1.',
        '    GO TO C-1.',
        'B-1.',
        '    PERFORM NOWHERE.',
        'C-1.',
        '    GOBACK.',
      ),
    );
    expect(a.unreachable.map((p) => p.name)).toEqual(['B-1']);
    expect(a.controlFlow.find((e) => e.to === 'NOWHERE')!.resolved).toBe(false);
    expect(a.programs).toEqual([]);
  });

  it('lists nested programs and keeps their paragraphs apart', () => {
    const a = analyzeCobol(
      fixed(
        'IDENTIFICATION DIVISION.',
        'PROGRAM-ID. OUTER.',
        'PROCEDURE DIVISION.',
        'O-1.',
        '    CALL "INNER".',
        '    CALL WS-PGM.',
        '    GOBACK.',
        'IDENTIFICATION DIVISION.',
        'PROGRAM-ID. INNER.',
        'PROCEDURE DIVISION.',
        'I-1.',
        '    GOBACK.',
        'END PROGRAM INNER.',
        'END PROGRAM OUTER.',
        'IDENTIFICATION DIVISION.',
        'PROGRAM-ID. NEXTONE.',
        'DATA DIVISION.',
        'WORKING-STORAGE SECTION.',
        "01 WS-PGM PIC X(8) VALUE 'SUBPGM'.",
        'PROCEDURE DIVISION.',
        'N-1.',
        '    CALL WS-PGM.',
      ),
    );
    expect(a.programs).toEqual([
      { name: 'OUTER', line: 1, endLine: 14, complexity: 1 },
      { name: 'INNER', parent: 'OUTER', line: 8, endLine: 13, complexity: 1 },
      { name: 'NEXTONE', line: 15, endLine: 22, complexity: 1 },
    ]);
    expect(pick(a.paragraphs, 'name', 'program')).toEqual([
      { name: 'O-1', program: 'OUTER' },
      { name: 'I-1', program: 'INNER' },
      { name: 'N-1', program: 'NEXTONE' },
    ]);
    expect(pick(a.calls, 'target', 'kind', 'initialValue', 'program')).toEqual([
      { target: 'INNER', kind: 'static', initialValue: undefined, program: 'OUTER' },
      { target: 'WS-PGM', kind: 'dynamic', initialValue: undefined, program: 'OUTER' },
      { target: 'WS-PGM', kind: 'dynamic', initialValue: 'SUBPGM', program: 'NEXTONE' },
    ]);
  });
});

describe('analyzeCobol — error conditions', () => {
  const source = fixed(
    'IDENTIFICATION DIVISION.',
    'PROGRAM-ID. CONDS.',
    'ENVIRONMENT DIVISION.',
    'INPUT-OUTPUT SECTION.',
    'FILE-CONTROL.',
    '    SELECT MASTER ASSIGN TO MASTDD',
    '        ORGANIZATION IS INDEXED ACCESS MODE IS DYNAMIC',
    '        RECORD KEY IS M-KEY ALTERNATE RECORD KEY IS M-ALT',
    '        FILE STATUS IS WS-FS.',
    'DATA DIVISION.',
    'WORKING-STORAGE SECTION.',
    '01 WS-FS PIC XX.',
    "   88 FS-OK VALUE '00'.",
    "   88 FS-NOTFOUND VALUE '23' '35'.",
    '01 WS-SQL PIC S9(9) COMP.',
    '   88 SQL-DEADLOCK VALUE -911.',
    '01 ABEND-CODE PIC S9(9) BINARY VALUE 806.',
    'PROCEDURE DIVISION.',
    'MAIN-PARA.',
    '    OPEN I-O MASTER',
    "    IF WS-FS = '35' OR '37'",
    '        PERFORM FAIL',
    '    END-IF',
    '    IF FS-NOTFOUND CONTINUE END-IF',
    '    MOVE SQLCODE TO WS-SQL',
    '    EVALUATE SQLCODE',
    '        WHEN 0 CONTINUE',
    '        WHEN -803 WHEN -811 PERFORM FAIL',
    '        WHEN OTHER PERFORM FAIL',
    '    END-EVALUATE',
    '    IF SQL-DEADLOCK DISPLAY "RETRY" END-IF',
    '    READ MASTER INVALID KEY PERFORM FAIL',
    '        NOT INVALID KEY CONTINUE END-READ',
    '    GOBACK.',
    'FAIL.',
    "    DISPLAY 'ERROR: SQLCODE -911 / FILE STATUS 35'",
    '    MOVE 16 TO RETURN-CODE',
    "    CALL 'CEE3ABD' USING ABEND-CODE.",
  );
  const a = analyzeCobol(source);

  it('reads the SELECT clauses', () => {
    expect(a.fileControl).toEqual([
      {
        file: 'MASTER',
        assignTo: ['MASTDD'],
        organization: 'INDEXED',
        accessMode: 'DYNAMIC',
        recordKey: 'M-KEY',
        alternateKeys: ['M-ALT'],
        fileStatus: 'WS-FS',
        program: 'CONDS',
        line: 6,
      },
    ]);
  });

  it('reports file status, SQLCODE, RETURN-CODE and abend conditions', () => {
    expect(pick(a.handledConditions, 'kind', 'value', 'source', 'subject', 'line')).toEqual([
      { kind: 'file-status', value: '00', source: 'condition-declaration', subject: 'FS-OK', line: 13 },
      { kind: 'file-status', value: '23', source: 'condition-declaration', subject: 'FS-NOTFOUND', line: 14 },
      { kind: 'file-status', value: '35', source: 'condition-declaration', subject: 'FS-NOTFOUND', line: 14 },
      // WS-SQL receives SQLCODE (MOVE SQLCODE TO WS-SQL), so its 88 is an SQLCODE condition.
      { kind: 'sqlcode', value: '-911', source: 'condition-declaration', subject: 'SQL-DEADLOCK', line: 16 },
      { kind: 'file-status', value: '35', source: 'comparison', subject: 'WS-FS', line: 21 },
      { kind: 'file-status', value: '37', source: 'comparison', subject: 'WS-FS', line: 21 },
      { kind: 'file-status', value: '23', source: 'condition-name', subject: 'FS-NOTFOUND', line: 24 },
      { kind: 'file-status', value: '35', source: 'condition-name', subject: 'FS-NOTFOUND', line: 24 },
      { kind: 'sqlcode', value: '0', source: 'evaluate-when', subject: 'SQLCODE', line: 27 },
      { kind: 'sqlcode', value: '-803', source: 'evaluate-when', subject: 'SQLCODE', line: 28 },
      { kind: 'sqlcode', value: '-811', source: 'evaluate-when', subject: 'SQLCODE', line: 28 },
      { kind: 'sqlcode', value: '-911', source: 'condition-name', subject: 'SQL-DEADLOCK', line: 31 },
      {
        kind: 'sqlcode',
        value: '-911',
        source: 'display',
        subject: 'ERROR: SQLCODE -911 / FILE STATUS 35',
        line: 36,
      },
      {
        kind: 'file-status',
        value: '35',
        source: 'display',
        subject: 'ERROR: SQLCODE -911 / FILE STATUS 35',
        line: 36,
      },
      { kind: 'return-code', value: '16', source: 'move', subject: 'RETURN-CODE', line: 37 },
      { kind: 'abend', value: '806', source: 'call', subject: 'CEE3ABD', line: 38 },
    ]);
  });

  it('counts IF, WHEN (not OTHER), OR and INVALID KEY / NOT INVALID KEY', () => {
    // MAIN-PARA: IF (+1) OR (+1), IF (+1), WHEN 0, WHEN -803, WHEN -811 (+3), IF (+1), INVALID, NOT INVALID (+2):
    // 9 decision points, complexity 1 + 9 = 10.
    expect(a.paragraphs.map((p) => [p.name, p.complexity])).toEqual([
      ['MAIN-PARA', 10],
      ['FAIL', 1],
    ]);
    // FAIL ends with the abend call: it does not fall through.
    expect(a.paragraphs[1]!.fallsThrough).toBe(false);
  });
});

describe('analyzeCobol — EXEC CICS, free format, copybooks', () => {
  it('reads EXEC CICS commands, options and HANDLE labels', () => {
    const a = analyzeCobol(
      fixed(
        'PROCEDURE DIVISION.',
        'P-1.',
        '    EXEC CICS HANDLE CONDITION NOTFND(P-NF) END-EXEC.',
        "    EXEC CICS READ FILE('CUSTF') INTO(WS-REC) RIDFLD(WS-KEY)",
        '         RESP(WS-RESP) END-EXEC.',
        '    EXEC CICS RETURN END-EXEC.',
        'P-NF.',
        "    EXEC CICS ABEND ABCODE('NF01') END-EXEC.",
      ),
    );
    expect(pick(a.cics, 'command', 'line', 'endLine', 'paragraph')).toEqual([
      { command: 'HANDLE CONDITION', line: 3, endLine: 3, paragraph: 'P-1' },
      { command: 'READ', line: 4, endLine: 5, paragraph: 'P-1' },
      { command: 'RETURN', line: 6, endLine: 6, paragraph: 'P-1' },
      { command: 'ABEND', line: 8, endLine: 8, paragraph: 'P-NF' },
    ]);
    expect(a.cics[1]!.options).toEqual([
      { name: 'FILE', value: 'CUSTF' },
      { name: 'INTO', value: 'WS-REC' },
      { name: 'RIDFLD', value: 'WS-KEY' },
      { name: 'RESP', value: 'WS-RESP' },
    ]);
    expect(a.unreachable).toEqual([]);
    expect(a.controlFlow).toMatchObject([{ kind: 'cics-handle', from: 'P-1', to: 'P-NF', resolved: true }]);
    expect(a.handledConditions).toMatchObject([
      { kind: 'abend', value: 'NF01', source: 'exec-cics', line: 8 },
    ]);
  });

  it('reads SQL host variables with indicator variables', () => {
    const a = analyzeCobol(
      fixed(
        'PROCEDURE DIVISION.',
        'P-1.',
        '    EXEC SQL SELECT NAME, CITY INTO :WS-NAME:WS-NAME-IND,',
        '       :WS-CITY INDICATOR :WS-CITY-IND FROM T WHERE ID = :WS-ID',
        '    END-EXEC.',
      ),
    );
    expect(a.sql[0]!.kind).toBe('SELECT');
    expect(a.sql[0]!.hostVariables).toEqual([
      { name: 'WS-NAME', indicator: 'WS-NAME-IND', line: 3 },
      { name: 'WS-CITY', indicator: 'WS-CITY-IND', line: 4 },
      { name: 'WS-ID', line: 4 },
    ]);
  });

  it('analyses free-format source', () => {
    const a = analyzeCobol(
      [
        '*> free format',
        'IDENTIFICATION DIVISION.',
        'PROGRAM-ID. FREE1.',
        'PROCEDURE DIVISION.',
        'MAIN.',
        '  PERFORM SUB. *> call',
        '  STOP RUN.',
        'SUB.',
        '  EXIT.',
      ].join('\n'),
    );
    expect(a.format).toBe('free');
    expect(pick(a.paragraphs, 'name', 'line')).toEqual([
      { name: 'MAIN', line: 5 },
      { name: 'SUB', line: 8 },
    ]);
    expect(a.controlFlow).toMatchObject([{ kind: 'perform', from: 'MAIN', to: 'SUB', line: 6 }]);
  });

  it('locates facts inside copybooks and reports the COPY statements', () => {
    const a = analyzeCobol(fixed('PROCEDURE DIVISION.', 'P-1.', '    COPY ERRCHK.', '    GOBACK.'), {
      resolveCopybook: (name) =>
        name === 'ERRCHK' ? fixed('IF SQLCODE < 0', '   MOVE 12 TO RETURN-CODE', 'END-IF') : undefined,
    });
    expect(pick(a.handledConditions, 'kind', 'value', 'operator', 'file', 'line', 'paragraph')).toEqual([
      { kind: 'sqlcode', value: '0', operator: '<', file: 'ERRCHK', line: 1, paragraph: 'P-1' },
      { kind: 'return-code', value: '12', operator: undefined, file: 'ERRCHK', line: 2, paragraph: 'P-1' },
    ]);
    // Paragraph ranges are main-source lines: the copybook text counts as the COPY line.
    expect(a.paragraphs).toMatchObject([
      { name: 'P-1', line: 2, endLine: 4, statementCount: 3, complexity: 2 },
    ]);
    expect(a.copies).toMatchObject([{ name: 'ERRCHK', line: 3, resolved: true }]);
  });
});

describe('analyzeCobol — hostile input', () => {
  it('refuses an EXEC SQL without END-EXEC, naming its start line', () => {
    let error: unknown;
    try {
      analyzeCobol(
        fixed('PROCEDURE DIVISION.', 'P-1.', '    EXEC SQL', '      SELECT 1 FROM T', '    DISPLAY "X".'),
      );
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(CodeAnalysisError);
    expect(error).toMatchObject({ reason: 'UNTERMINATED', line: 3 });
  });

  it('analyses a generated 20,000-line program completely', () => {
    const lines = [
      'IDENTIFICATION DIVISION.',
      'PROGRAM-ID. BIG.',
      'PROCEDURE DIVISION.',
      'P-0.',
      '    PERFORM P-1.',
      '    GOBACK.',
    ];
    const paragraphs = 4_000;
    for (let i = 1; i <= paragraphs; i++) {
      lines.push(
        `P-${i}.`,
        `    IF WS-X = ${i} AND WS-Y = 1`,
        `        PERFORM P-${i + 1 > paragraphs ? 0 : i + 1}`,
        '    END-IF.',
      );
    }
    expect(lines.length).toBeGreaterThan(16_000);
    while (lines.length < 20_000) lines.push('    CONTINUE.');
    const a = analyzeCobol(fixed(...lines));
    expect(a.paragraphs).toHaveLength(paragraphs + 1);
    expect(a.controlFlow).toHaveLength(paragraphs + 1);
    expect(a.unreachable).toEqual([]);
    // Every paragraph but the last has IF + AND = 3; the last also holds the padding CONTINUEs.
    expect(a.paragraphs[paragraphs]!.complexity).toBe(3);
    expect(a.programs[0]!.complexity).toBe(1 + 2 * paragraphs);
    expect(a.paragraphs[paragraphs]!.statementCount).toBe(2 + (20_000 - 6 - 4 * paragraphs));
  });

  it('stays linear on pathological nesting and THRU fan-out', () => {
    const lines = ['PROCEDURE DIVISION.', 'P-0.'];
    for (let i = 0; i < 20_000; i++) lines.push('    IF A = 1');
    for (let i = 0; i < 20_000; i++) lines.push('    END-READ END-IF');
    lines.push('    .');
    for (let i = 1; i <= 2_000; i++) lines.push(`P-${i}.`, '    PERFORM P-1 THRU P-2000.');
    const a = analyzeCobol(fixed(...lines));
    expect(a.paragraphs[0]).toMatchObject({ name: 'P-0', complexity: 20_001, statementCount: 20_000 });
    expect(a.controlFlow).toHaveLength(2_000);
    expect(a.neverPerformed.map((p) => p.name)).toEqual(['P-0']);
    expect(a.unreachable).toEqual([]);
  });
});
