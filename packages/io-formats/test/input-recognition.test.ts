import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { patternsPlugin } from '@mainframe-kb/plugin-patterns';
import { createStorage, type Storage } from '@mainframe-kb/storage-core';
import { defaultSeedAnchorDir, rawAccessPlugin } from '@mainframe-kb/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { exportStore, type ImportProgress, importStore, ioFormatsPlugin, reasonOf } from '../src/index.js';
import { type TempDir, tableRows, tempDir } from './store-helpers.js';
import {
  jiraJson,
  seedIncidents,
  serviceNowCsv,
  serviceNowJson,
  splunkJson,
} from './support/seed-incidents.js';

// Issue 18, defect 2: `kb import` recognises what it is given — the export envelope, the entry shapes
// `kb add --file` takes (one object or an array, tags as an array), NDJSON, CSV/XML/columnar records, and the
// export of each source system when no --source names it — or says what it expected. Defect 1: counts are
// records (entries, incidents), per entity, with table rows as detail.

const SEED_DIR = defaultSeedAnchorDir();
const FIXTURES = fileURLToPath(new URL('../../plugin-patterns/test/fixtures/', import.meta.url));
const seedJson = (file: string) => JSON.parse(readFileSync(join(SEED_DIR, file), 'utf8'));

describe('what kb import recognises', () => {
  let dir: TempDir;
  let storage: Storage;

  const open = (name: string, withPatterns = true) =>
    createStorage(
      {
        database: { type: 'sqlite', path: dir.file(name) },
        ...(withPatterns
          ? { mvp: { extensions: [{ id: 'patterns', options: { incremental: false } }] } }
          : {}),
      },
      {
        plugins: withPatterns ? [ioFormatsPlugin, patternsPlugin, rawAccessPlugin] : [ioFormatsPlugin],
        actor: { id: 't', role: 'admin' },
      },
    );

  beforeEach(async () => {
    dir = tempDir();
    storage = await open('store.db');
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
  const refusal = (promise: Promise<unknown>) =>
    promise.then(
      () => {
        throw new Error('the import was expected to be refused');
      },
      (error: unknown) => error as Error & { code: string },
    );

  it('the files kb add --file takes: an array of entries and one entry object, tags as arrays', async () => {
    const entries = seedJson('cobol-abends.json') as { title: string; tags: string[] }[];
    const array = await importStore(storage, { input: join(SEED_DIR, 'cobol-abends.json') });
    expect(array).toMatchObject({ committed: true, format: 'json', errors: [] });
    expect(array.input).toMatch(/JSON array/);
    expect(array.records).toEqual({
      inserted: entries.length,
      updated: 0,
      unchanged: 0,
      skipped: 0,
      rejected: 0,
    });
    const tagged = (await storage.listEntries({ limit: 100 })).entries.find(
      (e) => e.title === entries[0]?.title,
    );
    expect(tagged?.tags.length).toBeGreaterThan(0);
    expect(array.rows.kb_tags?.inserted).toBe((await tableRows(storage, 'kb_tags')).length);

    const one = write(
      'one.json',
      JSON.stringify(
        {
          title: 'IEF212I in PAYR010',
          problem: 'p',
          solution: 's',
          category: 'JCL',
          tags: ['ief212i', 'jcl'],
        },
        null,
        2,
      ),
    );
    const single = await importStore(storage, { input: one });
    expect(single).toMatchObject({ committed: true, format: 'json', input: 'a KB entry (one JSON object)' });
    expect(single.records.inserted).toBe(1);
    const stored = (await storage.search('IEF212I PAYR010')).results[0]?.entry;
    expect(stored?.tags).toEqual(['ief212i', 'jcl']);
  });

  it('an object with "entries" (a seed file, kb list --json) and NDJSON entries with tag arrays', async () => {
    const essential = seedJson('essential-kb.json') as { entries: unknown[] };
    const wrapped = await importStore(storage, { input: join(SEED_DIR, 'essential-kb.json') });
    expect(wrapped).toMatchObject({ committed: true, errors: [] });
    expect(wrapped.records.inserted).toBe(essential.entries.length);

    // What kb list --json prints: entries with the store's own fields, which an import leaves to the store.
    const listed = { entries: (await storage.listEntries({ limit: 3 })).entries, total: 3 };
    const target = await open('target.db');
    try {
      const copy = await importStore(target, {
        input: write('listed.json', JSON.stringify(listed, null, 2)),
      });
      expect(copy.records).toMatchObject({ inserted: 3, rejected: 0 });
      const lines = (seedJson('vsam-errors.json') as object[]).map((e) => JSON.stringify(e)).join('\n');
      const ndjson = await importStore(target, { input: write('vsam.ndjson', `${lines}\n`) });
      expect(ndjson).toMatchObject({ committed: true, format: 'ndjson', errors: [] });
      expect(ndjson.records.inserted).toBe(5);
      expect((await target.search('VSAM status 35')).results[0]?.entry.tags.length).toBeGreaterThan(0);
    } finally {
      await target.close();
    }
  });

  it('a list or an object where text is meant rejects that record by name; nothing is written', async () => {
    const before = await storage.contentHash();
    const file = write(
      'nested.json',
      JSON.stringify(
        [
          { title: 'fine', problem: 'p', solution: 's', category: 'JCL', tags: ['a'] },
          { title: 'bad', problem: { text: 'p' }, solution: 's', category: 'JCL' },
          { title: 'bad tags', problem: 'p', solution: 's', category: 'JCL', tags: [1, 2] },
        ],
        null,
        2,
      ),
    );
    const result = await importStore(storage, { input: file });
    expect(result).toMatchObject({ committed: false, rejected: 2 });
    expect(result.errors.map((e) => [e.record, e.field, e.reason])).toEqual([
      [2, 'problem', 'invalid'],
      [3, 'tags', 'invalid'],
    ]);
    expect(await storage.contentHash()).toEqual(before);
  });

  const sources: [string, string, string][] = [
    ['servicenow-incidents.json', 'servicenow', 'json'],
    ['servicenow-display-values.json', 'servicenow', 'json'],
    ['servicenow-incidents-labels.csv', 'servicenow', 'csv'],
    ['servicenow-incidents-fields.csv', 'servicenow', 'csv'],
    ['jira-search-v2.json', 'jira', 'json'],
    ['jira-search-v3.json', 'jira', 'json'],
    ['splunk-export.ndjson', 'splunk', 'ndjson'],
    ['splunk-results.json', 'splunk', 'json'],
    ['splunk-results.csv', 'splunk', 'csv'],
  ];
  for (const [fixture, source, format] of sources) {
    it(`recognises ${fixture} as ${source} without --source`, async () => {
      const file = dir.file(fixture);
      copyFileSync(join(FIXTURES, fixture), file);
      const named = await open('named.db');
      try {
        const expected = await importStore(named, { input: file, source });
        const result = await importStore(storage, { input: file });
        expect(result).toMatchObject({ committed: true, layout: 'source', source, format, errors: [] });
        expect(result.records.inserted).toBeGreaterThan(0);
        // The same records as the importer named with --source.
        expect(result.records).toEqual(expected.records);
        expect(result.rows).toEqual(expected.rows);
      } finally {
        await named.close();
      }
    });
  }

  it('recognises the seed incidents exported by ServiceNow (JSON, minified JSON, CSV), Jira and Splunk', async () => {
    const seed = seedIncidents();
    const minified = JSON.stringify(JSON.parse(serviceNowJson(seed)));
    const files: [string, string, string][] = [
      ['sn.json', serviceNowJson(seed), 'servicenow'],
      ['sn-min.json', minified, 'servicenow'],
      ['sn.csv', serviceNowCsv(seed), 'servicenow'],
      ['jira.json', jiraJson(seed), 'jira'],
      ['splunk.json', splunkJson(seed), 'splunk'],
    ];
    for (const [name, text, source] of files) {
      const result = await importStore(storage, { input: write(name, text), dryRun: true });
      expect(result.source, name).toBe(source);
      expect(result.records.inserted, name).toBe(seed.length);
      expect(Object.keys(result.entities), name).toEqual(['incidents']);
    }
  });

  it('a KB spreadsheet with ServiceNow knowledge columns (no opening time) stays KB entries', async () => {
    const file = write(
      'kb.csv',
      'Number,Short description,Description,Resolution notes,Category\r\nKB0010001,S0C4 in CICS,Protection exception,Check the COMMAREA,CICS\r\n',
    );
    const result = await importStore(storage, { input: file });
    expect(result).toMatchObject({ committed: true, layout: 'records', format: 'csv' });
    expect(result.source).toBeUndefined();
    expect(result.entities).toEqual({
      kb: { inserted: 1, updated: 0, unchanged: 0, skipped: 0, rejected: 0 },
    });
  });

  it('anything else is refused with the forms it recognises, and nothing is written', async () => {
    const before = await storage.contentHash();
    for (const [name, text] of [
      ['object.json', '{"foo": 1, "bar": [1, 2]}'],
      ['empty.json', '{}'],
      ['numbers.json', '[1, 2, 3]'],
      ['pretty.json', '{\n  "orders": [{"id": 1}]\n}\n'],
      ['columns.csv', 'a,b,c\r\n1,2,3\r\n'],
    ] as const) {
      const error = await refusal(importStore(storage, { input: write(name, text) }));
      expect(error.code, name).toBe('VALIDATION');
      expect(reasonOf(error), name).toBe('UNKNOWN_FORMAT');
      expect(error.message, name).toContain(`cannot tell what ${name} holds`);
      for (const form of ['kb add --file', 'ServiceNow', 'Jira', 'Splunk', 'NDJSON', '--source'])
        expect(error.message, name).toContain(form);
    }
    expect(await storage.contentHash()).toEqual(before);
  });

  it('a name helps where the content cannot: a CSV whose first cell is bracketed, a Parquet file without magic', async () => {
    const csv = write(
      'bracketed.csv',
      '[ref],title,problem,solution,category\r\nA-1,S0C4 in PAYR010,p,s,COBOL\r\n',
    );
    const result = await importStore(storage, { input: csv });
    expect(result).toMatchObject({ committed: true, format: 'csv', errors: [] });
    expect(result.records.inserted).toBe(1);
    const before = await storage.contentHash();
    const error = await refusal(
      importStore(storage, { input: write('damaged.parquet', 'title,problem\r\n') }),
    );
    expect(reasonOf(error)).toBe('UNKNOWN_FORMAT');
    expect(error.message).toContain(
      'damaged.parquet is named as parquet but does not start with its magic bytes',
    );
    expect(await storage.contentHash()).toEqual(before);
  });

  it('an explicit --format or --source wins over what the content looks like', async () => {
    // Named CSV: read as KB entry records, whatever the columns (here none is a KB field).
    const plain = await importStore(storage, {
      input: write('columns.csv', 'a,b\r\n1,2\r\n'),
      format: 'csv',
    });
    expect(plain).toMatchObject({ committed: false, format: 'csv', rejected: 1 });
    // Named ndjson: a document spread over lines is not NDJSON.
    const pretty = write(
      'pretty.json',
      JSON.stringify({ title: 't', problem: 'p', solution: 's', category: 'JCL' }, null, 2),
    );
    expect(reasonOf(await refusal(importStore(storage, { input: pretty, format: 'ndjson' })))).toBe(
      'UNKNOWN_FORMAT',
    );
    // A one-line object is JSON as well as NDJSON.
    const line = write('line.json', '{"title":"t","problem":"p","solution":"s","category":"JCL"}\n');
    expect(await importStore(storage, { input: line, format: 'json', dryRun: true })).toMatchObject({
      format: 'json',
      records: { inserted: 1 },
    });
    // Named source: a ServiceNow file given to the Jira importer is refused by it, not rerouted.
    const sn = join(FIXTURES, 'servicenow-incidents.json');
    const error = await refusal(importStore(storage, { input: sn, source: 'jira' }));
    expect(error.message).toMatch(/jira/);
    expect(error.message).toMatch(/issues/);
  });

  it('a source system export with its plugin disabled names what it is and what is missing', async () => {
    const bare = await open('bare.db', false);
    try {
      const error = await refusal(importStore(bare, { input: join(FIXTURES, 'jira-search-v2.json') }));
      expect(error.code).toBe('EXTENSION_NOT_ENABLED');
      expect(error.message).toContain('jira-search-v2.json is a Jira export');
      expect(error.message).toContain('plugin-patterns');
    } finally {
      await bare.close();
    }
  });

  it('an export counts records per entity (entries), its other rows as detail, both ways', async () => {
    await importStore(storage, { input: join(SEED_DIR, 'cobol-abends.json') });
    await importStore(storage, { input: join(SEED_DIR, 'essential-kb.json') });
    const entries = (await tableRows(storage, 'kb_entries')).length;
    const tags = (await tableRows(storage, 'kb_tags')).length;
    expect(tags).toBeGreaterThan(entries);
    const out = dir.file('export.json');
    const exported = await exportStore(storage, { format: 'json', out, entities: ['kb'] });
    expect(exported.records).toEqual({ kb: entries });
    expect(exported.tables).toMatchObject({ kb_entries: entries, kb_tags: tags });

    const target = await open('target.db');
    try {
      const progress: ImportProgress[] = [];
      const imported = await importStore(target, { input: out, onProgress: (p) => progress.push(p) });
      expect(imported).toMatchObject({ committed: true, layout: 'envelope' });
      expect(imported.records).toEqual({
        inserted: entries,
        updated: 0,
        unchanged: 0,
        skipped: 0,
        rejected: 0,
      });
      expect(imported.entities).toEqual({ kb: imported.records });
      expect(imported.rows.kb_tags?.inserted).toBe(tags);
      // An envelope announces no record count: its progress is the bytes read, to the last one.
      const last = progress.at(-1);
      expect(last?.bytesTotal).toBe(readFileSync(out).length);
      expect(last?.bytesRead).toBe(last?.bytesTotal);
    } finally {
      await target.close();
    }
  });
});
