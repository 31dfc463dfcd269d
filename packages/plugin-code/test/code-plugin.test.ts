import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createStorage, type Storage } from '@mainframe-kb/storage-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codePlugin } from '../src/index.js';
import { samplesDir } from './support/samples.js';

const dir = mkdtempSync(join(tmpdir(), 'kb-code-plugin-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
async function openStore(role: 'viewer' | 'editor' | 'admin' = 'admin', path = join(dir, `store-${++n}.db`)) {
  return createStorage(
    { database: { type: 'sqlite', path } },
    { plugins: [codePlugin], actor: { id: `t-${role}`, role } },
  );
}

/** A tree with the course's programs, JCL and PROC, and the ProLeap copybooks, as a shop would lay it out. */
function sampleTree(): string {
  const root = mkdtempSync(join(dir, 'tree-'));
  const course = join(samplesDir, 'omp-cobol-course');
  for (const sub of ['cbl', 'jcl', 'jclproc'])
    cpSync(join(course, sub), join(root, sub), { recursive: true });
  cpSync(join(samplesDir, 'proleap/copyreplace'), join(root, 'proleap'), { recursive: true });
  cpSync(join(samplesDir, 'cobrix/data/test6_copybook.cob'), join(root, 'copy/TEST6.cpy'));
  return root;
}

const PAYROLL = (extra = '') => `       IDENTIFICATION DIVISION.
       PROGRAM-ID. PAYR010.
       ENVIRONMENT DIVISION.
       INPUT-OUTPUT SECTION.
       FILE-CONTROL.
           SELECT PAYFILE ASSIGN TO PAYIN
               FILE STATUS IS WS-FS.
       DATA DIVISION.
       FILE SECTION.
       FD  PAYFILE.
       01  PAY-REC PIC X(80).
       WORKING-STORAGE SECTION.
       01  WS-FS PIC XX.
       PROCEDURE DIVISION.
       MAIN-PARA.
${extra}           OPEN INPUT PAYFILE
           IF WS-FS = '35'
              DISPLAY 'PAYFILE MISSING'
              PERFORM ABEND-PARA
           END-IF
           EXEC SQL
              SELECT 1 INTO :WS-FS FROM SYSIBM.SYSDUMMY1
           END-EXEC
           IF SQLCODE = -911
              PERFORM ABEND-PARA
           END-IF
           STOP RUN.
       ABEND-PARA.
           DISPLAY 'ABEND S0C7 IN PAYR010'
           STOP RUN.
`;

describe('plugin-code on SQLite: scan, search, show, links', () => {
  let store: Storage;
  let tree: string;

  beforeAll(async () => {
    store = await openStore();
    tree = sampleTree();
  });
  afterAll(async () => {
    await store.close();
  });

  it('scans the samples: programs, JCL, PROCs and copybooks, each by its content', async () => {
    const result = await store.plugin(codePlugin).scan({ path: tree, name: 'samples' });
    expect(result.type).toBe('local');
    expect(result.errors).toEqual([]);
    const files = await store.getCodeAnalysis({ repository: 'samples' });
    const byPath = Object.fromEntries(files.map((f) => [f.path, f]));
    expect(byPath['cbl/CBL0001.cobol']?.language).toBe('cobol');
    expect(byPath['cbl/CBLDB21.cbl']?.language).toBe('cobol');
    expect(byPath['jcl/CBL0001J.jcl']?.language).toBe('jcl');
    expect(byPath['jclproc/DB2CBL.jcl']?.language).toBe('jcl');
    expect(byPath['proleap/copybooks/CopyReplace1.cpy']?.language).toBe('copybook');
    expect(byPath['copy/TEST6.cpy']?.language).toBe('copybook');
    // The preprocessor output is not a source: its text has no division header, nor is it a copybook.
    expect(result.added).toBe(files.length);
    const cbl = byPath['cbl/CBL0001.cobol']!;
    expect(cbl.name).toBe('CBL0001');
    expect(cbl.structure.language === 'cobol' && cbl.structure.paragraphs.map((p) => p.name)).toEqual(
      expect.arrayContaining(['OPEN-FILES', 'READ-NEXT-RECORD', 'CLOSE-STOP', 'READ-RECORD', 'WRITE-RECORD']),
    );
    // CBLDB21C calls the in-house PROC DB2CBL, found in the tree and expanded with MBR=CBLDB21.
    const job = byPath['jcl/CBLDB21C.jcl']!;
    expect(job.structure.language).toBe('jcl');
    if (job.structure.language === 'jcl') {
      expect(job.structure.unresolvedProcs).toEqual([]);
      expect(job.structure.steps.length).toBeGreaterThan(1);
      expect(job.structure.steps.map((s) => s.name).every((s) => s.startsWith('COMPILE.'))).toBe(true);
    }
    // CBL0001J calls IGYWCL, a cataloged PROC that is not in the tree: kept unresolved, not an error.
    const compile = byPath['jcl/CBL0001J.jcl']!;
    expect(compile.structure.language === 'jcl' && compile.structure.unresolvedProcs).toEqual(['IGYWCL']);
  });

  it('finds programs, paragraphs, copybook fields, steps and programs a job runs by name', async () => {
    const api = store.plugin(codePlugin);
    const program = await api.searchCode('CBL0001');
    expect(program[0]).toMatchObject({ kind: 'program', name: 'CBL0001', path: 'cbl/CBL0001.cobol' });
    expect(program.some((h) => h.kind === 'job' || h.kind === 'runs' || h.kind === 'step')).toBe(true);
    const paragraph = await api.searchCode('write-record', { kinds: ['paragraph'] });
    expect(paragraph).toEqual([expect.objectContaining({ name: 'WRITE-RECORD', path: 'cbl/CBL0001.cobol' })]);
    const copybook = await api.copybook('TEST6');
    const field = copybook.fields.find((f) => !f.isFiller && f.dataType !== 'group')!;
    const hits = await api.searchCode(field.name, { kinds: ['field'] });
    expect(hits[0]).toMatchObject({ kind: 'field', path: 'copy/TEST6.cpy' });
    // A prefix finds what no exact name does.
    expect((await api.searchCode('LIST-A')).map((h) => h.name)).toContain('LIST-ALL');
  });

  it('skips unchanged files by hash on a rescan', async () => {
    const again = await store.plugin(codePlugin).scan({ path: tree, name: 'samples' });
    expect({ added: again.added, changed: again.changed, removed: again.removed }).toEqual({
      added: 0,
      changed: 0,
      removed: 0,
    });
    expect(again.unchanged).toBe(again.seen - again.skipped);
  });

  it('keeps a link on its lines when code moves, marks it stale when they change, and when the file goes', async () => {
    const api = store.plugin(codePlugin);
    writeFileSync(join(tree, 'cbl/PAYR010.cbl'), PAYROLL());
    await api.scan({ path: tree, name: 'samples' });
    const entry = await store.createEntry({
      title: 'SQLCODE -911 deadlock in PAYR010',
      problem: 'PAYR010 gets SQLCODE -911 (deadlock or timeout) reading the payroll table.',
      solution: 'Retry the unit of work; check the lock escalation.',
      category: 'DB2',
    });
    const file = await api.getFile('cbl/PAYR010.cbl', 'samples');
    const sqlLine =
      readFileSync(join(tree, 'cbl/PAYR010.cbl'), 'utf8')
        .split('\n')
        .findIndex((l) => l.includes('-911')) + 1;
    const link = await api.link(file.id, entry, 'handles', { lineStart: sqlLine, lineEnd: sqlLine + 2 });
    expect(link).toMatchObject({ status: 'active', lineStart: sqlLine, lineEnd: sqlLine + 2 });
    expect(link.snippet).toContain('SQLCODE = -911');

    // Three lines inserted above: the link follows its lines.
    writeFileSync(
      join(tree, 'cbl/PAYR010.cbl'),
      PAYROLL('           DISPLAY "A"\n           DISPLAY "B"\n           DISPLAY "C"\n'),
    );
    const moved = await api.scan({ path: tree, name: 'samples' });
    expect(moved).toMatchObject({ changed: 1, links: { reanchored: 1, stale: 0 } });
    expect((await api.links({ kbEntryId: entry }))[0]).toMatchObject({
      status: 'active',
      lineStart: sqlLine + 3,
    });

    // The linked lines themselves change: stale, never pointing at other code.
    writeFileSync(join(tree, 'cbl/PAYR010.cbl'), PAYROLL().replace('SQLCODE = -911', 'SQLCODE = -904'));
    const changed = await api.scan({ path: tree, name: 'samples' });
    expect(changed.links).toEqual({ reanchored: 0, stale: 1 });
    expect((await api.links({ kbEntryId: entry }))[0]).toMatchObject({ status: 'stale' });

    // A whole-file link survives edits, and goes stale (with the path kept) when the file is removed.
    await api.linkCodeToKB(file.id, entry, 'related');
    unlinkSync(join(tree, 'cbl/PAYR010.cbl'));
    const removed = await api.scan({ path: tree, name: 'samples' });
    expect(removed.removed).toBe(1);
    const after = await api.links({ kbEntryId: entry });
    expect(after.map((l) => [l.status, l.codeFileId, l.path])).toEqual([
      ['stale', null, 'cbl/PAYR010.cbl'],
      ['stale', null, 'cbl/PAYR010.cbl'],
    ]);
  });

  it('suggests KB entries that share error codes and names with a program', async () => {
    const api = store.plugin(codePlugin);
    writeFileSync(join(tree, 'cbl/PAYR010.cbl'), PAYROLL());
    await api.scan({ path: tree, name: 'samples' });
    const vsam = await store.createEntry({
      title: 'VSAM status 35 opening the payroll file',
      problem: 'OPEN fails with file status 35: the data set is not cataloged.',
      solution: 'Define the cluster with IDCAMS before the run.',
      category: 'VSAM',
    });
    await store.createEntry({
      title: 'Status 350 of the printer',
      problem: 'A printer reports status 350.',
      solution: 'Unrelated to files.',
      category: 'Other',
    });
    const file = await api.getFile('cbl/PAYR010.cbl', 'samples');
    const suggestions = await api.suggestLinks(file.id);
    const vsamHit = suggestions.find((s) => s.kbEntryId === vsam);
    expect(vsamHit).toMatchObject({ linkType: 'handles', path: 'cbl/PAYR010.cbl' });
    expect(vsamHit!.evidence.join(' ')).toMatch(/file status 35/);
    expect(suggestions.every((s) => !/printer/i.test(s.title))).toBe(true);
    const deadlock = suggestions.find((s) => /-911/.test(s.title))!;
    // Two clues (SQLCODE -911 and the program's name) point at it: stronger than one.
    expect(deadlock.evidence.length).toBeGreaterThanOrEqual(2);
    expect(deadlock.confidence).toBeGreaterThan(vsamHit!.confidence);
  });

  it('reports a hostile file for that file alone and scans the rest', async () => {
    const hostile = mkdtempSync(join(dir, 'hostile-'));
    writeFileSync(join(hostile, 'GOOD.cbl'), PAYROLL());
    writeFileSync(join(hostile, 'BINARY.cbl'), Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 0, 1, 2, 3]));
    writeFileSync(
      join(hostile, 'LONG.cbl'),
      `       IDENTIFICATION DIVISION.\n       PROGRAM-ID. LONG.\n${'X'.repeat(5 * 1024 * 1024)}\n`,
    );
    writeFileSync(
      join(hostile, 'OPENSQL.cbl'),
      '       IDENTIFICATION DIVISION.\n       PROGRAM-ID. OPENSQL.\n       PROCEDURE DIVISION.\n           EXEC SQL SELECT 1 FROM T\n           STOP RUN.\n',
    );
    mkdirSync(join(hostile, 'copy'));
    writeFileSync(join(hostile, 'copy/CYCA.cpy'), '       01  A-REC.\n           COPY CYCB.\n');
    writeFileSync(join(hostile, 'copy/CYCB.cpy'), '           05  B-FLD PIC X.\n           COPY CYCA.\n');
    writeFileSync(
      join(hostile, 'CYCLE.cbl'),
      '       IDENTIFICATION DIVISION.\n       PROGRAM-ID. CYCLE.\n       DATA DIVISION.\n       WORKING-STORAGE SECTION.\n           COPY CYCA.\n       PROCEDURE DIVISION.\n           STOP RUN.\n',
    );
    const result = await store.plugin(codePlugin).scan({ path: hostile, name: 'hostile' });
    const codes = Object.fromEntries(result.errors.map((e) => [e.path, e.code]));
    expect(codes['LONG.cbl']).toBe('LINE_TOO_LONG');
    expect(codes['OPENSQL.cbl']).toBe('UNTERMINATED');
    expect(codes['CYCLE.cbl']).toBe('COPY_CYCLE');
    expect(codes['GOOD.cbl']).toBeUndefined();
    expect(codes['BINARY.cbl']).toBe('BINARY_INPUT');
    const good = await store.getCodeAnalysis({ repository: 'hostile', name: 'PAYR010' });
    expect(good).toHaveLength(1);
    const failed = await store.getCodeAnalysis({ repository: 'hostile', withErrors: true });
    // The two copybooks COPY each other: each reports the cycle too.
    expect(codes['copy/CYCA.cpy']).toBe('COPY_CYCLE');
    expect(failed.map((f) => f.path).sort()).toEqual([
      'CYCLE.cbl',
      'LONG.cbl',
      'OPENSQL.cbl',
      'copy/CYCA.cpy',
      'copy/CYCB.cpy',
    ]);
  });

  it('refuses a path that is not a folder with a typed error', async () => {
    const api = store.plugin(codePlugin);
    await expect(api.scan({ path: join(dir, 'no-such-folder') })).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
    await expect(api.scan({ path: join(tree, 'cbl/CBL0001.cobol') })).rejects.toMatchObject({
      code: 'VALIDATION',
    });
    await expect(api.scan({ path: tree, name: 'samples', ref: 'HEAD' })).rejects.toMatchObject({
      code: 'VALIDATION',
    });
  });

  it('refuses a viewer every write, and lets it read', async () => {
    const viewer = await openStore('viewer', store.location);
    try {
      const api = viewer.plugin(codePlugin);
      await expect(api.scan({ path: tree, name: 'samples' })).rejects.toMatchObject({ code: 'FORBIDDEN' });
      await expect(viewer.storeCodeAnalysis({ path: 'X.cbl', content: PAYROLL() })).rejects.toMatchObject({
        code: 'FORBIDDEN',
      });
      const file = await api.getFile('cbl/CBL0001.cobol', 'samples');
      const entry = (await viewer.listEntries({ limit: 1 })).entries[0]!;
      await expect(viewer.linkCodeToKB(file.id, entry.id, 'related')).rejects.toMatchObject({
        code: 'FORBIDDEN',
      });
      await expect(api.removeRepository('samples')).rejects.toMatchObject({ code: 'FORBIDDEN' });
      expect((await api.searchCode('CBL0001')).length).toBeGreaterThan(0);
    } finally {
      await viewer.close();
    }
  });

  it('stores an analysis through the seed methods and reads it back', async () => {
    const id = await store.storeCodeAnalysis({
      path: 'PAYR020.cbl',
      content: PAYROLL().replace('PAYR010', 'PAYR020'),
      analysis: {
        type: 'review',
        analyzer: 'idz-code-review',
        summary: '2 findings',
        result: { findings: 2 },
      },
    });
    const [stored] = await store.getCodeAnalysis({ id });
    expect(stored).toMatchObject({
      repository: 'imported',
      path: 'PAYR020.cbl',
      language: 'cobol',
      name: 'PAYR020',
    });
    await expect(store.storeCodeAnalysis({ path: '../etc/passwd', content: 'x' })).rejects.toMatchObject({
      code: 'VALIDATION',
    });
  });
});

