import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '@mainframe-kb/cli';
import type { PluginCommandContext } from '@mainframe-kb/storage-core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { notesCommand } from '../src/index.js';

// `kb notes …` through the real CLI entry, in-process, in a folder whose kb.config.json names the package:
// kb finds the plugin by its package name, lists its command, opens the store with it and runs it.

class Capture {
  text = '';
  write(chunk: string): boolean {
    this.text += chunk;
    return true;
  }
}

let cwd: string;
beforeEach(() => {
  cwd = mkdtempSync(join(tmpdir(), 'kb-notes-cli-'));
  // #region config
  const config = {
    database: { path: 'kb.db' },
    mvp: { extensions: [{ id: 'notes', package: '@mainframe-kb/example-plugin-notes' }] },
  };
  // #endregion
  writeFileSync(join(cwd, 'kb.config.json'), JSON.stringify(config));
});
// Only kb init creates a store: every other command on one that does not exist exits 4.
beforeEach(async () => {
  const init = await kb('init');
  expect(init.code, init.stderr).toBe(0);
});
afterEach(() => rmSync(cwd, { recursive: true, force: true }));

async function kb(...args: string[]) {
  const stdout = new Capture();
  const stderr = new Capture();
  const code = await runCli(args, { stdout, stderr, env: { KB_ACTOR: 'maria' }, cwd, isTTY: false });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

async function addEntry(): Promise<string> {
  const added = await kb(
    '--json',
    'add',
    '--title',
    'S0C7 in PAYR010',
    '--problem',
    'PAYR010 abends S0C7 adding WS-TOTAL.',
    '--solution',
    'Initialise WS-TOTAL with MOVE ZERO.',
    '--category',
    'COBOL',
  );
  expect(added.code, added.stderr).toBe(0);
  return JSON.parse(added.stdout).id;
}

describe('kb notes', () => {
  it('is listed by kb help, with the plugin that brings it', async () => {
    const help = await kb('help');
    expect(help.code, help.stderr).toBe(0);
    expect(help.stdout).toMatch(/^ {2}notes +add and list operator notes on KB entries/m);
  });

  it('adds a note and lists it, as text and as JSON', async () => {
    const entryId = await addEntry();
    const added = await kb('notes', 'add', entryId, 'Seen again on LPAR2 after IPL.');
    expect(added.code, added.stderr).toBe(0);
    expect(added.stdout).toMatch(new RegExp(`^Added note [0-9a-f-]{36} to ${entryId}\\.\\n$`));
    const text = await kb('notes', 'list', entryId);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain('Seen again on LPAR2 after IPL.');
    const json = await kb('notes', 'list', entryId, '--json');
    expect(JSON.parse(json.stdout)).toMatchObject({
      entryId,
      notes: [{ entryId, text: 'Seen again on LPAR2 after IPL.' }],
    });
  });

  it('exits 2 with its usage line on a usage error, and 4 for an unknown entry', async () => {
    const unknown = await kb('notes', 'frobnicate', 'X');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("unknown notes action 'frobnicate'");
    expect(unknown.stderr).toContain(notesCommand.usage);
    expect((await kb('notes', 'add', 'X')).code).toBe(2);
    const missing = await kb('notes', 'list', 'NO-SUCH-ENTRY');
    expect(missing.code).toBe(4);
    expect(missing.stderr).toContain("KB entry 'NO-SUCH-ENTRY' does not exist");
  });
});

describe('kb export --target notes-markdown', () => {
  beforeEach(() => {
    // kb export needs io-formats too: a config that names extensions enables only those.
    const config = {
      database: { path: 'kb.db' },
      mvp: {
        extensions: [{ id: 'io-formats' }, { id: 'notes', package: '@mainframe-kb/example-plugin-notes' }],
      },
    };
    writeFileSync(join(cwd, 'kb.config.json'), JSON.stringify(config));
  });

  it('is listed by kb plugins among the exporters', async () => {
    const listed = await kb('plugins', '--json');
    expect(listed.code, listed.stderr).toBe(0);
    expect(JSON.parse(listed.stdout).exporters).toContainEqual(
      expect.objectContaining({ target: 'notes-markdown', extension: 'md', entities: ['notes'] }),
    );
  });

  it('writes the notes as Markdown, all of them or one entry’s', async () => {
    const entryId = await addEntry();
    expect((await kb('notes', 'add', entryId, 'Seen again on LPAR2 after IPL.')).code).toBe(0);
    const all = await kb('--json', 'export', '--target', 'notes-markdown', '--out', 'notes.md');
    expect(all.code, all.stderr).toBe(0);
    expect(JSON.parse(all.stdout)).toEqual({
      file: join(cwd, 'notes.md'),
      target: 'notes-markdown',
      records: { notes: 1 },
    });
    const markdown = readFileSync(join(cwd, 'notes.md'), 'utf8');
    expect(markdown).toMatch(/^# Operator notes\n\n## S0C7 in PAYR010 \(`.+`\)\n\n- .+ maria: Seen again/);
    const one = await kb(
      'export',
      '--target',
      'notes-markdown',
      '--out',
      'one.md',
      '--option',
      `entryId=${entryId}`,
    );
    expect(one.code, one.stderr).toBe(0);
    expect(one.stdout).toMatch(/^Exported notes 1 to .*one\.md \(notes-markdown, \d+ bytes\)\n$/);
    const missing = await kb(
      'export',
      '--target',
      'notes-markdown',
      '--out',
      'x.md',
      '--option',
      'entryId=NOPE',
    );
    expect(missing.code).toBe(4);
    expect(missing.stderr).toContain("KB entry 'NOPE' does not exist");
  });
});

describe('the notes command, against the PluginCommand contract alone', () => {
  it('checks its arguments before it opens the store', async () => {
    let opened = false;
    const ctx: PluginCommandContext = {
      positionals: ['list', 'E1', 'extra'],
      values: {},
      cwd,
      env: {},
      out: {
        emit: () => undefined,
        warn: () => undefined,
        progress: () => ({ update: () => undefined, finish: () => undefined }),
      },
      storage: async () => {
        opened = true;
        throw new Error('not opened in this test');
      },
      usageError: (message) => new Error(`usage: ${message}`),
    };
    await expect(notesCommand.run(ctx)).rejects.toThrow("usage: unexpected argument 'extra'");
    expect(opened).toBe(false);
  });
});
