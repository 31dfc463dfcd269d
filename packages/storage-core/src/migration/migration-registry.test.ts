import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseStorageConfig } from '../config/storage-config.js';
import { SqliteDialectAdapter } from '../dialect/sqlite/sqlite-adapter.js';
import { StorageErrorCode } from '../errors/error-codes.js';
import { CHECKSUM_ALGORITHM } from './migration-checksum.js';
import { MigrationRegistry } from './migration-registry.js';
import type { MigrationAdapter, MigrationProgressEvent } from './migration-registry-types.js';
import type { Migration, MigrationNamespace } from './migration-types.js';

let dir: string;
let adapters: SqliteDialectAdapter[];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'kb-migration-'));
  adapters = [];
});

afterEach(async () => {
  for (const adapter of adapters) await adapter.close();
  rmSync(dir, { recursive: true, force: true });
});

function open(path = join(dir, 'kb.db')): SqliteDialectAdapter {
  const adapter = SqliteDialectAdapter.open(parseStorageConfig({ database: { path } }));
  adapters.push(adapter);
  return adapter;
}

/** A migration that creates (and drops) a one-column table. */
const table = (id: string, name: string, extra: Partial<Migration> = {}): Migration => ({
  id,
  async up(db) {
    await db.schema
      .createTable(name)
      .addColumn('id', 'integer', (c) => c.primaryKey())
      .execute();
  },
  async down(db) {
    await db.schema.dropTable(name).execute();
  },
  ...extra,
});

const failing = (id: string): Migration => ({
  id,
  async up(db) {
    await db.schema.createTable('half_done').addColumn('id', 'integer').execute();
    await sql`insert into no_such_table values (1)`.execute(db);
  },
});

const core = (...migrations: Migration[]): MigrationNamespace => ({
  namespace: 'core',
  dependsOn: [],
  migrations,
});
const plugin = (namespace: string, ...migrations: Migration[]): MigrationNamespace => ({
  namespace,
  dependsOn: ['core'],
  migrations,
});

function schemaOf(adapter: SqliteDialectAdapter): unknown[] {
  return adapter.sqlite
    .prepare('select type, name, tbl_name, sql from sqlite_master order by type, name')
    .all();
}

function ledgerOf(adapter: SqliteDialectAdapter): Record<string, unknown>[] {
  return adapter.sqlite.prepare('select * from kb_migrations order by namespace, id').all() as Record<
    string,
    unknown
  >[];
}

function tables(adapter: SqliteDialectAdapter): string[] {
  return (
    adapter.sqlite
      .prepare(
        "select name from sqlite_master where type = 'table' and name not like 'sqlite_%' order by name",
      )
      .all() as { name: string }[]
  ).map((t) => t.name);
}

/** The adapter with other capabilities, as a dialect without transactional DDL or snapshots would have. */
function withCapabilities(
  adapter: SqliteDialectAdapter,
  caps: Partial<MigrationAdapter['capabilities']>,
): MigrationAdapter {
  return {
    name: adapter.name,
    capabilities: { ...adapter.capabilities, ...caps },
    columnTypes: adapter.columnTypes,
    appendOnlyGuard: adapter.appendOnlyGuard,
    db: adapter.db,
    writeTransaction: (fn) => adapter.writeTransaction(fn),
    readTransaction: (fn) => adapter.readTransaction(fn),
    migrationTransaction: (fn) => adapter.migrationTransaction(fn),
    acquireMigrationLock: (owner, timeoutMs) => adapter.acquireMigrationLock(owner, timeoutMs),
    snapshot: () => adapter.snapshot(),
  };
}

