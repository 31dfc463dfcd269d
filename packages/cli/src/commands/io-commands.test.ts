import { writeFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Workspace } from '../../test/cli-harness.js';

describe('kb export / kb import', () => {
  let ws: Workspace;

  beforeEach(async () => {
    ws = await new Workspace().init(['--db', 'source.db']);
    // Only kb init creates a store: the import targets exist before anything is imported into them.
    await ws.init(['--db', 'target.db']);
    await ws.init(['--db', 'copy.db']);
    await ws.ok([
      '--db',
      'source.db',
      'add',
      '--title',
      'S0C7 in PAY001',
      '--problem',
      '=SUM(A1) problem',
      '--solution',
      'Fix the COMP-3 field',
      '--category',
      'COBOL',
      '--tag',
      's0c7',
    ]);
    await ws.ok([
      '--db',
      'source.db',
      'add',
      '--title',
      'VSAM status 35',
      '--problem',
      'OPEN fails',
      '--solution',
      'Define the cluster',
      '--category',
      'VSAM',
    ]);
  });

  afterEach(() => ws.remove());

  for (const format of ['json', 'ndjson', 'csv', 'xml']) {
    it(`${format}: exports with --json and imports into another store`, async () => {
      const exported = await ws.ok([
        '--db',
        'source.db',
        'export',
        '--format',
        format,
        '--out',
        `out-${format}`,
      ]);
      expect(exported).toMatchObject({ format, records: { kb: expect.any(Number) } });
      expect(exported.file).toContain(`out-${format}`);
      const imported = await ws.ok(['--db', 'target.db', 'import', `out-${format}`]);
      expect(imported.errors).toEqual([]);
      expect(imported.inserted).toBeGreaterThanOrEqual(2);
      const hits = await ws.ok(['--db', 'target.db', 'search', 'S0C7']);
      expect(hits.results.map((r: { title: string }) => r.title)).toContain('S0C7 in PAY001');
    });
  }

  it('rejects a file with a bad record: exit 3, every error listed, nothing written', async () => {
    writeFileSync(
      ws.path('entries.csv'),
      'Title,Problem,Solution,Category\r\nGood one,p,s,COBOL\r\n,missing title,s,COBOL\r\nOther,p,,JCL\r\n',
    );
    const result = await ws.run(['--json', '--db', 'target.db', 'import', 'entries.csv']);
    expect(result.code).toBe(3);
    const body = result.json();
    expect(body.inserted).toBe(1);
    expect(body.errors.map((e: { record: number; field: string }) => [e.record, e.field])).toEqual([
      [2, 'title'],
      [3, 'solution'],
    ]);
    const list = await ws.ok(['--db', 'target.db', 'search', 'Good']);
    expect(list.total).toBe(0);
  });

  it('--dry-run reports what would change and writes nothing', async () => {
    writeFileSync(ws.path('entries.ndjson'), '{"title":"T","problem":"P","solution":"S","category":"JCL"}\n');
    const result = await ws.ok(['--db', 'target.db', 'import', 'entries.ndjson', '--dry-run']);
    expect(result).toMatchObject({ inserted: 1, dryRun: true, committed: false });
    expect((await ws.ok(['--db', 'target.db', 'search', 'T'])).total).toBe(0);
  });

  it('refuses hostile input with exit 3 and a JSON error', async () => {
    writeFileSync(
      ws.path('evil.xml'),
      '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><records><record><title>&x;</title></record></records>',
    );
    const result = await ws.run(['--json', '--db', 'target.db', 'import', 'evil.xml']);
    expect(result.code).toBe(3);
    expect(result.errorJson().error.code).toBe('VALIDATION');
    expect(result.stdout).toBe('');
  });

  it('a missing input file is NOT_FOUND, exit 4', async () => {
    const result = await ws.run(['--json', '--db', 'source.db', 'import', 'no-such-file.json']);
    expect(result.code).toBe(4);
    expect(result.errorJson().error.code).toBe('NOT_FOUND');
  });

  it('usage errors exit 2', async () => {
    expect((await ws.run(['--db', 'source.db', 'export', '--format', 'docx', '--out', 'x'])).code).toBe(2);
    expect((await ws.run(['--db', 'source.db', 'export', '--format', 'json'])).code).toBe(2);
    expect((await ws.run(['--db', 'source.db', 'import', 'x', '--on-conflict', 'merge'])).code).toBe(2);
  });

  it('--batch-size commits the valid records, lists the rejected ones and exits 0; --restore copies exactly', async () => {
    writeFileSync(
      ws.path('mixed.ndjson'),
      '{"title":"A","problem":"p","solution":"s","category":"JCL"}\n{"title":"","problem":"p","solution":"s","category":"JCL"}\n',
    );
    const batched = await ws.run([
      '--json',
      '--db',
      'target.db',
      'import',
      'mixed.ndjson',
      '--batch-size',
      '1',
    ]);
    expect(batched.code).toBe(0);
    expect(batched.json()).toMatchObject({
      inserted: 1,
      committed: true,
      errors: [{ record: 2, field: 'title' }],
    });
    await ws.ok(['--db', 'source.db', 'export', '--format', 'xml', '--out', 'full']);
    const restored = await ws.ok(['--db', 'copy.db', 'import', 'full', '--restore']);
    expect(restored).toMatchObject({ committed: true, errors: [] });
  });
});
