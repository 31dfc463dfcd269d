import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { mainframeSamplesDir } from '@mainframe-kb/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Workspace } from './cli-harness.js';

/** `kb code …` (plugin-code's commands) and `kb import --source cobol|jcl|copybook`, run as an operator would. */
const samples = mainframeSamplesDir();

let ws: Workspace;
beforeAll(async () => {
  ws = new Workspace();
  await ws.ok(['init']);
  const course = join(samples, 'omp-cobol-course');
  for (const sub of ['cbl', 'jcl', 'jclproc'])
    cpSync(join(course, sub), ws.path(`src/${sub}`), { recursive: true });
  mkdirSync(ws.path('src/copy'));
  cpSync(join(samples, 'cobrix/data/test6_copybook.cob'), ws.path('src/copy/TEST6.cpy'));
});
afterAll(() => ws?.remove());

describe('kb code', () => {
  it('scans a folder and reports what it found; a rescan skips what did not change', async () => {
    const first = await ws.ok(['code', 'scan', 'src', '--name', 'course']);
    expect(first).toMatchObject({ repository: 'course', type: 'local', added: 6, errors: [] });
    const again = await ws.ok(['code', 'scan', 'src', '--name', 'course']);
    expect(again).toMatchObject({ added: 0, changed: 0, unchanged: 6 });
    const text = await ws.run(['code', 'scan', 'src', '--name', 'course']);
    expect(text.stdout).toMatch(/course \(local\): 6 files looked at/);
    const repos = await ws.ok(['code', 'repos']);
    expect(repos.repositories).toEqual([expect.objectContaining({ name: 'course', fileCount: 6 })]);
  });

  it('finds a program, a data set and a copybook field by name', async () => {
    const program = await ws.ok(['code', 'search', 'CBL0001']);
    expect(program.hits[0]).toMatchObject({
      kind: 'program',
      path: 'cbl/CBL0001.cobol',
      repository: 'course',
    });
    const dataset = await ws.ok(['code', 'search', 'CBL0001', '--kind', 'runs,step']);
    expect(dataset.hits.every((h: { kind: string }) => h.kind === 'runs' || h.kind === 'step')).toBe(true);
    const none = await ws.run(['code', 'search', 'NOSUCHNAME']);
    expect(none).toMatchObject({ code: 0, stdout: 'Nothing in the scanned code is named NOSUCHNAME.\n' });
  });

  it('shows a program: paragraphs, files, never-performed paragraphs', async () => {
    const shown = await ws.run(['code', 'show', 'cbl/CBL0001.cobol']);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(/program CBL0001/);
    expect(shown.stdout).toMatch(/READ-RECORD/);
    expect(shown.stdout).toMatch(/never performed: .*OPEN-FILES/);
    expect((await ws.run(['code', 'show', 'nope.cbl'])).code).toBe(4);
  });

  it('lays out a copybook stored by name, a file, and a record of a program', async () => {
    const stored = await ws.ok(['code', 'layout', 'TEST6']);
    expect(stored.recordLength).toBe(1493);
    const fromFile = await ws.ok(['code', 'layout', join(samples, 'cobrix/data/test6_copybook.cob')]);
    expect(fromFile.fields).toEqual(stored.fields);
    const record = await ws.ok(['code', 'layout', 'src/cbl/CBL0001.cobol', '--record', 'ACCT-FIELDS']);
    expect(record.recordLength).toBe(170);
    const text = await ws.run(['code', 'layout', 'src/cbl/CBL0001.cobol', '--record', 'ACCT-FIELDS']);
    expect(text.stdout).toMatch(/ACCT_NO|ACCT-NO/);
    expect((await ws.run(['code', 'layout', 'src/cbl/CBL0001.cobol', '--record', 'NOPE'])).code).toBe(2);
  });

  it("decodes the course's EBCDIC account records with the program's FD record", async () => {
    const data = join(samples, 'omp-cobol-course/data/ACCTREC.data.ebcdic');
    const out = await ws.ok([
      'code',
      'decode',
      data,
      '--copybook',
      'src/cbl/CBL0001.cobol',
      '--record',
      'ACCT-FIELDS',
      '--limit',
      '1',
    ]);
    expect(out.records).toHaveLength(1);
    const text = JSON.stringify(out.records[0]);
    for (const value of ['17891797', 'WASHINGTON', 'George', '1 General Dr.']) expect(text).toContain(value);
    const last = await ws.ok([
      'code',
      'decode',
      data,
      '--copybook',
      'src/cbl/CBL0001.cobol',
      '--record',
      'ACCT-FIELDS',
      '--offset',
      '44',
    ]);
    expect(JSON.stringify(last.records)).toContain('20172021');
    expect((await ws.run(['code', 'decode', data])).code).toBe(2);
  });

  it('links lines of a program to an entry, lists and removes the link, and suggests links', async () => {
    const { id: entry } = await ws.ok([
      'add',
      '--title',
      'CBL0001 writes nothing',
      '--problem',
      'WRITE-RECORD in CBL0001 never runs.',
      '--solution',
      'Check LASTREC.',
      '--category',
      'Batch',
    ]);
    const link = await ws.ok([
      'code',
      'links',
      '--add',
      '--entry',
      entry,
      '--file',
      'cbl/CBL0001.cobol',
      '--lines',
      '74-77',
      '--type',
      'fixes',
    ]);
    expect(link).toMatchObject({
      kbEntryId: entry,
      lineStart: 74,
      lineEnd: 77,
      linkType: 'fixes',
      status: 'active',
    });
    expect(link.snippet).toMatch(/PERFORM UNTIL LASTREC/);
    const listed = await ws.ok(['code', 'links', '--entry', entry]);
    expect(listed.links.map((l: { id: string }) => l.id)).toEqual([link.id]);
    const suggested = await ws.ok(['code', 'links', '--suggest', '--file', 'cbl/CBL0001.cobol']);
    expect(suggested.suggestions.map((s: { kbEntryId: string }) => s.kbEntryId)).toContain(entry);
    expect(await ws.ok(['code', 'links', '--remove', link.id])).toEqual({ removed: true });
    expect((await ws.run(['code', 'links', '--remove', link.id])).code).toBe(4);
    expect(
      (
        await ws.run([
          'code',
          'links',
          '--add',
          '--entry',
          entry,
          '--file',
          'cbl/CBL0001.cobol',
          '--lines',
          '900-901',
        ])
      ).code,
    ).toBe(3);
  });

  it('kb search --code lists code named like the words beside the KB results', async () => {
    const both = await ws.ok(['search', 'CBL0001', '--code']);
    expect(both.results.some((r: { title: string }) => r.title.includes('CBL0001'))).toBe(true);
    expect(both.code[0]).toMatchObject({ kind: 'program', name: 'CBL0001' });
    const text = await ws.run(['search', 'WRITE-RECORD', '--code']);
    expect(text.stdout).toMatch(/Code:\n {2}paragraph +WRITE-RECORD {2}course:cbl\/CBL0001\.cobol:\d+/);
    // Without --code, the output is the KB's alone, as before.
    expect(await ws.ok(['search', 'CBL0001'])).not.toHaveProperty('code');
  });

  it('refuses an unknown action with its usage (exit 2)', async () => {
    const result = await ws.run(['code', 'frobnicate']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/unknown action 'frobnicate'/);
  });
});

