import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Storage, ValidationError } from '@mainframe-kb/storage-core';
import { rawDb } from '@mainframe-kb/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EXPORT_VERSION, exportStore, importStore, reasonOf } from '../src/index.js';
import { openStore, seedStore, snapshot, type TempDir, tableRows, tempDir } from './store-helpers.js';

describe('import pipeline', () => {
  let dir: TempDir;
  let storage: Storage;

  beforeEach(async () => {
    dir = tempDir();
    storage = await openStore(dir.file('store.db'));
  });

  afterEach(async () => {
    await storage.close();
    dir.remove();
  });

  const write = (name: string, text: string) => {
    const file = dir.file(name);
    writeFileSync(file, text);
    return file;
  };

  it('maps spreadsheet and ServiceNow column names, priorities and tag lists', async () => {
    const file = write(
      'servicenow.csv',
      'Number,Short description,Description,Resolution notes,Category,Priority,Tags,Assignment group\r\n' +
        'KB0010001,S0C4 in CICS,Protection exception,Check the COMMAREA length,CICS,1 - Critical,"cics, s0c4",Mainframe\r\n',
    );
    const result = await importStore(storage, { input: file });
    expect(result).toMatchObject({ format: 'csv', inserted: 1, committed: true, errors: [] });
    const entry = await storage.getEntry('KB0010001');
    expect(entry).toMatchObject({
      title: 'S0C4 in CICS',
      problem: 'Protection exception',
      solution: 'Check the COMMAREA length',
      category: 'CICS',
      severity: 'critical',
      tags: ['cics', 's0c4'],
    });
  });

  it('indexes imported entries under their own keys, in an empty store and beside existing entries', async () => {
    const rows = (n: number, from: number) =>
      Array.from({ length: n }, (_, i) => ({
        id: `IDX${from + i}`,
        title: `Keyed entry ${from + i} word${from + i}`,
        problem: `Problem text kw${from + i}`,
        solution: 'Restart',
        category: 'Batch',
      }));
    // The first import fills an empty table, the second appends after rows whose keys have gaps.
    await importStore(storage, { input: write('a.json', JSON.stringify(rows(700, 0))) });
    const db = rawDb(storage);
    await db.deleteFrom('kb_entries').where('id', 'in', ['IDX10', 'IDX500']).execute();
    await importStore(storage, { input: write('b.json', JSON.stringify(rows(900, 1_000))) });
    for (const n of [0, 699, 1_000, 1_450, 1_899]) {
      const found = await storage.search(`word${n}`, { limit: 2 });
      expect(found.results.map((r) => r.entry.id)).toEqual([`IDX${n}`]);
    }
    const fts = await db
      .selectFrom('kb_fts' as never)
      .select(['rowid' as never])
      .execute();
    const seqs = await db.selectFrom('kb_entries').select('seq').execute();
    expect(fts.length).toBe(seqs.length + 2);
  });

  it('reports every rejected record with its location and field, and writes nothing', async () => {
    await seedStore(storage);
    const before = await snapshot(storage);
    const csv = write(
      'bad.csv',
      'title,problem,solution,category,severity\r\nok,p,s,JCL,low\r\nbad,p,s,JCL,urgent\r\n,p,s,JCL,low\r\n',
    );
    const xml = write(
      'bad.xml',
      '<records><record><title>ok</title><problem>p</problem><solution>s</solution><category>JCL</category></record>' +
        '<record><title>t</title><problem>p</problem><solution>s</solution><category nil="true"/></record></records>',
    );
    const json = write(
      'bad.json',
      '[{"title":"ok","problem":"p","solution":"s","category":"JCL"},{"title":"t","problem":"","solution":"s","category":"JCL"}]',
    );
    const fromCsv = await importStore(storage, { input: csv });
    expect(fromCsv.committed).toBe(false);
    expect(fromCsv.rejected).toBe(2);
    expect(fromCsv.errors.map((e) => [e.record, e.field, e.location.line])).toEqual([
      [2, 'severity', 3],
      [3, 'title', 4],
    ]);
    const fromXml = await importStore(storage, { input: xml });
    expect(fromXml.errors).toEqual([
      expect.objectContaining({
        record: 2,
        field: 'category',
        location: expect.objectContaining({ xpath: '/records/record[2]' }),
      }),
    ]);
    const fromJson = await importStore(storage, { input: json });
    expect(fromJson.errors).toEqual([
      expect.objectContaining({
        record: 2,
        field: 'problem',
        location: expect.objectContaining({ pointer: '/1' }),
      }),
    ]);
    expect(await snapshot(storage)).toEqual(before);
  });

  it('conflict policies: fail refuses, skip keeps the stored row, update replaces the text and keeps history', async () => {
    await storage.createEntries([
      { id: 'E1', title: 'Old', problem: 'p', solution: 's', category: 'JCL', tags: ['old'] },
    ]);
    await storage.recordFeedback('E1', { outcome: 'success' });
    const file = write(
      'e1.ndjson',
      '{"id":"E1","title":"New","problem":"p2","solution":"s2","category":"JCL","tags":"new,tag"}\n',
    );

    const failed = await importStore(storage, { input: file });
    expect(failed).toMatchObject({ committed: false, rejected: 1 });
    expect(failed.errors[0]).toMatchObject({ record: 1, field: 'id', location: { line: 1 } });
    expect((await storage.getEntry('E1')).title).toBe('Old');

    const skipped = await importStore(storage, { input: file, onConflict: 'skip' });
    expect(skipped).toMatchObject({ committed: true, inserted: 0, skipped: 1 });
    expect((await storage.getEntry('E1')).tags).toEqual(['old']);

    const updated = await importStore(storage, { input: file, onConflict: 'update' });
    expect(updated).toMatchObject({ committed: true, updated: 1 });
    const entry = await storage.getEntry('E1');
    expect(entry).toMatchObject({ title: 'New', tags: ['new', 'tag'], successCount: 1, version: 2 });
    expect((await tableRows(storage, 'kb_tags')).map((r) => r.tag)).toEqual(['new', 'tag']);
    expect((await storage.search('p2')).results.map((r) => r.entry.id)).toContain('E1');
  });

  it('dry run reports what would change and writes nothing', async () => {
    await seedStore(storage);
    const before = await snapshot(storage);
    const file = write('new.csv', 'title,problem,solution,category\r\nA,p,s,JCL\r\nB,p,s,JCL\r\n');
    const result = await importStore(storage, { input: file, dryRun: true });
    expect(result).toMatchObject({ dryRun: true, committed: false, inserted: 2, errors: [] });
    expect(await snapshot(storage)).toEqual(before);
  });

  it('duplicate keys inside one input are rejected', async () => {
    const file = write(
      'dup.ndjson',
      '{"id":"X","title":"a","problem":"p","solution":"s","category":"JCL"}\n{"id":"X","title":"b","problem":"p","solution":"s","category":"JCL"}\n',
    );
    const result = await importStore(storage, { input: file });
    expect(result.committed).toBe(false);
    expect(result.errors).toEqual([expect.objectContaining({ record: 2, field: 'id' })]);
  });

  it('a key repeated far apart in the input (across write batches) is rejected too', async () => {
    const lines = Array.from(
      { length: 2_500 },
      (_, i) => `{"id":"K${i === 2_400 ? 3 : i}","title":"t","problem":"p","solution":"s","category":"JCL"}`,
    );
    const result = await importStore(storage, { input: write('far.ndjson', `${lines.join('\n')}\n`) });
    expect(result.committed).toBe(false);
    expect(result.errors).toEqual([
      expect.objectContaining({ record: 2_401, field: 'id', message: expect.stringContaining('twice') }),
    ]);
    expect(await storage.countEntries()).toBe(0);
  });

  it('the content decides the format; a format the caller asserts must agree', async () => {
    const file = write('entries.txt', '{"title":"a","problem":"p","solution":"s","category":"JCL"}\n');
    expect((await importStore(storage, { input: file, dryRun: true })).format).toBe('ndjson');
    const error = await importStore(storage, { input: file, format: 'xml' }).catch((e: unknown) => e);
    expect(reasonOf(error)).toBe('UNKNOWN_FORMAT');
  });

  it('upgrades a seed 1.0.0 envelope through its transformation step and logs it', async () => {
    const file = write(
      'seed.json',
      JSON.stringify({
        version: '1.0.0',
        backward_compatibility: ['1.0.0'],
        forward_compatibility: ['1.0.0'],
        metadata: { exported_at: '2024-01-01T00:00:00.000Z', mvp_version: 'MVP1', schema_version: 1 },
        data: {
          kb_entries: [
            {
              id: 'seed-1',
              title: 'JCL error',
              problem: 'IEF212I dataset not found',
              solution: 'Catalog it',
              category: 'JCL',
              tags: ['IEF212I', 'Dataset'],
              createdAt: '2024-01-01T10:00:00+02:00',
              updatedAt: '2024-01-02T10:00:00Z',
              usageCount: 3,
            },
          ],
        },
        transformation_log: [],
        validation_results: [],
      }),
    );
    const result = await importStore(storage, { input: file });
    expect(result.errors).toEqual([]);
    expect(result.transformationLog).toEqual([
      expect.objectContaining({ from: '1.0.0', to: EXPORT_VERSION, records: 1 }),
    ]);
    expect(await storage.getEntry('seed-1')).toMatchObject({
      tags: ['ief212i', 'dataset'],
      createdAt: '2024-01-01T08:00:00.000Z',
      usageCount: 3,
    });
  });

  it('refuses a newer incompatible envelope before reading a record, and reads a newer one that declares compatibility', async () => {
    await seedStore(storage);
    const out = dir.file('current.json');
    await exportStore(storage, { format: 'json', out });
    const text = readFileSync(out, 'utf8');
    const newer = write(
      'newer.json',
      text
        .replace(`"version":"${EXPORT_VERSION}"`, '"version":"3.0.0"')
        .replace(/"backward_compatibility":\[[^\]]*\]/, '"backward_compatibility":["3.0.0"]'),
    );
    const error = await importStore(storage, { input: newer }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect(reasonOf(error)).toBe('VERSION_UNSUPPORTED');
    const compatible = write(
      'compatible.json',
      text
        .replace(`"version":"${EXPORT_VERSION}"`, '"version":"3.1.0"')
        .replace(
          /"backward_compatibility":\[[^\]]*\]/,
          `"backward_compatibility":["${EXPORT_VERSION}","3.1.0"]`,
        ),
    );
    const fresh = await openStore(dir.file('fresh.db'));
    try {
      const result = await importStore(fresh, { input: compatible });
      expect(result).toMatchObject({ committed: true, errors: [] });
    } finally {
      await fresh.close();
    }
  });

  it('a manifest that names a file outside its directory is refused', async () => {
    await seedStore(storage);
    const out = dir.file('dump');
    await exportStore(storage, { format: 'csv', out });
    const manifestPath = join(out, 'manifest.json');
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
    manifest.files[0].file = '../../etc/passwd';
    writeFileSync(manifestPath, JSON.stringify(manifest));
    const error = await importStore(storage, { input: out }).catch((e: unknown) => e);
    expect(reasonOf(error)).toBe('BAD_ENVELOPE');
  });

  it('CSV export neutralises formulas and the re-import restores the text (RELIABILITY test 11)', async () => {
    await storage.createEntries([
      { id: 'F1', title: '=1+1', problem: '+cmd', solution: "-2 and '=x", category: '@SUM(A1)', tags: [] },
      { id: 'F2', title: 'Plain', problem: 'p', solution: "'plain apostrophe", category: 'JCL' },
    ]);
    const out = dir.file('formulas');
    await exportStore(storage, { format: 'csv', out, entities: ['kb'] });
    const csv = readFileSync(join(out, 'kb_entries.csv'), 'utf8');
    const cells = csv.split('\r\n').slice(1).join(',');
    expect(cells).toContain("'=1+1");
    expect(cells).toContain("'+cmd");
    expect(cells).toContain("'-2 and '=x");
    expect(cells).toContain("'@SUM(A1)");
    expect(cells).toContain("'plain apostrophe");
    expect(cells).not.toContain("''plain");
    const fresh = await openStore(dir.file('fresh.db'));
    try {
      expect((await importStore(fresh, { input: out })).errors).toEqual([]);
      expect(await tableRows(fresh, 'kb_entries')).toEqual(await tableRows(storage, 'kb_entries'));
    } finally {
      await fresh.close();
    }
  });

  it('committed batches with a checkpoint: a rerun resumes after the last committed batch', async () => {
    const lines = Array.from(
      { length: 10 },
      (_, i) => `{"id":"B${i}","title":"t${i}","problem":"p","solution":"s","category":"JCL"}`,
    );
    const file = write('batch.ndjson', `${lines.join('\n')}\n`);
    const first = await importStore(storage, { input: file, batchSize: 2, checkpoint: true });
    expect(first).toMatchObject({ committed: true, inserted: 10, resumedAfter: 0 });
    // The checkpoint is a row of the store, keyed by the input's content, never a file.
    const rows = await rawDb(storage).selectFrom('io_import_checkpoints').selectAll().execute();
    expect(rows).toEqual([expect.objectContaining({ input: file, committed: 10 })]);
    // A rerun of the same input, or of a copy of it, resumes after everything and inserts nothing new.
    const rerun = await importStore(storage, { input: file, batchSize: 2, checkpoint: true });
    expect(rerun).toMatchObject({ resumedAfter: 10, inserted: 0 });
    const copy = write('copy.ndjson', readFileSync(file, 'utf8'));
    expect(await importStore(storage, { input: copy, batchSize: 3, checkpoint: true })).toMatchObject({
      resumedAfter: 10,
      inserted: 0,
    });
    // Changed content is another input: it starts over (and here conflicts on every stored key).
    const changed = write('changed.ndjson', `${lines.join('\n')}\n${lines[0]?.replace('B0', 'B10')}\n`);
    expect(
      await importStore(storage, { input: changed, batchSize: 2, checkpoint: true, onConflict: 'skip' }),
    ).toMatchObject({ resumedAfter: 0, inserted: 1, skipped: 10 });
    // Checkpoints are the store's own state: never exported, never part of its content hash.
    const out = dir.file('with-checkpoints.json');
    const exported = await exportStore(storage, { format: 'json', out });
    expect(Object.keys(exported.tables)).not.toContain('io_import_checkpoints');
    expect(Object.keys((await storage.contentHash()).tables)).not.toContain('io_import_checkpoints');
  });

  it('a checkpoint file of an earlier release is refused, saying how to finish that import', async () => {
    const file = write('old.ndjson', '{"title":"t","problem":"p","solution":"s","category":"JCL"}\n');
    const checkpoint = write(
      'old.checkpoint',
      `${JSON.stringify({ kind: 'mainframe-kb-import-checkpoint', input: file, fingerprint: '1:2', committed: 1, updatedAt: new Date().toISOString() })}\n`,
    );
    await expect(importStore(storage, { input: file, batchSize: 2, checkpoint })).rejects.toMatchObject({
      code: 'VALIDATION',
      message: expect.stringMatching(/earlier release.*on-conflict skip/),
    });
    expect(await storage.countEntries()).toBe(0);
    // A path where no such file is (the older form of `checkpoint: true`) keeps the checkpoint in the store.
    const named = await importStore(storage, { input: file, batchSize: 2, checkpoint: dir.file('none') });
    expect(named).toMatchObject({ inserted: 1 });
    expect(existsSync(dir.file('none'))).toBe(false);
  });

  it('batches leave rejected records out and commit the rest', async () => {
    const file = write(
      'mixed.ndjson',
      '{"title":"a","problem":"p","solution":"s","category":"JCL"}\n{"title":"","problem":"p","solution":"s","category":"JCL"}\n{"title":"c","problem":"p","solution":"s","category":"JCL"}\n',
    );
    const result = await importStore(storage, { input: file, batchSize: 2 });
    expect(result).toMatchObject({ committed: true, inserted: 2, rejected: 1 });
    expect(await storage.countEntries()).toBe(2);
  });

  it('batches under the fail policy reject the entries the store holds and write the rest, with their tags', async () => {
    const line = (i: number, title: string) =>
      `{"id":"C${i}","title":"${title}","problem":"p","solution":"s","category":"JCL","tags":"t${i}, shared"}`;
    await storage.createEntries([
      { id: 'C1', title: 'stored one', problem: 'p', solution: 's', category: 'JCL', tags: ['old'] },
      { id: 'C3', title: 'stored three', problem: 'p', solution: 's', category: 'JCL', tags: ['old'] },
    ]);
    const file = write('conflicts.ndjson', `${[0, 1, 2, 3, 4].map((i) => line(i, `new ${i}`)).join('\n')}\n`);
    const result = await importStore(storage, { input: file, batchSize: 2 });
    expect(result).toMatchObject({ committed: true, inserted: 3, rejected: 2 });
    expect(result.errors.map((e) => e.record)).toEqual([2, 4]);
    for (const id of ['C0', 'C2', 'C4']) {
      const entry = await storage.getEntry(id);
      expect(entry.title).toBe(`new ${id.slice(1)}`);
      expect([...entry.tags].sort()).toEqual(['shared', `t${id.slice(1)}`]);
    }
    // The stored entries stay as they were, tags included.
    for (const id of ['C1', 'C3']) {
      const entry = await storage.getEntry(id);
      expect(entry.title).toMatch(/^stored /);
      expect(entry.tags).toEqual(['old']);
    }
    expect((await storage.search('new')).results.map((r) => r.entry.id).sort()).toEqual(['C0', 'C2', 'C4']);
  });

  it("storage.export() / storage.import() (the seed's methods) run the same export and import", async () => {
    const out = dir.file('flat.json');
    const exported = await storage.export({ format: 'json', out });
    expect(exported.format).toBe('json');
    const result = await storage.import({ input: out, onConflict: 'skip' });
    expect(result.committed).toBe(true);
  });
});
