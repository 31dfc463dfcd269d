import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { codePlugin } from '@mainframe-kb/plugin-code';
import { createStorage } from '@mainframe-kb/storage-core';
import { afterAll, describe, expect, it } from 'vitest';
import { templatesPlugin } from '../src/index.js';

// With plugin-code enabled, rendered COBOL and JCL also go through its analysers: an error there (an EXEC SQL
// left open) is a problem of the render; without plugin-code the column checks stand alone.
const dir = mkdtempSync(join(tmpdir(), 'kb-templates-code-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const OPEN_SQL = [
  '       IDENTIFICATION DIVISION.',
  '       PROGRAM-ID. {{PROGRAM}}.',
  '       PROCEDURE DIVISION.',
  '           EXEC SQL',
  '              SELECT 1 INTO :WS-ONE FROM SYSIBM.SYSDUMMY1',
  '           STOP RUN.',
  '',
].join('\n');

describe('templates rendered with plugin-code enabled', () => {
  it("reports the analyser's errors as problems, and nothing without plugin-code", async () => {
    const path = join(dir, 'kb.db');
    const both = await createStorage(
      { database: { type: 'sqlite', path } },
      { plugins: [codePlugin, templatesPlugin] },
    );
    try {
      await both.storeTemplate({
        name: 'OPEN-SQL',
        description: 'an EXEC SQL without END-EXEC',
        language: 'cobol',
        category: 'test',
        content: OPEN_SQL,
        parameters: [{ name: 'PROGRAM', kind: 'program' }],
      });
      const result = await both.plugin(templatesPlugin).render('OPEN-SQL', { PROGRAM: 'PAYR010' });
      expect(result.problems).toEqual([expect.objectContaining({ rule: 'code/UNTERMINATED', line: 4 })]);
      expect(result.analysis?.some((i) => i.code === 'UNTERMINATED')).toBe(true);
    } finally {
      await both.close();
    }
    const alone = await createStorage({ database: { type: 'sqlite', path } }, { plugins: [templatesPlugin] });
    try {
      const result = await alone.plugin(templatesPlugin).render('OPEN-SQL', { PROGRAM: 'PAYR010' });
      expect(result.problems).toEqual([]);
      expect(result).not.toHaveProperty('analysis');
    } finally {
      await alone.close();
    }
  });
});