describe('kb import --source cobol|jcl|copybook', () => {
  it('stores a program, a job and a copybook under the imported repository', async () => {
    writeFileSync(
      ws.path('PAYR010.cbl'),
      '       IDENTIFICATION DIVISION.\n       PROGRAM-ID. PAYR010.\n       PROCEDURE DIVISION.\n       MAIN-PARA.\n           STOP RUN.\n',
    );
    const imported = await ws.ok(['import', 'PAYR010.cbl', '--source', 'cobol']);
    expect(imported.errors).toEqual([]);
    await ws.ok(['import', join(samples, 'omp-cobol-course/jcl/CBL0001J.jcl'), '--source', 'jcl']);
    await ws.ok(['import', join(samples, 'cobrix/data/test1_copybook.cob'), '--source', 'copybook']);
    const found = await ws.ok(['code', 'search', 'PAYR010']);
    expect(found.hits[0]).toMatchObject({ repository: 'imported', path: 'PAYR010.cbl', kind: 'program' });
    const repos = await ws.ok(['code', 'repos']);
    expect(repos.repositories.find((r: { name: string }) => r.name === 'imported')).toMatchObject({
      fileCount: 3,
    });
    // Not UTF-8: refused, nothing written.
    writeFileSync(ws.path('EBCDIC.cbl'), Buffer.from([0xc9, 0xc4, 0xc5, 0xd5, 0xff, 0xfe]));
    const refused = await ws.run(['import', 'EBCDIC.cbl', '--source', 'cobol']);
    expect(refused.code).not.toBe(0);
    expect(
      (await ws.ok(['code', 'repos'])).repositories.find((r: { name: string }) => r.name === 'imported'),
    ).toMatchObject({ fileCount: 3 });
  });
});
