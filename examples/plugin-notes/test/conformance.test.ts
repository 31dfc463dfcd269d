import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { backupPlugin } from '@mainframe-kb/backup';
import { exportStore, importStore, ioFormatsPlugin } from '@mainframe-kb/io-formats';
import { definePluginConformance, type PluginRoundTrip } from '@mainframe-kb/testkit';
import { afterAll } from 'vitest';
import notesPlugin from '../src/index.js';
import { seedNotes } from './support/seed.js';

// The contract every plugin keeps, on SQLite and (when their URLs are set) PostgreSQL and MySQL: migrations
// down and up, declared tables present, flat methods on the store, every declared table carried through each
// whole-store path, a namespace left dormant without the plugin, and nothing a viewer can write through.

const dir = mkdtempSync(join(tmpdir(), 'kb-notes-conformance-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const PASSPHRASE = 'notes conformance passphrase';

const roundTrips: PluginRoundTrip[] = [
  {
    name: 'an io-formats export, restored (exportStore → importStore --restore)',
    async run(source, openTarget) {
      const file = join(dir, `export-${++n}.json`);
      await exportStore(source, { format: 'json', out: file });
      const target = await openTarget();
      await importStore(target, { input: file, restore: true });
      return target;
    },
  },
  {
    name: 'a backup, restored into another store',
    async run(source, openTarget) {
      const repository = join(dir, `repository-${++n}`);
      const backups = source.plugin(backupPlugin);
      const run = await backups.create({ destination: repository, passphrase: PASSPHRASE });
      const target = await openTarget();
      await backups.restore(run.id, { destination: repository, passphrase: PASSPHRASE, into: target });
      return target;
    },
  },
];

definePluginConformance({
  plugin: notesPlugin,
  with: [ioFormatsPlugin, backupPlugin],
  seed: async (storage) => void (await seedNotes(storage)),
  roundTrips,
});
