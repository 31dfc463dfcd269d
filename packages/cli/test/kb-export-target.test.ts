import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Workspace } from './cli-harness.js';

/** `kb export --target`: the exporters enabled plugins contribute, run through kb; and `kb plugins` lists them. */

const TITLES = fileURLToPath(new URL('./fixtures/exporter-plugin.ts', import.meta.url));
const extensions = [{ id: 'io-formats' }, { id: 'titles', package: TITLES }];

let ws: Workspace;
beforeEach(async () => {
  ws = new Workspace();
  ws.writeConfig({ mvp: { extensions } });
  await ws.init();
  for (const title of ['VSAM status 35', 'S0C7 in PAYR010']) {
    await ws.ok(['add', '--title', title, '--problem', 'p', '--solution', 's', '--category', 'Other']);
  }
});
afterEach(() => ws.remove());

/** The workspace's files, but the store's and the config. */
const outputs = () => readdirSync(ws.dir).filter((f) => !f.startsWith('kb.db') && f !== 'kb.config.json');

describe('kb export --target', () => {
  it('writes the file with the exporter; --json prints file, target and records', async () => {
    const result = await ws.run(['--json', 'export', '--target', 'entry-titles', '--out', 'titles.txt']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.json()).toEqual({
      file: ws.path('titles.txt'),
      target: 'entry-titles',
      records: { kb: 2 },
    });
    expect(readFileSync(ws.path('titles.txt'), 'utf8')).toBe('S0C7 in PAYR010\nVSAM status 35\n');
  });

  it('hands --option key=value to the exporter, and says what it wrote', async () => {
    const result = await ws.run([
      'export',
      '--target',
      'entry-titles',
      '--out',
      'titles.md',
      '--option',
      'prefix=- ',
      '--option',
      'unused=a=b',
    ]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe(`Exported kb 2 to ${ws.path('titles.md')} (entry-titles, 35 bytes)\n`);
    expect(readFileSync(ws.path('titles.md'), 'utf8')).toBe('- S0C7 in PAYR010\n- VSAM status 35\n');
  });

  it('an unknown target exits 3, naming the available ones', async () => {
    const result = await ws.run(['--json', 'export', '--target', 'nope', '--out', 'x.txt']);
    expect(result.code).toBe(3);
    expect(result.errorJson().error).toMatchObject({
      code: 'VALIDATION',
      message: expect.stringContaining('available: entry-titles, failing'),
    });
    expect(outputs()).toEqual([]);
  });

  it('an exporter that throws exits 1 and leaves no file', async () => {
    const result = await ws.run(['--json', 'export', '--target', 'failing', '--out', 'half.txt']);
    expect(result.code).toBe(1);
    expect(result.errorJson().error.message).toContain('the failing exporter failed');
    expect(outputs()).toEqual([]);
  });

  it('refuses a viewer with exit 3 (FORBIDDEN) before any file exists', async () => {
    ws.writeConfig({ mvp: { extensions }, cli: { roles: { alice: 'viewer' } } });
    const result = await ws.run(['--json', 'export', '--target', 'entry-titles', '--out', 'titles.txt'], {
      env: { KB_ACTOR: 'alice' },
    });
    expect(result.code).toBe(3);
    expect(result.errorJson().error.code).toBe('FORBIDDEN');
    expect(existsSync(ws.path('titles.txt'))).toBe(false);
    expect(outputs()).toEqual([]);
  });

  it('usage errors exit 2 before the store is asked', async () => {
    for (const args of [
      ['--format', 'json', '--target', 'entry-titles', '--out', 'x'],
      ['--target', 'entry-titles'],
      ['--target', 'entry-titles', '--out', 'x', '--entities', 'kb'],
      ['--target', 'entry-titles', '--out', 'x', '--option', 'novalue'],
      ['--target', 'entry-titles', '--out', 'x', '--option', '=v'],
      ['--target', 'entry-titles', '--out', 'x', '--option', 'a=1', '--option', 'a=2'],
      ['--format', 'json', '--out', 'x', '--option', 'a=1'],
    ]) {
      const result = await ws.run(['export', ...args]);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr).toContain('usage: kb export --format');
    }
    expect(outputs()).toEqual([]);
  });

  it('kb help export describes --target and --option, and where the targets are listed', async () => {
    const help = await ws.run(['help', 'export']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('--target NAME --out F [--option key=value]');
    expect(help.stdout).toMatch(/--target NAME +instead of --format/);
    expect(help.stdout).toContain("the enabled plugins' exporters, see kb plugins");
  });

  it('--format exports keep their output', async () => {
    const exported = await ws.ok(['export', '--format', 'json', '--out', 'all.json']);
    expect(exported).toEqual({ file: ws.path('all.json'), format: 'json', records: expect.any(Object) });
    expect(exported.records.kb).toBe(2);
  });
});

describe('kb plugins', () => {
  it('lists the store’s importers and exporters, as JSON and in sections of their own', async () => {
    const listed = await ws.ok(['plugins']);
    expect(listed.plugins.map((p: { id: string }) => p.id)).toEqual(['io-formats', 'titles']);
    expect(listed.exporters).toEqual([
      {
        target: 'entry-titles',
        description: 'the titles of the KB entries',
        entities: ['kb'],
        extension: 'txt',
      },
      { target: 'failing', description: 'fails half way', entities: ['kb'], extension: 'txt' },
    ]);
    expect(listed.importers).toEqual([
      { source: 'titles', description: 'one KB entry per line', entities: ['kb'] },
    ]);
    const text = (await ws.run(['plugins'])).stdout;
    expect(text).toMatch(
      /^Importers \(kb import <file> --source <name>\):\n {2}titles +one KB entry per line \[kb\]$/m,
    );
    expect(text).toMatch(/^Exporters \(kb export --target <name> --out F\):$/m);
    expect(text).toMatch(/^ {2}entry-titles +the titles of the KB entries \(\.txt\) \[kb\]$/m);
  });
});
