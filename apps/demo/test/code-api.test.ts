import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createStorage } from '@mainframe-kb/storage-core';
import { mainframeSamplesDir } from '@mainframe-kb/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createDemoApp } from '../src/app.js';
import { TokenTable } from '../src/tokens.js';
import {
  ACCTREC_DATA,
  acctrecCopybook,
  CBL0001,
  CBL0001J,
  CBLDB21,
  cobrixLayout,
} from './support/code-samples.js';
import { type Fixture, GRANTS, openFixture, TOKENS } from './support/demo-fixture.js';

// The shared mainframe samples (KB_MAINFRAME_SAMPLES_DIR, or ../shared/data/mainframe-samples beside the
// repo; see SOURCES.md there): Open Mainframe Project COBOL / JCL / EBCDIC data and Cobrix's copybooks with
// the layouts and records Cobrix produced from them.
const sample = (relPath: string): Buffer => readFileSync(join(mainframeSamplesDir(), relPath));
const text = (relPath: string): string => sample(relPath).toString('utf8');

/** A decoded record as Cobrix prints it: Cobrix's JSON leaves null fields out. */
function withoutNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutNulls);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([, v]) => v !== null)
      .map(([k, v]) => [k, withoutNulls(v)]),
  );
}

let f: Fixture;

beforeEach(async () => {
  f = await openFixture();
});

afterEach(async () => {
  await f.close();
});

type Role = 'viewer' | 'editor' | 'admin';
const post = (role: Role, path: string, body: string | Uint8Array) =>
  f.call(role, 'POST', path, body, { 'content-type': 'application/octet-stream' });

async function uploadSource(path: string, body: string, query = '') {
  const response = await post('editor', `/api/code/files?path=${encodeURIComponent(path)}${query}`, body);
  return { status: response.status, body: await response.json() };
}

