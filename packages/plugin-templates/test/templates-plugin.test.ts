import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createStorage, type Storage } from '@mainframe-kb/storage-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkOutput, templatesPlugin } from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'kb-templates-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const open = (role: 'viewer' | 'editor' | 'admin' = 'admin', path = join(dir, `store-${++n}.db`)) =>
  createStorage(
    { database: { type: 'sqlite', path } },
    { plugins: [templatesPlugin], actor: { id: `t-${role}`, role } },
  );

/** A guard around a COMPUTE: ON SIZE ERROR and IF NUMERIC, in fixed-format COBOL. */
const GUARD = [
  '      * Guard {{FIELD}} in {{PROGRAM}} against S0C7 (data exception)',
  '           IF {{FIELD}} IS NUMERIC',
  '              COMPUTE {{TARGET}} = {{FIELD}} * {{FACTOR}}',
  '                 ON SIZE ERROR',
  "                    DISPLAY '{{MESSAGE}}'",
  '              END-COMPUTE',
  '           ELSE',
  '              MOVE ZERO TO {{TARGET}}',
  '           END-IF',
  '',
].join('\n');

const GUARD_PARAMS = [
  { name: 'PROGRAM', kind: 'program', description: 'the failing program' },
  { name: 'FIELD', kind: 'string', maxLength: 30, pattern: '[A-Z][A-Z0-9-]*' },
  { name: 'TARGET', kind: 'string', maxLength: 30, pattern: '[A-Z][A-Z0-9-]*' },
  { name: 'FACTOR', kind: 'integer', min: 1, max: 1000, default: 100 },
  { name: 'MESSAGE', kind: 'string', maxLength: 120, default: 'SIZE ERROR' },
];

/** An IDCAMS REPRO of a VSAM cluster to a sequential backup. */
const REPRO = [
  '//{{JOB}} JOB (ACCT),CLASS=A,MSGCLASS=X',
  '//STEP1   EXEC PGM=IDCAMS',
  '//SYSPRINT DD SYSOUT=*',
  '//OUT     DD DSN={{OUT}},DISP=(NEW,CATLG,DELETE),UNIT=SYSDA,SPACE=(CYL,(50,10),RLSE)',
  '//SYSIN   DD *',
  '  REPRO INDATASET({{CLUSTER}}) OUTFILE(OUT)',
  '/*',
  '',
].join('\n');

const REPRO_PARAMS = {
  parameters: [
    { name: 'JOB', kind: 'jobname' },
    { name: 'CLUSTER', kind: 'dataset' },
    { name: 'OUT', kind: 'dataset' },
  ],
  rules: [{ rule: 'differs', params: ['CLUSTER', 'OUT'] }],
};

