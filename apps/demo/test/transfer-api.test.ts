import { EXPORT_FORMAT_ID, EXPORT_VERSION } from '@mainframe-kb/io-formats';
import type { Role } from '@mainframe-kb/storage-core';
import { loadEssentialKb, loadSeedDataSql, loadSeedTemplateFile } from '@mainframe-kb/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Fixture, openFixture } from './support/demo-fixture.js';

/** Real KB entries (the seed-anchor files), with feedback, a relation and usage on some of them. */
async function seed(f: Fixture): Promise<number> {
  const entries = [
    ...loadEssentialKb(),
    ...loadSeedTemplateFile('cobol-abends.json'),
    ...loadSeedTemplateFile('db2-sqlcodes.json'),
    ...loadSeedDataSql(),
  ];
  const ids = await f.storage.createEntries(entries);
  await f.storage.addRelation(ids[0] as string, ids[1] as string, 'related');
  await f.storage.recordFeedback(ids[0] as string, { outcome: 'success', rating: 5, comment: 'worked' });
  await f.storage.recordFeedback(ids[2] as string, { outcome: 'failure', rating: 2 });
  await f.storage.recordUsage(ids[1] as string, 'view', { userId: 'qa' });
  return ids.length;
}

const bytesOf = async (response: Response) => new Uint8Array(await response.arrayBuffer());

const ndjson = (...lines: string[]) => `${lines.join('\n')}\n`;

const entryLine = (title: string) =>
  JSON.stringify({
    title,
    problem: `The job fails with ${title}.`,
    solution: 'Check the DD statements and rerun the step.',
    category: 'JCL',
    severity: 'medium',
  });

