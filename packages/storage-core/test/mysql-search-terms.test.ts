import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ftColumns, ftText, ftToken } from '../src/dialect/mysql/mysql-text-backend.js';
import { createStorage, type Storage } from '../src/index.js';
import { indexedDocument } from '../src/search/server/server-search-index.js';
import { dialectOf } from '../src/storage.js';
import { type TestDatabases, testDatabases } from './support/test-databases.js';

/**
 * MySQL keeps each entry's terms in kb_search.ft with its columns marked, so a search measures the entries
 * the FULLTEXT index returns from those rows, and ranks them by an index covering their facts: no entry row
 * is read but the page's. Rows written before the marks (or holding a term too long to keep whole) are read
 * from kb_entries as before, and answer the same.
 */

const entry = (over: Partial<Parameters<typeof indexedDocument>[1]> = {}) => ({
  id: 'e1',
  title: 'S0C7 in PAYROLL step Ünïcode 𝔘 café',
  problem: 'SQLCODE -911 on SYS1.PROCLIB member #PRIV; status 35',
  solution: '',
  tags: ['vsam-35', 'db2'],
  category: 'Batch',
  severity: 'high' as const,
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
  usageCount: 0,
  successCount: 0,
  failureCount: 0,
  createdBy: null,
  archived: false,
  version: 1,
  ...over,
});

describe('kb_search.ft with marked columns', () => {
  it('gives back the terms of every column, empty ones included', () => {
    const document = indexedDocument(1, entry());
    const ft = ftText(document);
    expect(ft.split(' | ')).toHaveLength(5);
    expect(ftColumns(ft)).toEqual(document.columns);
    expect(document.columns[2]).toEqual([]);
  });

  it('cannot say for text written before the marks, or holding a term cut to fit InnoDB', () => {
    const document = indexedDocument(1, entry());
    expect(ftColumns(document.columns.flat().map(ftToken).join(' '))).toBeUndefined();
    const long = indexedDocument(1, entry({ problem: `x${'9'.repeat(120)} abend` }));
    expect(ftToken(long.columns[1]![0]!)).toHaveLength(84);
    expect(ftColumns(ftText(long))).toBeUndefined();
    // One short of the cut: kept whole, read back.
    const fits = indexedDocument(1, entry({ problem: `${'a'.repeat(81)} abend` }));
    expect(ftColumns(ftText(fits))).toEqual(fits.columns);
  });
});

const target = testDatabases().find((d) => d.name === 'mysql')!;

describe.skipIf(!target.make)(
  `mysql: search reads terms from the index${target.skipped ? ` (${target.skipped})` : ''}`,
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

    const queries = [
      'S0C7',
      'SQLCODE -911',
      '"status 35"',
      'payroll abend',
      'vsam* -archived',
      'tag:vsam-35 s0c7',
      'category:batch 911',
      'timeout 911',
    ];

    const answers = async (storage: Storage) => {
      const out: unknown[] = [];
      for (const q of queries) {
        const r = await storage.search(q, { limit: 20, includeArchived: true });
        out.push({
          q,
          total: r.total,
          facets: r.facets,
          results: r.results.map((x) => [x.entry.id, x.score.toFixed(9), x.snippet]),
        });
      }
      return out;
    };

    it('answers the same from marked rows, unmarked rows and rows of cut terms, and marks old stores', async () => {
      const database = await databases.create();
      const storage = await createStorage({ database, performance: { caching: { enabled: false } } });
      open.push(storage);
      await storage.createEntries(
        Array.from({ length: 60 }, (_, i) => ({
          title: `${i % 3 === 0 ? 'S0C7' : 'S0C4'} abend in PAYROLL step ${i}`,
          problem: `SQLCODE -${900 + (i % 20)} timeout; VSAM status ${30 + (i % 10)}${i === 7 ? ` ${'z'.repeat(100)}` : ''}`,
          solution: i % 2 === 0 ? 'Fix the data and rerun.' : '-->',
          category: i % 4 === 0 ? 'Batch' : 'DB2',
          tags: i % 5 === 0 ? ['vsam-35'] : ['db2'],
        })),
      );
      const db = dialectOf(storage).db;
      const rows = (await sql<{ ft: string }>`select ft from kb_search`.execute(db)).rows;
      expect(rows.filter((r) => ftColumns(r.ft) !== undefined)).toHaveLength(59);
      const marked = await answers(storage);
      expect(marked.some((a) => (a as { total: number }).total > 0)).toBe(true);

      // As a store made before the marks: every row's terms flat, neither migration in the ledger.
      await sql`update kb_search set ft = replace(ft, ' | ', ' ')`.execute(db);
      await sql`drop index kb_entries_search_facts_idx on kb_entries`.execute(db);
      await sql`delete from kb_migrations where id in
        ('mysql_fulltext_0003_column_marks', 'mysql_fulltext_0004_entry_facts_index')`.execute(db);
      const unmarked = await answers(storage);
      expect(unmarked).toEqual(marked);
      await storage.close();
      open.pop();

      const reopened = await createStorage({ database, performance: { caching: { enabled: false } } });
      open.push(reopened);
      const again = (await sql<{ ft: string }>`select ft from kb_search`.execute(dialectOf(reopened).db))
        .rows;
      expect(again.filter((r) => ftColumns(r.ft) !== undefined)).toHaveLength(59);
      expect(await answers(reopened)).toEqual(marked);
    });

    it('reads the facts of matched entries from an index, not their rows', async () => {
      const database = await databases.create();
      const storage = await createStorage({ database });
      open.push(storage);
      const plan = await sql<{ key: string | null; Extra: string }>`explain
        select seq, category, severity, archived, usage_count, success_count, failure_count, updated_at
        from kb_entries where seq in (1, 5, 9)`.execute(dialectOf(storage).db);
      expect(plan.rows[0]).toMatchObject({
        key: 'kb_entries_search_facts_idx',
        Extra: expect.stringMatching(/Using index/),
      });
    });
  },
);
