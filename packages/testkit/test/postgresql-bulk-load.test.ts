import { copyStore, createStorage } from '@mainframe-kb/storage-core';
import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import {
  generateCorpus,
  postgresStores,
  rawAccessPlugin,
  rawDb,
  skipReason,
  testDatabaseUrl,
} from '../src/index.js';

// A bulk load leaves the planner statistics of what it loaded (autovacuum may be off, as on the CI machine):
// ANALYZE sets pg_class.reltuples, which is -1 for a table never analyzed.
const url = testDatabaseUrl('postgresql');

describe.skipIf(!url)(`postgresql bulk load statistics${url ? '' : ` (${skipReason('postgresql')})`}`, () => {
  const stores = url ? postgresStores(url) : undefined;
  afterAll(async () => stores?.cleanup());

  it('copyStore into PostgreSQL analyzes the loaded tables and the search index', async () => {
    const source = await createStorage({ database: { path: ':memory:' } });
    await source.createEntries([...generateCorpus({ count: 120, seed: 5 })]);
    const target = await stores!.open({}, { plugins: [rawAccessPlugin] });
    try {
      await copyStore(source, target);
      const { rows } = await sql<{
        name: string;
        tuples: number;
      }>`select c.relname as name, c.reltuples as tuples
        from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
        where n.nspname = current_schema() and c.relname in ('kb_entries', 'kb_tags', 'kb_search', 'kb_search_terms')`.execute(
        rawDb(target),
      );
      const tuples = Object.fromEntries(rows.map((r) => [r.name, Number(r.tuples)]));
      expect(tuples.kb_entries).toBe(120);
      expect(tuples.kb_search).toBe(120);
      expect(tuples.kb_tags).toBeGreaterThan(0);
      expect(tuples.kb_search_terms).toBeGreaterThan(0);
    } finally {
      await source.close();
    }
  });
});