describe('uploading and analysing source', () => {
  it('stores a COBOL program and answers its structure: divisions, paragraphs, files, records', async () => {
    const created = await uploadSource('cbl/CBL0001.cobol', text(CBL0001));
    expect(created.status).toBe(201);
    const file = created.body;
    expect(file).toMatchObject({
      repository: 'imported',
      path: 'cbl/CBL0001.cobol',
      language: 'cobol',
      name: 'CBL0001',
      issues: [],
      links: [],
    });
    const s = file.structure;
    expect(s.programId).toBe('CBL0001');
    expect(s.divisions.map((d: { name: string }) => d.name)).toEqual([
      'IDENTIFICATION',
      'ENVIRONMENT',
      'DATA',
      'PROCEDURE',
    ]);
    expect(s.paragraphs.map((p: { name: string }) => p.name)).toEqual([
      'OPEN-FILES',
      'READ-NEXT-RECORD',
      'CLOSE-STOP',
      'READ-RECORD',
      'WRITE-RECORD',
    ]);
    expect(s.files).toEqual([
      { name: 'PRINT-LINE', assignTo: ['PRTLINE'], line: 14 },
      { name: 'ACCT-REC', assignTo: ['ACCTREC'], line: 15 },
    ]);
    expect(s.records).toContainEqual({ file: 'ACCT-REC', name: 'ACCT-FIELDS', line: 42 });
    expect(s.controlFlow).toContainEqual({
      kind: 'perform',
      from: 'READ-NEXT-RECORD',
      to: 'WRITE-RECORD',
      line: 75,
    });

    const shown = await f.json('viewer', 'GET', `/api/code/files/${file.id}`);
    expect(shown.status).toBe(200);
    expect(shown.body.structure).toEqual(s);

    // The same path again replaces the file: 200, same id.
    const replaced = await uploadSource('cbl/CBL0001.cobol', text(CBL0001));
    expect(replaced).toMatchObject({ status: 200, body: { id: file.id } });
  });

  it('analyses Db2 SQL blocks and JCL steps, lists and searches the files', async () => {
    const db2 = await uploadSource('cbl/CBLDB21.cbl', text(CBLDB21));
    expect(db2.status).toBe(201);
    expect(db2.body.structure.sql).toContainEqual(
      expect.objectContaining({ kind: 'DECLARE CURSOR', cursor: 'CUR1', start: 68, end: 70 }),
    );
    const jcl = await uploadSource('jcl/CBL0001J.jcl', text(CBL0001J));
    expect(jcl.body).toMatchObject({ language: 'jcl', name: 'CBL0001J' });
    expect(jcl.body.structure).toMatchObject({
      kind: 'job',
      job: 'CBL0001J',
      programs: ['CBL0001'],
      unresolvedProcs: ['IGYWCL'],
    });
    expect(jcl.body.structure.steps.map((s: { name: string; program?: string; proc?: string }) => s)).toEqual(
      [
        expect.objectContaining({ name: 'COBRUN', proc: 'IGYWCL' }),
        expect.objectContaining({ name: 'RUN', program: 'CBL0001' }),
      ],
    );
    await uploadSource('cbl/CBL0001.cobol', text(CBL0001));

    const all = await f.json('viewer', 'GET', '/api/code/files');
    expect(all.body.files.map((x: { path: string }) => x.path)).toEqual([
      'cbl/CBL0001.cobol',
      'cbl/CBLDB21.cbl',
      'jcl/CBL0001J.jcl',
    ]);
    expect(all.body.files[0]).toMatchObject({ name: 'CBL0001', issueCount: 0, errorCount: 0 });
    expect(all.body.files[0].structure).toBeUndefined();
    const jclOnly = await f.json('viewer', 'GET', '/api/code/files?language=jcl');
    expect(jclOnly.body.files.map((x: { name: string }) => x.name)).toEqual(['CBL0001J']);
    const page = await f.json('viewer', 'GET', '/api/code/files?limit=2');
    expect(page.body).toMatchObject({ hasMore: true, limit: 2 });

    const hits = await f.json('viewer', 'GET', '/api/code/search?q=READ-RECORD&kinds=paragraph');
    expect(hits.body.hits).toEqual([
      expect.objectContaining({
        kind: 'paragraph',
        name: 'READ-RECORD',
        path: 'cbl/CBL0001.cobol',
        line: 85,
      }),
    ]);
    const repos = await f.json('viewer', 'GET', '/api/code/repositories');
    expect(repos.body.repositories).toEqual([expect.objectContaining({ name: 'imported', fileCount: 3 })]);
  });

  it('analyses without storing, for any role', async () => {
    const before = await f.storage.contentHash();
    const response = await post('viewer', '/api/code/files/analyze?path=CBL0001J.jcl', text(CBL0001J));
    expect(response.status).toBe(200);
    const body = await response.json();
    expect(body.language).toBe('jcl');
    expect(body.structure.job).toBe('CBL0001J');
    expect(await f.storage.contentHash()).toEqual(before);
  });

  it('refuses an empty, binary, non-UTF-8 or unrecognisable upload before the store', async () => {
    const before = await f.storage.contentHash();
    const cases: [string, string | Uint8Array, RegExp][] = [
      ['x.cbl', '  \n', /^the upload is empty/],
      ['ACCTREC.dat', sample(ACCTREC_DATA), /^the upload is binary \(a NUL byte at \d+\)/],
      ['x.cbl', new Uint8Array([0xc8, 0xc5, 0xd3, 0xd3, 0xd6, 0x40, 0xe6]), /^the upload is not UTF-8 text/],
      [
        'notes.txt',
        'Remember to rerun the payroll job on Friday.\n',
        /is not recognisably COBOL, JCL or a copybook/,
      ],
    ];
    for (const [path, body, detail] of cases) {
      const response = await post('editor', `/api/code/files?path=${path}`, body);
      expect(response.status, path).toBe(422);
      expect(response.headers.get('content-type')).toBe('application/problem+json');
      const problem = await response.json();
      expect(problem.code).toBe('VALIDATION');
      expect(problem.detail).toMatch(detail);
    }
    const outside = await uploadSource('../etc/passwd.cbl', text(CBL0001));
    expect(outside).toMatchObject({ status: 422, body: { code: 'VALIDATION' } });
    expect(await f.storage.contentHash()).toEqual(before);
    expect((await f.json('viewer', 'GET', '/api/code/files')).body.files).toEqual([]);
  });
});

