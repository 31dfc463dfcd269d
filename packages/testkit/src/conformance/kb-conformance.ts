import type { KBEntryInput, Storage } from '@mainframe-kb/storage-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateCorpusArray } from '../corpus/corpus-generator.js';
import { rawAccessPlugin } from '../raw-access/raw-access-plugin.js';
import {
  type ConformanceTarget,
  expectStorageError,
  rowsFor,
  sampleEntry,
  snapshotEntries,
} from './conformance-helpers.js';

/** Opens one store for a describe block and closes it afterwards. */
export function useStore(target: ConformanceTarget): () => Storage {
  let storage: Storage | undefined;
  beforeAll(async () => {
    storage = await target.open([rawAccessPlugin]);
  });
  afterAll(async () => {
    await storage?.close();
  });
  return () => {
    if (!storage) throw new Error('the store did not open; see the beforeAll error');
    return storage;
  };
}

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

export function defineKbConformance(target: ConformanceTarget): void {
  describe('entries: create, read, update, delete', () => {
    const store = useStore(target);

    it('round-trips an entry with defaults filled in', async () => {
      const id = await store().createEntry({
        title: 'S0C7 in PAYRL010',
        problem: 'Packed decimal field holds spaces.',
        solution: '1. Initialise the field',
        category: 'cobol',
        tags: ['S0C7', 'Packed Decimal'],
      });
      const entry = await store().getEntry(id);
      expect(entry).toMatchObject({
        id,
        title: 'S0C7 in PAYRL010',
        problem: 'Packed decimal field holds spaces.',
        solution: '1. Initialise the field',
        category: 'COBOL',
        severity: 'medium',
        tags: ['s0c7', 'packed-decimal'],
        usageCount: 0,
        successCount: 0,
        failureCount: 0,
        archived: false,
        version: 1,
        createdBy: null,
      });
      expect(entry.createdAt).toMatch(ISO);
      expect(entry.updatedAt).toBe(entry.createdAt);
      expect(await store().readEntry(id)).toEqual(entry);
      // Known categories are matched ignoring case.
      expect((await store().listEntries({ category: 'Cobol' })).entries.map((e) => e.id)).toContain(id);
    });

    it('keeps text exactly, including diacritics, emoji, quotes and newlines', async () => {
      const input = {
        title: 'Contratação conta “business” – erro ZP 050 😀',
        problem: 'Ao tentar contratar um pacote está a dar erro "ZP 050".\nLinha 2\t\'tab\'',
        solution: 'De acordo com a informação… <b>não</b> & ; -- DROP TABLE kb_entries',
        category: 'Functional',
        severity: 'low' as const,
        createdBy: 'auto_import',
      };
      const id = await store().createEntry(input);
      expect(await store().getEntry(id)).toMatchObject(input);
    });

    it('keeps an id from another system and refuses a second entry with it', async () => {
      const id = await store().createEntry({ ...sampleEntry('KEEPID'), id: 'ext-123.a_b:c' });
      expect(id).toBe('ext-123.a_b:c');
      const before = await snapshotEntries(store());
      await expectStorageError(
        store().createEntry({ ...sampleEntry('OTHER'), id: 'ext-123.a_b:c' }),
        'CONFLICT',
      );
      expect(await snapshotEntries(store())).toEqual(before);
    });

    it('reads unknown ids as null, and getEntry says NOT_FOUND', async () => {
      expect(await store().readEntry('no-such-entry')).toBeNull();
      await expectStorageError(store().getEntry('no-such-entry'), 'NOT_FOUND');
    });

    it('updates fields, bumps the version and updatedAt, and leaves the rest alone', async () => {
      const id = await store().createEntry(sampleEntry('UPDATEME', { severity: 'low', tags: ['a'] }));
      const before = await store().getEntry(id);
      await new Promise((r) => setTimeout(r, 5));
      expect(await store().updateEntry(id, { title: 'UPDATEME renamed', severity: 'critical' })).toBe(true);
      const after = await store().getEntry(id);
      expect(after).toMatchObject({
        title: 'UPDATEME renamed',
        severity: 'critical',
        problem: before.problem,
        solution: before.solution,
        tags: ['a'],
        version: before.version + 1,
        createdAt: before.createdAt,
      });
      expect(after.updatedAt > before.updatedAt).toBe(true);
      expect(await store().updateEntry('no-such-entry', { title: 'x' })).toBe(false);
    });

    it('archives: archived entries leave lists and counts of live entries but can be read', async () => {
      const id = await store().createEntry(sampleEntry('ARCHIVEME', { category: 'ArchiveTest' }));
      expect(await store().updateEntry(id, { archived: true })).toBe(true);
      expect((await store().getEntry(id)).archived).toBe(true);
      const live = await store().listEntries({ category: 'ArchiveTest' });
      expect(live.entries.map((e) => e.id)).not.toContain(id);
      const all = await store().listEntries({ category: 'ArchiveTest', includeArchived: true });
      expect(all.entries.map((e) => e.id)).toContain(id);
    });

    it('deletes once: the entry is gone, a second delete returns false', async () => {
      const count = await store().countEntries();
      const id = await store().createEntry(sampleEntry('DELETEME'));
      expect(await store().countEntries()).toBe(count + 1);
      expect(await store().deleteEntry(id)).toBe(true);
      expect(await store().readEntry(id)).toBeNull();
      expect(await store().deleteEntry(id)).toBe(false);
      expect(await store().countEntries()).toBe(count);
    });

    it('lists with filters, order and pages', async () => {
      const ids = await store().createEntries([
        sampleEntry('LISTA', { category: 'ListTest', severity: 'high', tags: ['list-x'] }),
        sampleEntry('LISTB', { category: 'ListTest', severity: 'low', tags: ['list-x', 'list-y'] }),
        sampleEntry('LISTC', { category: 'ListTest', severity: 'high' }),
      ]);
      const all = await store().listEntries({ category: 'ListTest', orderBy: 'title' });
      expect(all.total).toBe(3);
      expect(all.entries.map((e) => e.title)).toEqual([
        'LISTA sample entry',
        'LISTB sample entry',
        'LISTC sample entry',
      ]);
      const high = await store().listEntries({ category: 'ListTest', severity: 'high' });
      expect(high.entries.map((e) => e.id).sort()).toEqual([ids[0], ids[2]].sort());
      const tagged = await store().listEntries({ tag: 'List X' });
      expect(tagged.entries.map((e) => e.id).sort()).toEqual([ids[0], ids[1]].sort());
      const page1 = await store().listEntries({ category: 'ListTest', orderBy: 'title', limit: 2 });
      const page2 = await store().listEntries({
        category: 'ListTest',
        orderBy: 'title',
        limit: 2,
        offset: 2,
      });
      expect(page1.total).toBe(3);
      expect(page1.entries).toHaveLength(2);
      expect(page2.entries.map((e) => e.title)).toEqual(['LISTC sample entry']);
    });
  });

  describe('validation: bad input is refused and the store is unchanged', () => {
    const store = useStore(target);
    beforeAll(async () => {
      await store().createEntries([sampleEntry('EXISTING1'), sampleEntry('EXISTING2', { tags: ['keep'] })]);
    });

    const valid = sampleEntry('VALIDBASE');
    const badInputs: [string, unknown][] = [
      ['no title', { problem: 'p', solution: 's', category: 'JCL' }],
      ['empty title', { ...valid, title: '' }],
      ['blank title', { ...valid, title: '   \n ' }],
      ['title of 256 characters', { ...valid, title: 'T'.repeat(256) }],
      ['problem over 50,000 characters', { ...valid, problem: 'p'.repeat(50_001) }],
      ['empty solution', { ...valid, solution: '' }],
      ['empty category', { ...valid, category: '' }],
      ['unknown severity', { ...valid, severity: 'urgent' }],
      ['tags not an array', { ...valid, tags: 'vsam' }],
      ['a tag of 51 characters', { ...valid, tags: ['t'.repeat(51)] }],
      ['33 tags', { ...valid, tags: Array.from({ length: 33 }, (_, i) => `tag${i}`) }],
      ['an unknown field', { ...valid, priority: 'P1' }],
      ['a NUL character', { ...valid, title: 'bad\u0000title' }],
      ['an id with a slash', { ...valid, id: '../etc/passwd' }],
      ['a number for the title', { ...valid, title: 42 }],
      ['null', null],
      ['a string', 'S0C7'],
    ];

    for (const [label, input] of badInputs) {
      it(`refuses ${label}`, async () => {
        const before = await snapshotEntries(store());
        const error = await expectStorageError(store().createEntry(input as KBEntryInput), 'VALIDATION');
        expect(error.message.length).toBeGreaterThan(10);
        expect(await snapshotEntries(store())).toEqual(before);
      });
    }

    it('refuses bad updates without touching the entry', async () => {
      const { entries } = await store().listEntries({ limit: 1 });
      const entry = entries[0]!;
      for (const update of [
        {},
        { severity: 'urgent' },
        { title: '' },
        { tags: 'x' },
        { expectedVersion: 0, title: 'x' },
        { bogus: 1 },
      ]) {
        await expectStorageError(store().updateEntry(entry.id, update as never), 'VALIDATION');
      }
      expect(await store().getEntry(entry.id)).toEqual(entry);
    });

    it('refuses bad feedback, usage and list options', async () => {
      const before = await snapshotEntries(store());
      const id = before[0]!.id;
      await expectStorageError(store().recordFeedback(id, { outcome: 'maybe' as never }), 'VALIDATION');
      await expectStorageError(store().recordFeedback(id, { outcome: 'success', rating: 6 }), 'VALIDATION');
      await expectStorageError(store().recordUsage(id, 'stare' as never), 'VALIDATION');
      await expectStorageError(store().listEntries({ limit: 0 }), 'VALIDATION');
      await expectStorageError(store().listEntries({ orderBy: 'rowid' as never }), 'VALIDATION');
      expect(await snapshotEntries(store())).toEqual(before);
    });
  });

  describe('bulk create is all or nothing', () => {
    const store = useStore(target);

    it('writes nothing when one entry among 100 is invalid', async () => {
      const before = await snapshotEntries(store());
      const batch: KBEntryInput[] = generateCorpusArray({ count: 100, seed: 'bulk' });
      batch.splice(57, 0, { ...batch[3]!, severity: 'urgent' as never });
      const error = await expectStorageError(store().createEntries(batch), 'VALIDATION');
      // The error names the offending entry so an importer can report it.
      expect(JSON.stringify({ message: error.message, details: error.details })).toContain('57');
      expect(await snapshotEntries(store())).toEqual(before);
    });

    it('writes nothing when the database refuses one entry (a duplicate id) among 100', async () => {
      const existing = await store().createEntry({ ...sampleEntry('BULKDUP'), id: 'bulk-dup-1' });
      const before = await snapshotEntries(store());
      const batch = generateCorpusArray({ count: 100, seed: 'bulk2', idPrefix: 'bulk2-' });
      batch[80] = { ...batch[80]!, id: existing };
      await expectStorageError(store().createEntries(batch), 'CONFLICT');
      expect(await snapshotEntries(store())).toEqual(before);
    });

    it('writes all entries of a valid batch, in order', async () => {
      const count = await store().countEntries();
      const batch = generateCorpusArray({ count: 250, seed: 'bulk3' });
      const ids = await store().createEntries(batch);
      expect(ids).toHaveLength(250);
      expect(new Set(ids).size).toBe(250);
      expect(await store().countEntries()).toBe(count + 250);
      expect((await store().getEntry(ids[249]!)).title).toBe(batch[249]!.title.trim());
      expect(await store().createEntries([])).toEqual([]);
    });
  });

  describe('tags are normalised', () => {
    const store = useStore(target);

    it('lower-cases, trims, dashes spaces, drops empties and duplicates, keeps order', async () => {
      const id = await store().createEntry(
        sampleEntry('TAGS', {
          tags: ['  VSAM Status 35 ', 'vsam-status-35', 'S0C7', '', '   ', 'Data  Set', 'IEF212I'],
        }),
      );
      expect((await store().getEntry(id)).tags).toEqual(['vsam-status-35', 's0c7', 'data-set', 'ief212i']);
      const found = await store().listEntries({ tag: 'VSAM STATUS 35' });
      expect(found.entries.map((e) => e.id)).toEqual([id]);
      await store().updateEntry(id, { tags: ['New Tag', 'new-tag'] });
      expect((await store().getEntry(id)).tags).toEqual(['new-tag']);
      expect((await store().listEntries({ tag: 's0c7' })).total).toBe(0);
    });
  });

  describe('optimistic concurrency', () => {
    const store = useStore(target);

    it('applies an update at the expected version and refuses a stale one with CONFLICT', async () => {
      const id = await store().createEntry(sampleEntry('VERSIONED'));
      expect(await store().updateEntry(id, { title: 'first writer', expectedVersion: 1 })).toBe(true);
      const afterFirst = await store().getEntry(id);
      expect(afterFirst.version).toBe(2);
      const error = await expectStorageError(
        store().updateEntry(id, { title: 'second writer', expectedVersion: 1 }),
        'CONFLICT',
      );
      expect(error.message).toMatch(/version/i);
      expect(await store().getEntry(id)).toEqual(afterFirst);
      expect(await store().updateEntry(id, { title: 'second writer, retried', expectedVersion: 2 })).toBe(
        true,
      );
      expect((await store().getEntry(id)).version).toBe(3);
    });
  });

  describe('feedback and usage counters', () => {
    const store = useStore(target);

    it('counts successes and failures and computes the success rate', async () => {
      const id = await store().createEntry(sampleEntry('FEEDBACK'));
      await store().recordFeedback(id, { outcome: 'success', rating: 5, comment: 'fixed it', userId: 'u1' });
      await store().recordFeedback(id, { outcome: 'success' });
      await store().recordFeedback(id, { outcome: 'success', rating: 4 });
      const counters = await store().recordFeedback(id, { outcome: 'failure', rating: 1 });
      expect(counters).toEqual({ id, usageCount: 0, successCount: 3, failureCount: 1, successRate: 0.75 });
      const entry = await store().getEntry(id);
      expect(entry).toMatchObject({ successCount: 3, failureCount: 1 });
      expect(await rowsFor(store(), 'kb_feedback', 'entry_id', id)).toBe(4);
    });

    it('counts usage by action', async () => {
      const id = await store().createEntry(sampleEntry('USAGE'));
      await store().recordUsage(id, 'view');
      await store().recordUsage(id, 'copy', { userId: 'u2' });
      const counters = await store().recordUsage(id, 'apply');
      expect(counters).toMatchObject({
        id,
        usageCount: 3,
        successCount: 0,
        failureCount: 0,
        successRate: null,
      });
      expect((await store().getEntry(id)).usageCount).toBe(3);
    });

    it('refuses feedback and usage for unknown entries with NOT_FOUND', async () => {
      await expectStorageError(store().recordFeedback('no-such-entry', { outcome: 'success' }), 'NOT_FOUND');
      await expectStorageError(store().recordUsage('no-such-entry', 'view'), 'NOT_FOUND');
    });
  });

  describe('relations, and what deleting an entry takes with it', () => {
    const store = useStore(target);

    it('adds, lists and removes relations; refuses self and unknown entries', async () => {
      const [a, b] = await store().createEntries([sampleEntry('RELA'), sampleEntry('RELB')]);
      await store().addRelation(a!, b!, 'related');
      await store().addRelation(a!, b!, 'see-also');
      await store().addRelation(a!, b!, 'related');
      const relations = await store().getRelations(b!);
      expect(relations.map((r) => `${r.fromId}>${r.toId}:${r.type}`).sort()).toEqual([
        `${a}>${b}:related`,
        `${a}>${b}:see-also`,
      ]);
      expect(await store().removeRelation(a!, b!, 'see-also')).toBe(true);
      expect(await store().removeRelation(a!, b!, 'see-also')).toBe(false);
      await expectStorageError(store().addRelation(a!, a!, 'related'), 'VALIDATION');
      await expectStorageError(store().addRelation(a!, 'no-such-entry', 'related'), 'NOT_FOUND');
      await expectStorageError(store().addRelation(a!, b!, 'cousin' as never), 'VALIDATION');
    });

    it('deleting an entry removes its relations, feedback, usage and tags', async () => {
      const [a, b, c] = await store().createEntries([
        sampleEntry('CASCADEA', { tags: ['cascade'] }),
        sampleEntry('CASCADEB'),
        sampleEntry('CASCADEC'),
      ]);
      await store().addRelation(a!, b!, 'related');
      await store().addRelation(c!, a!, 'duplicate');
      await store().addRelation(b!, c!, 'related');
      await store().recordFeedback(a!, { outcome: 'success' });
      await store().recordUsage(a!, 'view');
      expect(await store().deleteEntry(a!)).toBe(true);
      expect((await store().getRelations(b!)).map((r) => `${r.fromId}>${r.toId}`)).toEqual([`${b}>${c}`]);
      expect((await store().getRelations(c!)).map((r) => `${r.fromId}>${r.toId}`)).toEqual([`${b}>${c}`]);
      expect(await store().getRelations(a!)).toEqual([]);
      expect(await rowsFor(store(), 'kb_feedback', 'entry_id', a!)).toBe(0);
      expect(await rowsFor(store(), 'usage_metrics', 'entry_id', a!)).toBe(0);
      expect(await rowsFor(store(), 'kb_tags', 'entry_id', a!)).toBe(0);
      expect((await store().listEntries({ tag: 'cascade' })).total).toBe(0);
      await expectStorageError(store().recordFeedback(a!, { outcome: 'success' }), 'NOT_FOUND');
      expect((await store().search('CASCADEA')).results.map((r) => r.entry.id)).not.toContain(a);
    });
  });
}
