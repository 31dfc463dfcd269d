import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Workspace } from './cli-harness.js';

/**
 * What `kb` lets into a store: text that is Unicode (no lone surrogates, no bytes that are not UTF-8) and,
 * for `import --restore`, an export whose recorded hashes still hold (CLI.md: exit 5 when they differ).
 */
let ws: Workspace;

beforeEach(() => {
  ws = new Workspace();
});

afterEach(() => ws.remove());

const ENTRY = { title: 'S0C7 in PAYR010', problem: 'p', solution: 's', category: 'COBOL' };

/** Entries in a store (`kb init` on an existing store opens it and reports them). */
async function count(db = 'kb.db'): Promise<number> {
  return (await ws.ok<{ entries: number }>(['--db', db, 'init'])).entries;
}

describe('kb add --file refuses text that is not Unicode', () => {
  it('a lone surrogate escape exits 3 naming the entry and field, and writes nothing', async () => {
    await ws.ok(['init']);
    // JSON.stringify keeps "\ud800" as an escape: the file is valid JSON and valid UTF-8.
    writeFileSync(
      ws.path('surrogate.json'),
      `[${JSON.stringify(ENTRY)},${JSON.stringify({ ...ENTRY, title: 'bad \ud800 title' })}]`,
    );
    expect(readFileSync(ws.path('surrogate.json'), 'utf8')).toContain('\\ud800');
    const result = await ws.run(['--json', 'add', '--file', 'surrogate.json']);
    expect(result.code).toBe(3);
    const { error } = result.errorJson();
    expect(error.code).toBe('VALIDATION');
    expect(error.message).toMatch(/entries\.1\.title/);
    expect(error.message).toMatch(/surrogate/);
    expect(await count()).toBe(0);
  });

  it('bytes that are not UTF-8 exit 3 and write nothing', async () => {
    await ws.ok(['init']);
    const text = JSON.stringify({ ...ENTRY, problem: 'overlong X here' });
    const at = Buffer.from(text).indexOf('X');
    const bytes = Buffer.from(text);
    writeFileSync(
      ws.path('overlong.json'),
      Buffer.concat([bytes.subarray(0, at), Buffer.from([0xc0, 0xaf]), bytes.subarray(at + 1)]),
    );
    const result = await ws.run(['--json', 'add', '--file', 'overlong.json']);
    expect(result.code).toBe(3);
    expect(result.errorJson().error.message).toMatch(/UTF-8/);
    expect(await count()).toBe(0);
  });
});

describe('kb import --restore verifies the export (exit 5)', () => {
  beforeEach(async () => {
    await ws.init(['--db', 'source.db']);
    await ws.init(['--db', 'copy.db']);
    await ws.ok(
      ['--db', 'source.db', 'add', '--title', 'VSAM status 35', '--problem', 'OPEN fails'].concat([
        '--solution',
        'Define the cluster',
        '--category',
        'VSAM',
      ]),
    );
    await ws.ok(['--db', 'source.db', 'add', '--file', writeEntries()]);
  });

  function writeEntries(): string {
    writeFileSync(ws.path('more.json'), JSON.stringify([ENTRY, { ...ENTRY, title: 'IEF212I dataset' }]));
    return ws.path('more.json');
  }

  it('a flipped bit in a Parquet export exits 5 naming the file; the target stays empty', async () => {
    await ws.ok(['--db', 'source.db', 'export', '--format', 'parquet', '--out', 'pq']);
    const path = join(ws.dir, 'pq', 'kb_entries.parquet');
    const bytes = readFileSync(path);
    const at = Math.floor(bytes.length / 2);
    bytes[at] = (bytes[at] as number) ^ 0x01;
    writeFileSync(path, bytes);
    const result = await ws.run(['--json', '--db', 'copy.db', 'import', 'pq', '--restore']);
    expect(result.code).toBe(5);
    expect(result.errorJson().error).toMatchObject({
      code: 'INTEGRITY',
      message: expect.stringContaining('kb_entries.parquet'),
    });
    expect(await count('copy.db')).toBe(0);
  });

  it('an edited CSV exits 5; an export without hashes needs --trust-unverified and warns', async () => {
    await ws.ok(['--db', 'source.db', 'export', '--format', 'csv', '--out', 'csv']);
    const file = join(ws.dir, 'csv', 'kb_entries.csv');
    const original = readFileSync(file, 'utf8');
    writeFileSync(file, original.replace('VSAM status 35', 'VSAM status 53'));
    await ws.init(['--db', 'edited.db']);
    await ws.init(['--db', 'old.db']);
    const edited = await ws.run(['--json', '--db', 'edited.db', 'import', 'csv', '--restore']);
    expect(edited.code).toBe(5);
    expect(edited.errorJson().error.message).toContain('kb_entries.csv');

    // As an older release wrote it: no hashes at all.
    writeFileSync(file, original);
    const manifestPath = join(ws.dir, 'csv', 'manifest.json');
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
    delete manifest.integrity;
    for (const f of manifest.files) delete f.sha256;
    writeFileSync(manifestPath, JSON.stringify(manifest));
    const refused = await ws.run(['--json', '--db', 'old.db', 'import', 'csv', '--restore']);
    expect(refused.code).toBe(5);
    expect(refused.errorJson().error.message).toContain('--trust-unverified');
    const trusted = await ws.run(['--db', 'old.db', 'import', 'csv', '--restore', '--trust-unverified']);
    expect(trusted.code).toBe(0);
    expect(trusted.stderr).toMatch(/warning: .*no integrity hashes/);
    expect(await count('old.db')).toBe(3);
  });
});

describe('kb import --batch-size --resume keeps its checkpoint in the store', () => {
  it('a rerun of the same input resumes after the committed batches; --checkpoint F still works', async () => {
    const lines = [0, 1, 2, 3, 4].map((i) => JSON.stringify({ ...ENTRY, id: `R${i}`, title: `Entry ${i}` }));
    writeFileSync(ws.path('five.ndjson'), `${lines.join('\n')}\n`);
    await ws.ok(['init']);
    const first = await ws.ok(['import', 'five.ndjson', '--batch-size', '2', '--resume']);
    expect(first).toMatchObject({ inserted: 5, committed: true, errors: [] });
    const again = await ws.ok(['import', 'five.ndjson', '--batch-size', '2', '--checkpoint', 'old.ckpt']);
    expect(again).toMatchObject({ inserted: 0, errors: [] });
    expect(await count()).toBe(5);
    expect((await ws.run(['import', 'five.ndjson', '--resume'])).code).toBe(2);
    expect((await ws.run(['import', 'five.ndjson', '--trust-unverified'])).code).toBe(2);
  });
});