/** A ustar archive of the given entries (name, type, content), as a hostile client would craft it. */
function tar(entries: { name: string; type?: string; content?: string }[]): Uint8Array {
  const blocks: Buffer[] = [];
  for (const { name, type = '0', content = '' } of entries) {
    const body = Buffer.from(content);
    const h = Buffer.alloc(512);
    h.write(name, 0, 100);
    h.write('0000644\0', 100);
    h.write('0000000\0', 108);
    h.write('0000000\0', 116);
    h.write(`${body.length.toString(8).padStart(11, '0')}\0`, 124);
    h.write('00000000000\0', 136);
    h.fill(0x20, 148, 156);
    h.write(type, 156);
    if (type === '2') h.write('/etc/passwd', 157);
    h.write('ustar\u000000', 257);
    let sum = 0;
    for (const b of h) sum += b;
    h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
    blocks.push(h, body, Buffer.alloc((512 - (body.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return new Uint8Array(Buffer.concat(blocks));
}

let a: Fixture;
let b: Fixture;

beforeEach(async () => {
  a = await openFixture();
  b = await openFixture();
});

afterEach(async () => {
  await a.close();
  await b.close();
});

describe('export', () => {
  it('downloads the store as the versioned JSON envelope, an attachment with a filename', async () => {
    const count = await seed(a);
    const response = await a.call('admin', 'GET', '/api/export?format=json');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(response.headers.get('content-disposition')).toMatch(
      /^attachment; filename="kb-export-\d{8}t\d{6}z\.json"$/,
    );
    expect(JSON.parse(response.headers.get('x-export-records') as string)).toMatchObject({
      kb: expect.any(Number),
    });
    const envelope = JSON.parse(new TextDecoder().decode(await bytesOf(response)));
    expect(envelope).toMatchObject({ format: EXPORT_FORMAT_ID, version: EXPORT_VERSION });
    expect(envelope.data.kb.kb_entries).toHaveLength(count);
    expect(envelope.integrity).toMatchObject({ algorithm: 'sha256', content_hash: expect.any(Object) });
  });

  it('exports chosen entities only', async () => {
    await seed(a);
    const response = await a.call('admin', 'GET', '/api/export?format=json&entities=kb');
    expect(Object.keys(JSON.parse(response.headers.get('x-export-records') as string))).toEqual(['kb']);
    const envelope = JSON.parse(new TextDecoder().decode(await bytesOf(response)));
    expect(Object.keys(envelope.data)).toEqual(['kb']);
    const unknown = await a.json('admin', 'GET', '/api/export?format=json&entities=nothing');
    expect(unknown).toMatchObject({ status: 422, body: { code: 'VALIDATION' } });
    const badFormat = await a.json('admin', 'GET', '/api/export?format=xlsx');
    expect(badFormat).toMatchObject({ status: 422, body: { code: 'VALIDATION' } });
  });
});

describe('export then import', () => {
  it('restores a JSON export into an empty store with the same content hash', async () => {
    await seed(a);
    const file = await bytesOf(await a.call('admin', 'GET', '/api/export?format=json'));
    const imported = await b.json('admin', 'POST', '/api/import?restore=true', file);
    expect(imported.status).toBe(200);
    expect(imported.body).toMatchObject({ committed: true, layout: 'envelope', rejected: 0, errors: [] });
    expect(await b.storage.contentHash()).toEqual(await a.storage.contentHash());
  });

  it.each(['ndjson', 'csv', 'parquet'])(
    'restores a %s export (a tar of the export folder) with the same content hash',
    async (format) => {
      await seed(a);
      const response = await a.call('admin', 'GET', `/api/export?format=${format}`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('application/x-tar');
      expect(response.headers.get('content-disposition')).toMatch(
        new RegExp(`^attachment; filename="kb-export-\\d{8}t\\d{6}z-${format}\\.tar"$`),
      );
      const archive = await bytesOf(response);
      expect(Buffer.from(archive.subarray(0, 100)).toString('utf8')).toMatch(/^kb-export-\d{8}t\d{6}z\//);
      const imported = await b.json('admin', 'POST', '/api/import?restore=true', archive);
      expect(imported.status).toBe(200);
      expect(imported.body).toMatchObject({ committed: true, layout: 'directory', format });
      expect(await b.storage.contentHash()).toEqual(await a.storage.contentHash());
    },
  );

  it('imports an export into a store (a merge, not a restore) with every entry and its tags', async () => {
    const count = await seed(a);
    const file = await bytesOf(await a.call('admin', 'GET', '/api/export?format=ndjson&entities=kb'));
    const imported = await b.json('admin', 'POST', '/api/import', file);
    expect(imported.status).toBe(200);
    expect(imported.body.inserted).toBeGreaterThan(count);
    expect(imported.body.tables.kb_entries).toEqual({ inserted: count, updated: 0, skipped: 0, rejected: 0 });
    const tables = ['kb_entries', 'kb_tags', 'kb_relations', 'kb_feedback'];
    expect((await b.storage.contentHash({ tables })).tables).toEqual(
      (await a.storage.contentHash({ tables })).tables,
    );
    // The same file again: every entry exists; skip leaves them, the default refuses the import.
    const again = await b.json('admin', 'POST', '/api/import?onConflict=skip', file);
    expect(again.body).toMatchObject({ committed: true, inserted: 0 });
    expect(again.body.tables.kb_entries.skipped).toBe(count);
  });
});

describe('import of a plain file of entries', () => {
  it('imports NDJSON entries, and a dry run reports the same without writing', async () => {
    const file = ndjson(entryLine('JCL error IEF212I'), entryLine('S806 module not found'));
    const before = await b.storage.contentHash();
    const dry = await b.json('admin', 'POST', '/api/import?dryRun=true&format=ndjson', file);
    expect(dry).toMatchObject({
      status: 200,
      body: { dryRun: true, committed: false, inserted: 2, format: 'ndjson', layout: 'records' },
    });
    expect(await b.storage.contentHash()).toEqual(before);
    const done = await b.json('admin', 'POST', '/api/import', file);
    expect(done).toMatchObject({ status: 200, body: { committed: true, inserted: 2 } });
    const titles = (await b.storage.listEntries({})).entries.map((e) => e.title).sort();
    expect(titles).toEqual(['JCL error IEF212I', 'S806 module not found']);
  });

  it('reports a bad record 3 with its line, field and reason, and writes nothing', async () => {
    const noTitle = JSON.stringify({ problem: 'no title here', solution: 'none', category: 'JCL' });
    const file = ndjson(
      entryLine('first entry'),
      entryLine('second entry'),
      noTitle,
      entryLine('fourth entry'),
    );
    const before = await b.storage.contentHash();
    const refused = await b.json('admin', 'POST', '/api/import', file);
    expect(refused.status).toBe(422);
    expect(refused.body).toMatchObject({ committed: false, dryRun: false, rejected: 1 });
    expect(refused.body.errors).toEqual([
      expect.objectContaining({ record: 3, location: { line: 3 }, field: 'title', table: 'kb_entries' }),
    ]);
    expect(refused.body.errors[0].message).toBe('is required');
    expect(await b.storage.contentHash()).toEqual(before);
    expect(await b.storage.countEntries()).toBe(0);
  });

  it('refuses a file broken at line 3 as a whole, naming the line, and writes nothing', async () => {
    const file = ndjson(
      entryLine('first entry'),
      entryLine('second entry'),
      '{"title": "cut',
      entryLine('x'),
    );
    const before = await b.storage.contentHash();
    const response = await b.call('admin', 'POST', '/api/import?format=ndjson', file);
    expect(response.status).toBe(422);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    const problem = await response.json();
    expect(problem.code).toBe('VALIDATION');
    expect(problem.detail).toMatch(/^ndjson: a string is not closed.*\(line 3\)$/);
    expect(problem.details).toMatchObject({ format: 'ndjson', reason: 'MALFORMED', location: { line: 3 } });
    expect(await b.storage.contentHash()).toEqual(before);
  });

  it('refuses content it cannot read, or that is not the format asserted', async () => {
    const unknown = await b.json('admin', 'POST', '/api/import', new Uint8Array([0, 1, 2, 3, 250, 251]));
    expect(unknown).toMatchObject({ status: 422, body: { code: 'VALIDATION' } });
    expect(unknown.body.detail).toMatch(/cannot tell the format/);
    const mismatch = await b.json('admin', 'POST', '/api/import?format=csv', ndjson(entryLine('x')));
    expect(mismatch.status).toBe(422);
    const empty = await b.json('admin', 'POST', '/api/import', '');
    expect(empty).toMatchObject({ status: 422, body: { code: 'VALIDATION' } });
    expect(await b.storage.countEntries()).toBe(0);
  });

  it('refuses a restore of an export edited after it was written, and writes nothing', async () => {
    await seed(a);
    const text = new TextDecoder().decode(
      await bytesOf(await a.call('admin', 'GET', '/api/export?format=json')),
    );
    const first = (await a.storage.listEntries({ orderBy: 'createdAt', limit: 1 })).entries[0]!;
    expect(text).toContain(JSON.stringify(first.title));
    const edited = text.replace(JSON.stringify(first.title), JSON.stringify(`${first.title} (edited)`));
    const before = await b.storage.contentHash();
    const refused = await b.json('admin', 'POST', '/api/import?restore=true', edited);
    // INTEGRITY: the body no longer has the sha256 the export recorded (see the report on its HTTP status).
    expect(refused.body).toMatchObject({ code: 'INTEGRITY' });
    expect(refused.body.detail).toMatch(/sha256|hash/i);
    expect(await b.storage.contentHash()).toEqual(before);
  });

  it('refuses a restore into a store that holds entries, and leaves it as it was', async () => {
    await seed(a);
    const file = await bytesOf(await a.call('admin', 'GET', '/api/export?format=json'));
    await b.storage.createEntry({ ...JSON.parse(entryLine('already here')) });
    const before = await b.storage.contentHash();
    const refused = await b.json('admin', 'POST', '/api/import?restore=true', file);
    expect(refused).toMatchObject({ status: 409, body: { code: 'CONFLICT' } });
    expect(refused.body.details.tables).toContain('kb_entries');
    expect(await b.storage.contentHash()).toEqual(before);
  });
});

describe('archives', () => {
  it('refuses a tar whose entries would leave the working folder, or are links', async () => {
    const manifest = { name: 'x/manifest.json', content: '{}' };
    for (const archive of [
      tar([{ name: '../escape.ndjson', content: entryLine('x') }, manifest]),
      tar([{ name: '/etc/cron.d/evil', content: 'x' }]),
      tar([{ name: 'x/a/b/deep.ndjson', content: 'x' }]),
      tar([{ name: 'x/link', type: '2' }, manifest]),
      tar([{ name: 'x/data.ndjson', content: entryLine('x') }]),
    ]) {
      const refused = await b.json('admin', 'POST', '/api/import', archive);
      expect(refused).toMatchObject({ status: 422, body: { code: 'VALIDATION' } });
      expect(refused.body.detail).toMatch(/tar archive/);
    }
    expect(await b.storage.countEntries()).toBe(0);
  });
});

describe('refusals', () => {
  it('refuses a viewer or an editor with 403 before anything is read or written', async () => {
    await seed(a);
    const before = await a.storage.contentHash();
    const audit = (await a.storage.auditRows({ limit: 1000 })).length;
    for (const role of ['viewer', 'editor'] as Role[]) {
      const exported = await a.json(role, 'GET', '/api/export?format=json');
      expect(exported).toMatchObject({ status: 403, body: { code: 'FORBIDDEN' } });
      const imported = await a.json(role, 'POST', '/api/import', ndjson(entryLine('sneaked in')));
      expect(imported).toMatchObject({ status: 403, body: { code: 'FORBIDDEN' } });
    }
    expect(await a.storage.contentHash()).toEqual(before);
    expect((await a.storage.auditRows({ limit: 1000 })).length).toBe(audit);
  });

  it('refuses an upload over the limit with 413, and the store is unchanged', async () => {
    const small = await openFixture({ app: { maxUploadBytes: 1024 } });
    try {
      const before = await small.storage.contentHash();
      const lines = Array.from({ length: 40 }, (_, i) => entryLine(`entry number ${i}`));
      const file = ndjson(...lines);
      expect(file.length).toBeGreaterThan(1024);
      const response = await small.call('admin', 'POST', '/api/import', file);
      expect(response.status).toBe(413);
      expect(response.headers.get('content-type')).toBe('application/problem+json');
      expect(await response.json()).toMatchObject({ code: 'PAYLOAD_TOO_LARGE', status: 413 });
      expect(await small.storage.contentHash()).toEqual(before);
      // Under the limit, the same route takes it.
      const fits = await small.json('admin', 'POST', '/api/import', ndjson(...lines.slice(0, 2)));
      expect(fits).toMatchObject({ status: 200, body: { inserted: 2 } });
    } finally {
      await small.close();
    }
  });

  it('documents the routes in the OpenAPI document', async () => {
    const doc = await a.json(null, 'GET', '/api/openapi.json');
    expect(doc.body.paths['/api/export'].get.tags).toEqual(['export and import']);
    expect(Object.keys(doc.body.paths['/api/import'].post.responses)).toEqual(
      expect.arrayContaining(['200', '403', '413', '422']),
    );
    expect(doc.body.components.schemas.ImportResult).toBeDefined();
  });
});
