import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createStorage, type Storage } from '@mainframe-kb/storage-core';
import { availableTestStores } from '@mainframe-kb/testkit';
import { afterAll, describe, expect, it } from 'vitest';
import { detectPatternsIn, extractErrorCodes, incidentIdOf, patternsPlugin } from '../src/index.js';
import { generateIncidentStream, overlap } from './support/incident-stream.js';

// The same checks on every dialect the run can reach: SQLite always, PostgreSQL with KB_TEST_PG_URL (each
// store in its own schema), MySQL/MariaDB with KB_TEST_MYSQL_URL (each store in its own database).

const fixture = (name: string) => readFileSync(join(import.meta.dirname, 'fixtures', name), 'utf8');
const withPatterns = { mvp: { extensions: [{ id: 'patterns', options: { incremental: false } }] } };

for (const target of availableTestStores()) {
  const stores = target.stores;
  if (!stores) {
    describe(`plugin-patterns on ${target.dialect} (${target.skipped})`, () => {
      it.skip(`runs against ${target.dialect}`, () => {});
    });
    continue;
  }

  describe(`plugin-patterns on ${target.dialect}`, () => {
    afterAll(() => stores.cleanup());

    it('imports every source, re-imports without duplicating, and counts per day and hour', async () => {
      const storage = await stores.open(withPatterns, { plugins: [patternsPlugin] });
      const api = storage.plugin(patternsPlugin);
      for (const [source, file] of [
        ['servicenow', 'servicenow-incidents.json'],
        ['servicenow', 'servicenow-incidents-labels.csv'],
        ['jira', 'jira-search-v3.json'],
        ['splunk', 'splunk-export.ndjson'],
      ] as const) {
        const first = await api.importIncidents(source, fixture(file));
        expect(first.errors).toEqual([]);
        expect(first.inserted).toBeGreaterThan(0);
        expect(await api.importIncidents(source, fixture(file))).toMatchObject({
          inserted: 0,
          updated: 0,
          unchanged: first.inserted,
        });
      }
      expect((await api.listIncidents({ limit: 100 })).length).toBe(9);
      expect((await api.listIncidents({ errorCode: 'S0C7' })).map((i) => i.ticketId)).toEqual(['INC0010001']);
      expect((await api.listIncidents({ text: 'vsam STATUS' })).map((i) => i.ticketId)).toEqual([
        'INC0010002',
      ]);
      expect(await api.listIncidents({ text: '100%' })).toEqual([]);
      expect(await api.countIncidents({ by: 'component', interval: 'day', key: 'PAYROLL' })).toEqual([
        { key: 'PAYROLL', bucket: '2025-03-03', count: 1 },
      ]);
      expect(await api.countIncidents({ by: 'errorCode', interval: 'hour', key: 'U4038' })).toEqual([
        { key: 'U4038', bucket: '2025-03-08T07', count: 1 },
        { key: 'U4038', bucket: '2025-03-17T08', count: 1 },
      ]);
    });

    it('finds the planted patterns, and nothing else, with the same ids as on any other dialect', async () => {
      const storage = await stores.open(withPatterns, { plugins: [patternsPlugin] });
      const api = storage.plugin(patternsPlugin);
      const stream = generateIncidentStream({ seed: 'planted-1' });
      await api.createIncidents(stream.incidents);
      const summary = await api.detectPatterns();
      expect(summary.patterns).toBe(stream.expectations.length);
      const patterns = await api.getPatterns({ limit: 100 });
      for (const e of stream.expectations) {
        let found = false;
        for (const p of patterns.filter((q) => q.type === e.type)) {
          const detail = await api.getPattern(p.id);
          const tickets = await Promise.all(
            detail.incidents.map(async (m) => (await api.getIncident(m.incidentId)).ticketId),
          );
          if (overlap(tickets, e.tickets) >= 0.8) found = true;
        }
        expect(found, `planted '${e.name}' not found on ${target.dialect}`).toBe(true);
      }
      // The stored patterns are exactly what the pure detector finds in memory: same ids, nothing else.
      const expected = detectPatternsIn(
        stream.incidents.map((i) => ({
          id: incidentIdOf('manual', i.ticketId),
          time: Date.parse(i.createdAt),
          component: i.component ?? null,
          severity: i.severity ?? null,
          title: i.title,
          text: `${i.title}\n${i.description ?? ''}`,
          codes: extractErrorCodes(`${i.title}\n${i.description ?? ''}`),
        })),
        { minIncidents: 3, burstWindowHours: 24, burstAlpha: 1e-5, similarityThreshold: 0.6 },
      );
      expect(patterns.map((p) => [p.id, p.confidence, p.frequency]).sort()).toEqual(
        expected.map((p) => [p.id, p.confidence, p.members.length]).sort(),
      );
    });

    it('a store gains the plugin later, and opens without it with the namespace dormant', async () => {
      const database = await stores.database();
      const open = (plugins: boolean): Promise<Storage> =>
        createStorage(
          { database, ...(plugins ? withPatterns : {}) },
          plugins ? { plugins: [patternsPlugin] } : {},
        );
      const plain = await open(false);
      const entry = await plain.createEntry({
        title: 'S0C7 - Data Exception',
        problem: 'p',
        solution: 's',
        category: 'COBOL',
      });
      await plain.close();
      const withPlugin = await open(true);
      try {
        await withPlugin
          .plugin(patternsPlugin)
          .importIncidents('servicenow', fixture('servicenow-incidents.json'));
        expect((await withPlugin.getEntry(entry)).title).toBe('S0C7 - Data Exception');
      } finally {
        await withPlugin.close();
      }
      const without = await open(false);
      try {
        expect((await without.migrationStatus()).dormant.map((d) => d.namespace)).toEqual(['patterns']);
        expect(await without.countEntries()).toBe(1);
      } finally {
        await without.close();
      }
    });
  });
}