describe('plugin-templates on SQLite', () => {
  let store: Storage;
  let entry: string;
  beforeAll(async () => {
    store = await open();
    entry = await store.createEntry({
      title: 'S0C7 in PAYR010 COMPUTE',
      problem: 'A packed field holds spaces.',
      solution: 'Guard the COMPUTE.',
      category: 'COBOL',
    });
  });
  afterAll(() => store.close());

  it('stores a template through the seed method, and renders it with checked columns, byte for byte again', async () => {
    const id = await store.storeTemplate({
      name: 'S0C7-GUARD',
      description: 'IF NUMERIC and ON SIZE ERROR around a COMPUTE',
      language: 'cobol',
      category: 'abend-fix',
      content: GUARD,
      parameters: GUARD_PARAMS,
      errorCodes: ['S0C7'],
      kbEntryIds: [entry],
    });
    const api = store.plugin(templatesPlugin);
    const values = { PROGRAM: 'payr010', FIELD: 'WS-AMOUNT', TARGET: 'WS-TOTAL' };
    const first = await api.render(id, values);
    expect(first.problems).toEqual([]);
    expect(first.text).toContain('COMPUTE WS-TOTAL = WS-AMOUNT * 100');
    expect(first.text).toContain('in PAYR010 against'); // program names are upper-cased
    expect(checkOutput(first.text, 'cobol').problems).toEqual([]);
    const again = await api.render('S0C7-GUARD', values);
    expect(again.text).toBe(first.text);
    const [found] = await store.getTemplates({ errorCode: 's0c7' });
    expect(found).toMatchObject({ name: 'S0C7-GUARD', usageCount: 2, kbEntryIds: [entry] });
  });

  it('refuses a render with every bad or missing parameter named, and writes nothing', async () => {
    const api = store.plugin(templatesPlugin);
    const before = (await api.getTemplate('S0C7-GUARD')).usageCount;
    const error = await api
      .render('S0C7-GUARD', { PROGRAM: 'PAYROLL010', FIELD: '1BAD', EXTRA: 'x' })
      .catch((e) => e);
    expect(error).toMatchObject({ code: 'VALIDATION' });
    const paths = (error.issues as { path: string }[]).map((i) => i.path).join(' ');
    for (const name of ['PROGRAM', 'FIELD', 'TARGET', 'EXTRA']) expect(paths).toContain(name);
    expect((await api.getTemplate('S0C7-GUARD')).usageCount).toBe(before);
  });

  it('renders injection payloads given as values as text', async () => {
    const api = store.plugin(templatesPlugin);
    const result = await api.render('S0C7-GUARD', {
      PROGRAM: 'PAYR010',
      FIELD: 'WS-A',
      TARGET: 'WS-B',
      MESSAGE: '{{__proto__}}{{#a}}',
    });
    expect(result.text).toContain("DISPLAY '{{__proto__}}{{#a}}'");
    await expect(
      store.storeTemplate({
        name: 'EVIL',
        description: 'x',
        language: 'text',
        category: 'x',
        content: "{{#with 's' as |s|}}{{s.constructor}}{{/with}}",
      }),
    ).rejects.toMatchObject({ code: 'VALIDATION' });
  });

  it('wraps a JCL line that crosses column 71 after a comma, and checks the rules stored with the template', async () => {
    const api = store.plugin(templatesPlugin);
    await api.storeTemplate({
      name: 'REPRO-VSAM',
      description: 'REPRO a VSAM cluster to a backup',
      language: 'jcl',
      category: 'vsam',
      content: REPRO,
      ...REPRO_PARAMS,
    });
    const out = await api.render('REPRO-VSAM', {
      JOB: 'payrbkp',
      CLUSTER: 'PROD.PAYROLL.MASTER.KSDS',
      OUT: 'PROD.PAYROLL.MASTER.BACKUP.G0001V00',
    });
    expect(out.problems).toEqual([]);
    expect(out.wrapped.length).toBeGreaterThan(0);
    for (const line of out.text.split('\n')) expect(line.length).toBeLessThanOrEqual(71);
    expect(checkOutput(out.text, 'jcl').problems).toEqual([]);
    const same = await api
      .render('REPRO-VSAM', { JOB: 'PAYRBKP', CLUSTER: 'PROD.A', OUT: 'PROD.A' })
      .catch((e) => e);
    expect(same).toMatchObject({ code: 'VALIDATION' });
    const long = await api
      .render('REPRO-VSAM', { JOB: 'PAYRBKP', CLUSTER: 'PROD.A', OUT: `PROD.${'ABCDEFGH.'.repeat(5)}X` })
      .catch((e) => e);
    expect(long).toMatchObject({ code: 'VALIDATION' }); // 52 characters: over 44
  });

  it('keeps every version: update, diff, render an old one, roll back as a new version', async () => {
    const api = store.plugin(templatesPlugin);
    const v2 = await api.updateTemplate('S0C7-GUARD', {
      content: GUARD.replace('MOVE ZERO', 'INITIALIZE'),
      changeNote: 'INITIALIZE',
    });
    expect(v2.currentVersion).toBe(2);
    const diff = await api.diff('S0C7-GUARD', 1, 2);
    expect(diff).toContain('-              MOVE ZERO TO {{TARGET}}');
    expect(diff).toContain('+              INITIALIZE TO {{TARGET}}');
    const old = await api.render('S0C7-GUARD', { PROGRAM: 'A', FIELD: 'B', TARGET: 'C' }, { version: 1 });
    expect(old).toMatchObject({ version: 1 });
    expect(old.text).toContain('MOVE ZERO TO C');
    const rolled = await api.rollback('S0C7-GUARD', 1);
    expect(rolled.version).toBe(3);
    expect(rolled.content).toBe(GUARD);
    expect((await api.versions('S0C7-GUARD')).map((v) => v.version)).toEqual([1, 2, 3]);
    // A change to nothing makes no version.
    expect((await api.updateTemplate('S0C7-GUARD', { content: GUARD })).currentVersion).toBe(3);
  });

  it('ranks by a Bayesian success rate, and never destroys a template used in an outcome', async () => {
    const api = store.plugin(templatesPlugin);
    await api.recordOutcome('S0C7-GUARD', { worked: true });
    await api.recordOutcome('S0C7-GUARD', { worked: true, version: 1 });
    const repro = await api.recordOutcome('REPRO-VSAM', { worked: false });
    expect(repro.successRate).toBeCloseTo(1 / 3);
    const ranked = await store.getTemplates();
    expect(ranked.map((t) => t.name)).toEqual(['S0C7-GUARD', 'REPRO-VSAM']);
    expect(ranked[0]!.successRate).toBeCloseTo(3 / 4);
    await expect(api.deleteTemplate('S0C7-GUARD')).rejects.toMatchObject({ code: 'CONFLICT' });
    await api.retire('S0C7-GUARD');
    expect((await store.getTemplates()).map((t) => t.name)).toEqual(['REPRO-VSAM']);
    await expect(api.render('S0C7-GUARD', { PROGRAM: 'A', FIELD: 'B', TARGET: 'C' })).rejects.toMatchObject({
      code: 'CONFLICT',
    });
    expect((await api.versions('S0C7-GUARD')).length).toBe(3);
  });

  it('lets a viewer read and render, and refuses it every change', async () => {
    const viewer = await open('viewer', store.location);
    try {
      const api = viewer.plugin(templatesPlugin);
      expect((await api.render('REPRO-VSAM', { JOB: 'J1', CLUSTER: 'A.B', OUT: 'A.C' })).problems).toEqual(
        [],
      );
      await expect(api.updateTemplate('REPRO-VSAM', { description: 'x' })).rejects.toMatchObject({
        code: 'FORBIDDEN',
      });
      await expect(api.recordOutcome('REPRO-VSAM', { worked: true })).rejects.toMatchObject({
        code: 'FORBIDDEN',
      });
      await expect(
        viewer.storeTemplate({ name: 'V', description: 'v', language: 'text', category: 'c', content: 'x' }),
      ).rejects.toMatchObject({ code: 'FORBIDDEN' });
    } finally {
      await viewer.close();
    }
  });

  it('exports a library folder and imports it into another store; a changed file is refused whole', async () => {
    const api = store.plugin(templatesPlugin);
    const folder = join(dir, 'library');
    const exported = await api.exportLibrary(folder, { includeRetired: true });
    expect(exported.templates).toBe(2);
    const other = await open();
    try {
      const imported = await other.plugin(templatesPlugin).importLibrary(folder);
      expect(imported).toEqual({ added: 2, updated: 0, unchanged: 0 });
      const again = await other.plugin(templatesPlugin).importLibrary(folder);
      expect(again).toEqual({ added: 0, updated: 0, unchanged: 2 });
      expect((await other.plugin(templatesPlugin).version('REPRO-VSAM')).content).toBe(REPRO);
      const file = join(folder, 'templates', 'REPRO-VSAM.jcl');
      writeFileSync(file, readFileSync(file, 'utf8').replace('IDCAMS', 'IEFBR14'));
      const fresh = await open();
      try {
        await expect(fresh.plugin(templatesPlugin).importLibrary(folder)).rejects.toMatchObject({
          code: 'INTEGRITY',
        });
        expect(await fresh.getTemplates({ status: 'all' })).toEqual([]);
      } finally {
        await fresh.close();
      }
    } finally {
      await other.close();
    }
  });

  it('imports an IDz project folder into a workspace, exports it back, and imports the export to the same members', async () => {
    const api = store.plugin(templatesPlugin);
    const project = join(dir, 'payroll-project');
    mkdirSync(join(project, 'COBOL'), { recursive: true });
    mkdirSync(join(project, 'COPYBOOK'));
    mkdirSync(join(project, 'JCL'));
    writeFileSync(
      join(project, '.project'),
      '<?xml version="1.0" encoding="UTF-8"?>\n<projectDescription>\n  <name>PAYROLL</name>\n  <comment>payroll batch</comment>\n  <projects/>\n  <buildSpec/>\n  <natures>\n    <nature>com.ibm.ftt.ui.views.project.navigator.local</nature>\n  </natures>\n</projectDescription>\n',
    );
    writeFileSync(
      join(project, 'zapp.yaml'),
      'name: payroll\nversion: 1.0.0\npropertyGroups:\n  - name: cobol-copybooks\n    language: cobol\n    libraries:\n      - name: syslib\n        type: local\n        locations:\n          - "**/COPYBOOK"\n',
    );
    writeFileSync(
      join(project, 'COBOL', 'PAYR010.cbl'),
      '       IDENTIFICATION DIVISION.\n       PROGRAM-ID. PAYR010.\n',
    );
    writeFileSync(join(project, 'COPYBOOK', 'PAYREC.cpy'), '       01  PAY-REC PIC X(80).\n');
    writeFileSync(join(project, 'JCL', 'PAYJ010.jcl'), '//PAYJ010 JOB (ACCT)\n//S1 EXEC PGM=PAYR010\n');
    const imported = await api.importWorkspace(project);
    expect(imported.name).toBe('PAYROLL');
    expect(imported.members.map((m) => [m.name, m.type]).sort()).toEqual([
      ['PAYJ010', 'jcl'],
      ['PAYR010', 'cobol'],
      ['PAYREC', 'copybook'],
    ]);
    const out = join(dir, 'payroll-export');
    const exported = await api.exportWorkspace('PAYROLL', out, { withMembers: true });
    expect(exported.membersWritten).toBe(3);
    expect(readFileSync(join(out, 'COBOL', 'PAYR010.cbl'), 'utf8')).toContain('PROGRAM-ID. PAYR010.');
    const again = await api.importWorkspace(out, { name: 'PAYROLL-COPY' });
    expect(again.members).toEqual(imported.members);
    expect(again.metadata.project).toEqual(imported.metadata.project);
    expect((await api.workspaces()).map((w) => w.name)).toEqual(['PAYROLL', 'PAYROLL-COPY']);
    await expect(api.importWorkspace(join(dir, 'no-such-project'))).rejects.toMatchObject({
      code: 'VALIDATION',
    });
  });
});