describe('record layouts', () => {
  it("lays out a stored copybook exactly as Cobrix's layout listing says", async () => {
    const stored = await uploadSource('copybooks/TEST19.cpy', text('cobrix/data/test19_display_num.cob'));
    expect(stored.body).toMatchObject({ language: 'copybook', name: 'TEST19' });
    const layout = await f.json('viewer', 'GET', '/api/code/copybooks/TEST19/layout');
    expect(layout.status).toBe(200);
    expect(layout.body.recordLength).toBe(80);
    const expected = cobrixLayout('cobrix/data/test19_display_num_expected/test19_layout.txt');
    expect(expected).toHaveLength(15);
    expect(
      layout.body.fields.map(
        (x: { key: string; name: string; start: number; end: number; length: number }) => [
          x.name === 'FILLER' ? 'FILLER' : x.key,
          x.start,
          x.end,
          x.length,
        ],
      ),
    ).toEqual(expected);
    const fraction = layout.body.fields.find((x: { name: string }) => x.name === 'WS-AMOUNT-FRACTION');
    expect(fraction).toMatchObject({
      level: 5,
      offset: 40,
      length: 10,
      type: 'numeric-display',
      picture: '9(8)V9(2)',
      digits: 10,
      scale: 2,
      path: ['WS_INPUT_RECORD'],
    });
    expect((await f.json('viewer', 'GET', '/api/code/copybooks/NOSUCH/layout')).status).toBe(404);
  });

  it("lays out a record of an uploaded program: CBL0001's ACCT-FIELDS, 170 bytes", async () => {
    const response = await post('viewer', '/api/code/files/layout?record=acct-fields', text(CBL0001));
    expect(response.status).toBe(200);
    const layout = await response.json();
    expect(layout.records.map((r: { name: string }) => r.name)).toEqual([
      'PRINT-REC',
      'ACCT-FIELDS',
      'FLAGS',
    ]);
    expect(layout).toMatchObject({ name: 'ACCT-FIELDS', recordLength: 170 });
    const table = layout.fields.map(
      (x: { level: number; name: string; offset: number; length: number; type: string }) => [
        x.level,
        x.name,
        x.offset,
        x.length,
        x.type,
      ],
    );
    expect(table).toEqual([
      [1, 'ACCT-FIELDS', 0, 170, 'group'],
      [5, 'ACCT-NO', 0, 8, 'alphanumeric'],
      [5, 'ACCT-LIMIT', 8, 5, 'packed'],
      [5, 'ACCT-BALANCE', 13, 5, 'packed'],
      [5, 'LAST-NAME', 18, 20, 'alphanumeric'],
      [5, 'FIRST-NAME', 38, 15, 'alphanumeric'],
      [5, 'CLIENT-ADDR', 53, 60, 'group'],
      [10, 'STREET-ADDR', 53, 25, 'alphanumeric'],
      [10, 'CITY-COUNTY', 78, 20, 'alphanumeric'],
      [10, 'USA-STATE', 98, 15, 'alphanumeric'],
      [5, 'RESERVED', 113, 7, 'alphanumeric'],
      [5, 'COMMENTS', 120, 50, 'alphanumeric'],
    ]);
    const missing = await post('viewer', '/api/code/files/layout?record=NOPE', text(CBL0001));
    expect(missing.status).toBe(422);
    expect((await missing.json()).detail).toBe(
      'upload.cpy has no record NOPE; it has PRINT-REC, ACCT-FIELDS, FLAGS',
    );
  });

  it('refuses a copybook with a bad PICTURE as a 422 naming the reason and line', async () => {
    const bad = '       01  REC.\n           05  AMOUNT   PIC S9(7)VV99 COMP-3.\n';
    const response = await post('viewer', '/api/code/files/layout?path=BAD.cpy', bad);
    expect(response.status).toBe(422);
    const body = await response.json();
    expect(body.code).toBe('VALIDATION');
    expect(body.detail).toMatch(/^copybook: PICTURE: BAD\.cpy:line 2: /);
  });
});