describe('plugin-code: git repositories', () => {
  it('reads a ref without a checkout, and rescans only what the diff names', async () => {
    const repo = mkdtempSync(join(dir, 'git-'));
    const git = (...args: string[]) =>
      execFileSync('git', ['-C', repo, '-c', 'user.email=t@example.com', '-c', 'user.name=t', ...args], {
        stdio: 'pipe',
      });
    git('init', '-q');
    mkdirSync(join(repo, 'cbl'));
    writeFileSync(join(repo, 'cbl/PAYR010.cbl'), PAYROLL());
    writeFileSync(join(repo, 'cbl/PAYR020.cbl'), PAYROLL().replace(/PAYR010/g, 'PAYR020'));
    writeFileSync(join(repo, 'README.md'), '# payroll\n');
    git('add', '.');
    git('commit', '-q', '-m', 'first');
    const store = await openStore();
    try {
      const api = store.plugin(codePlugin);
      const first = await api.scan({ path: repo });
      expect(first).toMatchObject({ type: 'git', added: 2, skipped: 1 });
      expect(first.commit).toMatch(/^[0-9a-f]{40}$/);
      writeFileSync(
        join(repo, 'cbl/PAYR020.cbl'),
        PAYROLL('           DISPLAY "NEW"\n').replace(/PAYR010/g, 'PAYR020'),
      );
      git('commit', '-q', '-am', 'second');
      // Uncommitted changes are not read: the scan reads the commit.
      writeFileSync(join(repo, 'cbl/PAYR010.cbl'), 'garbage');
      const second = await api.scan({ path: repo });
      expect(second).toMatchObject({ seen: 1, changed: 1, added: 0, unchanged: 0 });
      const [payr010] = await store.getCodeAnalysis({ name: 'PAYR010' });
      expect(payr010?.issues).toEqual([]);
      await expect(api.scan({ path: repo, ref: 'no-such-branch' })).rejects.toMatchObject({
        code: 'VALIDATION',
      });
      await expect(api.scan({ path: repo, ref: '--upload-pack=evil' })).rejects.toMatchObject({
        code: 'VALIDATION',
      });
    } finally {
      await store.close();
    }
  });
});
