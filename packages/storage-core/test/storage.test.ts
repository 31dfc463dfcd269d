import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createStorage,
  definePlugin,
  type KBEntryInput,
  type Storage,
  StorageError,
  ValidationError,
} from '../src/index.js';
import { dialectOf } from '../src/storage.js';

const entry = (over: Partial<KBEntryInput> = {}): KBEntryInput => ({
  title: 'S0C7 data exception in PAYROLL',
  problem: 'Program PAYROLL abends S0C7 when adding a packed decimal field that holds spaces.',
  solution: 'Initialise the COMP-3 field with MOVE ZERO and validate input with IF NUMERIC.',
  category: 'cobol',
  severity: 'high',
  tags: ['S0C7', ' Data Exception ', 's0c7'],
  ...over,
});

let dir: string;
let storage: Storage;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kb-storage-'));
  storage = await createStorage({ database: { path: join(dir, 'kb.db') } });
});

afterEach(async () => {
  await storage.close();
  rmSync(dir, { recursive: true, force: true });
});

async function snapshotTables(s: Storage) {
  const out: Record<string, unknown[]> = {};
  for (const table of ['kb_entries', 'kb_tags', 'kb_relations', 'kb_feedback', 'kb_audit', 'kb_events']) {
    out[table] = (await sql`select * from ${sql.table(table)} order by 1`.execute(dialectOf(s).db)).rows;
  }
  return out;
}

