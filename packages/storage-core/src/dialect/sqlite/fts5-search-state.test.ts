import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  addEntries,
  deleteEntry,
  openSearchStore,
  portugueseEntries,
  type SearchStore,
  seedAnchorEntries,
  updateEntry,
} from '../../../test/support/search-fixtures.js';
import type { KBEntry } from '../../kb/kb-types.js';
import type { SearchOptions } from '../../search/search-types.js';
import type { Fts5Tuning } from './fts5-search-index.js';

// Tiny limits: more than 3 matches takes the champion path, whose lists, vocabulary and facts are the
// search state a process saves and the next one loads.
const TUNING: Partial<Fts5Tuning> = { exactLimit: 3, listSize: 8, candidates: 12, sampleSize: 6 };
const QUERIES: [string, SearchOptions][] = [
  ['dataset', { limit: 10 }],
  ['job', { limit: 10, facets: true }],
  ['data exception', { limit: 5 }],
  ['dataset', { category: 'JCL', limit: 10 }],
  ['datset', { limit: 5 }],
];

describe('Fts5SearchIndex saves its search state for the next process', () => {
  let dir: string;
  let path: string;
  const open: SearchStore[] = [];

  const openStore = async (tuning: Partial<Fts5Tuning> = TUNING, readonly = false) => {
    const store = await openSearchStore(tuning, { database: { path, readonly } }, false);
    open.push(store);
    return store;
  };
  const savedState = (store: SearchStore) =>
    store.adapter.sqlite
      .prepare('select max_seq, entries, length(state) as bytes from kb_search_state')
      .get() as { max_seq: number; entries: number; bytes: number } | undefined;
  /** Every answer the queries give: ids, scores, totals, facets, corrections. */
  const answers = async (store: SearchStore) => {
    const out: unknown[] = [];
    for (const [q, options] of QUERIES) {
      const r = await store.index.search(q, options);
      out.push({
        q,
        results: r.results.map((x) => [x.entry.id, x.score.toFixed(9)]),
        total: r.total,
        facets: r.facets,
        corrections: r.corrections,
      });
    }
    return out;
  };
  /** The answers of a state built from the table now: the saved one removed first. */
  const builtAnswers = async () => {
    const store = await openStore();
    store.adapter.sqlite.prepare('delete from kb_search_state').run();
    const out = await answers(store);
    expect(store.index.stateOrigin).toBe('built');
    return out;
  };

  let seeded: KBEntry[];

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kb-search-state-'));
    path = join(dir, 'kb.db');
    const first = await openSearchStore(TUNING, { database: { path } });
    open.push(first);
    seeded = await addEntries(first, [...seedAnchorEntries(), ...portugueseEntries()]);
  });
  afterEach(async () => {
    for (const store of open.splice(0)) await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('loads what the first process built, and answers exactly as a fresh build does', async () => {
    const first = open[0]!;
    const before = await answers(first);
    expect(first.index.stateOrigin).toBe('built');
    expect(savedState(first)).toMatchObject({ entries: seeded.length });

    const next = await openStore();
    expect(await answers(next)).toEqual(before);
    expect(next.index.stateOrigin).toBe('loaded');
    expect(await builtAnswers()).toEqual(before);
  });

  it('catches up with entries added, updated, archived and deleted since the save, by anyone', async () => {
    await answers(open[0]!);
    const writer = await openStore();
    const [added] = await addEntries(writer, [
      { title: 'Dataset dataset zqlater', problem: 'dataset dataset', solution: 'dataset', category: 'JCL' },
    ]);
    const dataset = seeded.filter((e) => /dataset/i.test(`${e.title} ${e.problem}`));
    await updateEntry(writer, dataset[0]!, { archived: true });
    await deleteEntry(writer, dataset[1]!);
    // An update that does not move updated_at forward (an older export imported over the entry), made by
    // another program with plain SQL: only the change log can tell.
    writer.adapter.sqlite
      .prepare("update kb_entries set category = 'IMS', updated_at = '2001-01-01T00:00:00.000Z' where id = ?")
      .run(dataset[2]!.id);

    const next = await openStore();
    const after = await answers(next);
    expect(next.index.stateOrigin).toBe('loaded');
    const ids = JSON.stringify(after);
    expect(ids).toContain(added!.id);
    expect(ids).not.toContain(dataset[1]!.id);
    // A state caught up entry by entry keeps the average entry length it was built with, as the in-memory
    // state of a long-running process does, so scores may differ in the fourth digit from a fresh build's;
    // what each query finds, filters and counts must not.
    const found = (all: unknown[]) =>
      (all as { q: string; results: [string, string][]; facets: unknown }[]).map((a) => ({
        q: a.q,
        ids: a.results.map(([id]) => id).sort(),
        facets: a.facets,
      }));
    // The first query's tenth place is a near tie under these tiny lists (8 entries a term): left out.
    expect(found(await builtAnswers()).slice(1)).toEqual(found(after).slice(1));
    const archived = await next.index.search('dataset', { limit: 50 });
    expect(archived.results.map((r) => r.entry.id)).not.toContain(dataset[0]!.id);
    const moved = await next.index.search('dataset', { category: 'IMS', limit: 50 });
    expect(moved.results.map((r) => r.entry.id)).toContain(dataset[2]!.id);
  });

  it('saves again after catching up with many entries, and clears the change log it absorbed', async () => {
    await answers(open[0]!);
    const writer = await openStore();
    for (const e of seeded.slice(0, 20)) await updateEntry(writer, e, { severity: 'critical' });
    const logged = () => writer.adapter.sqlite.prepare('select count(*) as n from kb_search_changes').get();
    expect(logged()).toEqual({ n: 20 });
    await addEntries(
      writer,
      Array.from({ length: 600 }, (_, i) => ({
        title: `Dataset note ${i}`,
        problem: 'dataset',
        solution: 'none',
        category: 'JCL',
      })),
    );
    const next = await openStore();
    await answers(next);
    expect(next.index.stateOrigin).toBe('loaded');
    expect(savedState(next)?.entries).toBe(seeded.length + 600);
    expect(logged()).toEqual({ n: 0 });
  });

  it('builds instead when rows came or went where neither the keys nor the log can see', async () => {
    await answers(open[0]!);
    const sqlite = open[0]!.adapter.sqlite;
    // An entry put back under a key below the largest saved one, with the log's triggers gone (another
    // program's schema, say): the count no longer adds up.
    const victim = seeded[5]!;
    const row = sqlite.prepare('select * from kb_entries where id = ?').get(victim.id) as Record<
      string,
      unknown
    >;
    sqlite.exec('drop trigger kb_search_changes_delete');
    sqlite.prepare('delete from kb_entries where id = ?').run(victim.id);
    const next = await openStore();
    const after = await answers(next);
    expect(next.index.stateOrigin).toBe('built');
    expect(JSON.stringify(after)).not.toContain(victim.id);
    expect(row.id).toBe(victim.id);
  });

  it('builds, and saves a good state, when the saved one is damaged or was built otherwise', async () => {
    const before = await answers(open[0]!);
    const sqlite = open[0]!.adapter.sqlite;
    const saved = sqlite.prepare('select state from kb_search_state').get() as { state: Buffer };
    for (const damage of [
      Buffer.from('not a state'),
      Buffer.concat([saved.state.subarray(0, 40), Buffer.alloc(64, 0xff)]),
      (() => {
        const b = Buffer.from(saved.state);
        b.fill(0x7f, b.length - 200);
        return b;
      })(),
      // One bit of a list's impacts: nothing but the checksum could tell.
      (() => {
        const b = Buffer.from(saved.state);
        b[Math.floor(b.length / 2)]! ^= 1;
        return b;
      })(),
    ]) {
      sqlite.prepare('update kb_search_state set state = ?').run(damage);
      const next = await openStore();
      expect(await answers(next)).toEqual(before);
      expect(next.index.stateOrigin).toBe('built');
      expect(savedState(next)?.bytes).toBe(saved.state.length);
    }
    // Other list sizes: the saved lists do not apply.
    const other = await openStore({ ...TUNING, listSize: 5 });
    await other.index.search('dataset', {});
    expect(other.index.stateOrigin).toBe('built');
  });

  it('reads only the parts a query needs: the pages of its terms, the facts for filters and facets', async () => {
    // Pages of 16 list items: the seeded entries' lists spread over many.
    const tuning = { ...TUNING, statePageItems: 16 };
    const builder = await openStore(tuning);
    builder.adapter.sqlite.prepare('delete from kb_search_state').run();
    const before = await answers(builder);
    expect(builder.index.stateOrigin).toBe('built');
    const parts = builder.adapter.sqlite.prepare('select count(*) as n from kb_search_state_parts').get() as {
      n: number;
    };
    expect(parts.n).toBeGreaterThan(10);

    const next = await openStore(tuning);
    // One term without facets: the head and that term's page.
    await next.index.search('dataset', { limit: 10, facets: false });
    expect(next.index.stateOrigin).toBe('loaded');
    expect(next.index.statePartsRead).toBe(1);
    // Facets need the entries' categories and tags: the facts part, once.
    await next.index.search('dataset', { limit: 10, facets: true });
    expect(next.index.statePartsRead).toBe(2);
    await next.index.search('dataset', { limit: 10, category: 'JCL' });
    expect(next.index.statePartsRead).toBe(2);
    expect(await answers(next)).toEqual(before);
    expect(next.index.statePartsRead).toBeLessThan(parts.n);
  });

  it('builds when a part a query needs is damaged, and loads the newer state another process saved', async () => {
    const tuning = { ...TUNING, statePageItems: 16 };
    const builder = await openStore(tuning);
    builder.adapter.sqlite.prepare('delete from kb_search_state').run();
    const before = await answers(builder);
    const sqlite = builder.adapter.sqlite;
    const part = (n: number) =>
      (sqlite.prepare('select bytes from kb_search_state_parts where part = ?').get(n) as { bytes: Buffer })
        .bytes;

    // A flipped bit in every page and in the facts: found by each part's checksum when it is first read.
    const reader = await openStore(tuning);
    await reader.index.search('zzzunknownword', { limit: 1 });
    expect(reader.index.stateOrigin).toBe('loaded');
    const count = (sqlite.prepare('select count(*) as n from kb_search_state_parts').get() as { n: number })
      .n;
    const saved = Array.from({ length: count }, (_, n) => Buffer.from(part(n)));
    for (let n = 0; n < count; n++) {
      const bytes = Buffer.from(saved[n]!);
      bytes[bytes.length - 3]! ^= 1;
      sqlite.prepare('update kb_search_state_parts set bytes = ? where part = ?').run(bytes, n);
    }
    expect(await answers(reader)).toEqual(before);
    expect(reader.index.stateOrigin).toBe('built');

    // Another process replaces the state (its build saves a new generation) after this one read the head.
    const loaded = await openStore(tuning);
    await loaded.index.search('zzzunknownword', { limit: 1 });
    expect(loaded.index.stateOrigin).toBe('loaded');
    const other = await openStore(tuning);
    other.adapter.sqlite.prepare('delete from kb_search_state').run();
    await other.index.search('dataset', { limit: 10 });
    expect(other.index.stateOrigin).toBe('built');
    // The pages this process wants now belong to another save: it loads that one and answers the same.
    expect(await answers(loaded)).toEqual(before);
    expect(loaded.index.stateOrigin).toBe('loaded');
  });

  it('loads on a read-only store and builds there without trying to save', async () => {
    await answers(open[0]!);
    const reader = await openStore(TUNING, true);
    await answers(reader);
    expect(reader.index.stateOrigin).toBe('loaded');
    open[0]!.adapter.sqlite.prepare('delete from kb_search_state').run();
    const blind = await openStore(TUNING, true);
    await answers(blind);
    expect(blind.index.stateOrigin).toBe('built');
    expect(savedState(open[0]!)).toBeUndefined();
  });
});
