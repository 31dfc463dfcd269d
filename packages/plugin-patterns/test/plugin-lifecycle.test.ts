import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createStorage, isStorageError, type Storage, StorageErrorCode } from '@mainframe-kb/storage-core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import pluginFromDefaultExport, {
  PATTERNS_PERMISSIONS,
  PATTERNS_TABLES,
  PATTERNS_VERSION,
  patternsPlugin,
} from '../src/index.js';
import { openStore, type TempDir, tempDir } from './support/store.js';

const CORE_TABLES = [
  'kb_entries',
  'kb_tags',
  'kb_relations',
  'kb_feedback',
  'usage_metrics',
  'search_history',
  'kb_events',
  'kb_audit',
];

/** Every row of every core table, and the SQL that defines core's schema objects. */
async function coreSnapshot(storage: Storage): Promise<unknown> {
  const db = storage.dialect.db;
  const tables: Record<string, unknown[]> = {};
  for (const t of CORE_TABLES) {
    const rows = await db.selectFrom(t).selectAll().execute();
    tables[t] = rows.map((r) => JSON.stringify(r)).sort();
  }
  const schema = await db
    .selectFrom('sqlite_master')
    .select(['type', 'name', 'sql'])
    .where('tbl_name', 'not in', [...PATTERNS_TABLES, 'kb_migrations'])
    // SQLite's planner statistics (written by PRAGMA optimize when a store closes) are not the schema.
    .where('name', 'not like', 'sqlite_stat%')
    .orderBy('name')
    .execute();
  return { tables, schema };
}

async function tablesOf(storage: Storage): Promise<string[]> {
  const rows = await storage.dialect.db
    .selectFrom('sqlite_master')
    .select('name')
    .where('type', '=', 'table')
    .execute();
  return rows.map((r) => r.name as string);
}

let dir: TempDir;
let path: string;
beforeEach(() => {
  dir = tempDir();
  path = join(dir.path, 'kb.db');
});
afterEach(() => dir.remove());

describe('the extension contract', () => {
  it('declares the version of its package.json (changesets bumps the file; keep PATTERNS_VERSION with it)', () => {
    const pkg = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'package.json'), 'utf8')) as {
      version: string;
    };
    expect(PATTERNS_VERSION).toBe(pkg.version);
    expect(patternsPlugin.version).toBe(pkg.version);
  });

  it('is the default export core loads for config.mvp.extensions [{ id: "patterns" }]', () => {
    expect(pluginFromDefaultExport).toBe(patternsPlugin);
    expect(patternsPlugin).toMatchObject({
      id: 'patterns',
      mvp: 2,
      package: '@mainframe-kb/plugin-patterns',
    });
  });

  it('a store created without the extension gains it later: its migrations run and nothing else changes', async () => {
    const plain = await createStorage({ database: { path } });
    await plain.createEntry({
      title: 'S0C7 - Data Exception',
      problem: 'packed decimal',
      solution: 'fix data',
      category: 'COBOL',
      tags: ['s0c7'],
    });
    await plain.search('S0C7');
    await plain.close(); // flushes the search history
    const reopened = await createStorage({ database: { path } });
    const before = await coreSnapshot(reopened);
    expect(await tablesOf(reopened)).not.toContain('incidents');
    await reopened.close();

    const withPlugin = await openStore(path);
    try {
      const status = await withPlugin.migrations.status();
      const ns = status.namespaces.find((n) => n.namespace === 'patterns');
      expect(ns?.applied.map((m) => m.id)).toEqual(['0001_incidents_patterns']);
      expect(ns?.pending).toEqual([]);
      expect(await tablesOf(withPlugin)).toEqual(expect.arrayContaining([...PATTERNS_TABLES]));
      expect(await coreSnapshot(withPlugin)).toEqual(before);
      expect(withPlugin.plugins).toEqual([
        {
          id: 'patterns',
          version: '0.0.0',
          mvp: 2,
          package: '@mainframe-kb/plugin-patterns',
          namespace: 'patterns',
        },
      ]);
    } finally {
      await withPlugin.close();
    }
  });

  it('a store with the extension opens in a process without it: the namespace is dormant, the data kept', async () => {
    const withPlugin = await openStore(path);
    await withPlugin
      .extension(patternsPlugin)
      .createIncident({ ticketId: 'X-1', title: 'S0C7', createdAt: '2025-01-01T00:00:00Z' });
    await withPlugin.close();

    const without = await createStorage({ database: { path } });
    try {
      const status = await without.migrations.status();
      expect(status.dormant.map((d) => d.namespace)).toEqual(['patterns']);
      expect(status.problems).toEqual([]);
      const health = await without.healthCheck();
      expect(JSON.stringify(health)).toContain('"dormant":["patterns"]');
      const error = await without
        .createPattern({ type: 'error', description: 'x', confidence: 1 })
        .catch((e: unknown) => e);
      expect(isStorageError(error, StorageErrorCode.EXTENSION_NOT_ENABLED)).toBe(true);
      expect((error as Error).message).toContain('@mainframe-kb/plugin-patterns');
      expect(() => without.extension(patternsPlugin)).toThrow(/not enabled/);
      expect(await without.countEntries()).toBe(0);
    } finally {
      await without.close();
    }
    const again = await openStore(path);
    try {
      expect((await again.extension(patternsPlugin).listIncidents()).map((i) => i.ticketId)).toEqual(['X-1']);
    } finally {
      await again.close();
    }
  });

  it('refuses bad options with the config path named', async () => {
    await expect(openStore(path, { criticalThreshold: 0 })).rejects.toThrow(/criticalThreshold/);
  });
});