describe('decoding records', () => {
  beforeEach(async () => {
    expect((await uploadSource('copybooks/ACCTREC.cpy', acctrecCopybook())).status).toBe(201);
  });

  it('decodes the EBCDIC ACCTREC file with the copybook of its FD', async () => {
    const response = await post(
      'viewer',
      '/api/code/files/decode?copybook=ACCTREC&limit=100',
      sample(ACCTREC_DATA),
    );
    expect(response.status).toBe(200);
    const body = await response.json();
    expect(body).toMatchObject({
      copybook: 'ACCTREC',
      recordLength: 170,
      encoding: 'cp037',
      format: 'F',
      bytes: 7650,
      errors: [],
      more: false,
    });
    expect(body.records).toHaveLength(45);
    const summary = (r: { values: Record<string, any> }) => [
      r.values.ACCT_NO,
      r.values.ACCT_LIMIT,
      r.values.ACCT_BALANCE,
      r.values.LAST_NAME,
      r.values.FIRST_NAME,
      r.values.CLIENT_ADDR.STREET_ADDR,
    ];
    expect(body.records[0].index).toBe(0);
    expect(summary(body.records[0])).toEqual([
      '17891797',
      10000,
      188.74,
      'WASHINGTON',
      'George',
      '1 General Dr.',
    ]);
    expect(summary(body.records[44]).slice(0, 5)).toEqual(['20172021', 8100000, 10, 'TRUMP', 'Donald J.']);

    const page = await post(
      'viewer',
      '/api/code/files/decode?copybook=ACCTREC&offset=40&limit=3',
      sample(ACCTREC_DATA),
    );
    const paged = await page.json();
    expect(paged.records.map((r: { index: number }) => r.index)).toEqual([40, 41, 42]);
    expect(paged.more).toBe(true);
  });

  it('reports a truncated last record and decodes the rest; refuses data with no whole record', async () => {
    const data = sample(ACCTREC_DATA);
    const cut = await post(
      'viewer',
      '/api/code/files/decode?copybook=ACCTREC',
      data.subarray(0, data.length - 100),
    );
    expect(cut.status).toBe(200);
    const body = await cut.json();
    expect(body.records).toHaveLength(44);
    expect(body.errors).toEqual([
      {
        record: 44,
        byteOffset: 7480,
        reason: 'RECORD_LENGTH',
        message: 'ACCTREC: record 44 (byte 7480): 70 trailing bytes do not make a record of 170 bytes',
      },
    ]);

    const short = await post('viewer', '/api/code/files/decode?copybook=ACCTREC', data.subarray(0, 100));
    expect(short.status).toBe(422);
    const problem = await short.json();
    expect(problem.code).toBe('VALIDATION');
    expect(problem.issues).toEqual([
      {
        path: 'record 0',
        message: 'ACCTREC: record 0 (byte 0): 100 trailing bytes do not make a record of 170 bytes',
      },
    ]);
    const unknown = await f.json('viewer', 'POST', '/api/code/files/decode?copybook=NOSUCH', 'x');
    expect(unknown).toMatchObject({ status: 404, body: { code: 'NOT_FOUND' } });
  });

  it("decodes Cobrix's samples to the records Cobrix produced", async () => {
    await uploadSource('copybooks/TEST19.cpy', text('cobrix/data/test19_display_num.cob'));
    // test1's copybook ends with a DOS end-of-file mark (0x1A): the analyser refuses the control character,
    // so the upload is refused whole; without the mark it is stored and decodes as Cobrix did.
    const before = await f.storage.contentHash();
    const raw = text('cobrix/data/test1_copybook.cob');
    expect(raw.endsWith('\u001a')).toBe(true);
    const refused = await uploadSource('copybooks/TEST1.cpy', raw);
    expect(refused).toMatchObject({ status: 422, body: { code: 'VALIDATION' } });
    expect(refused.body.detail).toBe(
      'copybooks/TEST1.cpy cannot be analysed as copybook: BINARY_INPUT: copybooks/TEST1.cpy:line 37: not a text source: control character U+001a',
    );
    expect(await f.storage.contentHash()).toEqual(before);
    expect((await uploadSource('copybooks/TEST1.cpy', raw.slice(0, -1))).status).toBe(201);
    const expectedOf = (relPath: string) =>
      text(relPath)
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map((l) => JSON.parse(l));

    const t19 = await post(
      'viewer',
      '/api/code/files/decode?copybook=TEST19&improvedNullDetection=false',
      sample('cobrix/data/test19_display_num/data.dat'),
    );
    const expected19 = expectedOf('cobrix/data/test19_display_num_expected/test19.txt').map(
      ({ File_Id: _f, Record_Id: _r, ...rest }) => rest,
    );
    const body19 = await t19.json();
    // Records 5 and 6 hold blanks in numeric fields: null here, left out by Cobrix.
    expect(body19.records[6].values.WS_DATE_NUM).toBeNull();
    expect(body19.records.map((r: { values: unknown }) => withoutNulls(r.values))).toEqual(expected19);

    const t1 = await post(
      'viewer',
      '/api/code/files/decode?copybook=TEST1',
      sample('cobrix/data/test1_data/example.bin'),
    );
    const body1 = await t1.json();
    expect(body1.recordLength).toBe(2202);
    expect(body1.records.map((r: { values: unknown }) => withoutNulls(r.values))).toEqual(
      expectedOf('cobrix/data/test1_expected/test1.txt'),
    );
  });
});