describe('up', () => {
  it('applies namespaces in dependency order, each migration with its ledger row', async () => {
    const adapter = open();
    const registry = new MigrationRegistry(adapter, [
      plugin('patterns', table('0001', 'incidents')),
      core(table('0001', 'entries'), table('0002', 'tags')),
    ]);
    const { results, error } = await registry.up();
    expect(error).toBeUndefined();
    expect(results.map((r) => `${r.namespace}:${r.id}:${r.status}`)).toEqual([
      'core:0001:applied',
      'core:0002:applied',
      'patterns:0001:applied',
    ]);
    expect(tables(adapter)).toEqual(['entries', 'incidents', 'kb_migration_lock', 'kb_migrations', 'tags']);
    const ledger = ledgerOf(adapter);
    expect(ledger.map((r) => `${r.namespace}:${r.id}:${r.status}`)).toEqual([
      'core:0001:applied',
      'core:0002:applied',
      'patterns:0001:applied',
    ]);
    for (const row of ledger) {
      expect(row.checksum).toMatch(/^[0-9a-f]{64}$/);
      expect(row.checksum_algorithm).toBe(CHECKSUM_ALGORITHM);
      expect(row.applied_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      expect(typeof row.duration_ms).toBe('number');
    }
    // The lock is released after the run.
    expect(adapter.sqlite.prepare('select count(*) as n from kb_migration_lock').get()).toEqual({ n: 0 });
  });

  it('does nothing, and writes nothing, when everything is applied', async () => {
    const path = join(dir, 'kb.db');
    const adapter = open(path);
    const namespaces = [core(table('0001', 'entries'))];
    await new MigrationRegistry(adapter, namespaces).up();
    adapter.sqlite.pragma('wal_checkpoint(TRUNCATE)');
    const before = readFileSync(path);
    const walBefore = readFileSync(`${path}-wal`);
    const again = await new MigrationRegistry(adapter, namespaces).up();
    expect(again).toEqual({ results: [] });
    expect(readFileSync(path).equals(before)).toBe(true);
    expect(readFileSync(`${path}-wal`).equals(walBefore)).toBe(true);
  });

  it('stops after the target and what it depends on', async () => {
    const adapter = open();
    const namespaces = [
      core(table('0001', 'a'), table('0002', 'b'), table('0003', 'c')),
      plugin('patterns', table('0001', 'p1'), table('0002', 'p2')),
    ];
    const registry = new MigrationRegistry(adapter, namespaces);
    const first = await registry.up({ to: 'core:0002' });
    expect(first.results.map((r) => `${r.namespace}:${r.id}`)).toEqual(['core:0001', 'core:0002']);
    const second = await registry.up({ to: 'patterns:0001' });
    expect(second.results.map((r) => `${r.namespace}:${r.id}`)).toEqual(['core:0003', 'patterns:0001']);
    expect((await registry.status()).pendingCount).toBe(1);
  });

  it('refuses an unknown target without touching the store', async () => {
    const adapter = open();
    const registry = new MigrationRegistry(adapter, [core(table('0001', 'a'))]);
    const bad = await registry.up({ to: 'core:9999' });
    expect(bad.error?.code).toBe(StorageErrorCode.VALIDATION);
    expect(bad.error?.message).toContain("namespace 'core' declares: 0001");
    expect((await registry.up({ to: 'nope' })).error?.code).toBe(StorageErrorCode.VALIDATION);
    expect(tables(adapter)).toEqual([]);
  });

  it('reports progress for each phase', async () => {
    const adapter = open();
    const events: MigrationProgressEvent[] = [];
    const registry = new MigrationRegistry(adapter, [core(table('0001', 'a'), table('0002', 'b'))], {
      onProgress: (e) => {
        events.push(e);
        throw new Error('a broken progress bar');
      },
    });
    const { error } = await registry.up();
    expect(error).toBeUndefined();
    expect(events.map((e) => `${e.phase}:${e.id ?? '-'}:${e.index}/${e.total}`)).toEqual([
      'snapshot:-:0/2',
      'migrate:0001:0/2',
      'migrate:0002:1/2',
    ]);
  });

  it('refuses with MIGRATION_LOCKED, naming the holder, while another migration holds the lock', async () => {
    const adapter = open();
    const held = await adapter.acquireMigrationLock('kb migrate (other terminal)', 1_000);
    try {
      const registry = new MigrationRegistry(adapter, [core(table('0001', 'a'))], { lockTimeoutMs: 300 });
      const started = Date.now();
      const { results, error } = await registry.up();
      expect(Date.now() - started).toBeGreaterThanOrEqual(280);
      expect(results).toEqual([]);
      expect(error?.code).toBe(StorageErrorCode.MIGRATION_LOCKED);
      expect(error?.message).toContain('kb migrate (other terminal)');
      expect(tables(adapter)).not.toContain('a');
    } finally {
      await held.release();
    }
  });
});

describe('a failing migration', () => {
  it('restores the pre-migration snapshot, so the steps before it are rolled back too', async () => {
    const path = join(dir, 'kb.db');
    const adapter = open(path);
    const base = core(table('0001', 'entries'));
    await new MigrationRegistry(adapter, [base]).up();
    adapter.sqlite.prepare('insert into entries (id) values (1), (2)').run();
    const schemaBefore = schemaOf(adapter);
    const ledgerBefore = ledgerOf(adapter);

    const events: string[] = [];
    const registry = new MigrationRegistry(
      adapter,
      [core(...base.migrations, table('0002', 'tags'), table('0003', 'relations'), failing('0004'))],
      { onProgress: (e) => events.push(`${e.phase}:${e.id ?? '-'}`) },
    );
    const { results, error, snapshot } = await registry.up();

    expect(results.map((r) => `${r.id}:${r.status}`)).toEqual([
      '0002:rolled-back',
      '0003:rolled-back',
      '0004:failed',
    ]);
    expect(results[2]?.error?.code).toBe(StorageErrorCode.MIGRATION_FAILED);
    expect(error?.code).toBe(StorageErrorCode.MIGRATION_FAILED);
    expect(error?.message).toContain('core:0004');
    expect(error?.message).toContain('no such table: no_such_table');
    expect(error?.message).toContain('restored from the pre-migration snapshot');
    expect(error?.details.results).toEqual([
      'core:0002 rolled-back',
      'core:0003 rolled-back',
      'core:0004 failed',
    ]);
    expect(events).toEqual(['snapshot:-', 'migrate:0002', 'migrate:0003', 'migrate:0004', 'restore:-']);

    expect(schemaOf(adapter)).toEqual(schemaBefore);
    expect(ledgerOf(adapter)).toEqual(ledgerBefore);
    expect(adapter.sqlite.prepare('select id from entries order by id').all()).toEqual([
      { id: 1 },
      { id: 2 },
    ]);
    expect(adapter.sqlite.pragma('quick_check', { simple: true })).toBe('ok');
    expect(snapshot?.outcome).toBe('restored');
    expect(readdirSync(dir).filter((f) => f.includes('.pre-migrate-'))).toEqual([]);

    // The store stays usable and migrates once the migration is fixed.
    const fixed = new MigrationRegistry(adapter, [
      core(...base.migrations, table('0002', 'tags'), table('0003', 'relations'), table('0004', 'links')),
    ]);
    expect((await fixed.up()).results.map((r) => r.status)).toEqual(['applied', 'applied', 'applied']);
  });

  it('skips the steps after it', async () => {
    const adapter = open();
    const { results } = await new MigrationRegistry(adapter, [
      core(table('0001', 'a'), failing('0002'), table('0003', 'c')),
    ]).up();
    expect(results.map((r) => `${r.id}:${r.status}`)).toEqual([
      '0001:rolled-back',
      '0002:failed',
      '0003:skipped',
    ]);
    expect(tables(adapter)).not.toContain('a');
  });

  it('in memory, where there is no snapshot, leaves the earlier steps applied and says so', async () => {
    const adapter = open(':memory:');
    const { results, error, snapshot } = await new MigrationRegistry(adapter, [
      core(table('0001', 'a'), table('0002', 'b'), failing('0003')),
    ]).up();
    expect(results.map((r) => `${r.id}:${r.status}`)).toEqual([
      '0001:applied',
      '0002:applied',
      '0003:failed',
    ]);
    expect(error?.message).toContain('2 earlier step(s) of this run stay applied');
    expect(snapshot).toBeUndefined();
    expect(ledgerOf(adapter).map((r) => r.id)).toEqual(['0001', '0002']);
    expect(tables(adapter)).not.toContain('half_done');
  });

  it('as the first step only rolls its own transaction back', async () => {
    const adapter = open();
    const { results, error, snapshot } = await new MigrationRegistry(adapter, [core(failing('0001'))]).up();
    expect(results.map((r) => r.status)).toEqual(['failed']);
    expect(error?.message).toContain('no earlier step of this run had applied');
    expect(snapshot?.outcome).toBe('discarded');
    expect(tables(adapter)).toEqual(['kb_migration_lock', 'kb_migrations']);
  });
});

describe('without transactional DDL', () => {
  it('writes a running row first, marks it failed on error, and refuses the next run until repaired', async () => {
    const adapter = open();
    const mysqlLike = withCapabilities(adapter, {
      transactionalDdl: false,
      lockingReads: true,
      migrationSnapshot: false,
    });
    const statusDuringRun: unknown[] = [];
    const observing: Migration = {
      id: '0002',
      async up(db) {
        statusDuringRun.push(
          ...(await db
            .selectFrom('kb_migrations')
            .select(['id', 'status'])
            .where('id', '=', '0002')
            .execute()),
        );
        await sql`insert into no_such_table values (1)`.execute(db);
      },
    };
    const first = await new MigrationRegistry(mysqlLike, [core(table('0001', 'a'), observing)]).up();
    expect(first.results.map((r) => `${r.id}:${r.status}`)).toEqual(['0001:applied', '0002:failed']);
    expect(statusDuringRun).toEqual([{ id: '0002', status: 'running' }]);
    const failedRow = ledgerOf(adapter).find((r) => r.id === '0002');
    expect(failedRow?.status).toBe('failed');
    expect(failedRow?.error).toContain('no_such_table');

    const fixed = new MigrationRegistry(mysqlLike, [core(table('0001', 'a'), table('0002', 'b'))]);
    const refused = await fixed.up();
    expect(refused.error?.code).toBe(StorageErrorCode.MIGRATION_DRIFT);
    expect(refused.error?.message).toContain("core:0002 was left 'failed'");
    expect(refused.error?.message).toContain('repair({ clearFailed: true })');

    const repaired = await fixed.repair({ clearFailed: true });
    expect(repaired.changes).toEqual([{ action: 'failed-cleared', namespace: 'core', id: '0002' }]);
    const done = await fixed.up();
    expect(done.error).toBeUndefined();
    expect(ledgerOf(adapter).map((r) => `${r.id}:${r.status}`)).toEqual(['0001:applied', '0002:applied']);
  });

  it('rolls back through a running row as well', async () => {
    const adapter = open();
    const mysqlLike = withCapabilities(adapter, {
      transactionalDdl: false,
      lockingReads: true,
      migrationSnapshot: false,
    });
    const registry = new MigrationRegistry(mysqlLike, [core(table('0001', 'a'), table('0002', 'b'))]);
    await registry.up();
    const { results, error } = await registry.down({ to: 'core:0001' });
    expect(error).toBeUndefined();
    expect(results.map((r) => `${r.id}:${r.direction}:${r.status}`)).toEqual(['0002:down:reverted']);
    expect(ledgerOf(adapter).map((r) => r.id)).toEqual(['0001']);
  });
});

describe('ledger validation', () => {
  it('refuses checksum drift, changes nothing, and repair accepts the new SQL', async () => {
    const adapter = open();
    await new MigrationRegistry(adapter, [core(table('0001', 'a'))]).up();
    const ledgerBefore = ledgerOf(adapter);
    const changed: Migration = {
      id: '0001',
      async up(db) {
        await db.schema
          .createTable('a')
          .addColumn('id', 'integer', (c) => c.primaryKey().notNull())
          .execute();
      },
    };
    const registry = new MigrationRegistry(adapter, [core(changed, table('0002', 'b'))]);
    const { results, error } = await registry.up();
    expect(results).toEqual([]);
    expect(error?.code).toBe(StorageErrorCode.MIGRATION_DRIFT);
    expect(error?.message).toContain('core:0001 was changed after it was applied');
    expect(error?.message).toContain('repair({ acceptChecksums: true })');
    expect(ledgerOf(adapter)).toEqual(ledgerBefore);
    expect(tables(adapter)).not.toContain('b');

    const status = await registry.status();
    expect(status.problems.map((p) => `${p.kind}:${p.namespace}:${p.id}`)).toEqual(['checksum:core:0001']);
    expect(status.namespaces[0]?.problems).toHaveLength(1);

    const repaired = await registry.repair({ acceptChecksums: true });
    expect(repaired.changes).toHaveLength(1);
    expect(repaired.changes[0]).toMatchObject({ action: 'checksum-accepted', namespace: 'core', id: '0001' });
    expect(repaired.remaining).toEqual([]);
    expect(ledgerOf(adapter)[0]?.checksum).not.toBe(ledgerBefore[0]?.checksum);
    expect((await registry.up()).results.map((r) => r.id)).toEqual(['0002']);
  });

  it('refuses a migration inserted before an applied one', async () => {
    const adapter = open();
    await new MigrationRegistry(adapter, [core(table('0001', 'a'), table('0003', 'c'))]).up();
    const registry = new MigrationRegistry(adapter, [
      core(table('0001', 'a'), table('0002', 'b'), table('0003', 'c')),
    ]);
    const { error } = await registry.up();
    expect(error?.code).toBe(StorageErrorCode.MIGRATION_DRIFT);
    expect(error?.message).toContain('core:0002 is declared but not applied, while the later core:0003 is');
    expect(tables(adapter)).not.toContain('b');
    // Repair cannot fix this one: it needs the code changed.
    const repaired = await registry.repair({ acceptChecksums: true, forgetUnknown: true, clearFailed: true });
    expect(repaired.changes).toEqual([]);
    expect(repaired.remaining.map((p) => p.kind)).toEqual(['missing']);
  });

  it('refuses an applied migration the code does not declare; repair can forget it', async () => {
    const adapter = open();
    await new MigrationRegistry(adapter, [core(table('0001', 'a'), table('0002', 'b'))]).up();
    const older = new MigrationRegistry(adapter, [core(table('0001', 'a'))]);
    const { error } = await older.up();
    expect(error?.code).toBe(StorageErrorCode.MIGRATION_DRIFT);
    expect(error?.message).toContain('core:0002 is applied in the database but not declared');
    expect((await older.repair({ forgetUnknown: true })).changes).toEqual([
      { action: 'unknown-forgotten', namespace: 'core', id: '0002' },
    ]);
    expect(ledgerOf(adapter).map((r) => r.id)).toEqual(['0001']);
    expect((await older.up()).error).toBeUndefined();
  });

  it('opens fine with ledger rows of a namespace this process does not register, reporting it dormant', async () => {
    const adapter = open();
    await new MigrationRegistry(adapter, [
      core(table('0001', 'a')),
      plugin('patterns', table('0001', 'incidents')),
    ]).up();
    const coreOnly = new MigrationRegistry(adapter, [core(table('0001', 'a'), table('0002', 'b'))]);
    const { results, error } = await coreOnly.up();
    expect(error).toBeUndefined();
    expect(results.map((r) => r.id)).toEqual(['0002']);
    const status = await coreOnly.status();
    expect(status.problems).toEqual([]);
    expect(status.dormant.map((d) => [d.namespace, d.applied.map((a) => a.id)])).toEqual([
      ['patterns', ['0001']],
    ]);
    expect(ledgerOf(adapter).filter((r) => r.namespace === 'patterns')).toHaveLength(1);
  });

  it('repair refuses to run without being told what to fix', async () => {
    const registry = new MigrationRegistry(open(), [core(table('0001', 'a'))]);
    await expect(registry.repair({})).rejects.toMatchObject({ code: StorageErrorCode.VALIDATION });
  });
});

describe('status and plan', () => {
  it('status lists applied and pending migrations per namespace', async () => {
    const adapter = open();
    const namespaces = [
      core(table('0001', 'a', { description: 'first' }), table('0002', 'b', { description: 'second' })),
    ];
    await new MigrationRegistry(adapter, namespaces).up({ to: 'core:0001' });
    const status = await new MigrationRegistry(adapter, namespaces).status();
    expect(status.pendingCount).toBe(1);
    const [ns] = status.namespaces;
    expect(ns?.applied.map((a) => a.id)).toEqual(['0001']);
    expect(ns?.applied[0]?.checksum).toMatch(/^[0-9a-f]{64}$/);
    expect(ns?.pending).toEqual([{ id: '0002', description: 'second' }]);
  });

  it('plan() returns the pending steps with their SQL and the checksum up() records', async () => {
    const adapter = open();
    const base = core(table('0001', 'a'));
    await new MigrationRegistry(adapter, [base]).up();
    const ledgerBefore = ledgerOf(adapter);

    const registry = new MigrationRegistry(adapter, [core(...base.migrations, table('0002', 'b'))]);
    const plan = await registry.plan();
    expect(plan.steps).toHaveLength(1);
    expect(plan.steps[0]).toMatchObject({
      namespace: 'core',
      id: '0002',
      direction: 'up',
      irreversible: false,
    });
    expect(plan.steps[0]?.statements).toEqual([
      { sql: 'create table "b" ("id" integer primary key)', parameters: [] },
    ]);
    expect(plan.problems).toEqual([]);
    expect(ledgerOf(adapter)).toEqual(ledgerBefore);
    expect(tables(adapter)).not.toContain('b');

    // The checksum planned is the one the ledger then records.
    await registry.up();
    const recorded = ledgerOf(adapter).find((r) => r.id === '0002');
    expect(recorded?.checksum).toBe(plan.steps[0]?.checksum);
  });

  it('plan() leaves the file byte for byte as it was, and does not create the ledger', async () => {
    const path = join(dir, 'kb.db');
    const adapter = open(path);
    adapter.sqlite.exec('create table unrelated (x)');
    adapter.sqlite.pragma('wal_checkpoint(TRUNCATE)');
    const fileBefore = readFileSync(path);
    const walBefore = readFileSync(`${path}-wal`);
    const schemaBefore = schemaOf(adapter);

    const registry = new MigrationRegistry(adapter, [core(table('0001', 'a'), table('0002', 'b'))]);
    const plan = await registry.plan();
    await registry.status();
    expect(plan.steps.map((s) => s.id)).toEqual(['0001', '0002']);
    expect(schemaOf(adapter)).toEqual(schemaBefore);
    expect(readFileSync(path).equals(fileBefore)).toBe(true);
    expect(readFileSync(`${path}-wal`).equals(walBefore)).toBe(true);
  });

  it('plan() of down lists the rollback SQL, dependents first', async () => {
    const adapter = open();
    const registry = new MigrationRegistry(adapter, [
      core(table('0001', 'a'), table('0002', 'b')),
      plugin('patterns', table('0001', 'p')),
    ]);
    await registry.up();
    const plan = await registry.plan({ direction: 'down', to: 'core:0001' });
    expect(plan.steps.map((s) => `${s.namespace}:${s.id}`)).toEqual(['patterns:0001', 'core:0002']);
    expect(plan.steps[0]?.statements).toEqual([{ sql: 'drop table "p"', parameters: [] }]);
    expect(tables(adapter)).toContain('p');
  });
});

describe('down', () => {
  it('rolls back what was applied after the target, dependents first, each with its ledger row', async () => {
    const adapter = open();
    const registry = new MigrationRegistry(adapter, [
      core(table('0001', 'a'), table('0002', 'b'), table('0003', 'c')),
      plugin('patterns', table('0001', 'p')),
      { namespace: 'other', dependsOn: [], migrations: [table('0001', 'o')] },
    ]);
    await registry.up();
    const { results, error } = await registry.down({ to: 'core:0001' });
    expect(error).toBeUndefined();
    expect(results.map((r) => `${r.namespace}:${r.id}:${r.direction}:${r.status}`)).toEqual([
      'patterns:0001:down:reverted',
      'core:0003:down:reverted',
      'core:0002:down:reverted',
    ]);
    expect(tables(adapter)).toEqual(['a', 'kb_migration_holds', 'kb_migration_lock', 'kb_migrations', 'o']);
    expect(ledgerOf(adapter).map((r) => `${r.namespace}:${r.id}`)).toEqual(['core:0001', 'other:0001']);
  });

  it('holds what it reverted: an up that respects holds leaves it, an explicit up applies and releases', async () => {
    const adapter = open();
    const registry = new MigrationRegistry(adapter, [
      core(table('0001', 'a')),
      plugin('patterns', table('0001', 'p'), table('0002', 'q')),
      { namespace: 'other', dependsOn: [], migrations: [table('0001', 'o')] },
    ]);
    await registry.up({ to: 'core:0001' });
    await registry.up({ to: 'patterns:0001' });
    expect((await registry.down({ to: 'patterns:' })).error).toBeUndefined();
    expect((await registry.holds()).map((h) => [h.namespace, h.to])).toEqual([['patterns', 'patterns:']]);
    const status = await registry.status();
    expect(status.namespaces.find((n) => n.namespace === 'patterns')?.held?.to).toBe('patterns:');

    // What opening a store does: everything else pending is applied, the held namespace is left alone.
    const auto = await registry.up({ respectHolds: true });
    expect(auto.results.map((r) => `${r.namespace}:${r.id}`)).toEqual(['other:0001']);
    expect(tables(adapter)).not.toContain('p');
    expect((await registry.up({ respectHolds: true })).results).toEqual([]);

    // An explicit up of another namespace leaves the hold; one that covers it applies and releases it.
    const explicit = await registry.up({ to: 'patterns:0002' });
    expect(explicit.results.map((r) => `${r.namespace}:${r.id}:${r.status}`)).toEqual([
      'patterns:0001:applied',
      'patterns:0002:applied',
    ]);
    expect(await registry.holds()).toEqual([]);
    expect(tables(adapter)).toContain('q');
  });

  it('keeps the hold through a partial up, and holds what depends on a held namespace', async () => {
    const adapter = open();
    const registry = new MigrationRegistry(adapter, [
      core(table('0001', 'a')),
      plugin('patterns', table('0001', 'p'), table('0002', 'q'), table('0003', 'r')),
      { namespace: 'child', dependsOn: ['patterns'], migrations: [table('0001', 'c')] },
    ]);
    await registry.up({ to: 'core:0001' });
    await registry.up({ to: 'patterns:0003' });
    expect((await registry.down({ to: 'patterns:0001' })).error).toBeUndefined();
    expect(registry.heldClosure(await registry.holds()).sort()).toEqual(['child', 'patterns']);
    // Opening leaves the held namespace and the one depending on it alone.
    expect((await registry.up({ respectHolds: true })).results).toEqual([]);
    expect(tables(adapter)).not.toContain('c');
    // An explicit up that stops short of the end keeps the hold: the next open must not finish the job.
    await registry.up({ to: 'patterns:0002' });
    expect((await registry.holds()).map((h) => h.namespace)).toEqual(['patterns']);
    expect((await registry.up({ respectHolds: true })).results).toEqual([]);
    expect(tables(adapter)).not.toContain('r');
    await registry.up();
    expect(await registry.holds()).toEqual([]);
    expect(tables(adapter)).toEqual(expect.arrayContaining(['c', 'r']));
  });

  it("rolls a whole namespace back with 'namespace:'", async () => {
    const adapter = open();
    const registry = new MigrationRegistry(adapter, [
      core(table('0001', 'a')),
      plugin('patterns', table('0001', 'p')),
    ]);
    await registry.up();
    const { results } = await registry.down({ to: 'patterns:' });
    expect(results.map((r) => `${r.namespace}:${r.id}`)).toEqual(['patterns:0001']);
    expect(tables(adapter)).not.toContain('p');
  });

  it('refuses before changing anything when a step on the way is irreversible or has no down()', async () => {
    const adapter = open();
    const noDown: Migration = { id: '0003', up: table('0003', 'c').up };
    const registry = new MigrationRegistry(adapter, [
      core(
        table('0001', 'a'),
        { ...table('0002', 'b'), down: undefined, irreversible: 'drops the old column' },
        noDown,
      ),
      plugin('patterns', table('0001', 'p')),
    ]);
    await registry.up();
    const schemaBefore = schemaOf(adapter);
    const ledgerBefore = ledgerOf(adapter);
    const { results, error } = await registry.down({ to: 'core:0001' });
    expect(results).toEqual([]);
    expect(error?.code).toBe(StorageErrorCode.MIGRATION_IRREVERSIBLE);
    expect(error?.message).toContain('core:0002 (drops the old column)');
    expect(error?.message).toContain('core:0003 (it has no down())');
    expect(schemaOf(adapter)).toEqual(schemaBefore);
    expect(ledgerOf(adapter)).toEqual(ledgerBefore);
    expect(ledgerOf(adapter).find((r) => r.id === '0002')?.irreversible).toBe(1);
  });

  it('a failing down restores the snapshot, so the steps rolled back before it are back', async () => {
    const adapter = open();
    const brokenDown: Migration = {
      ...table('0002', 'b'),
      async down(db) {
        await sql`drop table no_such_table`.execute(db);
      },
    };
    const registry = new MigrationRegistry(adapter, [
      core(table('0001', 'a'), brokenDown, table('0003', 'c')),
    ]);
    await registry.up();
    const schemaBefore = schemaOf(adapter);
    const ledgerBefore = ledgerOf(adapter);
    const { results, error } = await registry.down({ to: 'core:0001' });
    expect(results.map((r) => `${r.id}:${r.status}`)).toEqual(['0003:rolled-back', '0002:failed']);
    expect(error?.code).toBe(StorageErrorCode.MIGRATION_FAILED);
    expect(schemaOf(adapter)).toEqual(schemaBefore);
    expect(ledgerOf(adapter)).toEqual(ledgerBefore);
  });
});
