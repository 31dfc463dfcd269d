import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStorage, definePlugin, type PluginContext, type Storage } from '../src/index.js';
import { type TestDatabases, testDatabases } from './support/test-databases.js';

interface SlowApi {
  /** A write that holds its transaction for `ms` before it writes. */
  slowWrite(id: string, ms: number): Promise<void>;
}
interface SlowDatabase {
  slow_marks: { id: string };
}

const slowPlugin = definePlugin<'test-slow-writes', SlowApi, SlowDatabase>({
  id: 'test-slow-writes',
  version: '1.0.0',
  mvp: 2,
  tables: { slow_marks: { entity: 'slow_marks', primaryKey: ['id'] } },
  migrations: [
    {
      id: '0001_slow_marks',
      async up(db) {
        await db.schema
          .createTable('slow_marks')
          .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
          .execute();
      },
    },
  ],
  setup(ctx: PluginContext<SlowDatabase>) {
    return {
      api: {
        slowWrite: (id, ms) =>
          ctx.write('test-slow-writes.write', async ({ trx }) => {
            await sleep(ms);
            await trx.insertInto('slow_marks').values({ id }).execute();
          }),
      },
      permissions: { 'test-slow-writes.write': 'editor' },
    };
  },
});

/**
 * Every write locks the audit chain's head until it commits, so the writes of one process run one at a time
 * in any case. They wait for their turn in the process, not on a pooled connection: a burst of writes must
 * not take every connection of the pool while searches wait.
 */
for (const { name, make, skipped } of testDatabases().filter((d) => d.name !== 'sqlite')) {
  describe.skipIf(!make)(`${name}: writes queue in the process${skipped ? ` (${skipped})` : ''}`, () => {
    let databases: TestDatabases;
    let storage: Storage;
    beforeAll(async () => {
      databases = make!();
      const database = { ...(await databases.create()), pool: { max: 2 } };
      storage = await createStorage(
        { database, performance: { caching: { enabled: false } } },
        { plugins: [slowPlugin] },
      );
      await storage.createEntry({ title: 'S0C7 in PAYROLL', problem: 'p', solution: 's', category: 'Batch' });
    });
    afterAll(async () => {
      await storage?.close();
      await databases.dropAll();
    });

    it('a search during a burst of slow writes on a pool of two connections is answered before the first write ends', async () => {
      const api = storage.plugin(slowPlugin);
      const settled: string[] = [];
      const writes = [1, 2, 3].map((n) =>
        api.slowWrite(`w${n}`, 1_000).then(() => {
          settled.push(`write ${n}`);
        }),
      );
      await sleep(50);
      const search = storage.search('S0C7', { recordHistory: false }).then((r) => {
        settled.push('search');
        return r;
      });
      await Promise.all([...writes, search]);
      expect((await search).total).toBe(1);
      // Two writers on two connections would hold the search until the first of them commits.
      expect(settled).toEqual(['search', 'write 1', 'write 2', 'write 3']);
    }, 30_000);

    it('a write that fails does not stop the writes queued behind it', async () => {
      const api = storage.plugin(slowPlugin);
      const results = await Promise.allSettled([
        api.slowWrite('dup', 100),
        api.slowWrite('dup', 10),
        api.slowWrite('after', 10),
      ]);
      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
      expect(results[1]).toMatchObject({ reason: { code: 'CONFLICT' } });
    }, 30_000);
  });
}
