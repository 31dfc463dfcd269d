import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultSeedAnchorDir, loadSeedTemplateFile } from '@mainframe-kb/testkit';
import { describe, expect, it } from 'vitest';
import { categoryOfCode, extractErrorCodes } from '../src/index.js';

describe('extractErrorCodes', () => {
  it('finds the code in every seed-anchor KB template title', () => {
    const firstCode = (file: Parameters<typeof loadSeedTemplateFile>[0]) =>
      loadSeedTemplateFile(file).map((e) => extractErrorCodes(e.title)[0] ?? null);
    expect(firstCode('cobol-abends.json')).toEqual(['S0C7', 'S0C4', 'S0C1', 'U4038', 'S013']);
    expect(firstCode('db2-sqlcodes.json')).toEqual([
      'SQLCODE -904',
      'SQLCODE -911',
      'SQLCODE -913',
      'SQLCODE -805',
      'SQLCODE -180',
    ]);
    expect(firstCode('jcl-errors.json')).toEqual(['IEF212I', 'IEF210I', null, 'IEF453I', 'IEF142I']);
    expect(firstCode('vsam-errors.json')).toEqual([
      'VSAM status 35',
      'VSAM status 37',
      'VSAM status 39',
      'VSAM status 92',
      'VSAM status 23',
    ]);
  });

  it("finds the message ids in the seed-anchor incidents' metadata and text", () => {
    const sql = readFileSync(join(defaultSeedAnchorDir(), 'seed-data.sql'), 'utf8');
    const incidents = sql.slice(
      sql.indexOf('INSERT INTO incidents_enhanced'),
      sql.indexOf('INSERT INTO knowledge_base'),
    );
    const codes = new Set(extractErrorCodes(incidents));
    for (const code of ['AMQ7047', 'ICH408I', 'NAT3050']) expect(codes).toContain(code);
  });

  it('spells each code one canonical way, whatever the text says', () => {
    expect(extractErrorCodes('abend s0c7 then ABEND=S0C7 and SYSTEM COMPLETION CODE=0C7')).toEqual(['S0C7']);
    expect(extractErrorCodes('COMPLETION CODE - SYSTEM=0C4 USER=4038')).toEqual(['S0C4', 'U4038']);
    expect(extractErrorCodes('SQLCODE=-911, sqlcode -911, SQL code is -911, SQLCODE = +100')).toEqual([
      'SQLCODE +100',
      'SQLCODE -911',
    ]);
    expect(extractErrorCodes('VSAM STATUS CODE 35; file status 39; FILE STATUS 00')).toEqual([
      'VSAM status 35',
      'file status 39',
    ]);
    expect(
      extractErrorCodes('IGZ0035S, DFHAC2206, WER027A, EDC5129I, CEE3250C, $HASP165, IEC141I 013-18'),
    ).toEqual(['CEE3250C', 'DFHAC2206', 'EDC5129I', 'HASP165', 'IEC141I', 'IGZ0035S', 'WER027A']);
  });

  it('does not take job numbers, dataset names or a zero completion code for error codes', () => {
    expect(
      extractErrorCodes('JOB12345 PROD.PAYROLL.D240101 STEP010 ran 100 times; ABEND=S013 U0000'),
    ).toEqual(['S013']);
    expect(extractErrorCodes('')).toEqual([]);
    expect(extractErrorCodes('the seed was SEED and the sad face was sad')).toEqual([]);
  });

  it('maps codes to the KB category they belong to', () => {
    expect(
      [
        'S0C7',
        'SQLCODE -911',
        'VSAM status 35',
        'IEF212I',
        'IGZ0035S',
        'DFHAC2206',
        'ICH408I',
        'WER027A',
        'AMQ7047',
        'XYZ123I',
      ].map(categoryOfCode),
    ).toEqual(['Batch', 'DB2', 'VSAM', 'JCL', 'COBOL', 'CICS', 'RACF', 'Utilities', 'MQ', 'System']);
  });
});
