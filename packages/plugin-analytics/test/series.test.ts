import { patternsPlugin } from '@mainframe-kb/plugin-patterns';
import { templatesPlugin } from '@mainframe-kb/plugin-templates';
import type { Storage } from '@mainframe-kb/storage-core';
import { availableTestStores, rawAccessPlugin, rawDb } from '@mainframe-kb/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyticsPlugin, type MetricSeries, type SeriesResult } from '../src/index.js';
import { seedHistory } from './support/history.js';

// Every figure getAnalytics returns, reproduced by counting the rows it came from with a second, plain
// implementation here; then the same figures read from snapshots, and snapshots noticed stale after a change.

const START = '2026-09-28'; // a Monday
const DAYS = 21;
const WINDOW_MS = 60 * 60_000;

interface Rows {
  incidents: {
    id: string;
    created_at: string;
    resolved_at: string | null;
    component: string | null;
    severity: string | null;
    source: string;
    kb_entry_id: string | null;
  }[];
  codes: { incident_id: string; code: string }[];
  entries: { id: string; category: string; created_at: string }[];
  searches: { created_at: string; top_result_id: string | null; user_id: string | null }[];
  feedback: { entry_id: string; outcome: string; user_id: string | null; created_at: string }[];
  usage: { template_id: string; kind: string; worked: number | null; created_at: string }[];
  templates: { id: string; category: string }[];
  auto: { kind: string; decision: string; component: string | null; created_at: string }[];
  predictions: { model_type: string; accuracy_score: number | null; outcome_at: string | null }[];
}

async function readRows(storage: Storage): Promise<Rows> {
  const db = rawDb(storage);
  const all = (table: string) => db.selectFrom(table).selectAll().execute() as Promise<never>;
  return {
    incidents: await all('incidents'),
    codes: await all('incident_error_codes'),
    entries: await all('kb_entries'),
    searches: await all('search_history'),
    feedback: await all('kb_feedback'),
    usage: await all('template_usage'),
    templates: await all('code_templates'),
    auto: await all('auto_resolutions'),
    predictions: await all('predictions'),
  };
}

/** The bucket a timestamp falls in, written independently of the plugin's code. */
function bucket(iso: string, interval: 'hour' | 'day' | 'week'): string {
  const d = new Date(iso);
  if (interval === 'hour') return d.toISOString().slice(0, 13);
  if (interval === 'day') return d.toISOString().slice(0, 10);
  const midnight = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
  const back = (d.getUTCDay() + 6) % 7;
  return new Date(midnight - back * 86_400_000).toISOString().slice(0, 10);
}

type Tally = Map<string, { n: number; d: number }>;
const add = (t: Tally, key: string, n: number, d: number) => {
  const cur = t.get(key) ?? { n: 0, d: 0 };
  cur.n += n;
  cur.d += d;
  t.set(key, cur);
};

