import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import {
  createStorage,
  type DomainExporter,
  type DomainExportInput,
  definePlugin,
  type PluginContext,
  type Role,
  type Storage,
} from '@mainframe-kb/storage-core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { exportStore, ioFormatsPlugin, type TargetExportResult } from '../src/index.js';
import { type TempDir, tempDir } from './store-helpers.js';

/** What the exporters of the test plugin saw, and whether they ran at all. */
const seen: { inputs: DomainExportInput[] } = { inputs: [] };

/**
 * A plugin contributing two exporters: `titles`, which writes the title of every KB entry a line, reading
 * through its context with a permission of its own, and `broken`, which writes a line and then throws.
 */
const titlesPlugin = definePlugin({
  id: 'titles',
  version: '1.0.0',
  mvp: 1,
  setup(ctx: PluginContext<{ kb_entries: { id: string; title: string } }>) {
    const titles: DomainExporter = async (input) => {
      seen.inputs.push(input);
      const rows = await ctx.read('titles.read', () =>
        ctx.db.selectFrom('kb_entries').select('title').orderBy('title').execute(),
      );
      for (const row of rows) await input.sink.write(new TextEncoder().encode(`${row.title}\n`));
      return { records: rows.length };
    };
    const broken: DomainExporter = async (input) => {
      seen.inputs.push(input);
      await input.sink.write(new TextEncoder().encode('half a file\n'));
      throw new Error('the exporter failed half way');
    };
    return {
      permissions: { 'titles.read': 'viewer' },
      contributes: {
        exporters: [
          {
            target: 'titles',
            description: 'entry titles',
            entities: ['kb'],
            extension: 'txt',
            handler: titles,
          },
          { target: 'broken', description: 'fails', entities: ['kb'], extension: 'txt', handler: broken },
        ],
      },
    };
  },
});

describe('export --target: exporters contributed by plugins', () => {
  let dir: TempDir;
  let storage: Storage;

  const open = (role: Role) =>
    createStorage(
      { database: { type: 'sqlite', path: dir.file('store.db') } },
      { plugins: [ioFormatsPlugin, titlesPlugin], actor: { id: role, role } },
    );
  /** The directory's files but the store's own. */
  const files = () => readdirSync(dir.path).filter((f) => !f.startsWith('store.db'));

  beforeEach(async () => {
    seen.inputs = [];
    dir = tempDir();
    storage = await open('admin');
    const entry = { problem: 'p', solution: 's', category: 'Other' };
    await storage.createEntries([
      { ...entry, title: 'VSAM status 35' },
      { ...entry, title: 'S0C7 in PAYR010' },
    ]);
  });

  afterEach(async () => {
    await storage.close();
    dir.remove();
  });

  it('lists the contributed exporters on the store', () => {
    expect(storage.exporters().map((e) => e.target)).toEqual(['titles', 'broken']);
  });

  it('writes the file through the exporter and reports its records under its entity', async () => {
    const out = dir.file('titles.txt');
    const result: TargetExportResult = await exportStore(storage, {
      target: 'titles',
      out,
      targetOptions: { verbose: true },
    });
    expect(result).toEqual({ file: out, target: 'titles', records: { kb: 2 }, bytes: 31 });
    expect(readFileSync(out, 'utf8')).toBe('S0C7 in PAYR010\nVSAM status 35\n');
    expect(seen.inputs).toHaveLength(1);
    expect(seen.inputs[0]).toMatchObject({ fileName: 'titles.txt', options: { verbose: true } });
    expect(files()).toEqual(['titles.txt']);
    // The flat method and the API take the same options.
    const flat = await storage.export({ target: 'titles', out: dir.file('flat.txt') });
    expect(flat.records).toEqual({ kb: 2 });
    expect(seen.inputs[1]?.options).toEqual({});
  });

  it('refuses an unknown target with a ValidationError naming the available ones', async () => {
    await expect(exportStore(storage, { target: 'nope', out: dir.file('x.txt') })).rejects.toMatchObject({
      code: 'VALIDATION',
      message: expect.stringContaining("no enabled plugin exports 'nope' (available: titles, broken)"),
      details: expect.objectContaining({ target: 'nope', available: ['titles', 'broken'] }),
    });
    expect(files()).toEqual([]);
  });

  it('refuses a format and a target together, and an output that exists', async () => {
    const both = { format: 'json', target: 'titles', out: dir.file('x.txt') } as never;
    await expect(exportStore(storage, both)).rejects.toMatchObject({
      code: 'VALIDATION',
      message: expect.stringContaining('not both'),
    });
    writeFileSync(dir.file('taken.txt'), 'mine');
    await expect(
      exportStore(storage, { target: 'titles', out: dir.file('taken.txt') }),
    ).rejects.toMatchObject({ code: 'CONFLICT' });
    expect(readFileSync(dir.file('taken.txt'), 'utf8')).toBe('mine');
    expect(seen.inputs).toEqual([]);
  });

  it('leaves no file, and no partial one, when the exporter throws', async () => {
    await expect(exportStore(storage, { target: 'broken', out: dir.file('broken.txt') })).rejects.toThrow(
      'the exporter failed half way',
    );
    expect(seen.inputs).toHaveLength(1);
    expect(files()).toEqual([]);
  });

  for (const role of ['viewer', 'editor'] as const) {
    it(`${role}: refused with FORBIDDEN before the exporter runs or any file exists`, async () => {
      const store = await open(role);
      try {
        for (const refusal of [
          exportStore(store, { target: 'titles', out: dir.file(`${role}.txt`) }),
          store.export({ target: 'titles', out: dir.file(`${role}-flat.txt`) }),
          // Even an unknown target: the role is checked before anything else.
          exportStore(store, { target: 'nope', out: dir.file(`${role}-nope.txt`) }),
        ]) {
          await expect(refusal).rejects.toMatchObject({
            code: 'FORBIDDEN',
            details: expect.objectContaining({ operation: 'io-formats.export', needed: 'admin' }),
          });
        }
        expect(seen.inputs).toEqual([]);
        expect(files()).toEqual([]);
      } finally {
        await store.close();
      }
    });
  }
});
