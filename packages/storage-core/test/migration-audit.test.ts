import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createStorage, type Storage } from '../src/index.js';
import { dialectOf } from '../src/storage.js';
import { gadgets } from './support/gadgets-plugin.js';

const entry = (title: string) => ({
  title,
  problem: `${title}: the job ended abnormally`,
  solution: 'Correct the input and restart the step.',
  category: 'jcl',
});

let dir: string;
let path: string;
const open: Storage[] = [];

async function store(plugins = [] as (typeof gadgets)[], actor = { id: 'ops', role: 'admin' as const }) {
  const s = await createStorage({ database: { path } }, { plugins, actor });
  open.push(s);
  return s;
}

async function auditRows(storage: Storage) {
  return dialectOf(storage)
    .db.selectFrom('kb_audit')
    .select(['action', 'entity', 'entity_id', 'actor', 'detail'])
    .orderBy('seq')
    .execute();
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'kb-migration-audit-'));
  path = join(dir, 'kb.db');
});

afterEach(async () => {
  for (const s of open.splice(0)) await s.close().catch(() => {});
  rmSync(dir, { recursive: true, force: true });
});

describe('migrations in the audit trail', () => {
  it('writes no row for the run that creates a store: the audit trail does not exist before it', async () => {
    const storage = await store([gadgets]);
    expect(await auditRows(storage)).toEqual([]);
    expect(await storage.verifyAuditChain()).toEqual({ ok: true, rows: 0 });
  });

  it('records each step applied or rolled back later, in the step’s transaction, with who ran it', async () => {
    await (await store()).createEntry(entry('S0C7'));
    await open.pop()!.close();
    const storage = await store([gadgets]);
    let rows = await auditRows(storage);
    expect(rows.at(-1)).toMatchObject({
      action: 'migrate-up',
      entity: 'migration',
      entity_id: 'gadgets:0001_gadgets',
      actor: 'ops',
    });
    expect(JSON.parse(rows.at(-1)!.detail!)).toMatchObject({
      checksum: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    const down = await storage.migrateDown({ to: 'gadgets:' });
    expect(down.error).toBeUndefined();
    rows = await auditRows(storage);
    expect(rows.at(-1)).toMatchObject({
      action: 'migrate-down',
      entity: 'migration',
      entity_id: 'gadgets:0001_gadgets',
    });
    const up = await storage.migrateUp();
    expect(up.error).toBeUndefined();
    rows = await auditRows(storage);
    expect(rows.map((r) => r.action)).toEqual(['create', 'migrate-up', 'migrate-down', 'migrate-up']);
    expect(await storage.verifyAuditChain()).toEqual({ ok: true, rows: 4 });
  });

  it('keeps the audit rows out of the migrations’ SQL, so their checksums do not change', async () => {
    await (await store()).createEntry(entry('S0C7'));
    await open.pop()!.close();
    const storage = await store([gadgets]);
    const plan = await storage.planMigrations({ direction: 'down', to: 'gadgets:' });
    expect(plan.steps[0]!.statements.map((s) => s.sql).join('\n')).not.toMatch(/kb_audit/);
    const status = await storage.migrationStatus();
    const applied = status.namespaces.find((n) => n.namespace === 'gadgets')!.applied[0]!;
    expect(applied.checksum).toBe(plan.steps[0]!.checksum);
  });

  it('refuses to roll back the audit and event tables while they hold rows, naming each and its count', async () => {
    const storage = await store();
    await storage.createEntries([entry('S0C7'), entry('S0C4')]);
    const before = await storage.migrationStatus();
    const down = await storage.migrateDown({ to: 'core:0001_knowledge_base' });
    expect(down.results).toEqual([]);
    expect(down.error).toMatchObject({ code: 'MIGRATION_IRREVERSIBLE' });
    expect(down.error!.message).toMatch(/core:0002_events_audit would drop kb_audit, which holds 2 rows/);
    expect(down.error!.message).toMatch(/kb_events, which holds 2 rows/);
    expect(down.error!.message).toMatch(/core:0005_audit_keys would drop kb_audit/);
    expect(down.error!.details).toMatchObject({
      held: expect.arrayContaining([{ migration: 'core:0002_events_audit', table: 'kb_audit', rows: 2 }]),
    });
    expect(await storage.migrationStatus()).toEqual(before);
    expect(await storage.verifyAuditChain()).toEqual({ ok: true, rows: 2 });
    // The next open finds the trail as it was, not recreated empty.
    await storage.close();
    expect(await (await store()).verifyAuditChain()).toEqual({ ok: true, rows: 2 });
  });

  it('rolls an empty store all the way back and up again', async () => {
    const storage = await store();
    const down = await storage.migrateDown({ to: 'core:0001_knowledge_base' });
    expect(down.error).toBeUndefined();
    expect(down.results.map((r) => r.id)).toContain('0002_events_audit');
    const up = await storage.migrateUp();
    expect(up.error).toBeUndefined();
    // Neither run could record itself: the first removed the trail, the second brought it back.
    expect(await auditRows(storage)).toEqual([]);
  });
});