describe('roles', () => {
  const incident = {
    ticketId: 'R-1',
    title: 'S0C7 in PAYROLL',
    component: 'PAYROLL',
    createdAt: '2025-01-01T00:00:00Z',
  };
  let seeded: { incidentId: string; patternId: string; kbId: string };

  beforeEach(async () => {
    const admin = await openStore(path);
    const api = admin.extension(patternsPlugin);
    const { id: incidentId } = await api.createIncident(incident);
    const patternId = await api.createPattern({
      type: 'error',
      description: 'seeded',
      confidence: 0.5,
      incidents: [incidentId],
    });
    const kbId = await admin.createEntry({ title: 'S0C7', problem: 'p', solution: 's', category: 'COBOL' });
    await admin.close();
    seeded = { incidentId, patternId, kbId };
  });

  it('declares a least role for every operation it runs', () => {
    expect(PATTERNS_PERMISSIONS).toEqual({
      'patterns.incident.read': 'viewer',
      'patterns.incident.write': 'editor',
      'patterns.incident.delete': 'editor',
      'patterns.import': 'editor',
      'patterns.read': 'viewer',
      'patterns.write': 'editor',
      'patterns.link': 'editor',
      'patterns.detect': 'editor',
    });
  });

  it('a viewer reads everything and changes nothing', async () => {
    const viewer = await openStore(path, {}, { id: 'vera', role: 'viewer' });
    try {
      const api = viewer.extension(patternsPlugin);
      const { incidentId, patternId, kbId } = seeded;
      expect((await api.listIncidents()).length).toBe(1);
      expect((await api.getIncident(incidentId)).ticketId).toBe('R-1');
      expect(await api.countIncidents({ by: 'component', interval: 'day' })).toHaveLength(1);
      expect((await viewer.getPatterns({})).length).toBe(1);
      expect((await api.getPattern(patternId)).id).toBe(patternId);
      const refused: [string, () => Promise<unknown>][] = [
        ['createIncident', () => api.createIncident({ ...incident, ticketId: 'R-2' })],
        ['createIncidents', () => api.createIncidents([{ ...incident, ticketId: 'R-3' }])],
        ['updateIncident', () => api.updateIncident(incidentId, { status: 'closed' })],
        ['deleteIncident', () => api.deleteIncident(incidentId)],
        ['importIncidents', () => api.importIncidents('jira', '{"issues":[]}')],
        ['importIncidents dry run', () => api.importIncidents('jira', '{"issues":[]}', { dryRun: true })],
        ['createPattern', () => viewer.createPattern({ type: 'error', description: 'x', confidence: 0.5 })],
        ['updatePattern', () => viewer.updatePattern(patternId, { status: 'resolved' })],
        ['deletePattern', () => api.deletePattern(patternId)],
        ['detectPatterns', () => api.detectPatterns()],
        ['linkKbEntry', () => api.linkKbEntry(patternId, kbId)],
        ['unlinkKbEntry', () => api.unlinkKbEntry(patternId, kbId)],
        ['setSuggestionStatus', () => api.setSuggestionStatus(patternId, 'dismissed')],
      ];
      for (const [name, call] of refused) {
        const error = await call().then(
          () => null,
          (e: unknown) => e,
        );
        expect(
          isStorageError(error, StorageErrorCode.FORBIDDEN),
          `${name} should be refused to a viewer`,
        ).toBe(true);
      }
      expect((await api.getIncident(incidentId)).status).toBe('open');
    } finally {
      await viewer.close();
    }
  });

  it('an editor may change incidents and patterns', async () => {
    const editor = await openStore(path, {}, { id: 'eddie', role: 'editor' });
    try {
      const api = editor.extension(patternsPlugin);
      await api.createIncident({ ...incident, ticketId: 'R-2' });
      await api.updateIncident(seeded.incidentId, { status: 'closed' });
      expect(await editor.updatePattern(seeded.patternId, { status: 'resolved' })).toBe(true);
      await api.linkKbEntry(seeded.patternId, seeded.kbId);
      expect((await api.detectPatterns()).incidents).toBe(2);
    } finally {
      await editor.close();
    }
  });
});
