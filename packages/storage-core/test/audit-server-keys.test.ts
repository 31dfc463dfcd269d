import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStorage, type Storage, type StorageConfigInput } from '../src/index.js';
import { dialectOf } from '../src/storage.js';
import { gadgets } from './support/gadgets-plugin.js';
import { type TestDatabases, testDatabases } from './support/test-databases.js';

const entry = (title: string) => ({
  title,
  problem: `${title}: the job ended abnormally`,
  solution: 'Correct the input and restart the step.',
  category: 'jcl',
});

// A server store has no file to keep a key beside: its key comes from audit.keyFile or KB_AUDIT_KEY.
for (const { name, make, skipped } of testDatabases().filter((d) => d.name !== 'sqlite')) {
  describe.skipIf(!make)(`audit keys of a server store: ${name}${skipped ? ` (${skipped})` : ''}`, () => {
    let databases: TestDatabases;
    const open: Storage[] = [];
    const store = async (config: StorageConfigInput, plugins: (typeof gadgets)[] = []) => {
      const s = await createStorage(config, { plugins });
      open.push(s);
      return s;
    };
    const probe = async (storage: Storage) =>
      (await storage.healthCheck()).probes.find((p) => p.name === 'audit')!;

    beforeAll(() => {
      databases = make!();
      delete process.env.KB_AUDIT_KEY;
    });
    afterAll(async () => {
      for (const s of open.splice(0)) await s.close().catch(() => {});
      await databases.dropAll();
    });

    it('without a key, chains unkeyed rows and says so in health (degraded)', async () => {
      const storage = await store({ database: await databases.create() });
      await storage.createEntries([entry('S0C7'), entry('S0C4')]);
      expect(await storage.verifyAuditChain()).toEqual({ ok: true, rows: 2, unkeyed: 2 });
      const audit = await probe(storage);
      expect(audit.status).toBe('degraded');
      expect(audit.detail).toMatch(/no audit key: set audit.keyFile or KB_AUDIT_KEY/);
      await expect(storage.auditCheckpoint()).rejects.toMatchObject({ code: 'AUDIT_KEY_MISSING' });
    });

    it('refuses to migrate a keyed store without its key before the first step: schema and ledger unchanged', async () => {
      const database = await databases.create();
      const keyFile = join(databases.dir, `ring-${randomBytes(4).toString('hex')}`);
      const keyed = await store({ database, audit: { keyFile } });
      await keyed.createEntry(entry('S0C7'));
      await keyed.close();

      // MySQL cannot roll DDL back: the step used to run, its audit row was refused after it, and the store was
      // left with the table and a ledger row 'running' that blocked every later open.
      await expect(createStorage({ database }, { plugins: [gadgets] })).rejects.toMatchObject({
        code: 'AUDIT_KEY_MISSING',
      });
      const again = await store({ database });
      const tables = (await dialectOf(again).db.introspection.getTables()).map((t) => t.name);
      expect(tables).not.toContain('gadgets');
      const status = await again.migrationStatus();
      expect(status.namespaces.map((n) => n.namespace)).not.toContain('gadgets');
      expect(status.pendingCount).toBe(0);
      await again.close();

      // With its key the same open migrates, and records the step in the keyed chain.
      const withKey = await store({ database, audit: { keyFile } }, [gadgets]);
      expect((await withKey.migrationStatus()).pendingCount).toBe(0);
      expect(await withKey.verifyAuditChain()).toEqual({ ok: true, rows: 2 });
    });

    it('keys rows with the configured key; without it, refuses writes rather than chain unkeyed rows', async () => {
      const database = await databases.create();
      const keyFile = join(databases.dir, `ring-${randomBytes(4).toString('hex')}`);
      const keyed = await store({ database, audit: { keyFile } });
      await keyed.createEntry(entry('S0C7'));
      expect(await keyed.verifyAuditChain()).toEqual({ ok: true, rows: 1 });
      await keyed.close();

      const without = await store({ database });
      await expect(without.createEntry(entry('S0C4'))).rejects.toMatchObject({ code: 'AUDIT_KEY_MISSING' });
      expect(await without.countEntries()).toBe(1);
      const verdict = await without.verifyAuditChain();
      expect(verdict).toMatchObject({ ok: false, problem: 'key-missing' });
      expect((await probe(without)).status).toBe('unhealthy');

      // KB_AUDIT_KEY holding the same key (as a container gets it) works as the key file does.
      process.env.KB_AUDIT_KEY = readFileSync(keyFile, 'utf8')
        .split('\n')
        .filter((l) => l && !l.startsWith('#'))
        .join(',');
      try {
        const fromEnv = await store({ database });
        await fromEnv.createEntry(entry('S0C4'));
        expect(await fromEnv.verifyAuditChain()).toEqual({ ok: true, rows: 2 });
      } finally {
        delete process.env.KB_AUDIT_KEY;
      }
    });
  });
}
