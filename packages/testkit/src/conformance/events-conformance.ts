import { FLAT_METHOD_PROVIDERS, type LoggedEvent, type Storage } from '@mainframe-kb/storage-core';
import { describe, expect, it } from 'vitest';
import { rawAccessPlugin, rawDb, tamperAudit } from '../raw-access/raw-access-plugin.js';
import { type ConformanceTarget, expectStorageError, sampleEntry } from './conformance-helpers.js';
import { useStore } from './kb-conformance.js';

const CHANGE_EVENTS = [
  'entry:created',
  'entry:updated',
  'entry:deleted',
  'entry:feedback',
  'entry:used',
  'relation:added',
  'relation:removed',
] as const;

async function replayAll(
  storage: Storage,
  options: Parameters<Storage['replayEvents']>[0] = {},
): Promise<LoggedEvent[]> {
  const out: LoggedEvent[] = [];
  for await (const event of storage.replayEvents(options)) out.push(event);
  return out;
}

export function defineEventsConformance(target: ConformanceTarget): void {
  describe('events, the durable event log and the audit trail', () => {
    const store = useStore(target);
    const emitted: { type: string; payload: unknown }[] = [];
    let ids: string[] = [];

    it('emits a typed event for every change, after it commits', async () => {
      for (const type of CHANGE_EVENTS)
        store().on(type, (payload: unknown) => emitted.push({ type, payload }));
      ids = await store().createEntries([sampleEntry('EVENTA'), sampleEntry('EVENTB')]);
      const [a, b] = ids as [string, string];
      await store().updateEntry(a, { severity: 'high' });
      await store().recordFeedback(a, { outcome: 'success', rating: 4 });
      await store().recordUsage(b, 'copy');
      await store().addRelation(a, b, 'related');
      await store().removeRelation(a, b, 'related');
      await store().deleteEntry(b);
      expect(emitted.map((e) => e.type)).toEqual([
        'entry:created',
        'entry:created',
        'entry:updated',
        'entry:feedback',
        'entry:used',
        'relation:added',
        'relation:removed',
        'entry:deleted',
      ]);
      expect(emitted[0]!.payload).toMatchObject({ entry: { id: a } });
      expect(emitted[2]!.payload).toMatchObject({
        entry: { id: a, severity: 'high' },
        previous: { id: a, severity: 'medium' },
      });
      expect(emitted[2]!.payload).toMatchObject({ changed: ['severity'] });
      expect(emitted[3]!.payload).toMatchObject({ id: a, outcome: 'success', rating: 4 });
      expect(emitted[5]!.payload).toMatchObject({ fromId: a, toId: b, type: 'related' });
      expect(emitted[7]!.payload).toMatchObject({ id: b });
    });

    it('writes the same events to the durable log, replayable in commit order', async () => {
      const logged = await replayAll(store());
      const changes = logged.filter((e) => (CHANGE_EVENTS as readonly string[]).includes(e.type));
      expect(changes.map((e) => e.type)).toEqual(emitted.map((e) => e.type));
      // The log keeps a change record: a created entry without the text its row holds, an update's changed
      // fields before and after; everything else (a deletion keeps the whole entry) as emitted.
      expect(changes.map((e) => e.payload)).toEqual(
        emitted.map((e) => JSON.parse(JSON.stringify(loggedForm(e)))),
      );
      for (let i = 1; i < logged.length; i++) {
        expect(logged[i]!.seq).toBeGreaterThan(logged[i - 1]!.seq);
        expect(logged[i]!.createdAt >= logged[i - 1]!.createdAt).toBe(true);
      }
    });

    it('replays by type, by time range and after a sequence number', async () => {
      const logged = await replayAll(store());
      const deleted = await replayAll(store(), { types: ['entry:deleted'] });
      expect(deleted.map((e) => e.seq)).toEqual(
        logged.filter((e) => e.type === 'entry:deleted').map((e) => e.seq),
      );
      const middle = logged[3]!;
      const fromMiddle = await replayAll(store(), { from: middle.createdAt });
      expect(fromMiddle.every((e) => e.createdAt >= middle.createdAt)).toBe(true);
      expect(fromMiddle.map((e) => e.seq)).toContain(middle.seq);
      const beforeMiddle = await replayAll(store(), { to: middle.createdAt });
      expect(beforeMiddle.every((e) => e.createdAt < middle.createdAt)).toBe(true);
      expect(beforeMiddle.length + fromMiddle.length).toBe(logged.length);
      const after = await replayAll(store(), { afterSeq: middle.seq, batchSize: 2 });
      expect(after.map((e) => e.seq)).toEqual(logged.filter((e) => e.seq > middle.seq).map((e) => e.seq));
    });

    it('emits, logs and audits nothing for a refused write', async () => {
      const logged = (await replayAll(store())).length;
      const audit = await store().verifyAuditChain();
      const before = emitted.length;
      const [a] = ids as [string];
      await expectStorageError(
        store().createEntry({ ...sampleEntry('BAD'), severity: 'urgent' as never }),
        'VALIDATION',
      );
      await expectStorageError(store().updateEntry(a, { title: 'stale', expectedVersion: 1 }), 'CONFLICT');
      await expectStorageError(store().recordFeedback('no-such-entry', { outcome: 'failure' }), 'NOT_FOUND');
      expect(emitted.length).toBe(before);
      expect((await replayAll(store())).length).toBe(logged);
      expect((await store().verifyAuditChain()).rows).toBe(audit.rows);
    });

    it('keeps an audit row per change in a verifiable hash chain', async () => {
      const audit = await store().verifyAuditChain();
      expect(audit.ok).toBe(true);
      expect(audit.firstBadSeq).toBeUndefined();
      // Two creates, an update, feedback, usage, a relation added and removed, a delete.
      expect(audit.rows).toBe(8);
      await store().createEntry(sampleEntry('EVENTC'));
      expect(await store().verifyAuditChain()).toEqual({ ok: true, rows: 9 });
    });

    it('keeps the chain linear under concurrent writes and detects rows deleted from its end', async () => {
      const before = (await store().verifyAuditChain()).rows;
      // Writes issued at once: on the server dialects they run on different connections concurrently.
      await Promise.all(
        Array.from({ length: 12 }, (_, i) => store().createEntry(sampleEntry(`AUDITPAR${i}`))),
      );
      const audit = await store().verifyAuditChain();
      expect(audit).toEqual({ ok: true, rows: before + 12 });
      const db = rawDb(store());
      const last = await db
        .selectFrom('kb_audit')
        .select((eb) => eb.fn.max('seq').as('seq'))
        .executeTakeFirstOrThrow();
      // The database refuses the deletion; one made past its guard (a dropped trigger) still shows.
      await expect(db.deleteFrom('kb_audit').where('seq', '=', Number(last.seq)).execute()).rejects.toThrow(
        /append-only/,
      );
      await tamperAudit(store(), (trx) =>
        trx.deleteFrom('kb_audit').where('seq', '=', Number(last.seq)).execute(),
      );
      const after = await store().verifyAuditChain();
      expect(after.ok).toBe(false);
      expect(after.firstBadSeq).toBe(Number(last.seq));
    });

    it('refuses UPDATE and DELETE of audit rows in the database itself, whoever holds a handle', async () => {
      const storage = await target.open([rawAccessPlugin]);
      try {
        await storage.createEntries([sampleEntry('GUARDA'), sampleEntry('GUARDB')]);
        const db = rawDb(storage);
        const before = await db.selectFrom('kb_audit').selectAll().orderBy('seq').execute();
        await expect(db.updateTable('kb_audit').set({ detail: 'forged' }).execute()).rejects.toThrow(
          /append-only/,
        );
        await expect(
          db.updateTable('kb_audit').set({ actor: 'x' }).where('seq', '=', 1).execute(),
        ).rejects.toThrow(/append-only/);
        await expect(db.deleteFrom('kb_audit').execute()).rejects.toThrow(/append-only/);
        expect(await db.selectFrom('kb_audit').selectAll().orderBy('seq').execute()).toEqual(before);
        expect(await storage.verifyAuditChain()).toEqual({ ok: true, rows: 2 });
      } finally {
        await storage.close();
      }
    });

    it('detects a tail cut together with its head from a signed checkpoint; health says unhealthy', async () => {
      const storage = await target.open([rawAccessPlugin]);
      try {
        for (const word of ['CUTA', 'CUTB', 'CUTC', 'CUTD']) await storage.createEntry(sampleEntry(word));
        const { checkpoint } = await storage.auditCheckpoint();
        expect(checkpoint.seq).toBe(4);
        expect((await storage.healthCheck()).probes.find((p) => p.name === 'audit')?.status).toBe('healthy');
        await tamperAudit(storage, async (trx) => {
          const row = await trx
            .selectFrom('kb_audit')
            .select('hash')
            .where('seq', '=', 2)
            .executeTakeFirstOrThrow();
          await trx.deleteFrom('kb_audit').where('seq', '>', 2).execute();
          await trx
            .updateTable('kb_audit_head')
            .set({ seq: 2, hash: row.hash })
            .where('id', '=', 1)
            .execute();
        });
        expect(await storage.verifyAuditChain()).toMatchObject({ ok: false, problem: 'checkpoint' });
        expect(await storage.verifyAuditChain({ since: checkpoint })).toMatchObject({ ok: false });
        const health = await storage.healthCheck();
        expect(health.probes.find((p) => p.name === 'audit')?.status).toBe('unhealthy');
        expect(health.status).toBe('unhealthy');
      } finally {
        await storage.close();
      }
    });
  });

  describe('methods of plugins that are not enabled', () => {
    const store = useStore(target);

    it('throw EXTENSION_NOT_ENABLED naming the package to install', async () => {
      const enabled = new Set(store().plugins.map((p) => p.id));
      const absent = Object.entries(FLAT_METHOD_PROVIDERS).filter(([, p]) => !enabled.has(p.plugin));
      for (const [method, provider] of absent) {
        const call = (store() as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>)[
          method
        ]!;
        expect(typeof call, method).toBe('function');
        const error = await expectStorageError(call.call(store(), {}), 'EXTENSION_NOT_ENABLED');
        expect(error.message).toContain(provider.package);
      }
      expect(absent.length + enabled.size).toBeGreaterThan(0);
    });
  });

  describe('health, metrics, maintenance and closing', () => {
    const store = useStore(target);

    it('reports health per probe, metrics per operation, and optimises', async () => {
      await store().createEntries([sampleEntry('HEALTHA'), sampleEntry('HEALTHB')]);
      await store().search('HEALTHA');
      const health = await store().healthCheck();
      expect(health.probes.find((p) => p.name === 'integrity')?.status).toBe('healthy');
      expect(health.probes.find((p) => p.name === 'connectivity')?.status).toBe('healthy');
      const metrics = await store().getMetrics();
      expect(metrics.database.entries).toBe(await store().countEntries());
      expect(metrics.operations['entry.create']?.count).toBeGreaterThanOrEqual(1);
      expect(metrics.operations.search?.count).toBeGreaterThanOrEqual(1);
      const optimized = await store().optimize();
      expect(optimized.steps.length).toBeGreaterThan(0);
      expect(optimized.steps.every((s) => s.ok)).toBe(true);
      expect((await store().search('HEALTHB')).results).toHaveLength(1);
    });

    it('refuses work after close with CLOSED, and closing twice is harmless', async () => {
      const storage = await target.open([rawAccessPlugin]);
      await storage.close();
      await storage.close();
      await expectStorageError(storage.createEntry(sampleEntry('CLOSED')), 'CLOSED');
      await expectStorageError(storage.search('CLOSED'), 'CLOSED');
    });
  });
}

const CREATED_SUMMARY = [
  'id',
  'title',
  'category',
  'severity',
  'tags',
  'createdAt',
  'createdBy',
  'version',
] as const;

function pickKeys(value: Record<string, unknown>, keys: readonly string[]): Record<string, unknown> {
  return Object.fromEntries(keys.map((k) => [k, value[k]]));
}

/** What the durable log is expected to hold for an emitted change event. */
function loggedForm(event: { type: string; payload: unknown }): unknown {
  const payload = event.payload as Record<string, any>;
  if (event.type === 'entry:created') return { entry: pickKeys(payload.entry, CREATED_SUMMARY) };
  if (event.type === 'entry:updated') {
    return {
      id: payload.entry.id,
      version: payload.entry.version,
      changed: payload.changed,
      before: pickKeys(payload.previous, payload.changed),
      after: pickKeys(payload.entry, payload.changed),
    };
  }
  return event.payload;
}
