import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  copyStore,
  createStorage,
  isStorageError,
  type Storage,
  StorageErrorCode,
} from '@mainframe-kb/storage-core';
import { rawAccessPlugin, rawDb } from '@mainframe-kb/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import pluginFromDefaultExport, {
  PATTERNS_PERMISSIONS,
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

const PATTERNS_TABLES = Object.keys(patternsPlugin.tables ?? {});

/** Every row of every core table, and the SQL that defines core's schema objects (store opened with raw access). */
async function coreSnapshot(storage: Storage): Promise<unknown> {
  const db = rawDb(storage);
  const tables: Record<string, string[]> = {};
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

interface Snapshot {
  tables: Record<string, string[]>;
  schema: unknown;
}

/** A snapshot without the audit trail and its head, which every recorded change appends to. */
function withoutTrail({ tables, schema }: Snapshot): Snapshot {
  const { kb_audit: _trail, kb_audit_head: _head, ...rest } = tables;
  return { tables: rest, schema };
}

async function tablesOf(storage: Storage): Promise<string[]> {
  const rows = await rawDb(storage)
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

describe('the plugin contract', () => {
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

  it('declares its six tables, the flat methods it provides and its kb commands', () => {
    expect(patternsPlugin.tables).toEqual({
      incidents: { entity: 'incidents', primaryKey: ['id'] },
      incident_error_codes: { entity: 'incidents', primaryKey: ['incident_id', 'code'], derived: true },
      incident_patterns: { entity: 'patterns', primaryKey: ['id'] },
      pattern_incidents: { entity: 'patterns', primaryKey: ['pattern_id', 'incident_id'] },
      kb_pattern_links: { entity: 'patterns', primaryKey: ['pattern_id', 'kb_entry_id'] },
      kb_entry_suggestions: { entity: 'patterns', primaryKey: ['pattern_id'] },
    });
    expect(patternsPlugin.provides).toEqual(['createPattern', 'getPatterns', 'updatePattern']);
    expect(patternsPlugin.commands?.map((c) => c.name)).toEqual(['patterns', 'incidents']);
  });

  it('a store created without the plugin gains it later: its migrations run and nothing else changes', async () => {
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
    const reopened = await createStorage({ database: { path } }, { plugins: [rawAccessPlugin] });
    const before = await coreSnapshot(reopened);
    expect(await tablesOf(reopened)).not.toContain('incidents');
    await reopened.close();

    const withPlugin = await openStore(path, {}, { plugins: [rawAccessPlugin] });
    try {
      const status = await withPlugin.migrationStatus();
      const ns = status.namespaces.find((n) => n.namespace === 'patterns');
      expect(ns?.applied.map((m) => m.id)).toEqual(['0001_incidents_patterns']);
      expect(ns?.pending).toEqual([]);
      expect(await tablesOf(withPlugin)).toEqual(expect.arrayContaining(PATTERNS_TABLES));
      // Enabling the plugin is itself on record: one migrate-up row appended to the audit trail (and the
      // chain's head moved to it); nothing else of core changes.
      const after = (await coreSnapshot(withPlugin)) as Snapshot;
      const earlier = before as Snapshot;
      const added = after.tables.kb_audit!.filter((r) => !earlier.tables.kb_audit!.includes(r));
      expect(added.map((r) => JSON.parse(r))).toEqual([
        expect.objectContaining({
          action: 'migrate-up',
          entity: 'migration',
          entity_id: 'patterns:0001_incidents_patterns',
        }),
      ]);
      expect(after.tables.kb_audit).toEqual(expect.arrayContaining(earlier.tables.kb_audit!));
      expect(withoutTrail(after)).toEqual(withoutTrail(earlier));
      expect(await withPlugin.verifyAuditChain()).toEqual({ ok: true, rows: 2 });
      expect(withPlugin.plugins.find((p) => p.id === 'patterns')).toEqual({
        id: 'patterns',
        version: '0.0.0',
        mvp: 2,
        package: '@mainframe-kb/plugin-patterns',
        namespace: 'patterns',
        provides: ['createPattern', 'getPatterns', 'updatePattern'],
        tables: PATTERNS_TABLES,
      });
      // Backups and exports take the plugin's tables from its declaration, parents before children.
      const names = withPlugin.tables().map((t) => t.name);
      expect(names).toEqual(expect.arrayContaining(PATTERNS_TABLES));
      expect(names.indexOf('incidents')).toBeLessThan(names.indexOf('pattern_incidents'));
      expect(names.indexOf('incident_patterns')).toBeLessThan(names.indexOf('kb_pattern_links'));
      expect(names.indexOf('kb_entries')).toBeLessThan(names.indexOf('kb_pattern_links'));
    } finally {
      await withPlugin.close();
    }
  });

  it('a store with the plugin opens in a process without it: the namespace is dormant, the data kept', async () => {
    const withPlugin = await openStore(path);
    await withPlugin
      .plugin(patternsPlugin)
      .createIncident({ ticketId: 'X-1', title: 'S0C7', createdAt: '2025-01-01T00:00:00Z' });
    await withPlugin.close();

    const without = await createStorage({ database: { path } });
    try {
      const status = await without.migrationStatus();
      expect(status.dormant.map((d) => d.namespace)).toEqual(['patterns']);
      expect(status.problems).toEqual([]);
      const health = await without.healthCheck();
      expect(JSON.stringify(health)).toContain('"dormant":["patterns"]');
      const error = await without
        .createPattern({ type: 'error', description: 'x', confidence: 1 })
        .catch((e: unknown) => e);
      expect(isStorageError(error, StorageErrorCode.EXTENSION_NOT_ENABLED)).toBe(true);
      expect((error as Error).message).toContain('@mainframe-kb/plugin-patterns');
      expect(() => without.plugin(patternsPlugin)).toThrow(/not enabled/);
      expect(await without.countEntries()).toBe(0);
    } finally {
      await without.close();
    }
    const again = await openStore(path);
    try {
      expect((await again.plugin(patternsPlugin).listIncidents()).map((i) => i.ticketId)).toEqual(['X-1']);
    } finally {
      await again.close();
    }
  });

  it('rebuilds its derived error-code table after a copy, which never carries it', async () => {
    const source = await openStore(path);
    const target = await openStore(join(dir.path, 'copy.db'));
    try {
      await source.plugin(patternsPlugin).createIncident({
        ticketId: 'INC-7',
        title: 'PAYR010 abended S0C7 in STEP03',
        createdAt: '2025-01-01T00:00:00Z',
      });
      await copyStore(source, target);
      const found = await target.plugin(patternsPlugin).listIncidents({ errorCode: 'S0C7' });
      expect(found.map((i) => i.ticketId)).toEqual(['INC-7']);
    } finally {
      await source.close();
      await target.close();
    }
  });

  it('refuses bad options with the config path and each bad option named', async () => {
    const error = await openStore(path, { criticalThreshold: 0, burstAlpha: 2 }).catch((e: unknown) => e);
    expect(isStorageError(error, StorageErrorCode.CONFIG_INVALID)).toBe(true);
    const message = (error as Error).message;
    expect(message).toMatch(/^config\.mvp\.extensions\[patterns\]\.options: /);
    expect(message).toMatch(/criticalThreshold: .*>=1/);
    expect(message).toMatch(/burstAlpha: /);
    const unknown = await openStore(path, { minIncident: 3 } as never).catch((e: unknown) => e);
    expect(isStorageError(unknown, StorageErrorCode.CONFIG_INVALID)).toBe(true);
    expect((unknown as Error).message).toContain('minIncident');
  });

  it('parses its options once, with their defaults, and runs with them', async () => {
    const storage = await openStore(path, { criticalThreshold: 2 });
    try {
      const critical: number[] = [];
      storage.on('pattern:critical', (e) => critical.push(e.incidentCount));
      const api = storage.plugin(patternsPlugin);
      const ids = await api.createIncidents([
        { ticketId: 'O-1', title: 'one', createdAt: '2025-01-01T00:00:00Z' },
        { ticketId: 'O-2', title: 'two', createdAt: '2025-01-02T00:00:00Z' },
      ]);
      await storage.createPattern({
        type: 'error',
        description: 'two of them',
        confidence: 1,
        incidents: ids,
      });
      expect(critical).toEqual([2]);
    } finally {
      await storage.close();
    }
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
    const api = admin.plugin(patternsPlugin);
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
    const viewer = await openStore(path, {}, { actor: { id: 'vera', role: 'viewer' } });
    try {
      const api = viewer.plugin(patternsPlugin);
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
    const editor = await openStore(path, {}, { actor: { id: 'eddie', role: 'editor' } });
    try {
      const api = editor.plugin(patternsPlugin);
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