/** Numerator and denominator of each metric per bucket (and per bucket|dimension value), counted from rows. */
function expectedTallies(rows: Rows, interval: 'hour' | 'day' | 'week', inRange: (iso: string) => boolean) {
  const t: Record<string, Tally> = {};
  const tally = (metric: string) => (t[metric] ??= new Map());
  const entryById = new Map(rows.entries.map((e) => [e.id, e]));
  const codesOf = (id: string) => rows.codes.filter((c) => c.incident_id === id).map((c) => c.code);
  for (const i of rows.incidents) {
    if (inRange(i.created_at)) {
      const b = bucket(i.created_at, interval);
      add(tally('incidents.opened'), b, 1, 0);
      add(tally('incidents.opened'), `${b}|component=${i.component ?? '(none)'}`, 1, 0);
      for (const c of codesOf(i.id)) add(tally('incidents.opened'), `${b}|error_code=${c}`, 1, 0);
    }
    if (i.resolved_at && inRange(i.resolved_at)) {
      const b = bucket(i.resolved_at, interval);
      const seconds = (new Date(i.resolved_at).getTime() - new Date(i.created_at).getTime()) / 1000;
      const entry = i.kb_entry_id ? entryById.get(i.kb_entry_id) : undefined;
      const reused = entry && entry.created_at <= i.resolved_at ? 1 : 0;
      for (const key of [
        b,
        `${b}|component=${i.component ?? '(none)'}`,
        ...codesOf(i.id).map((c) => `${b}|error_code=${c}`),
      ]) {
        add(tally('incidents.resolved'), key, 1, 0);
        add(tally('incidents.mttr'), key, seconds, 1);
        add(tally('kb.reuse'), key, reused, 1);
      }
    }
  }
  for (const s of rows.searches) {
    if (!inRange(s.created_at)) continue;
    const t0 = new Date(s.created_at).getTime();
    const ok = rows.feedback.some(
      (f) =>
        f.outcome === 'success' &&
        f.entry_id === s.top_result_id &&
        new Date(f.created_at).getTime() >= t0 &&
        new Date(f.created_at).getTime() <= t0 + WINDOW_MS &&
        (s.user_id === null || f.user_id === null || s.user_id === f.user_id),
    );
    const b = bucket(s.created_at, interval);
    const category = (s.top_result_id && entryById.get(s.top_result_id)?.category) ?? '(none)';
    add(tally('search.success'), b, ok ? 1 : 0, 1);
    add(tally('search.success'), `${b}|category=${category}`, ok ? 1 : 0, 1);
  }
  for (const u of rows.usage) {
    if (u.kind !== 'outcome' || !inRange(u.created_at)) continue;
    const b = bucket(u.created_at, interval);
    const category = rows.templates.find((x) => x.id === u.template_id)!.category;
    add(tally('templates.success'), b, u.worked ?? 0, 1);
    add(tally('templates.success'), `${b}|category=${category}`, u.worked ?? 0, 1);
  }
  for (const a of rows.auto) {
    if (a.kind !== 'decision' || !inRange(a.created_at)) continue;
    const b = bucket(a.created_at, interval);
    add(tally('auto.rate'), b, a.decision === 'applied' ? 1 : 0, 1);
    add(tally('auto.rate'), `${b}|component=${a.component ?? '(none)'}`, a.decision === 'applied' ? 1 : 0, 1);
  }
  for (const p of rows.predictions) {
    if (!p.outcome_at || p.accuracy_score === null || !inRange(p.outcome_at)) continue;
    const b = bucket(p.outcome_at, interval);
    add(tally('predictions.accuracy'), b, Number(p.accuracy_score), 1);
    add(tally('predictions.accuracy'), `${b}|model=${p.model_type}`, Number(p.accuracy_score), 1);
  }
  return t;
}

const DIMENSION_OF: Record<string, string> = {
  'incidents.opened': 'component',
  'incidents.resolved': 'error_code',
  'incidents.mttr': 'component',
  'kb.reuse': 'error_code',
  'search.success': 'category',
  'templates.success': 'category',
  'auto.rate': 'component',
  'predictions.accuracy': 'model',
};

function compare(series: MetricSeries, tally: Tally | undefined, dim: string | null) {
  const ratio = series.unit !== 'count';
  let checked = 0;
  for (const p of series.points) {
    const want = tally?.get(p.bucket) ?? { n: 0, d: 0 };
    expect(p.numerator, `${series.metric} ${p.bucket}`).toBeCloseTo(want.n, 6);
    if (ratio) {
      expect(p.denominator, `${series.metric} ${p.bucket} denominator`).toBe(want.d);
      const value =
        want.d === 0 ? null : (want.n / want.d) * (series.metric === 'incidents.mttr' ? 1 / 3600 : 1);
      if (value === null) expect(p.value).toBeNull();
      else expect(p.value).toBeCloseTo(value, 9);
    } else expect(p.value).toBe(want.n);
    checked++;
  }
  if (dim) {
    const keys = new Set<string>();
    for (const key of tally?.keys() ?? []) if (key.includes(`|${dim}=`)) keys.add(key.split(`|${dim}=`)[1]!);
    expect(Object.keys(series.by ?? {}).sort(), `${series.metric} by ${dim}`).toEqual([...keys].sort());
    for (const [value, points] of Object.entries(series.by ?? {})) {
      for (const p of points) {
        const want = tally?.get(`${p.bucket}|${dim}=${value}`) ?? { n: 0, d: 0 };
        expect(p.numerator, `${series.metric} ${p.bucket} ${dim}=${value}`).toBeCloseTo(want.n, 6);
        if (ratio) expect(p.denominator).toBe(want.d);
        checked++;
      }
    }
  }
  return checked;
}

