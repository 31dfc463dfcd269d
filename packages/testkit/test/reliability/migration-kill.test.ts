import { createStorage } from '@mainframe-kb/storage-core';
import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { availableTestStores, rawAccessPlugin, rawDb, rawDialect } from '../../src/index.js';
import { spawnChild } from './child-process-harness.js';
import type { MigrateResult } from './reliability-child.js';

/**
 * Reliability 2 on the server dialects (SQLite's own kill tests live with the migration registry): a
 * migration run killed with SIGKILL inside a migration leaves a ledger that says exactly what the schema
 * is. PostgreSQL rolls the migration back with its transaction (DDL included), and the server drops the
 * dead session's advisory lock. MySQL commits DDL as it goes, so the ledger row written before the step
 * stays `running`: the next run refuses with MIGRATION_DRIFT until an operator undoes the partial step and
 * clears the row — a visible failed state, never a silent mismatch.
 */

async function runMigration(database: object, scenario: 'kill-2' | 'kill-3' | 'fixed') {
  const child = spawnChild({ mode: 'migrate', database, scenario });
  await child.waitForLine('ready');
  const exit = await child.exited;
  const line = exit.code === 0 ? await child.waitForLine('{') : undefined;
  return { exit, result: line ? (JSON.parse(line) as MigrateResult) : undefined, stderr: child.stderr() };
}

async function inspect(database: object) {
  const storage = await createStorage({ database: database as never }, { plugins: [rawAccessPlugin] });
  const db = rawDb(storage);
  try {
    const ledger = (
      await db
        .selectFrom('kb_migrations')
        .select(['id', 'status'])
        .where('namespace', '=', 'rel2')
        .orderBy('id')
        .execute()
    ).map((r) => `${r.id}:${r.status}`);
    const where = storage.dialectName === 'mysql' ? sql`database()` : sql`current_schema()`;
    const tables = (
      await sql<{ name: string }>`select table_name as name from information_schema.tables
        where table_schema = ${where} and table_name in ('t1', 't2') order by table_name`.execute(db)
    ).rows.map((r) => r.name);
    const t1Rows = tables.includes('t1')
      ? Number(
          (
            await db
              .selectFrom('t1')
              .select((eb) => eb.fn.countAll().as('n'))
              .executeTakeFirstOrThrow()
          ).n,
        )
      : undefined;
    return { ledger, tables, t1Rows };
  } finally {
    await storage.close();
  }
}

for (const target of availableTestStores().filter((t) => t.dialect !== 'sqlite')) {
  const title = `reliability 2: kill -9 inside a migration on ${target.dialect}${target.skipped ? ` (${target.skipped})` : ''}`;
  describe.skipIf(!target.stores)(title, () => {
    afterAll(async () => target.stores?.cleanup());

    for (const killedIn of [2, 3] as const) {
      it(`killed inside migration ${killedIn}: the ledger matches the schema, and the store recovers`, {
        timeout: 120_000,
      }, async () => {
        const database = await target.stores!.database();
        // The store's own tables first (so inspect() can open it), then the killed run.
        await (await createStorage({ database })).close();
        const victim = await runMigration(database, `kill-${killedIn}`);
        expect(victim.exit.signal, victim.stderr).toBe('SIGKILL');

        const after = await inspect(database);
        const transactional = target.dialect === 'postgresql';
        if (transactional) {
          // The step rolled back with its transaction: neither its schema change nor its ledger row exists.
          expect(after.ledger).toEqual(
            killedIn === 2 ? ['0001_t1:applied'] : ['0001_t1:applied', '0002_t2:applied'],
          );
          expect(after.tables).toEqual(killedIn === 2 ? ['t1'] : ['t1', 't2']);
          if (killedIn === 3) expect(after.t1Rows).toBe(0);
        } else {
          // Auto-committed DDL: the step's row says `running`, and the next run must refuse.
          expect(after.ledger).toContain(`000${killedIn}_${killedIn === 2 ? 't2' : 'seed'}:running`);
          const blocked = await runMigration(database, 'fixed');
          expect(blocked.result?.error?.code).toBe('MIGRATION_DRIFT');
          expect(blocked.result?.error?.message).toMatch(killedIn === 2 ? /0002_t2/ : /0003_seed/);
          expect(blocked.result?.results).toEqual([]);
          // The operator undoes the partial step, then clears the row.
          const storage = await createStorage({ database }, { plugins: [rawAccessPlugin] });
          try {
            if (killedIn === 2) await sql`drop table t2`.execute(rawDb(storage));
            else await sql`delete from t1`.execute(rawDb(storage));
            const { MigrationRegistry } = await import('@mainframe-kb/storage-core');
            const registry = new MigrationRegistry(rawDialect(storage), [
              {
                namespace: 'rel2',
                dependsOn: [],
                migrations: [
                  { id: '0001_t1', up: async () => {} },
                  { id: '0002_t2', up: async () => {} },
                  { id: '0003_seed', up: async () => {} },
                ],
              },
            ]);
            const repaired = await registry.repair({ clearFailed: true });
            expect(repaired.changes.map((c) => c.action)).toEqual(['failed-cleared']);
          } finally {
            await storage.close();
          }
        }

        const next = await runMigration(database, 'fixed');
        expect(next.result?.error, next.stderr).toBeUndefined();
        expect(next.result?.results).toEqual(
          killedIn === 2 ? ['0002_t2:applied', '0003_seed:applied'] : ['0003_seed:applied'],
        );
        const recovered = await inspect(database);
        expect(recovered.ledger).toEqual(['0001_t1:applied', '0002_t2:applied', '0003_seed:applied']);
        expect(recovered.t1Rows).toBe(1);
      });
    }
  });
}
