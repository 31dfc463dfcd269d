import { patternsPlugin } from '@mainframe-kb/plugin-patterns';
import type { Storage } from '@mainframe-kb/storage-core';
import { availableTestStores, rawAccessPlugin, rawDb, tamperAudit } from '@mainframe-kb/testkit';
import { afterAll, describe, expect, it } from 'vitest';
import { analyticsPlugin } from '../src/index.js';
import { seedHistory } from './support/history.js';

// Automatic resolution: nothing applied while the kill switch is off or below the threshold, every decision
// recorded with its inputs, the log append-only in the database itself and hash-chained so that a rewrite by
// someone past the database's refusal still shows.

const plugins = [patternsPlugin, analyticsPlugin, rawAccessPlugin];
const autoConfig = (enabled: boolean, threshold = 0.5) => ({
  mvp: { extensions: [{ id: 'analytics', options: { autoResolution: { enabled, threshold } } }] },
});

async function openIncident(storage: Storage, ticket: string, title: string) {
  return storage.plugin(patternsPlugin).createIncident({
    ticketId: ticket,
    title,
    description: 'seen in the nightly batch',
    component: 'PAYROLL',
    createdAt: '2026-11-20T02:00:00Z',
  });
}

for (const target of availableTestStores()) {
  describe.skipIf(!target.stores)(
    `analytics auto-resolution on ${target.dialect}${target.skipped ? ` (${target.skipped})` : ''}`,
    () => {
      afterAll(() => target.stores?.cleanup());

      it('holds every decision while the kill switch is off, and touches no incident', async () => {
        const storage = await target.stores!.open(autoConfig(false), { plugins });
        try {
          await seedHistory(storage, { start: '2026-10-05', days: 2, perDay: 2 });
          const incident = await openIncident(
            storage,
            'INC-A1',
            'S0C7 data exception in PAYJ100 packed decimal',
          );
          const d = await storage.plugin(analyticsPlugin).decide(incident.id);
          expect(d.decision).toMatchObject({ kind: 'decision', decision: 'held', incidentId: incident.id });
          expect(d.reason).toMatch(/switched off/);
          expect(d.decision.proposalId).not.toBeNull();
          expect(d.decision.inputs).toMatchObject({ enabled: false, ticketId: 'INC-A1' });
          expect(await storage.plugin(patternsPlugin).getIncident(incident.id)).toMatchObject({
            status: 'open',
            kbEntryId: null,
          });
        } finally {
          await storage.close();
        }
      });

      it('applies at or above the threshold, holds below it, and chains every row', async () => {
        const storage = await target.stores!.open(autoConfig(true, 0.5), { plugins });
        try {
          const history = await seedHistory(storage, { start: '2026-10-05', days: 2, perDay: 2 });
          const api = storage.plugin(analyticsPlugin);
          const clear = await openIncident(storage, 'INC-B1', 'S0C7 data exception packed decimal field');
          const applied = await api.decide(clear.id);
          expect(applied.decision.decision).toBe('applied');
          expect(applied.decision.confidence).toBeGreaterThanOrEqual(0.5);
          expect(applied.decision.decisionId).toBe(applied.decision.id);
          const resolved = await storage.plugin(patternsPlugin).getIncident(clear.id);
          expect(resolved).toMatchObject({ status: 'resolved', kbEntryId: history.entryIds[0] });
          await expect(api.decide(clear.id)).rejects.toMatchObject({ code: 'CONFLICT' });

          // A vague incident spreads its confidence over several entries: held for a person.
          const vague = await openIncident(storage, 'INC-B2', 'job abend nightly batch');
          const held = await api.decide(vague.id);
          expect(held.decision.decision).toBe('held');
          expect(held.reason).toMatch(/below the threshold|no KB entry/);

          await api.review(held.decision.id, 'accepted', 'the operator applied it by hand');
          await api.recordAutoOutcome(applied.decision.id, 'resolved');
          await expect(api.review('nope', 'accepted')).rejects.toMatchObject({ code: 'NOT_FOUND' });
          await expect(api.recordAutoOutcome(applied.decision.id, 'great' as never)).rejects.toMatchObject({
            code: 'VALIDATION',
          });

          const log = await api.autoLog();
          expect(log.map((r) => `${r.kind}:${r.decision}`)).toEqual([
            'outcome:resolved',
            'review:accepted',
            'decision:held',
            'decision:applied',
          ]);
          expect(await api.verifyAutoLog()).toMatchObject({ ok: true, rows: 4, problems: [] });
          const health = await storage.healthCheck();
          expect(health.probes.find((p) => p.name === 'auto-resolution-log')).toMatchObject({
            status: 'healthy',
          });

          // The series counts the decisions: one of two applied.
          const day = new Date().toISOString().slice(0, 10);
          const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
          const [rate] = (await storage.getAnalytics({ from: day, to: tomorrow }, ['auto.rate'])).metrics;
          expect(rate!.total).toMatchObject({ numerator: 1, denominator: 2, value: 0.5 });
          // The database refuses to change or remove a row, whoever asks.
          const db = rawDb(storage);
          await expect(
            db.updateTable('auto_resolutions').set({ decision: 'held' }).execute(),
          ).rejects.toThrow(/append-only/);
          await expect(db.deleteFrom('auto_resolutions').execute()).rejects.toThrow(/append-only/);
          // Someone past the database's refusal rewrites a decision: the chain shows where.
          await tamperAudit(storage, async (trx) => {
            await trx
              .updateTable('auto_resolutions')
              .set({ confidence: 0.99 })
              .where('id', '=', held.decision.id)
              .execute();
          });
          const broken = await api.verifyAutoLog();
          expect(broken.ok).toBe(false);
          expect(broken.problems[0]).toMatchObject({
            seq: held.decision.seq,
            problem: expect.stringMatching(/does not match its hash/),
          });
          expect(
            (await storage.healthCheck()).probes.find((p) => p.name === 'auto-resolution-log'),
          ).toMatchObject({
            status: 'unhealthy',
          });
          // And removes the last row: the head no longer names it.
          await tamperAudit(storage, async (trx) => {
            await trx
              .updateTable('auto_resolutions')
              .set({ confidence: held.decision.confidence })
              .where('id', '=', held.decision.id)
              .execute();
            await trx.deleteFrom('auto_resolutions').where('seq', '=', log[0]!.seq).execute();
          });
          const truncated = await api.verifyAutoLog();
          expect(truncated.problems.map((p) => p.problem)).toEqual([
            expect.stringMatching(/head does not name the last row/),
          ]);
        } finally {
          await storage.close();
        }
      });

      it('refuses a viewer every decision, review and outcome', async () => {
        const storage = await target.stores!.open(autoConfig(true), {
          plugins,
          actor: { id: 'v', role: 'viewer' },
        });
        try {
          const api = storage.plugin(analyticsPlugin);
          await expect(api.decide('any')).rejects.toMatchObject({ code: 'FORBIDDEN' });
          await expect(api.review('any', 'accepted')).rejects.toMatchObject({ code: 'FORBIDDEN' });
          expect(await api.autoLog()).toEqual([]);
        } finally {
          await storage.close();
        }
      });
    },
  );
}
