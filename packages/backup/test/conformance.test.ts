import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { definePluginConformance, generateCorpusArray } from '@mainframe-kb/testkit';
import { afterAll } from 'vitest';
import { backupPlugin } from '../src/index.js';
import { PASSPHRASE } from './support/fixtures.js';

// The contract every plugin keeps, on SQLite and (when their URLs are set) PostgreSQL and MySQL: flat methods
// on the store, an audit row for its changes, a store that opens without it, and nothing a viewer can write
// through. The backup plugin owns no table; its round trip carries core's.

const dir = mkdtempSync(join(tmpdir(), 'kb-backup-conformance-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

definePluginConformance({
  plugin: backupPlugin,
  async seed(storage) {
    await storage.createEntries(generateCorpusArray({ count: 20, seed: 51 }));
    const run = await storage
      .plugin(backupPlugin)
      .create({ destination: join(dir, `seed-${++n}`), passphrase: PASSPHRASE });
    if (!run.ok) throw run.destinations[0]?.error;
  },
  roundTrips: [
    {
      name: 'a backup, restored into another store',
      async run(source, openTarget) {
        const call = { destination: join(dir, `trip-${++n}`), passphrase: PASSPHRASE };
        const backups = source.plugin(backupPlugin);
        const run = await backups.create(call);
        const target = await openTarget();
        await backups.restore(run.id, { ...call, into: target });
        return target;
      },
    },
  ],
});
