import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Actor, createStorage, type Storage } from '@mainframe-kb/storage-core';
import { rawAccessPlugin, rawDb } from '@mainframe-kb/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NOTES_VERSION, type Note, notesPlugin } from '../src/index.js';
import { seedNotes } from './support/seed.js';

let dir: string;
const opened: Storage[] = [];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'kb-notes-api-'));
});
afterEach(async () => {
  for (const storage of opened.splice(0)) await storage.close();
  rmSync(dir, { recursive: true, force: true });
});

async function open(options: { actor?: Actor; maxLength?: number } = {}): Promise<Storage> {
  const storage = await createStorage(
    {
      database: { path: join(dir, 'kb.db') },
      mvp: {
        extensions: [
          { id: 'notes', options: options.maxLength === undefined ? {} : { maxLength: options.maxLength } },
        ],
      },
    },
    { plugins: [notesPlugin, rawAccessPlugin], ...(options.actor ? { actor: options.actor } : {}) },
  );
  opened.push(storage);
  return storage;
}

describe('the notes API', () => {
  it('adds notes as the actor, lists them oldest first and removes them', async () => {
    const storage = await open({ actor: { id: 'maria', role: 'editor' } });
    const { entryId, noteIds } = await seedNotes(storage);
    const notes = storage.plugin(notesPlugin);
    const listed: Note[] = await notes.list(entryId);
    expect(listed.map((n) => n.id)).toEqual(noteIds);
    expect(listed[0]).toMatchObject({ entryId, author: 'maria', text: 'Seen again on LPAR2 after IPL.' });
    expect(listed[0]!.createdAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    expect(await notes.remove(noteIds[0]!)).toBe(true);
    expect(await notes.remove(noteIds[0]!)).toBe(false);
    expect((await notes.list(entryId)).map((n) => n.id)).toEqual([noteIds[1]]);
  });

  it('writes an audit row for each change, and emits and logs an event after commit', async () => {
    const storage = await open();
    const added: Note[] = [];
    storage.on('note:added', ({ note }) => added.push(note));
    const { entryId, noteIds } = await seedNotes(storage);
    await storage.plugin(notesPlugin).remove(noteIds[1]!);
    expect(added.map((n) => n.id)).toEqual(noteIds);
    const audit = await rawDb(storage)
      .selectFrom('kb_audit')
      .select(['action', 'entity', 'entity_id'])
      .where('entity', '=', 'kb_note')
      .orderBy('seq')
      .execute();
    expect(audit).toEqual([
      { action: 'create', entity: 'kb_note', entity_id: noteIds[0] },
      { action: 'create', entity: 'kb_note', entity_id: noteIds[1] },
      { action: 'delete', entity: 'kb_note', entity_id: noteIds[1] },
    ]);
    expect((await storage.verifyAuditChain()).ok).toBe(true);
    const logged = [];
    for await (const event of storage.replayEvents({ types: ['note:added', 'note:removed'] }))
      logged.push(event);
    expect(logged.map((e) => e.type)).toEqual(['note:added', 'note:added', 'note:removed']);
    expect(logged[2]!.payload).toEqual({ id: noteIds[1], entryId });
  });

  it('lets a viewer read and refuses their writes, by the plugin’s permissions', async () => {
    const { entryId } = await seedNotes(await open());
    await opened.pop()!.close();
    const viewer = await open({ actor: { id: 'vera', role: 'viewer' } });
    expect(await viewer.plugin(notesPlugin).list(entryId)).toHaveLength(2);
    await expect(viewer.addNote(entryId, 'not allowed')).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(viewer.plugin(notesPlugin).remove('x')).rejects.toMatchObject({ code: 'FORBIDDEN' });
  });

  it('refuses empty and over-long notes and unknown entries, and leaves the store as it was', async () => {
    const storage = await open({ maxLength: 100 });
    const { entryId } = await seedNotes(storage);
    const before = await storage.contentHash();
    await expect(storage.addNote(entryId, '   ')).rejects.toMatchObject({ code: 'VALIDATION' });
    await expect(storage.addNote(entryId, 'x'.repeat(101))).rejects.toMatchObject({
      code: 'VALIDATION',
      message: expect.stringContaining('at most 100 characters'),
    });
    await expect(storage.addNote('NO-SUCH-ENTRY', 'text')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(storage.plugin(notesPlugin).list('NO-SUCH-ENTRY')).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
    expect((await storage.contentHash()).hash).toBe(before.hash);
  });

  it('refuses options its schema rejects when the store opens, naming the field', async () => {
    await expect(open({ maxLength: 0 })).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      message: expect.stringContaining('maxLength'),
    });
  });

  it('goes with its entry: deleting the entry deletes its notes', async () => {
    const storage = await open();
    const { entryId } = await seedNotes(storage);
    await storage.deleteEntry(entryId);
    expect(await storage.rowCounts(['kb_notes'])).toEqual({ kb_notes: 0 });
  });

  it('reports its notes as a metric and a health probe', async () => {
    const storage = await open();
    await seedNotes(storage);
    expect((await storage.getMetrics()).extensions.notes).toEqual({ notes: 2 });
    const probe = (await storage.healthCheck()).probes.find((p) => p.name === 'notes');
    expect(probe).toMatchObject({ status: 'healthy', data: { notes: 2 } });
  });

  it('has the version of its package', () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
    expect(NOTES_VERSION).toBe(pkg.version);
    expect(notesPlugin.version).toBe(pkg.version);
    expect(notesPlugin.package).toBe(pkg.name);
  });
});
