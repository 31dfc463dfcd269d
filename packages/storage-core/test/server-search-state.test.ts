import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStorage, type KBEntryInput, type Storage } from '../src/index.js';
import type { ServerSearchIndex } from '../src/search/server/server-search-index.js';
import { readSavedServerState, writeSavedServerState } from '../src/search/server/server-search-state.js';
import { dialectOf } from '../src/storage.js';
import { type DatabaseInput, type TestDatabases, testDatabases } from './support/test-databases.js';

/**
 * The server engines save their champion lists, vocabulary and entry facts in the store, as SQLite does, so
 * that the first common-word query of a new process loads them instead of reading every entry: the saved
 * state must give the answers a fresh build gives, catch up with what was written since, and never be
 * trusted when it cannot be.
 */

// Enough entries holding "job" and "failed" that a query of them is answered from the champion lists (over
// 200 matches), with a few words of their own so that ranks differ.
const WORDS = [
  'vsam',
  'catalog',
  'dataset',
  'abend',
  'region',
  'storage',
  'lock',
  'timeout',
  'dump',
  'restart',
];
const entryAt = (i: number): KBEntryInput => ({
  title: `Job ${WORDS[i % WORDS.length]} ${WORDS[(i * 7) % WORDS.length]} failed (case ${i})`,
  problem: `The nightly job failed with ${WORDS[(i * 3) % WORDS.length]} trouble in step ${i % 17}.`,
  solution: `Check the ${WORDS[(i * 5) % WORDS.length]} and rerun the job.`,
  category: i % 2 === 0 ? 'Batch' : 'VSAM',
  severity: i % 3 === 0 ? 'high' : 'medium',
  tags: [`t${i % 5}`],
});
const COMMON = ['job failed', 'failed job rerun', 'job vsam', 'nightly job trouble'];

const stateRows = async (storage: Storage) =>
  Number(
    (
      await sql<{ n: number | string }>`select count(*) as n from kb_search_state`.execute(
        dialectOf(storage).db,
      )
    ).rows[0]!.n,
  );
const origin = (storage: Storage) => (dialectOf(storage).searchIndex as ServerSearchIndex).championOrigin;
const answers = async (storage: Storage) => {
  const out: Record<string, string[]> = {};
  for (const q of COMMON) out[q] = (await storage.search(q, { limit: 10 })).results.map((r) => r.entry.id);
  return out;
};
/**
 * A process answers its first common-word queries natively (a one-shot `kb search` would only pay for
 * reading the state) and takes the lists on the third: loaded when saved, built otherwise.
 */
const takeLists = async (storage: Storage) => {
  for (const q of ['job', 'failed', 'job rerun']) await storage.search(q, { limit: 10 });
};

