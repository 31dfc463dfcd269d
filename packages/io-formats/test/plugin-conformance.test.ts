import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { definePluginConformance } from '@mainframe-kb/testkit';
import { afterAll, expect } from 'vitest';
import { exportStore, importStore, ioFormatsPlugin } from '../src/index.js';

// The contract every plugin keeps, on SQLite and (when their URLs are set) PostgreSQL and MySQL: flat methods
// on the store, an audit row for its changes, a store that opens without it, and nothing a viewer can write
// through. io-formats declares no table: its round trip carries core's, and checks the whole store arrives.

const dir = mkdtempSync(join(tmpdir(), 'kb-io-formats-conformance-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

definePluginConformance({
  plugin: ioFormatsPlugin,
  async seed(storage) {
    await storage.createEntry({
      title: 'S0C7 in PAYR010 after the month-end run',
      problem:
        'PAYR010 abends S0C7 adding WS-TOTAL: the packed field holds spaces after the extract changed.',
      solution: 'Initialise WS-TOTAL with MOVE ZERO before the loop; check the extract with IF NUMERIC.',
      category: 'COBOL',
      severity: 'high',
      tags: ['s0c7', 'payroll'],
    });
    const exported = await exportStore(storage, { format: 'json', out: join(dir, `seed-${++n}.json`) });
    if (exported.tables.kb_entries !== 1) {
      throw new Error(`seed: the export holds no entry (${JSON.stringify(exported.tables)})`);
    }
  },
  roundTrips: [
    {
      name: 'JSON envelope export → import --restore',
      async run(source, openTarget) {
        const before = await source.contentHash();
        const file = join(dir, `export-${++n}.json`);
        await exportStore(source, { format: 'json', out: file });
        const target = await openTarget();
        const result = await importStore(target, { input: file, restore: true });
        expect(result.committed).toBe(true);
        // The plugin has no table of its own for the suite to compare: a restore reproduces the whole store.
        expect(await target.contentHash()).toEqual(before);
        return target;
      },
    },
  ],
});
