import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createStorage, type Storage } from '@mainframe-kb/storage-core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { notesPlugin } from '../src/index.js';

let dir: string;
let storage: Storage | undefined;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'kb-notes-enable-'));
});
afterEach(async () => {
  await storage?.close();
  storage = undefined;
  rmSync(dir, { recursive: true, force: true });
});

describe('enabling the plugin', () => {
  it('by its package name in config.mvp.extensions: core imports the package’s default export', async () => {
    // #region by-config
    storage = await createStorage({
      database: { path: join(dir, 'kb.db') },
      mvp: {
        extensions: [
          { id: 'notes', package: '@mainframe-kb/example-plugin-notes', options: { maxLength: 500 } },
        ],
      },
    });
    // #endregion
    expect(storage.plugins.map((p) => [p.id, p.package])).toEqual([['notes', notesPlugin.package]]);
  });

  it('by passing the plugin object, with its options still from config.mvp.extensions', async () => {
    // #region by-object
    storage = await createStorage(
      {
        database: { path: join(dir, 'kb.db') },
        mvp: { extensions: [{ id: 'notes', options: { maxLength: 500 } }] },
      },
      { plugins: [notesPlugin] },
    );
    // #endregion
    const entryId = await storage.createEntry({ title: 't', problem: 'p', solution: 's', category: 'Other' });
    await expect(storage.addNote(entryId, 'x'.repeat(501))).rejects.toThrow('at most 500 characters');
  });

  it('not at all: its API says which package to install and how to enable it', async () => {
    storage = await createStorage({ database: { path: join(dir, 'kb.db') } });
    expect(() => storage!.plugin(notesPlugin)).toThrow(
      "plugin 'notes' is not enabled in this store: install @mainframe-kb/example-plugin-notes and add { id: 'notes' } to config.mvp.extensions",
    );
    // Its flat method is typed wherever the package is imported, but exists only on a store that enables it.
    expect(storage.addNote).toBeUndefined();
  });
});