describe('entries', () => {
  it('creates, reads, updates and deletes, normalising tags and categories', async () => {
    const id = await storage.createEntry(entry());
    const created = await storage.getEntry(id);
    expect(created).toMatchObject({
      id,
      category: 'COBOL',
      severity: 'high',
      tags: ['s0c7', 'data-exception'],
      usageCount: 0,
      archived: false,
      version: 1,
      createdBy: null,
    });
    expect(created.createdAt).toBe(created.updatedAt);

    expect(await storage.updateEntry(id, { solution: 'Use INITIALIZE.', tags: ['numeric'] })).toBe(true);
    const updated = await storage.getEntry(id);
    expect(updated).toMatchObject({ solution: 'Use INITIALIZE.', tags: ['numeric'], version: 2 });
    expect(updated.updatedAt >= created.updatedAt).toBe(true);

    expect(await storage.deleteEntry(id)).toBe(true);
    expect(await storage.readEntry(id)).toBeNull();
    expect(await storage.deleteEntry(id)).toBe(false);
    expect(await storage.updateEntry(id, { title: 'x' })).toBe(false);
    await expect(storage.getEntry(id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('keeps a given id and refuses a duplicate with CONFLICT', async () => {
    await storage.createEntry(entry({ id: 'KB-0001' }));
    await expect(storage.createEntry(entry({ id: 'KB-0001' }))).rejects.toMatchObject({ code: 'CONFLICT' });
    expect(await storage.countEntries()).toBe(1);
  });

  it('rejects bad input with a ValidationError naming each field, and leaves the store as it was', async () => {
    await storage.createEntry(entry());
    const before = await snapshotTables(storage);
    const bad = [
      [{ ...entry(), title: '' }, 'entry.title'],
      [{ ...entry(), severity: 'urgent' }, 'entry.severity'],
      [{ ...entry(), problem: 'a\u0000b' }, 'entry.problem'],
      [{ ...entry(), title: 'x'.repeat(256) }, 'entry.title'],
      [{ ...entry(), tags: Array.from({ length: 40 }, (_, i) => `t${i}`) }, 'entry.tags'],
      [{ ...entry(), id: '../etc/passwd' }, 'entry.id'],
      [{ ...entry(), colour: 'blue' }, 'entry.colour'],
      [{ title: 'only a title' }, 'entry.problem'],
    ] as const;
    for (const [input, path] of bad) {
      const error = await storage.createEntry(input as KBEntryInput).catch((e: unknown) => e);
      expect(error, JSON.stringify(input).slice(0, 80)).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).issues.map((i) => i.path)).toContain(path);
    }
    await expect(storage.updateEntry('nope', {})).rejects.toBeInstanceOf(ValidationError);
    await expect(storage.recordFeedback('nope', { outcome: 'maybe' as 'success' })).rejects.toBeInstanceOf(
      ValidationError,
    );
    expect(await snapshotTables(storage)).toEqual(before);
  });

  it('creates a batch all or nothing', async () => {
    const batch = Array.from({ length: 100 }, (_, i) => entry({ title: `Entry ${i}` }));
    batch[57] = { ...entry(), severity: 'nope' as 'low' };
    const error = await storage.createEntries(batch).catch((e: unknown) => e);
    expect((error as ValidationError).issues[0]?.path).toBe('entries.57.severity');
    expect(await storage.countEntries()).toBe(0);

    batch[57] = entry({ id: 'dup' });
    batch[58] = entry({ id: 'dup' });
    await expect(storage.createEntries(batch)).rejects.toMatchObject({ code: 'CONFLICT' });
    expect(await storage.countEntries()).toBe(0);

    batch[58] = entry();
    expect(await storage.createEntries(batch)).toHaveLength(100);
    expect(await storage.countEntries()).toBe(100);
  });

  it('creates a batch larger than one statement can bind (every table is written in chunks)', async () => {
    // 12,000 entries × 3 columns of events alone would pass SQLite's 32,766 bound parameters in one INSERT.
    const batch = Array.from({ length: 12_000 }, (_, i) =>
      entry({ title: `Bulk entry ${i}`, tags: [`t${i % 7}`] }),
    );
    const ids = await storage.createEntries(batch);
    expect(new Set(ids).size).toBe(12_000);
    expect(await storage.countEntries()).toBe(12_000);
    expect((await storage.search('"Bulk entry 11999"')).results[0]?.entry.title).toBe('Bulk entry 11999');
    let events = 0;
    for await (const _ of storage.replayEvents({ types: ['entry:created'] })) events += 1;
    expect(events).toBe(12_000);
    expect(await storage.verifyAuditChain()).toEqual({ ok: true, rows: 12_000 });
  });

  it('refuses a stale update with CONFLICT (optimistic concurrency)', async () => {
    const id = await storage.createEntry(entry());
    await storage.updateEntry(id, { title: 'First edit', expectedVersion: 1 });
    await expect(storage.updateEntry(id, { title: 'Second edit', expectedVersion: 1 })).rejects.toMatchObject(
      {
        code: 'CONFLICT',
      },
    );
    expect((await storage.getEntry(id)).title).toBe('First edit');
  });

  it('lists with filters and paging', async () => {
    await storage.createEntries([
      entry({ title: 'A', category: 'VSAM', tags: ['vsam'] }),
      entry({ title: 'B', category: 'vsam', severity: 'low' }),
      entry({ title: 'C', category: 'JCL', tags: ['vsam', 'jcl'] }),
    ]);
    expect((await storage.listEntries({ category: 'VSAM' })).total).toBe(2);
    expect((await storage.listEntries({ tag: 'VSAM' })).entries.map((e) => e.title).sort()).toEqual([
      'A',
      'C',
    ]);
    expect((await storage.listEntries({ severity: 'low' })).entries.map((e) => e.title)).toEqual(['B']);
    const page = await storage.listEntries({ orderBy: 'title', limit: 2, offset: 1 });
    expect(page).toMatchObject({ total: 3 });
    expect(page.entries.map((e) => e.title)).toEqual(['B', 'C']);
  });
});

describe('feedback, usage and relations', () => {
  it('counts feedback and usage, and cascades them with the entry', async () => {
    const [a, b] = await storage.createEntries([entry(), entry({ title: 'S0C4 protection exception' })]);
    await storage.recordFeedback(a!, { outcome: 'success', rating: 5 });
    await storage.recordFeedback(a!, { outcome: 'success' });
    const counters = await storage.recordFeedback(a!, { outcome: 'failure', comment: 'did not help' });
    expect(counters).toEqual({ id: a, usageCount: 0, successCount: 2, failureCount: 1, successRate: 2 / 3 });
    expect((await storage.recordUsage(a!, 'view')).usageCount).toBe(1);
    await expect(storage.recordFeedback('missing', { outcome: 'success' })).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
    await expect(storage.recordFeedback(a!, { outcome: 'success', rating: 9 })).rejects.toBeInstanceOf(
      ValidationError,
    );

    await storage.addRelation(a!, b!, 'related');
    await storage.addRelation(a!, b!, 'related'); // idempotent
    expect(await storage.getRelations(b!)).toHaveLength(1);
    await expect(storage.addRelation(a!, a!)).rejects.toBeInstanceOf(ValidationError);
    await expect(storage.addRelation(a!, 'missing')).rejects.toMatchObject({ code: 'NOT_FOUND' });

    await storage.deleteEntry(a!);
    const db = dialectOf(storage).db;
    expect((await sql`select count(*) as n from kb_feedback`.execute(db)).rows).toEqual([{ n: 0 }]);
    expect((await sql`select count(*) as n from usage_metrics`.execute(db)).rows).toEqual([{ n: 0 }]);
    expect(await storage.getRelations(b!)).toEqual([]);
    expect(await storage.removeRelation(a!, b!)).toBe(false);
  });
});

describe('events and audit', () => {
  it('emits events after commit and logs them durably for replay', async () => {
    const seen: string[] = [];
    storage.on('entry:created', ({ entry: e }) => seen.push(`created ${e.title}`));
    storage.on('entry:updated', ({ changed }) => seen.push(`updated ${changed.join(',')}`));
    storage.on('entry:deleted', ({ id }) => seen.push(`deleted ${id}`));
    const id = await storage.createEntry(entry({ id: 'e1' }));
    await storage.updateEntry(id, { severity: 'critical' });
    await storage.createEntry(entry({ title: '' })).catch(() => undefined);
    await storage.deleteEntry(id);
    expect(seen).toEqual(['created S0C7 data exception in PAYROLL', 'updated severity', 'deleted e1']);

    const logged = [];
    for await (const e of storage.replayEvents()) logged.push(e.type);
    expect(logged).toEqual(['entry:created', 'entry:updated', 'entry:deleted']);
    const onlyDeletes = [];
    for await (const e of storage.replayEvents({ types: ['entry:deleted'] })) onlyDeletes.push(e.payload);
    expect(onlyDeletes).toMatchObject([{ id: 'e1' }]);
    const future = [];
    for await (const e of storage.replayEvents({ from: '2999-01-01T00:00:00.000Z' })) future.push(e);
    expect(future).toEqual([]);
  });

  it('a listener that throws does not fail the committed write', async () => {
    storage.on('entry:created', () => {
      throw new Error('listener bug');
    });
    const errors: string[] = [];
    storage.on('storage:error', (e) => errors.push(e.message));
    const id = await storage.createEntry(entry());
    expect(await storage.readEntry(id)).not.toBeNull();
    expect(errors).toEqual(['Error: listener bug']);
  });

  it('writes a hash-chained audit row for every mutation and detects an edited row', async () => {
    const id = await storage.createEntry(entry());
    await storage.updateEntry(id, { title: 'Edited' });
    await storage.recordFeedback(id, { outcome: 'success' });
    await storage.deleteEntry(id);
    expect(await storage.verifyAuditChain()).toEqual({ ok: true, rows: 4 });
    const dialect = dialectOf(storage);
    // The database refuses the edit; one that gets past it (the guard lifted, as only the store can) shows.
    await expect(sql`update kb_audit set detail = '' where seq = 1`.execute(dialect.db)).rejects.toThrow(
      /append-only/,
    );
    const tamper = (statement: ReturnType<typeof sql>) =>
      dialect.writeTransaction((trx) => dialect.appendOnlyGuard.lifted(trx, () => statement.execute(trx)));
    await tamper(sql`update kb_audit set detail = '' where seq = 1`);
    expect(await storage.verifyAuditChain()).toMatchObject({ ok: false, rows: 1, firstBadSeq: 1 });
    await tamper(sql`update kb_audit set detail = null where seq = 1`);
    expect(await storage.verifyAuditChain()).toEqual({ ok: true, rows: 4 });
    await tamper(sql`update kb_audit set actor = 'mallory' where seq = 2`);
    expect(await storage.verifyAuditChain()).toMatchObject({
      ok: false,
      rows: 2,
      firstBadSeq: 2,
      problem: 'hash',
    });
  });

  it('refuses writes of a viewer at the one choke point', async () => {
    const path = join(dir, 'kb.db');
    const viewer = await createStorage({ database: { path } }, { actor: { id: 'ana', role: 'viewer' } });
    try {
      await expect(viewer.createEntry(entry())).rejects.toMatchObject({ code: 'FORBIDDEN' });
      expect(await viewer.countEntries()).toBe(0);
    } finally {
      await viewer.close();
    }
  });

  describe('runAs: one store acting for each caller', () => {
    it('checks each scope against its own actor and audits under its id', async () => {
      const id = await storage.runAs({ id: 'eve', role: 'editor' }, () => storage.createEntry(entry()));
      const refused = await storage
        .runAs({ id: 'vic', role: 'viewer' }, () => storage.updateEntry(id, { title: 'changed by a viewer' }))
        .catch((e: unknown) => e);
      expect(refused).toMatchObject({ code: 'FORBIDDEN' });
      expect((await storage.getEntry(id)).title).toBe(entry().title);
      // A viewer may still read.
      expect(await storage.runAs({ id: 'vic', role: 'viewer' }, () => storage.countEntries())).toBe(1);
      await storage.createEntry(entry({ title: 'another entry' }));
      const rows = await storage.auditRows({ entity: 'kb_entry', entityId: id });
      expect(rows.map((r) => [r.actor, r.entityId])).toEqual([['eve', id]]);
      // Outside any scope the store is its own actor again.
      expect(storage.actor).toEqual({ id: 'system', role: 'admin' });
    });

    it('keeps the scope across awaits and apart between concurrent scopes', async () => {
      const seen = await Promise.all(
        ['a', 'b', 'c'].map((name) =>
          storage.runAs({ id: name, role: 'viewer' }, async () => {
            await new Promise((resolve) => setTimeout(resolve, 5));
            await storage.countEntries();
            return storage.actor.id;
          }),
        ),
      );
      expect(seen).toEqual(['a', 'b', 'c']);
    });

    it('never raises the role: not above the store, not above an enclosing scope', async () => {
      const path = join(dir, 'kb.db');
      const editorStore = await createStorage(
        { database: { path } },
        { actor: { id: 'ed', role: 'editor' } },
      );
      try {
        expect(() => editorStore.runAs({ id: 'root', role: 'admin' }, () => 1)).toThrow(
          expect.objectContaining({ code: 'FORBIDDEN' }),
        );
      } finally {
        await editorStore.close();
      }
      const escalate = storage.runAs({ id: 'vic', role: 'viewer' }, async () =>
        storage.runAs({ id: 'vic', role: 'admin' }, () => storage.createEntry(entry())),
      );
      await expect(escalate).rejects.toMatchObject({ code: 'FORBIDDEN' });
      expect(await storage.countEntries()).toBe(0);
      expect(() => storage.runAs({ id: '', role: 'viewer' }, () => 1)).toThrow(ValidationError);
      expect(() => storage.runAs({ id: 'x', role: 'root' as 'admin' }, () => 1)).toThrow(ValidationError);
    });

    it('gives plugins the scope actor in their context', async () => {
      const plugin = definePlugin({
        id: 'whoami',
        version: '1.0.0',
        mvp: 2,
        setup: (ctx) => ({
          api: { who: () => ({ ...ctx.actor }), touch: () => ctx.write('whoami.touch', async () => 1) },
          permissions: { 'whoami.touch': 'editor' },
        }),
      });
      const s = await createStorage({ database: { path: join(dir, 'who.db') } }, { plugins: [plugin] });
      try {
        const api = s.plugin(plugin);
        expect(s.runAs({ id: 'vic', role: 'viewer' }, () => api.who())).toEqual({
          id: 'vic',
          role: 'viewer',
        });
        await expect(s.runAs({ id: 'vic', role: 'viewer' }, () => api.touch())).rejects.toMatchObject({
          code: 'FORBIDDEN',
        });
        expect(api.who()).toEqual({ id: 'system', role: 'admin' });
      } finally {
        await s.close();
      }
    });
  });
});

describe('extensions', () => {
  it('fails a flat method of an absent extension with a typed error naming the package', async () => {
    // Untyped here: no package that provides them is installed in this test.
    const flat = storage as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
    const error = await flat.createPattern!({}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StorageError);
    expect(error).toMatchObject({ code: 'EXTENSION_NOT_ENABLED' });
    expect((error as Error).message).toContain('@mainframe-kb/plugin-patterns');
    await expect(flat.backup!()).rejects.toThrow(/@mainframe-kb\/backup/);
    await expect(flat.export!('json')).rejects.toThrow(/@mainframe-kb\/io-formats/);
  });

  it('migrates, starts and exposes an extension without core knowing it', async () => {
    const notes = definePlugin({
      id: 'notes',
      version: '1.2.0',
      mvp: 2,
      dependsOn: { core: '^0.1.0' },
      tables: { kb_notes: { entity: 'notes', primaryKey: ['id'] } },
      provides: ['createPattern'],
      migrations: [
        {
          id: '0001_notes',
          async up(db) {
            await db.schema
              .createTable('kb_notes')
              .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
              .addColumn('entry_id', 'varchar(64)', (c) =>
                c.notNull().references('kb_entries.id').onDelete('cascade'),
              )
              .addColumn('text', 'text', (c) => c.notNull())
              .execute();
          },
        },
      ],
      setup(ctx) {
        const created: string[] = [];
        return {
          api: {
            addNote: (entryId: string, text: string) =>
              ctx.write('notes.add', async (scope) => {
                await scope.trx.insertInto('kb_notes').values({ entry_id: entryId, text }).execute();
                scope.audit({ action: 'add-note', entity: 'kb_note', entityId: entryId });
              }),
            created,
          },
          methods: { createPattern: async () => 'pattern-from-notes' },
          on: { 'entry:created': ({ entry: e }) => void created.push(e.id) },
          contributes: {
            healthProbes: [{ name: 'notes', run: async () => ({ status: 'degraded', detail: 'testing' }) }],
            metrics: () => ({ notes: 1 }),
          },
          permissions: { 'notes.add': 'editor' },
        };
      },
    });
    const path = join(dir, 'with-notes.db');
    const s = await createStorage({ database: { path } }, { plugins: [notes] });
    try {
      expect(s.plugins).toEqual([
        {
          id: 'notes',
          version: '1.2.0',
          mvp: 2,
          package: null,
          namespace: 'notes',
          provides: ['createPattern'],
          tables: ['kb_notes'],
        },
      ]);
      const id = await s.createEntry(entry());
      const api = s.plugin(notes);
      await api.addNote(id, 'seen twice this week');
      expect(api.created).toEqual([id]);
      const flat = s as unknown as { createPattern(): Promise<string> };
      expect(await flat.createPattern()).toBe('pattern-from-notes');
      expect(s.tables().map((t) => t.name)).toContain('kb_notes');
      expect((await s.healthCheck()).status).toBe('degraded');
      expect((await s.getMetrics()).extensions).toEqual({ notes: { notes: 1 } });
    } finally {
      await s.close();
    }
    // The same file opens in a process that does not load the extension: its namespace is dormant.
    const without = await createStorage({ database: { path } });
    try {
      const status = await without.migrationStatus();
      expect(status.dormant.map((d) => d.namespace)).toContain('notes');
      expect(await without.countEntries()).toBe(1);
    } finally {
      await without.close();
    }
  });
});

describe('migrate (seed interface)', () => {
  it('reports one result per migration and nothing to do on a current store', async () => {
    expect(await storage.migrate()).toEqual([]);
    const status = await storage.migrationStatus();
    expect(status.pendingCount).toBe(0);
    expect(status.namespaces[0]?.applied.map((m) => m.id)).toEqual([
      '0001_knowledge_base',
      '0002_events_audit',
      'sqlite_fts5_0001_kb_fts',
      '0003_audit_head',
      '0004_entries_usage_idx',
      '0005_audit_keys',
      '0006_audit_append_only',
      'sqlite_fts5_0002_search_state',
      'sqlite_fts5_0003_search_state_parts',
    ]);
  });
});

describe('monitoring', () => {
  it('reports per-operation latency, cache hit rate, sizes, health and optimize', async () => {
    await storage.createEntries([entry(), entry({ title: 'VSAM status 35 on open', category: 'VSAM' })]);
    await storage.search('S0C7');
    await storage.search('S0C7');
    const metrics = await storage.getMetrics();
    expect(metrics.operations['entry.create']?.count).toBe(1);
    expect(metrics.operations.search?.count).toBe(2);
    expect(metrics.cache).toMatchObject({ hits: 1, misses: 1, hitRate: 0.5 });
    expect(metrics.database.entries).toBe(2);
    expect(metrics.database.databaseBytes).toBeGreaterThan(0);

    const health = await storage.healthCheck();
    expect(health.status).toBe('healthy');
    expect(health.probes.map((p) => p.name)).toEqual([
      'connectivity',
      'database file',
      'integrity',
      'migrations',
      'wal',
      'disk',
      'audit',
    ]);

    const report = await storage.optimize();
    expect(report.steps.every((s) => s.ok)).toBe(true);
    expect(report.steps.map((s) => s.name)).toContain('analyze');
    expect(report.before.databaseBytes).toBeGreaterThan(0);
  });

  it('logs every search in search history', async () => {
    await storage.createEntry(entry());
    await storage.search('S0C7');
    await storage.search('nothing-matches-this');
    const history = await storage.getSearchHistory();
    expect(history.map((h) => [h.query, h.resultCount])).toEqual([
      ['nothing-matches-this', 0],
      ['S0C7', 1],
    ]);
  });

  it('refuses use after close', async () => {
    await storage.close();
    await expect(storage.createEntry(entry())).rejects.toMatchObject({ code: 'CLOSED' });
    storage = await createStorage({ database: { path: join(dir, 'kb.db') } });
  });

  it('closes at once while another process writes: the optimisation on close is skipped, not waited for', async () => {
    // Enough rows and an indexed lookup for PRAGMA optimize to want to ANALYZE on close.
    await storage.createEntries(Array.from({ length: 300 }, (_, i) => entry({ title: `Entry ${i} S0C7` })));
    for (let i = 0; i < 3; i++) await storage.listEntries({ category: 'cobol', limit: 5 });
    const other = new BetterSqlite3(join(dir, 'kb.db'));
    try {
      other.exec('begin immediate');
      const started = performance.now();
      await storage.close();
      // Not the busy timeout (15 s): close never waits for the other writer.
      expect(performance.now() - started).toBeLessThan(2_000);
      other.exec('rollback');
    } finally {
      other.close();
    }
    storage = await createStorage({ database: { path: join(dir, 'kb.db') } });
    expect(await storage.countEntries()).toBe(300);
  });
});

describe('robustness (findings of the review)', () => {
  it('isolates listeners: a throwing or rejecting one is reported and the others still run', async () => {
    const seen: string[] = [];
    const errors: string[] = [];
    storage.on('storage:error', (e) => errors.push(e.message));
    storage.on('entry:created', () => {
      throw new Error('sync bug');
    });
    storage.on('entry:created', (async () => {
      throw new Error('async bug');
    }) as unknown as () => void);
    storage.on('entry:created', ({ entry: e }) => seen.push(e.id));
    const id = await storage.createEntry(entry());
    await new Promise((resolve) => setImmediate(resolve));
    expect(seen).toEqual([id]);
    expect(errors.sort()).toEqual(['Error: async bug', 'Error: sync bug']);
  });

  it('refuses an actor whose role is not one of viewer, editor, admin', async () => {
    const error = await createStorage(
      { database: { path: join(dir, 'kb.db') } },
      { actor: { id: 'mallory', role: 'superuser' as 'admin' } },
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues.map((i) => i.path)).toContain('actor.role');
  });

  it('refuses a store call made inside a write instead of waiting for it forever', async () => {
    let inner: unknown;
    const plugin = definePlugin({
      id: 'nested',
      version: '1.0.0',
      mvp: 2,
      setup: (ctx) => ({
        api: {
          run: (s: Storage) =>
            ctx.write('nested.run', async () => {
              inner = await s.countEntries().catch((e: unknown) => e);
            }),
        },
        permissions: { 'nested.run': 'editor' },
      }),
    });
    const s = await createStorage({ database: { path: join(dir, 'nested.db') } }, { plugins: [plugin] });
    try {
      await s.plugin(plugin).run(s);
      expect(inner).toMatchObject({ code: 'UNSUPPORTED' });
      expect(await s.countEntries()).toBe(0); // the store is still usable
    } finally {
      await s.close();
    }
  });

  it('refuses extensions that would redefine or shadow core rules', async () => {
    expect(() => definePlugin({ id: 'entry', version: '1.0.0', mvp: 2 })).toThrow(/reserved/);
    const sneaky = definePlugin({
      id: 'sneaky',
      version: '1.0.0',
      mvp: 2,
      setup: () => ({ permissions: { 'entry.delete': 'viewer' } }),
    });
    await expect(
      createStorage({ database: { path: join(dir, 'sneaky.db') } }, { plugins: [sneaky] }),
    ).rejects.toMatchObject({ code: 'EXTENSION_INVALID' });
  });

  it('closes the database even when an extension fails to stop, and stops started extensions when one fails to start', async () => {
    const stopped: string[] = [];
    const failingStop = definePlugin({
      id: 'failing-stop',
      version: '1.0.0',
      mvp: 2,
      setup: () => ({
        stop: () => {
          throw new Error('stop failed');
        },
      }),
    });
    const s = await createStorage({ database: { path: join(dir, 'stop.db') } }, { plugins: [failingStop] });
    await expect(s.close()).rejects.toThrow(/stop failed/);
    expect((dialectOf(s) as unknown as { sqlite: { open: boolean } }).sqlite.open).toBe(false);

    const first = definePlugin({
      id: 'first',
      version: '1.0.0',
      mvp: 2,
      setup: () => ({ stop: () => void stopped.push('first') }),
    });
    const broken = definePlugin({
      id: 'broken',
      version: '1.0.0',
      mvp: 2,
      setup: () => {
        throw new Error('setup failed');
      },
    });
    await expect(
      createStorage({ database: { path: join(dir, 'start.db') } }, { plugins: [first, broken] }),
    ).rejects.toMatchObject({ code: 'EXTENSION_INVALID' });
    expect(stopped).toEqual(['first']);
  });

  it('hands each caller its own copy of a cached search response', async () => {
    await storage.createEntry(entry());
    const first = await storage.search('S0C7');
    first.results[0]!.entry.title = 'POISONED';
    const second = await storage.search('S0C7');
    expect(second.results[0]?.entry.title).toBe('S0C7 data exception in PAYROLL');
    expect((await storage.getMetrics()).cache.hits).toBe(1);
  });

  it('validates every option bag, so bad input is a ValidationError and changes nothing', async () => {
    const id = await storage.createEntry(entry());
    await expect(storage.updateEntry(id, { title: undefined })).rejects.toBeInstanceOf(ValidationError);
    expect((await storage.getEntry(id)).version).toBe(1);
    await expect(storage.recordUsage(id, 'view', { sessionId: 'x'.repeat(1_000) })).rejects.toBeInstanceOf(
      ValidationError,
    );
    await expect(
      storage.recordUsage(id, 'view', null as unknown as { userId?: string }),
    ).rejects.toBeInstanceOf(ValidationError);
    await expect(storage.getSearchHistory({ since: 'yesterday' })).rejects.toBeInstanceOf(ValidationError);
    expect(() => storage.replayEvents({ batchSize: Number.NaN })).toThrow(ValidationError);
    // One ligature (U+FDFA) normalises to 18 characters: the limit holds on the stored form.
    await expect(storage.createEntry(entry({ tags: ['\uFDFA'.repeat(3)] }))).rejects.toBeInstanceOf(
      ValidationError,
    );
    expect((await storage.getEntry(id)).usageCount).toBe(0);
  });
});
