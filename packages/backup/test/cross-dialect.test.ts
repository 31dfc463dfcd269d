import { join } from 'node:path';
import { createStorage } from '@mainframe-kb/storage-core';
import {
  mysqlStores,
  postgresStores,
  skipReason,
  type TestStores,
  testDatabaseUrl,
} from '@mainframe-kb/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalDestination } from '../src/index.js';
import { backupContextPlugin, managerOf } from './support/backup-context.js';
import { type Fixture, makeFixture, PASSPHRASE, TEST_KDF } from './support/fixtures.js';

const SERVERS = [
  { dialect: 'postgresql' as const, url: testDatabaseUrl('postgresql'), stores: postgresStores },
  { dialect: 'mysql' as const, url: testDatabaseUrl('mysql'), stores: mysqlStores },
];

for (const server of SERVERS) {
  const title = `backup on SQLite, restore into ${server.dialect} (the logical path)`;
  if (!server.url) {
    describe.skip(`${title} — ${skipReason(server.dialect)}`, () => {
      it('needs the server', () => {});
    });
    continue;
  }
  describe(title, () => {
    let fx: Fixture;
    let stores: TestStores;
    beforeAll(async () => {
      fx = await makeFixture(250);
      stores = server.stores(server.url!);
    }, 120_000);
    afterAll(async () => {
      await stores.cleanup();
      await fx.cleanup();
    });

    it('a physical backup restores into the server with the same content hash', async () => {
      const run = await fx.manager.create({ type: 'full' });
      expect(run.ok).toBe(true);
      const expected = await fx.storage.contentHash();
      const target = await stores.open();
      const result = await fx.manager.restore(run.id, { into: target });
      expect(result.checks.filter((c) => !c.ok)).toEqual([]);
      expect((await target.contentHash()).hash).toBe(expected.hash);
    });

    it('restore --to <server URL> opens and fills a new store there', async () => {
      const run = await fx.manager.create({ type: 'full' });
      const expected = await fx.storage.contentHash();
      const database = await stores.database();
      const url =
        'schema' in database && database.schema ? `${database.url}?schema=${database.schema}` : database.url!;
      const result = await fx.manager.restore(run.id, { to: url });
      expect(result.restored).toBe(true);
      const target = await createStorage({ database });
      try {
        expect((await target.contentHash()).hash).toBe(expected.hash);
      } finally {
        await target.close();
      }
    });

    it('a logical backup of the server store restores back into SQLite with the same hash', async () => {
      const source = await stores.open({}, { plugins: [backupContextPlugin] });
      const copied = await fx.manager.restore(
        (await fx.manager.create({ type: 'full', kind: 'logical' })).id,
        {
          into: source,
        },
      );
      expect(copied.restored).toBe(true);
      const expected = await source.contentHash();
      const serverManager = managerOf(source, {
        destinations: [new LocalDestination(join(fx.dir, `repo-${server.dialect}`))],
        passphrase: PASSPHRASE,
        kdf: TEST_KDF,
      });
      const run = await serverManager.create({ type: 'full' });
      expect(run.ok, String(run.destinations[0]?.error)).toBe(true);
      expect(run.destinations[0]!.metadata!.kind).toBe('logical');
      expect(run.destinations[0]!.metadata!.source.dialect).toBe(server.dialect);
      const to = join(fx.dir, `from-${server.dialect}.db`);
      const result = await serverManager.restore(run.id, { to });
      expect(result.checks.filter((c) => !c.ok)).toEqual([]);
      const restored = await createStorage({ database: { type: 'sqlite', path: to } });
      try {
        expect((await restored.contentHash()).hash).toBe(expected.hash);
      } finally {
        await restored.close();
      }
    });
  });
}
