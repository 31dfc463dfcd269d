import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { backupPlugin } from '@mainframe-kb/backup';
import { exportStore, type FormatName, importStore, ioFormatsPlugin } from '@mainframe-kb/io-formats';
import { analyticsPlugin } from '@mainframe-kb/plugin-analytics';
import { codePlugin } from '@mainframe-kb/plugin-code';
import { patternsPlugin } from '@mainframe-kb/plugin-patterns';
import { templatesPlugin } from '@mainframe-kb/plugin-templates';
import { copyStore } from '@mainframe-kb/storage-core';
import { definePluginConformance, type PluginRoundTrip } from '@mainframe-kb/testkit';
import { afterAll, expect } from 'vitest';
import { seedAnalytics } from '../../plugin-analytics/test/support/conformance-seed.js';
import { seedCode } from '../../plugin-code/test/support/conformance-seed.js';
import { seedPatterns } from '../../plugin-patterns/test/support/conformance-seed.js';
import { seedTemplates } from '../../plugin-templates/test/support/conformance-seed.js';

// The patterns, code, templates and analytics plugins' contract again, here because this package depends on every plugin: their
// rows (incidents, patterns, members, KB links and suggestions; code repositories, files, analysis results and
// KB references) must come through each whole-store path a user has, an io-formats export (the JSON envelope
// and a columnar directory) restored into another store, a backup restored into another store, and a copy,
// on SQLite and (when their URLs are set) PostgreSQL and MySQL.

const dir = mkdtempSync(join(tmpdir(), 'kb-cli-plugin-round-trips-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const PASSPHRASE = 'patterns round trip passphrase';

const exported = (format: FormatName, label: string): PluginRoundTrip => ({
  name: `${label} export → import --restore`,
  async run(source, openTarget) {
    // `json` writes one envelope file; the other formats a directory with a manifest and a file per table.
    const out = join(dir, `export-${++n}${format === 'json' ? '.json' : ''}`);
    await exportStore(source, { format, out });
    const target = await openTarget();
    const result = await importStore(target, { input: out, restore: true });
    expect(result.errors).toEqual([]);
    expect(result.committed).toBe(true);
    return target;
  },
});

const backedUp = (kind: 'physical' | 'logical' | undefined, label: string): PluginRoundTrip => ({
  name: `${label}, restored into another store`,
  async run(source, openTarget) {
    const repository = join(dir, `repository-${++n}`);
    const backups = source.plugin(backupPlugin);
    const run = await backups.create({
      destination: repository,
      passphrase: PASSPHRASE,
      ...(kind && { kind }),
    });
    if (!run.ok) throw run.destinations[0]?.error;
    const target = await openTarget();
    const restored = await backups.restore(run.id, {
      destination: repository,
      passphrase: PASSPHRASE,
      into: target,
    });
    expect(restored.restored).toBe(true);
    return target;
  },
});

const copied: PluginRoundTrip = {
  name: 'kb copy into another store',
  async run(source, openTarget) {
    const target = await openTarget();
    const result = await copyStore(source, target);
    expect(result.copied).toBe(true);
    return target;
  },
};

const roundTrips = [
  exported('json', 'a JSON envelope'),
  exported('parquet', 'a Parquet'),
  // The default kind: physical on SQLite (restored into the target store), logical on the server dialects.
  backedUp(undefined, 'a backup'),
  backedUp('logical', 'a logical backup'),
  copied,
];

definePluginConformance({
  plugin: patternsPlugin,
  with: [ioFormatsPlugin, backupPlugin],
  seed: async (storage) => void (await seedPatterns(storage)),
  roundTrips,
});

definePluginConformance({
  plugin: codePlugin,
  with: [ioFormatsPlugin, backupPlugin],
  seed: seedCode,
  roundTrips,
});

definePluginConformance({
  plugin: templatesPlugin,
  with: [ioFormatsPlugin, backupPlugin],
  seed: seedTemplates,
  roundTrips,
});

definePluginConformance({
  plugin: analyticsPlugin,
  with: [patternsPlugin, ioFormatsPlugin, backupPlugin],
  seed: seedAnalytics,
  roundTrips,
});