for (const target of availableTestStores()) {
  describe.skipIf(!target.stores)(
    `analytics series on ${target.dialect}${target.skipped ? ` (${target.skipped})` : ''}`,
    () => {
      let storage: Storage;
      const end = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);

      beforeAll(async () => {
        storage = await target.stores!.open(
          {
            mvp: {
              extensions: [
                { id: 'analytics', options: { autoResolution: { enabled: true, threshold: 0.5 } } },
              ],
            },
          },
          { plugins: [patternsPlugin, templatesPlugin, analyticsPlugin, rawAccessPlugin] },
        );
        const history = await seedHistory(storage, {
          start: START,
          days: DAYS,
          perDay: 6,
          backdate: async (ids) => {
            await rawDb(storage)
              .updateTable('kb_entries')
              .set({ created_at: '2026-09-01T00:00:00.000Z' })
              .where('id', 'in', ids)
              .execute();
          },
        });
        // Searches and feedback: same user (success), another user (not), one side without a user (success).
        const [s0c7, db2] = history.entryIds;
        await storage.searchEntries('S0C7 packed', { userId: 'ann' });
        await storage.recordFeedback(s0c7!, { outcome: 'success', userId: 'ann' });
        await storage.searchEntries('deadlock -911', { userId: 'bob' });
        await storage.recordFeedback(db2!, { outcome: 'success', userId: 'carol' });
        await storage.searchEntries('module not found');
        await storage.searchEntries('nothing matches zzzyx');
        await storage.flushSearchHistory();
        // Template outcomes.
        const templates = storage.plugin(templatesPlugin);
        await storage.storeTemplate({
          name: 'GUARD',
          description: 'IF NUMERIC guard',
          language: 'text',
          category: 'abend-fix',
          content: 'IF {{F}} IS NUMERIC\n',
          parameters: [{ name: 'F', kind: 'string', maxLength: 30 }],
        });
        await templates.recordOutcome('GUARD', { worked: true });
        await templates.recordOutcome('GUARD', { worked: false });
        await templates.recordOutcome('GUARD', { worked: true });
        // Predictions with outcomes, and automatic decisions on open incidents.
        const p1 = await storage.storePrediction({
          type: 'abend-risk',
          targetEntity: 'job',
          targetId: 'PAY100',
          probability: 0.8,
        });
        const p2 = await storage.storePrediction({
          type: 'abend-risk',
          targetEntity: 'job',
          targetId: 'PAY200',
          probability: 0.3,
          modelType: 'risk',
          modelVersion: '2',
        });
        const analytics = storage.plugin(analyticsPlugin);
        await analytics.recordOutcome(p1, { outcome: true });
        await analytics.recordOutcome(p2, { outcome: true });
        const open = await storage.plugin(patternsPlugin).listIncidents({ status: 'open', limit: 3 });
        for (const i of open) await analytics.decide(i.id);
      });
      afterAll(async () => {
        await storage?.close();
        await target.stores?.cleanup();
      });

      for (const interval of ['day', 'week', 'hour'] as const) {
        it(`reproduces every ${interval} figure, in total and by dimension, by counting rows`, async () => {
          const from = interval === 'hour' ? '2026-10-05' : START;
          const to = interval === 'hour' ? '2026-10-07' : end;
          const rows = await readRows(storage);
          const lo = Date.parse(`${from}T00:00:00.000Z`);
          const hi = Date.parse(`${to}T00:00:00.000Z`);
          const inRange = (iso: string) => Date.parse(iso) >= lo && Date.parse(iso) < hi;
          const tallies = expectedTallies(rows, interval, inRange);
          let checked = 0;
          for (const [metric, dim] of Object.entries(DIMENSION_OF)) {
            const result = await storage.getAnalytics({ from, to, interval, by: dim as never }, [metric]);
            checked += compare(result.metrics[0]!, tallies[metric], dim);
          }
          const all = await storage.getAnalytics({ from, to, interval });
          expect(all.metrics.map((m) => m.metric)).toEqual(Object.keys(DIMENSION_OF));
          for (const m of all.metrics) checked += compare(m, tallies[m.metric], null);
          expect(checked).toBeGreaterThan(100);
          // The rows hold what the test meant to count: every metric has something in range.
          for (const metric of Object.keys(DIMENSION_OF)) {
            if (interval === 'hour' && !metric.startsWith('incidents')) continue;
            expect(
              [...(tallies[metric]?.values() ?? [])].some((v) => v.n > 0 || v.d > 0),
              metric,
            ).toBe(true);
          }
        });
      }

      it('reads closed periods from snapshots with the same figures, and notices a later change', async () => {
        const analytics = storage.plugin(analyticsPlugin);
        const range = { from: START, to: end, interval: 'day' as const, by: 'component' as const };
        const live = await analytics.series({ ...range, useSnapshots: false });
        const built = await analytics.snapshot({ from: START });
        expect(built.written).toBeGreaterThan(DAYS * 24);
        const fromSnapshots = await analytics.series(range);
        expect(fromSnapshots.periods.fromSnapshots).toBeGreaterThanOrEqual(DAYS);
        expect(strip(fromSnapshots)).toEqual(strip(live));
        const again = await analytics.snapshot({ from: START });
        expect(again.written).toBe(0);

        // Resolve an old open incident: its created hour and resolved hour change; only they go stale.
        const [open] = await storage
          .plugin(patternsPlugin)
          .listIncidents({ status: 'open', to: '2026-10-10T00:00:00.000Z', limit: 1 });
        expect(open).toBeDefined();
        await storage.plugin(patternsPlugin).updateIncident(open!.id, {
          status: 'resolved',
          resolvedAt: new Date(Date.parse(open!.createdAt) + 3_600_000).toISOString(),
        });
        const after = await analytics.series(range);
        expect(after.periods.stale).toBeGreaterThan(0);
        expect(after.periods.stale).toBeLessThan(5);
        expect(strip(after)).toEqual(strip(await analytics.series({ ...range, useSnapshots: false })));
        const rebuilt = await analytics.snapshot({ from: START });
        expect(rebuilt.replaced).toBeGreaterThan(0);
        expect((await analytics.series(range)).periods.stale).toBe(0);

        // A deletion names no time: every older snapshot is stale, and the figures still match the rows.
        await storage.plugin(patternsPlugin).deleteIncident(open!.id);
        const afterDelete = await analytics.series(range);
        expect(afterDelete.periods.fromSnapshots).toBe(0);
        expect(strip(afterDelete)).toEqual(strip(await analytics.series({ ...range, useSnapshots: false })));
      });

      it('refuses what it cannot answer, with the reason', async () => {
        await expect(
          storage.getAnalytics({ from: START, to: end }, ['incidents.bogus']),
        ).rejects.toMatchObject({
          code: 'VALIDATION',
        });
        await expect(storage.getAnalytics({ from: 'yesterday', to: end })).rejects.toMatchObject({
          code: 'VALIDATION',
        });
        await expect(storage.getAnalytics({ from: end, to: START })).rejects.toMatchObject({
          code: 'VALIDATION',
        });
        await expect(
          storage.getAnalytics({ from: START, to: end, by: 'category' }, ['incidents.opened']),
        ).rejects.toThrow(/cannot be broken down by category/);
        await expect(
          storage.getAnalytics({ from: '2020-01-01', to: '2026-01-01', interval: 'hour' }),
        ).rejects.toThrow(/at most 10,000/);
      });
    },
  );
}

/** A series without where its counts came from, for comparing a snapshot read with a live one. */
function strip(r: SeriesResult) {
  const { periods: _periods, ...rest } = r;
  return JSON.parse(JSON.stringify(rest, (_k, v) => (typeof v === 'number' ? Math.round(v * 1e6) / 1e6 : v)));
}
