import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStorage, type Storage } from '../src/index.js';
import { dialectOf } from '../src/storage.js';
import { type TestDatabases, testDatabases } from './support/test-databases.js';

/**
 * MySQL: the corpus statistics BM25 needs (entries, summed length, key range) are one aggregate over
 * kb_search, re-read every 30 s. Answered from the clustered rows it reads every entry's text and evicts what
 * searches use from the buffer pool; an index on `length` covers it. A store made before the index gets it
 * when it is opened again, and the aggregate reads the index only.
 */

const target = testDatabases().find((d) => d.name === 'mysql')!;

describe.skipIf(!target.make)(
  `mysql: the search statistics${target.skipped ? ` (${target.skipped})` : ''}`,
  () => {
    let databases: TestDatabases;
    const open: Storage[] = [];

    beforeAll(() => {
      databases = target.make!();
    });
    afterAll(async () => {
      for (const s of open.splice(0)) await s.close().catch(() => {});
      await databases.dropAll();
    });

    const indexes = async (storage: Storage) =>
      (await sql<{ Key_name: string }>`show index from kb_search`.execute(dialectOf(storage).db)).rows.map(
        (r) => r.Key_name,
      );

    it('covers the aggregate with an index on length, added to stores made before it', async () => {
      const database = await databases.create();
      const first = await createStorage({ database });
      open.push(first);
      await first.createEntries(
        Array.from({ length: 30 }, (_, i) => ({
          title: `Entry ${i} about VSAM status ${i}`,
          problem: 'word '.repeat(i + 1),
          solution: 'Rerun.',
          category: 'VSAM',
        })),
      );
      expect(await indexes(first)).toContain('kb_search_length_idx');
      // As a store made before the migration: no index, no ledger row (nor the later migrations').
      const db = dialectOf(first).db;
      await sql`drop index kb_search_length_idx on kb_search`.execute(db);
      await sql`drop index kb_entries_search_facts_idx on kb_entries`.execute(db);
      await sql`delete from kb_migrations where id in ('mysql_fulltext_0002_length_index',
        'mysql_fulltext_0003_column_marks', 'mysql_fulltext_0004_entry_facts_index')`.execute(db);
      await first.close();
      open.pop();

      const second = await createStorage({ database });
      open.push(second);
      const db2 = dialectOf(second).db;
      expect(await indexes(second)).toContain('kb_search_length_idx');
      const plan = await sql<{ key: string | null; Extra: string }>`explain
      select count(*) as n, sum(length) as total, min(seq) as lo, max(seq) as hi from kb_search`.execute(db2);
      expect(plan.rows[0]).toMatchObject({
        key: 'kb_search_length_idx',
        Extra: expect.stringMatching(/Using index/),
      });
      // The statistics are right: a query's scores need them (and the same entry ranks first).
      const found = await second.search('status 7', { limit: 3 });
      expect(found.results[0]?.entry.title).toBe('Entry 7 about VSAM status 7');
    });
  },
);
