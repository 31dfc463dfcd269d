import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportStore, importStore, ioFormatsPlugin } from '@mainframe-kb/io-formats';
import type { ByteSink, Storage } from '@mainframe-kb/storage-core';
import { availableTestStores, type TestStores } from '@mainframe-kb/testkit';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import notesPlugin from '../src/index.js';

// The `notes-markdown` exporter, driven by the io-formats export pipeline exactly as
// `kb export --target notes-markdown` drives it: the pipeline checks the role and owns the file, the exporter
// reads the notes through the plugin's context and writes them. On every dialect available.

for (const target of availableTestStores()) {
  const name = `the notes-markdown exporter on ${target.dialect}`;
  const stores = target.stores;
  if (!stores) {
    describe(`${name} (${target.skipped})`, () => {
      it.skip('runs on this dialect', () => {});
    });
    continue;
  }
  describe(name, () => {
    afterAll(() => stores.cleanup());
    defineExporterTests(stores);
  });
}

/** `- YYYY-MM-DD HH:MM author: text`, as the exporter lists a note. */
const item = (createdAt: string, author: string, text: string) =>
  `- ${createdAt.slice(0, 16).replace('T', ' ')} ${author}: ${text}`;

function defineExporterTests(stores: TestStores): void {
  let storage: Storage;
  let dir: string;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kb-notes-export-'));
    storage = await stores.open({}, { plugins: [notesPlugin, ioFormatsPlugin] });
    const entry = { problem: 'p', solution: 's', category: 'Other' };
    await storage.createEntries([
      { ...entry, id: 'PAYR010-S0C7', title: 'S0C7 in PAYR010' },
      { ...entry, id: 'VSAM-35-CUST', title: 'VSAM status 35 opening PROD.CUST.KSDS' },
    ]);
  });
  afterEach(async () => {
    await storage.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('is listed among the store’s exporters', () => {
    expect(storage.exporters().map((e) => [e.target, e.extension, e.entities])).toContainEqual([
      'notes-markdown',
      'md',
      ['notes'],
    ]);
  });

  it('writes every entry’s notes as Markdown, a section per entry, oldest note first', async () => {
    await storage.addNote('VSAM-35-CUST', 'Cluster redefined by the night shift.');
    await storage.addNote('PAYR010-S0C7', 'Seen again on LPAR2 after IPL.');
    await storage.addNote('PAYR010-S0C7', 'Rerun fixed it.\nThe extract had spaces in WS-TOTAL.');
    const notes = storage.plugin(notesPlugin);
    const [payroll, vsam] = [await notes.list('PAYR010-S0C7'), await notes.list('VSAM-35-CUST')];
    const out = join(dir, 'notes.md');
    // #region export
    const result = await exportStore(storage, { target: 'notes-markdown', out });
    // #endregion
    expect(result).toMatchObject({ file: out, target: 'notes-markdown', records: { notes: 3 } });
    const text = readFileSync(out, 'utf8');
    expect(result.bytes).toBe(Buffer.byteLength(text));
    expect(text).toBe(
      [
        '# Operator notes',
        '',
        '## S0C7 in PAYR010 (`PAYR010-S0C7`)',
        '',
        item(payroll[0]!.createdAt, payroll[0]!.author, 'Seen again on LPAR2 after IPL.'),
        item(payroll[1]!.createdAt, payroll[1]!.author, 'Rerun fixed it.'),
        '  The extract had spaces in WS-TOTAL.',
        '',
        '## VSAM status 35 opening PROD.CUST.KSDS (`VSAM-35-CUST`)',
        '',
        item(vsam[0]!.createdAt, vsam[0]!.author, 'Cluster redefined by the night shift.'),
        '',
      ].join('\n'),
    );
  });

  it('exports one entry’s notes with the entryId option', async () => {
    await storage.addNote('VSAM-35-CUST', 'Cluster redefined by the night shift.');
    const out = join(dir, 'vsam.md');
    const result = await exportStore(storage, {
      target: 'notes-markdown',
      out,
      targetOptions: { entryId: 'VSAM-35-CUST' },
    });
    expect(result.records).toEqual({ notes: 1 });
    expect(readFileSync(out, 'utf8')).toMatch(
      /^# Operator notes\n\n## VSAM status 35 opening PROD\.CUST\.KSDS \(`VSAM-35-CUST`\)\n\n- .* Cluster redefined by the night shift\.\n$/,
    );
    const none = join(dir, 'payroll.md');
    const empty = await exportStore(storage, {
      target: 'notes-markdown',
      out: none,
      targetOptions: { entryId: 'PAYR010-S0C7' },
    });
    expect(empty.records).toEqual({ notes: 0 });
    expect(readFileSync(none, 'utf8')).toBe('# Operator notes\n\nNo notes.\n');
  });

  it('refuses an unknown entry or option, and leaves no file', async () => {
    await expect(
      exportStore(storage, {
        target: 'notes-markdown',
        out: join(dir, 'x.md'),
        targetOptions: { entryId: 'NO-SUCH-ENTRY' },
      }),
    ).rejects.toMatchObject({ code: 'NOT_FOUND', message: "KB entry 'NO-SUCH-ENTRY' does not exist" });
    await expect(
      exportStore(storage, {
        target: 'notes-markdown',
        out: join(dir, 'y.md'),
        targetOptions: { colour: 'red' },
      }),
    ).rejects.toMatchObject({ code: 'VALIDATION', message: expect.stringContaining('colour') });
    expect(readdirSync(dir)).toEqual([]);
  });

  it('streams: one sink write per note, page after page', async () => {
    // 1,100 notes, more than two pages of the exporter's reads, imported in one transaction.
    const lines = ['entry_id,author,text'];
    for (let i = 0; i < 1100; i += 1)
      lines.push(`${i % 2 ? 'VSAM-35-CUST' : 'PAYR010-S0C7'},maria,note ${i}`);
    const csv = join(dir, 'many.csv');
    writeFileSync(csv, `${lines.join('\n')}\n`);
    expect(await importStore(storage, { input: csv, source: 'notes-csv' })).toMatchObject({ inserted: 1100 });
    const chunks: string[] = [];
    const sink: ByteSink = {
      write: async (chunk) => void chunks.push(new TextDecoder().decode(chunk)),
      close: async () => {},
    };
    const exporter = storage.exporters().find((e) => e.target === 'notes-markdown')!;
    expect(await exporter.handler({ sink, fileName: 'many.md', options: {} })).toEqual({ records: 1100 });
    // The title, then a chunk per note.
    expect(chunks).toHaveLength(1 + 1100);
    const texts = chunks.slice(1).map((c) => /: (note \d+)\n$/.exec(c)?.[1]);
    const expected = [
      ...Array.from({ length: 550 }, (_, k) => `note ${2 * k}`),
      ...Array.from({ length: 550 }, (_, k) => `note ${2 * k + 1}`),
    ];
    expect(texts).toEqual(expected);
    expect(chunks.filter((c) => c.includes('\n## '))).toHaveLength(2);
  });
}
