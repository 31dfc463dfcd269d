import { existsSync } from 'node:fs';
import BetterSqlite3 from 'better-sqlite3';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyStore, createStorage, type Storage } from '../src/index.js';
import { dialectOf } from '../src/storage.js';
import { type TestDatabases, tamper, testDatabases } from './support/test-databases.js';

const entry = (title: string) => ({
  title,
  problem: `${title}: the job ended abnormally`,
  solution: 'Correct the input and restart the step.',
  category: 'jcl',
});

/** A row anyone can insert: the guard refuses changes, not additions (the chain shows those). */
const forgedRow = () => ({
  at: new Date().toISOString(),
  actor: 'mallory',
  role: 'admin',
  action: 'create',
  entity: 'entry',
  entity_id: null,
  detail: null,
  prev_hash: '0'.repeat(64),
  hash: '0'.repeat(64),
});

async function auditRows(storage: Storage): Promise<{ seq: number; detail: string | null }[]> {
  const rows = await dialectOf(storage)
    .db.selectFrom('kb_audit')
    .select(['seq', 'detail'])
    .orderBy('seq')
    .execute();
  return rows.map((r) => ({ seq: Number(r.seq), detail: r.detail ?? null }));
}

for (const { name, make, skipped } of testDatabases()) {
  describe.skipIf(!make)(
    `kb_audit is append-only in the database: ${name}${skipped ? ` (${skipped})` : ''}`,
    () => {
      let databases: TestDatabases;
      const open: Storage[] = [];
      const store = async () => {
        const s = await createStorage({ database: await databases.create() });
        open.push(s);
        return s;
      };

      beforeAll(() => {
        databases = make!();
      });
      afterAll(async () => {
        for (const s of open.splice(0)) await s.close().catch(() => {});
        await databases.dropAll();
      });

      it('refuses UPDATE and DELETE of audit rows from a raw handle on the store’s own connection', async () => {
        const storage = await store();
        await storage.createEntries([entry('S0C7 in PAYROLL'), entry('S0C4 in BILLING')]);
        const db = dialectOf(storage).db;
        const before = await auditRows(storage);
        expect(before.length).toBeGreaterThan(0);
        await expect(
          sql`update kb_audit set detail = 'forged' where seq = ${before[0]!.seq}`.execute(db),
        ).rejects.toThrow(/append-only/);
        await expect(db.updateTable('kb_audit').set({ actor: 'mallory' }).execute()).rejects.toThrow(
          /append-only/,
        );
        await expect(db.deleteFrom('kb_audit').execute()).rejects.toThrow(/append-only/);
        await expect(
          db.deleteFrom('kb_audit').where('seq', '=', before.at(-1)!.seq).execute(),
        ).rejects.toThrow(/append-only/);
        expect(await auditRows(storage)).toEqual(before);
        expect(await storage.verifyAuditChain()).toMatchObject({ ok: true, rows: before.length });
      });

      it('still lets the store append, and replace the whole trail in a sanctioned load (copy --replace)', async () => {
        const source = await store();
        await source.createEntries([entry('IEF212I dataset not found'), entry('SB37 out of space')]);
        const target = await store();
        await target.createEntry(entry('other content'));
        const result = await copyStore(source, target, { replace: true });
        expect(result.copied).toBe(true);
        expect((await target.contentHash()).tables.kb_audit).toEqual(
          (await source.contentHash()).tables.kb_audit,
        );
        // The lift ended with the load's transaction: the connection refuses again.
        await expect(dialectOf(target).db.deleteFrom('kb_audit').execute()).rejects.toThrow(/append-only/);
        await target.createEntry(entry('after the copy'));
        expect((await target.verifyAuditChain()).ok).toBe(true);
      });

      it('keeps refusing after a failed sanctioned load (the lift does not leak to the next user of a connection)', async () => {
        const storage = await store();
        await storage.createEntry(entry('U4038 in CICS'));
        const failing = (async function* () {
          yield { table: 'kb_entries', entity: 'kb', rows: [{ nonsense: 1 }] };
        })();
        await expect(storage.importTables(failing, { replace: true })).rejects.toThrow();
        const db = dialectOf(storage).db;
        for (let i = 0; i < 4; i++)
          await expect(db.deleteFrom('kb_audit').execute()).rejects.toThrow(/append-only/);
        expect((await storage.verifyAuditChain()).ok).toBe(true);
      });

      if (name === 'postgresql') {
        it('refuses TRUNCATE too', async () => {
          const storage = await store();
          await storage.createEntry(entry('S322 time out'));
          await expect(sql`truncate kb_audit`.execute(dialectOf(storage).db)).rejects.toThrow(/append-only/);
        });
      }

      if (name === 'sqlite') {
        it('refuses any other connection to the file (the sqlite3 shell, another tool) outright', async () => {
          const storage = await store();
          await storage.createEntry(entry('S806 module not found'));
          const path = dialectOf(storage).location;
          expect(existsSync(path)).toBe(true);
          const other = new BetterSqlite3(path);
          try {
            expect(() => other.prepare('update kb_audit set detail = null').run()).toThrow();
            expect(() => other.prepare('delete from kb_audit').run()).toThrow();
          } finally {
            other.close();
          }
          expect((await storage.verifyAuditChain()).ok).toBe(true);
        });

        it('gives a test (or the store) a way past the guard only inside one transaction', async () => {
          const storage = await store();
          await storage.createEntry(entry('S013 open error'));
          await tamper(storage, (trx) => trx.deleteFrom('kb_audit').execute());
          expect(await auditRows(storage)).toEqual([]);
          await dialectOf(storage).db.insertInto('kb_audit').values(forgedRow()).execute();
          await expect(dialectOf(storage).db.deleteFrom('kb_audit').execute()).rejects.toThrow(/append-only/);
        });
      }
    },
  );
}