describe('links between code and KB entries', () => {
  it('suggests, creates, lists and removes links; removing the repository marks them stale', async () => {
    const program = (await uploadSource('cbl/CBL0001.cobol', text(CBL0001))).body;
    const job = (await uploadSource('jcl/CBL0001J.jcl', text(CBL0001J))).body;
    const entryId = await f.storage.createEntry({
      title: 'CBL0001 abends S0C7 reading ACCTREC',
      problem: 'Program CBL0001 abends S0C7 when ACCT-LIMIT holds spaces in the ACCTREC data set.',
      solution: 'Correct the extract that writes ACCTREC, then rerun job CBL0001J.',
      category: 'COBOL',
      severity: 'high',
    });

    const suggested = await f.json('viewer', 'GET', '/api/code/links/suggestions');
    expect(suggested.status).toBe(200);
    const byFile = Object.fromEntries(
      suggested.body.suggestions.map((s: { path: string; evidence: string[]; kbEntryId: string }) => [
        s.path,
        s,
      ]),
    );
    expect(byFile['cbl/CBL0001.cobol']).toMatchObject({ kbEntryId: entryId, evidence: ['program CBL0001'] });
    expect(byFile['jcl/CBL0001J.jcl'].evidence).toEqual(['job CBL0001J', 'step RUN runs CBL0001']);

    const created = await f.json('editor', 'POST', '/api/code/links', {
      codeFileId: program.id,
      kbEntryId: entryId,
      linkType: 'raises',
      note: 'S0C7 on ACCT-LIMIT',
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      kbEntryId: entryId,
      codeFileId: program.id,
      path: 'cbl/CBL0001.cobol',
      lineStart: 1,
      lineEnd: program.lines,
      linkType: 'raises',
      status: 'active',
      note: 'S0C7 on ACCT-LIMIT',
    });
    await f.json('editor', 'POST', '/api/code/links', { codeFileId: job.id, kbEntryId: entryId });

    const forEntry = await f.json('viewer', 'GET', `/api/code/links?kbEntryId=${entryId}`);
    expect(forEntry.body.links.map((l: { path: string; linkType: string }) => [l.path, l.linkType])).toEqual([
      ['cbl/CBL0001.cobol', 'raises'],
      ['jcl/CBL0001J.jcl', 'related'],
    ]);
    const shown = await f.json('viewer', 'GET', `/api/code/files/${program.id}`);
    expect(shown.body.links.map((l: { id: string }) => l.id)).toEqual([created.body.id]);

    // Lines of an uploaded file cannot be linked: the plugin reads them again from the repository's folder,
    // and an upload has none (it keeps no text for a COBOL program). The whole file can.
    const lines = await f.json('editor', 'POST', '/api/code/links', {
      codeFileId: program.id,
      kbEntryId: entryId,
      lineStart: 85,
      lineEnd: 88,
    });
    expect(lines).toMatchObject({ status: 422, body: { code: 'VALIDATION' } });
    expect(lines.body.detail).toMatch(
      /^cannot read cbl\/CBL0001\.cobol from \(imported\): .*link the whole file/,
    );

    const noEntry = await f.json('editor', 'POST', '/api/code/links', {
      codeFileId: program.id,
      kbEntryId: 'no-such-entry',
    });
    expect(noEntry).toMatchObject({ status: 404, body: { code: 'NOT_FOUND' } });

    expect((await f.call('editor', 'DELETE', `/api/code/links/${created.body.id}`)).status).toBe(204);
    expect((await f.call('editor', 'DELETE', `/api/code/links/${created.body.id}`)).status).toBe(404);

    expect((await f.call('editor', 'DELETE', '/api/code/repositories/imported')).status).toBe(204);
    const stale = await f.json('viewer', 'GET', `/api/code/links?kbEntryId=${entryId}`);
    expect(stale.body.links).toEqual([
      expect.objectContaining({ path: 'jcl/CBL0001J.jcl', status: 'stale', codeFileId: null }),
    ]);
    expect((await f.call('editor', 'DELETE', '/api/code/repositories/imported')).status).toBe(404);
  });
});