for (const { name, make, skipped } of testDatabases().filter((d) => d.name !== 'sqlite')) {
  describe.skipIf(!make)(`${name}: the saved search state${skipped ? ` (${skipped})` : ''}`, () => {
    let databases: TestDatabases;
    const open: Storage[] = [];
    const store = async (database: DatabaseInput) => {
      const s = await createStorage({ database, performance: { caching: { enabled: false } } });
      open.push(s);
      return s;
    };
    /** A store of 400 entries whose champion lists were built and saved (optimize builds them). */
    const savedStore = async () => {
      const database = await databases.create();
      const first = await store(database);
      await first.createEntries(Array.from({ length: 400 }, (_, i) => entryAt(i)));
      await first.optimize();
      expect(origin(first)).toBe('built');
      expect(await stateRows(first)).toBe(1);
      return { database, first };
    };

    beforeAll(() => {
      databases = make!();
    });
    afterAll(async () => {
      for (const s of open.splice(0)) await s.close().catch(() => {});
      await databases.dropAll();
    });

    it('a new process loads the saved lists instead of building them, with the answers of a build', async () => {
      const { database, first } = await savedStore();
      const built = await answers(first);
      const second = await store(database);
      await takeLists(second);
      const loaded = await answers(second);
      expect(origin(second)).toBe('loaded');
      expect(loaded).toEqual(built);
      expect(built['job failed']).toHaveLength(10);
      // One query, as a `kb search` asks. PostgreSQL answers it natively, without reading the state (faster
      // there); MySQL, where matching common words natively costs more than a load, takes the saved lists.
      const oneShot = await store(database);
      const answer = await oneShot.search('job failed', { limit: 10 });
      expect(answer.total).toBeGreaterThan(200);
      expect(origin(oneShot)).toBe(name === 'mysql' ? 'loaded' : undefined);
      expect(answer.results.map((r) => r.entry.id)).toEqual(built['job failed']);
    });

    it('never builds the lists for a first query: without a saved state it is answered natively', async () => {
      const database = await databases.create();
      const writer = await store(database);
      await writer.createEntries(Array.from({ length: 400 }, (_, i) => entryAt(i)));
      const oneShot = await store(database);
      expect((await oneShot.search('job failed', { limit: 10 })).total).toBeGreaterThan(200);
      expect(origin(oneShot)).toBeUndefined();
      expect(await stateRows(oneShot)).toBe(0);
    });

    it('catches up with entries written and updated since the save, by this process or another', async () => {
      const { database, first } = await savedStore();
      const [victim] = (await first.listEntries({ limit: 1 })).entries;
      const created = await first.createEntry({
        ...entryAt(1_000),
        title: 'Job failed: zyzzogeton in the restart dataset',
      });
      await first.updateEntry(victim!.id, { title: 'Job failed: quuxplorer storage region' });
      const second = await store(database);
      await takeLists(second);
      const both = await second.search('job failed', { limit: 10 });
      expect(origin(second)).toBe('loaded');
      expect(both.total).toBeGreaterThan(200);
      // The loaded lists hold the new words: their entries are found, through the lists' own vocabulary too.
      expect((await second.search('job zyzzogeton')).results.map((r) => r.entry.id)).toEqual([created]);
      expect((await second.search('job quuxplorer')).results.map((r) => r.entry.id)).toEqual([victim!.id]);
      expect((await second.search('zyzzogetn')).corrections.map((c) => c.to)).toEqual(['zyzzogeton']);
      // And what a fresh build answers.
      const third = await store(database);
      await third.optimize();
      expect(await answers(second)).toEqual(await answers(third));
    });

    it('is not trusted when entries were deleted behind its back: the lists are built instead', async () => {
      const { database, first } = await savedStore();
      // Another program deletes entries directly in the database (the store's own deletes are seen).
      await sql`delete from kb_feedback`.execute(dialectOf(first).db);
      const ids = (await first.listEntries({ limit: 3 })).entries.map((e) => e.id);
      await sql`delete from kb_search where seq in (select seq from kb_entries where id in (${sql.join(ids)}))`.execute(
        dialectOf(first).db,
      );
      await sql`delete from kb_tags where entry_id in (${sql.join(ids)})`.execute(dialectOf(first).db);
      await sql`delete from kb_entries where id in (${sql.join(ids)})`.execute(dialectOf(first).db);
      const second = await store(database);
      await takeLists(second);
      const found = await answers(second);
      expect(origin(second)).toBe('built');
      for (const list of Object.values(found)) for (const id of ids) expect(list).not.toContain(id);
    });

    it('a damaged part costs a build with the same answers, never a wrong one or an error', async () => {
      const { database, first } = await savedStore();
      const built = await answers(first);
      await sql`update kb_search_state_parts set bytes = ${Buffer.from('not a part')} where part = 1`.execute(
        dialectOf(first).db,
      );
      const second = await store(database);
      await takeLists(second);
      expect(await answers(second)).toEqual(built);
      expect(origin(second)).toBe('built');
      // The build saved a good state again.
      const third = await store(database);
      await takeLists(third);
      expect(await answers(third)).toEqual(built);
      expect(origin(third)).toBe('loaded');
    });

    it('goes with a rebuild of the index, in the same transaction', async () => {
      const { database, first } = await savedStore();
      const tables = first.exportTables({ tables: ['kb_entries'] });
      const batches = [];
      for await (const batch of tables) batches.push(batch);
      await first.importTables(
        (async function* () {
          yield* batches;
        })(),
        { replace: true, tables: ['kb_entries'] },
      );
      expect(await stateRows(first)).toBe(0);
      const second = await store(database);
      await takeLists(second);
      expect(origin(second)).toBe('built');
    });

    it('stores parts larger than one statement may carry, in chunks, and reads them back exactly', async () => {
      const { first } = await savedStore();
      const big = randomBytes(9 * 1024 * 1024 + 17);
      const small = randomBytes(5);
      await dialectOf(first).writeTransaction((trx) =>
        writeSavedServerState(trx, {
          format: 1,
          maxSeq: 42,
          refreshedAt: Date.parse('2026-12-07T00:00:00.000Z'),
          entries: 7,
          head: small,
          parts: [big, Buffer.alloc(0), small],
        }),
      );
      const chunks = await sql<{ part: number; n: number | string }>`
        select part, count(*) as n from kb_search_state_parts group by part order by part`.execute(
        dialectOf(first).db,
      );
      expect(chunks.rows.map((r) => [Number(r.part), Number(r.n)])).toEqual([
        [0, 3],
        [1, 1],
        [2, 1],
      ]);
      const read = await readSavedServerState(dialectOf(first).db);
      expect(read).toMatchObject({ format: 1, maxSeq: 42, entries: 7 });
      expect(read!.refreshedAt).toBe(Date.parse('2026-12-07T00:00:00.000Z'));
      expect(Buffer.compare(Buffer.from(read!.parts.get(0)!), big)).toBe(0);
      expect(read!.parts.get(1)!.length).toBe(0);
      expect(Buffer.compare(Buffer.from(read!.parts.get(2)!), small)).toBe(0);
      expect(Buffer.compare(Buffer.from(read!.head), small)).toBe(0);
    }, 60_000);
  });
}
