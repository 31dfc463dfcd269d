import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Workspace } from './cli-harness.js';

/** `kb templates …` (plugin-templates' commands), run as an operator would. */
let ws: Workspace;
beforeAll(async () => {
  ws = new Workspace();
  await ws.ok(['init']);
  writeFileSync(
    ws.path('repro.jcl'),
    [
      '//{{JOB}} JOB (ACCT),CLASS=A,MSGCLASS=X',
      '//STEP1   EXEC PGM=IDCAMS',
      '//SYSPRINT DD SYSOUT=*',
      '//OUT     DD DSN={{OUT}},DISP=(NEW,CATLG,DELETE),UNIT=SYSDA,SPACE=(CYL,(50,10),RLSE)',
      '//SYSIN   DD *',
      '  REPRO INDATASET({{CLUSTER}}) OUTFILE(OUT)',
      '/*',
      '',
    ].join('\n'),
  );
  writeFileSync(
    ws.path('repro.params.json'),
    JSON.stringify([
      { name: 'JOB', kind: 'jobname' },
      { name: 'CLUSTER', kind: 'dataset' },
      { name: 'OUT', kind: 'dataset' },
    ]),
  );
});
afterAll(() => ws?.remove());

describe('kb templates', () => {
  it('adds, lists, renders (wrapping JCL at a comma) and shows a template', async () => {
    const added = await ws.ok([
      'templates',
      'add',
      '--file',
      'repro.jcl',
      '--params',
      'repro.params.json',
      '--name',
      'REPRO-VSAM',
      '--language',
      'jcl',
      '--category',
      'vsam',
      '--description',
      'REPRO a VSAM cluster to a backup',
    ]);
    expect(added).toMatchObject({ name: 'REPRO-VSAM', currentVersion: 1 });
    const listed = await ws.ok(['templates', 'list']);
    expect(listed.templates.map((t: { name: string }) => t.name)).toEqual(['REPRO-VSAM']);
    const rendered = await ws.ok([
      'templates',
      'render',
      'REPRO-VSAM',
      '--set',
      'JOB=payrbkp',
      '--set',
      'CLUSTER=PROD.PAYROLL.KSDS',
      '--set',
      'OUT=PROD.PAYROLL.BACKUP.G0001V00',
    ]);
    expect(rendered.problems).toEqual([]);
    expect(rendered.text).toMatch(/^\/\/PAYRBKP JOB/);
    for (const line of rendered.text.split('\n')) expect(line.length).toBeLessThanOrEqual(71);
    const out = await ws.run([
      'templates',
      'render',
      'REPRO-VSAM',
      '--set',
      'JOB=J1',
      '--set',
      'CLUSTER=A.B',
      '--set',
      'OUT=A.C',
      '--out',
      'job.jcl',
    ]);
    expect(out).toMatchObject({ code: 0 });
    expect(out.stdout).toMatch(/into job\.jcl/);
    const shown = await ws.run(['templates', 'show', 'REPRO-VSAM']);
    expect(shown.stdout).toMatch(/parameters: JOB, CLUSTER, OUT/);
  });

  it('names every bad parameter (exit 3) and refuses an unknown action (exit 2)', async () => {
    const bad = await ws.run([
      '--json',
      'templates',
      'render',
      'REPRO-VSAM',
      '--set',
      'JOB=TOOLONGNAME',
      '--set',
      'CLUSTER=1BAD',
    ]);
    expect(bad.code).toBe(3);
    const message = bad.errorJson().error.message;
    for (const name of ['JOB', 'CLUSTER', 'OUT']) expect(message).toContain(name);
    expect((await ws.run(['templates', 'frobnicate'])).code).toBe(2);
  });

  it('versions, diff, rollback, outcome and retire', async () => {
    writeFileSync(
      ws.path('repro2.jcl'),
      `${'//* backup before the batch window\n'}${(await ws.ok(['templates', 'show', 'REPRO-VSAM'])).version.content}`,
    );
    const updated = await ws.ok([
      'templates',
      'update',
      'REPRO-VSAM',
      '--file',
      'repro2.jcl',
      '--note',
      'a comment',
    ]);
    expect(updated.currentVersion).toBe(2);
    const diff = await ws.ok(['templates', 'diff', 'REPRO-VSAM', '1', '2']);
    expect(diff.diff).toContain('+//* backup before the batch window');
    const versions = await ws.ok(['templates', 'versions', 'REPRO-VSAM']);
    expect(versions.versions.map((v: { version: number }) => v.version)).toEqual([1, 2]);
    expect((await ws.ok(['templates', 'rollback', 'REPRO-VSAM', '1'])).version).toBe(3);
    const outcome = await ws.ok(['templates', 'outcome', 'REPRO-VSAM', '--worked']);
    expect(outcome).toMatchObject({ successCount: 1, failureCount: 0 });
    expect((await ws.ok(['templates', 'retire', 'REPRO-VSAM'])).status).toBe('retired');
    expect((await ws.ok(['templates', 'list'])).templates).toEqual([]);
    expect((await ws.ok(['templates', 'list', '--all'])).templates).toHaveLength(1);
  });

  it('exports the library to a folder and imports it into another store', async () => {
    const exported = await ws.ok(['templates', 'export', 'library', '--all']);
    expect(exported.templates).toBe(1);
    await ws.ok(['init', '--db', 'other.db']);
    const imported = await ws.ok(['templates', 'import', 'library', '--db', 'other.db']);
    expect(imported).toEqual({ added: 1, updated: 0, unchanged: 0 });
  });
});