describe('refusals', () => {
  it("refuses a viewer's writes with 403 before the store, which stays unchanged", async () => {
    const program = (await uploadSource('cbl/CBL0001.cobol', text(CBL0001))).body;
    const entryId = await f.storage.createEntry({
      title: 'CBL0001 notes',
      problem: 'Program CBL0001 reads ACCTREC.',
      solution: 'See the course lab.',
      category: 'COBOL',
    });
    const before = await f.storage.contentHash();
    const writes: [string, string, unknown][] = [
      ['POST', '/api/code/files?path=cbl/CBL0001.cobol', text(CBL0001)],
      ['POST', '/api/code/links', { codeFileId: program.id, kbEntryId: entryId }],
      ['DELETE', '/api/code/links/some-id', undefined],
      ['DELETE', '/api/code/repositories/imported', undefined],
    ];
    for (const [method, path, body] of writes) {
      const response = await f.call('viewer', method, path, body);
      expect(response.status, `${method} ${path}`).toBe(403);
      expect(await response.json()).toMatchObject({ code: 'FORBIDDEN' });
    }
    expect(await f.storage.contentHash()).toEqual(before);
  });

  it('answers 501 EXTENSION_NOT_ENABLED on a store without the code plugin', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kb-demo-nocode-'));
    const storage = await createStorage({ database: { path: join(dir, 'kb.db') } }, { plugins: [] });
    const demo = createDemoApp({ storage, tokens: new TokenTable(GRANTS), events: { pollMs: 50 } });
    try {
      const before = await storage.contentHash();
      for (const [method, path, body] of [
        ['GET', '/api/code/files', undefined],
        ['POST', '/api/code/files?path=cbl/CBL0001.cobol', text(CBL0001)],
        ['POST', '/api/code/files/decode?copybook=ACCTREC', new Uint8Array(sample(ACCTREC_DATA))],
        ['POST', '/api/code/files/layout', text(CBL0001)],
      ] as const) {
        const response = await demo.app.request(path, {
          method,
          headers: { authorization: `Bearer ${TOKENS.editor}` },
          ...(body === undefined ? {} : { body }),
        });
        expect(response.status, `${method} ${path}`).toBe(501);
        expect(await response.json()).toMatchObject({ code: 'EXTENSION_NOT_ENABLED', status: 501 });
      }
      expect(await storage.contentHash()).toEqual(before);
    } finally {
      await demo.close();
      await storage.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('documents the routes in the OpenAPI document', async () => {
    const doc = await f.json(null, 'GET', '/api/openapi.json');
    expect(Object.keys(doc.body.paths)).toEqual(
      expect.arrayContaining([
        '/api/code/files',
        '/api/code/files/{id}',
        '/api/code/files/decode',
        '/api/code/files/layout',
        '/api/code/copybooks/{name}/layout',
        '/api/code/links',
      ]),
    );
    expect(doc.body.components.schemas.CobolStructure).toBeDefined();
    expect(doc.body.components.schemas.CopybookLayout).toBeDefined();
  });
});
