import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { analyticsPlugin, METRIC_NAMES } from '@mainframe-kb/plugin-analytics';
import { type IncidentInput, patternsPlugin } from '@mainframe-kb/plugin-patterns';
import { createStorage, type PluginDefinition } from '@mainframe-kb/storage-core';
import { loadSeedTemplateFile, mainframeSamplesDir, SEED_TEMPLATE_FILES } from '@mainframe-kb/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createDemoApp } from '../src/app.js';
import { TokenTable } from '../src/tokens.js';
import { type Fixture, GRANTS, openFixture, TOKENS } from './support/demo-fixture.js';

// Series, predictions, forecasts and recommendations over the seed-anchor KB (its four template files: COBOL
// abends, DB2 SQLCODEs, JCL and VSAM errors) and incidents written with plugin-patterns at known times, so
// every figure the API returns is checked against the rows that were inserted.

const HOUR = 3_600_000;
const DAY = 86_400_000;

let f: Fixture;
/** The seed-anchor entry whose title starts with each code. */
let entry: Record<'S0C7' | 'SQLCODE -911' | 'VSAM Status 35', string>;
let texts: Record<keyof typeof entry, { title: string; problem: string }>;

beforeEach(async () => {
  f = await openFixture();
  const all = SEED_TEMPLATE_FILES.flatMap((file) => loadSeedTemplateFile(file));
  const ids = await f.storage.createEntries(all);
  const find = (prefix: keyof typeof entry) => {
    const i = all.findIndex((e) => e.title.startsWith(prefix));
    if (i < 0) throw new Error(`no seed-anchor entry starts with ${prefix}`);
    return { id: ids[i] as string, title: all[i]!.title, problem: all[i]!.problem };
  };
  const s0c7 = find('S0C7');
  const db2 = find('SQLCODE -911');
  const vsam = find('VSAM Status 35');
  entry = { S0C7: s0c7.id, 'SQLCODE -911': db2.id, 'VSAM Status 35': vsam.id };
  texts = { S0C7: s0c7, 'SQLCODE -911': db2, 'VSAM Status 35': vsam };
});

afterEach(async () => {
  await f.close();
});

const patterns = () => f.storage.plugin(patternsPlugin);

/** An incident about a seed-anchor entry: its title with a job name, its problem as the description. */
function incident(
  ticket: string,
  about: keyof typeof entry,
  createdAt: string,
  more: Partial<IncidentInput> = {},
): IncidentInput {
  return {
    ticketId: ticket,
    title: `${texts[about].title} in job PAYJ100`,
    description: texts[about].problem,
    createdAt,
    ...more,
  };
}

/** A week of November incidents: three in the 08:00 hour of Monday 2 November, one at 09:00 sharp, … */
function november(): IncidentInput[] {
  const resolved = (at: string, about: keyof typeof entry) => ({
    status: 'resolved' as const,
    resolvedAt: at,
    kbEntryId: entry[about],
  });
  return [
    incident('INC1', 'S0C7', '2026-11-02T08:05:00Z', {
      component: 'PAYROLL',
      severity: 'high',
      ...resolved('2026-11-02T10:05:00Z', 'S0C7'),
    }),
    incident('INC2', 'S0C7', '2026-11-02T08:40:00Z', {
      component: 'PAYROLL',
      status: 'resolved',
      resolvedAt: '2026-11-02T12:40:00Z',
    }),
    incident('INC3', 'SQLCODE -911', '2026-11-02T08:59:59Z', { component: 'BILLING' }),
    incident('INC4', 'VSAM Status 35', '2026-11-02T09:00:00Z', {
      component: 'BILLING',
      ...resolved('2026-11-03T09:00:00Z', 'VSAM Status 35'),
    }),
    incident('INC5', 'SQLCODE -911', '2026-11-04T23:30:00Z'),
    incident('INC6', 'VSAM Status 35', '2026-11-10T01:00:00Z', {
      component: 'PAYROLL',
      status: 'resolved',
      resolvedAt: '2026-11-10T03:00:00Z',
    }),
  ];
}

type Point = { bucket: string; value: number | null; numerator: number; denominator?: number };
type Series = {
  metric: string;
  points: Point[];
  total: Point;
  by?: Record<string, Point[]>;
  unavailable?: string;
};
const metricOf = (body: { metrics: Series[] }, name: string) => {
  const found = body.metrics.find((m) => m.metric === name);
  if (!found) throw new Error(`no series ${name}`);
  return found;
};
const numerators = (points: Point[]) => points.map((p) => p.numerator);
const issuePaths = (body: { issues?: { path: string }[] }) => (body.issues ?? []).map((i) => i.path);

describe('analytics: series for charts', () => {
  it('counts incidents per hour, day and week, with the numerator and denominator of every point', async () => {
    const inputs = november();
    const ids = await patterns().createIncidents(inputs);

    const hourly = await f.json(
      'viewer',
      'GET',
      '/api/analytics/series?from=2026-11-02T08:00:00Z&to=2026-11-02T11:00:00Z&interval=hour&metrics=incidents.opened&by=component',
    );
    expect(hourly.status).toBe(200);
    expect(hourly.body.buckets).toEqual(['2026-11-02T08', '2026-11-02T09', '2026-11-02T10']);
    const opened = metricOf(hourly.body, 'incidents.opened');
    expect(numerators(opened.points)).toEqual([3, 1, 0]);
    expect(opened.total.numerator).toBe(4);
    expect(Object.fromEntries(Object.entries(opened.by ?? {}).map(([k, v]) => [k, numerators(v)]))).toEqual({
      BILLING: [1, 1, 0],
      PAYROLL: [2, 0, 0],
    });

    const daily = await f.json(
      'viewer',
      'GET',
      '/api/analytics/series?from=2026-11-02&to=2026-11-05&metrics=incidents.resolved,incidents.mttr,kb.reuse',
    );
    expect(daily.body.buckets).toEqual(['2026-11-02', '2026-11-03', '2026-11-04']);
    expect(numerators(metricOf(daily.body, 'incidents.resolved').points)).toEqual([2, 1, 0]);
    const mttr = metricOf(daily.body, 'incidents.mttr').points;
    // INC1 took 2 hours and INC2 4 hours (resolved on the 2nd); INC4 24 hours (resolved on the 3rd).
    expect(mttr[0]).toEqual({ bucket: '2026-11-02', numerator: 6 * 3600, denominator: 2, value: 3 });
    expect(mttr[1]).toEqual({ bucket: '2026-11-03', numerator: 24 * 3600, denominator: 1, value: 24 });
    expect(mttr[2]).toEqual({ bucket: '2026-11-04', numerator: 0, denominator: 0, value: null });
    // The entries were written today, after those resolutions: none of them counts as reuse.
    expect(metricOf(daily.body, 'kb.reuse').points[0]).toMatchObject({ numerator: 0, denominator: 2 });

    const weekly = await f.json(
      'viewer',
      'GET',
      '/api/analytics/series?from=2026-11-02&to=2026-11-16&interval=week&metrics=incidents.opened&by=error_code',
    );
    expect(weekly.body.buckets).toEqual(['2026-11-02', '2026-11-09']);
    const byWeek = metricOf(weekly.body, 'incidents.opened');
    expect(numerators(byWeek.points)).toEqual([5, 1]);
    // By error code: the codes plugin-patterns found in each incident, counted here from the stored rows.
    const expected = new Map<string, number[]>();
    for (const [i, id] of ids.entries()) {
      const week = inputs[i]!.createdAt < '2026-11-09' ? 0 : 1;
      for (const code of (await patterns().getIncident(id)).errorCodes) {
        const counts = expected.get(code) ?? [0, 0];
        counts[week]! += 1;
        expected.set(code, counts);
      }
    }
    expect(expected.get('S0C7')).toEqual([2, 0]);
    expect(Object.fromEntries(Object.entries(byWeek.by ?? {}).map(([k, v]) => [k, numerators(v)]))).toEqual(
      Object.fromEntries([...expected].sort(([a], [b]) => (a < b ? -1 : 1))),
    );

    // Snapshots of the closed hours and days: 3 days of 24 hours, and the 3 days; then read back, same counts.
    expect((await f.call('viewer', 'POST', '/api/analytics/snapshot', {})).status).toBe(403);
    const snap = await f.json('editor', 'POST', '/api/analytics/snapshot', {
      from: '2026-11-02',
      to: '2026-11-05',
    });
    expect(snap.body).toMatchObject({ written: 3 * 24 + 3, replaced: 0, kept: 0 });
    const again = await f.json(
      'viewer',
      'GET',
      '/api/analytics/series?from=2026-11-02T08:00:00Z&to=2026-11-02T11:00:00Z&interval=hour&metrics=incidents.opened&by=component',
    );
    expect(again.body.periods).toEqual({ fromSnapshots: 3, computed: 0, stale: 0 });
    expect(again.body.metrics).toEqual(hourly.body.metrics);
  });

  it('lists the metrics, and refuses a bad series request naming the field', async () => {
    const catalog = await f.json('viewer', 'GET', '/api/analytics/metrics');
    expect(catalog.body.metrics.map((m: { name: string }) => m.name)).toEqual([...METRIC_NAMES]);
    expect(catalog.body.metrics.find((m: { name: string }) => m.name === 'incidents.mttr')).toMatchObject({
      unit: 'hours',
      numerator: 'ttrSeconds',
      denominator: 'resolved',
    });
    expect(catalog.body.intervals).toEqual(['hour', 'day', 'week']);

    const base = '/api/analytics/series?from=2026-11-02&to=2026-11-05';
    for (const [query, path] of [
      ['&interval=month', 'interval'],
      ['&by=planet', 'by'],
      ['&metrics=incidents.closed', 'metrics.0'],
      ['&metrics=incidents.opened&by=model', 'by'],
    ] as const) {
      const r = await f.json('viewer', 'GET', `${base}${query}`);
      expect(r.status, query).toBe(422);
      expect(r.body.code).toBe('VALIDATION');
      expect(issuePaths(r.body), query).toContain(path);
    }
    const backwards = await f.json('viewer', 'GET', '/api/analytics/series?from=2026-11-05&to=2026-11-02');
    expect(backwards.status).toBe(422);
    expect(issuePaths(backwards.body)).toEqual(['to']);
    const impossible = await f.json('viewer', 'GET', '/api/analytics/series?from=2026-02-30&to=2026-03-05');
    expect(impossible.status).toBe(422);
    expect(issuePaths(impossible.body)).toEqual(['timeRange.from']);
  });

  it('charts the template outcomes and the prediction scores recorded over HTTP today', async () => {
    const template = await f.json('editor', 'POST', '/api/templates', {
      name: 'S0C7-GUARD',
      description: 'IF NUMERIC around a MOVE',
      language: 'cobol',
      category: 'abend-fix',
      content:
        '           IF {{FIELD}} IS NUMERIC\n              MOVE {{FIELD}} TO {{TARGET}}\n           END-IF\n',
      parameters: [
        { name: 'FIELD', kind: 'string', maxLength: 30 },
        { name: 'TARGET', kind: 'string', maxLength: 30 },
      ],
      kbEntryIds: [entry.S0C7],
    });
    expect(template.status).toBe(201);
    for (const worked of [true, false, true]) {
      expect((await f.json('editor', 'POST', '/api/templates/S0C7-GUARD/outcome', { worked })).status).toBe(
        200,
      );
    }
    const yes = await f.json('editor', 'POST', '/api/analytics/predictions', {
      type: 'abend-risk',
      targetEntity: 'job',
      targetId: 'PAYJ100',
      probability: 0.8,
      modelType: 'risk',
    });
    await f.json('editor', 'POST', `/api/analytics/predictions/${yes.body.id}/outcome`, { outcome: false });

    const now = Date.now();
    const today = new Date(now).toISOString().slice(0, 10);
    const tomorrow = new Date(now + DAY).toISOString().slice(0, 10);
    const r = await f.json(
      'viewer',
      'GET',
      `/api/analytics/series?from=${today}&to=${tomorrow}&metrics=templates.success,predictions.accuracy`,
    );
    expect(r.status).toBe(200);
    const templates = metricOf(r.body, 'templates.success').points[0]!;
    expect(templates).toMatchObject({ bucket: today, numerator: 2, denominator: 3 });
    expect(templates.value).toBeCloseTo(2 / 3, 10);
    expect(metricOf(r.body, 'predictions.accuracy').points[0]).toMatchObject({
      numerator: 0,
      denominator: 1,
      value: 0,
    });
    const byCategory = await f.json(
      'viewer',
      'GET',
      `/api/analytics/series?from=${today}&to=${tomorrow}&metrics=templates.success&by=category`,
    );
    expect(metricOf(byCategory.body, 'templates.success').by?.['abend-fix']?.[0]).toMatchObject({
      numerator: 2,
      denominator: 3,
    });
  });
});

describe('analytics: predictions and their accuracy', () => {
  it('stores predictions, scores each outcome once, and reports Brier score and MAE', async () => {
    const store = async (probability: number, extra: Record<string, unknown> = {}) => {
      const r = await f.json('editor', 'POST', '/api/analytics/predictions', {
        type: 'abend-risk',
        targetEntity: 'job',
        targetId: 'PAYJ100',
        probability,
        modelType: 'risk',
        modelVersion: '3',
        ...extra,
      });
      expect(r.status).toBe(201);
      return r.body as { id: string };
    };
    const first = await store(0.9, { expiresAt: '2027-01-01T00:00:00Z', metadata: { reason: 'three S0C7' } });
    expect(first).toMatchObject({
      probability: 0.9,
      expiresAt: '2027-01-01T00:00:00.000Z',
      actualOutcome: null,
      metadata: { reason: 'three S0C7' },
    });
    const pairs: [number, boolean][] = [
      [0.8, true],
      [0.3, false],
      [0.6, false],
    ];
    const scored = [
      await f.json('editor', 'POST', `/api/analytics/predictions/${first.id}/outcome`, { outcome: true }),
    ];
    for (const [p, happened] of pairs) {
      const { id } = await store(p);
      scored.push(
        await f.json('editor', 'POST', `/api/analytics/predictions/${id}/outcome`, { outcome: happened }),
      );
    }
    expect(scored.map((s) => s.body.accuracyScore)).toEqual([1, 1, 1, 0]);
    await store(0.5); // pending
    const again = await f.json('editor', 'POST', `/api/analytics/predictions/${first.id}/outcome`, {
      outcome: false,
    });
    expect(again).toMatchObject({ status: 409, body: { code: 'CONFLICT' } });
    expect((await f.json('viewer', 'GET', `/api/analytics/predictions/${first.id}`)).body.actualOutcome).toBe(
      'true',
    );

    const numeric = await f.json('editor', 'POST', '/api/analytics/predictions', {
      type: 'incident-count',
      targetEntity: 'component',
      targetId: 'PAYROLL',
      probability: 0.9,
      predictedValue: 4,
      modelType: 'count',
      metadata: { naive: 2 },
    });
    const many = await f.json('editor', 'POST', `/api/analytics/predictions/${numeric.body.id}/outcome`, {
      outcome: 'many',
    });
    expect(many.status).toBe(422);
    const five = await f.json('editor', 'POST', `/api/analytics/predictions/${numeric.body.id}/outcome`, {
      outcome: 5,
    });
    expect(five.body).toMatchObject({ observedValue: 5, accuracyScore: 0.8 });

    const report = await f.json('viewer', 'GET', '/api/analytics/accuracy');
    expect(report.status).toBe(200);
    const risk = report.body.models.find((m: { modelType: string }) => m.modelType === 'risk');
    expect(risk).toMatchObject({
      modelVersion: '3',
      predictions: 5,
      scored: 4,
      pending: 1,
      expired: 0,
      top1: null,
    });
    expect(risk.meanScore).toBeCloseTo(0.75, 10);
    // (0.9−1)² + (0.8−1)² + (0.3−0)² + (0.6−0)², over 4.
    expect(risk.brier).toBeCloseTo((0.01 + 0.04 + 0.09 + 0.36) / 4, 10);
    const count = report.body.models.find((m: { modelType: string }) => m.modelType === 'count');
    expect(count).toMatchObject({ mae: 1, naiveMae: 3, scored: 1 });
    expect(count.maeRatio).toBeCloseTo(1 / 3, 10);
    const filtered = await f.json('viewer', 'GET', '/api/analytics/accuracy?modelType=count');
    expect(filtered.body.models).toHaveLength(1);

    const pending = await f.json('viewer', 'GET', '/api/analytics/predictions?state=pending');
    expect(pending.body.predictions.map((p: { probability: number }) => p.probability)).toEqual([0.5]);
    expect(
      (await f.json('viewer', 'GET', '/api/analytics/predictions?modelType=risk')).body.predictions,
    ).toHaveLength(5);
    expect((await f.json('viewer', 'GET', '/api/analytics/predictions/nope')).status).toBe(404);
    expect((await f.json('admin', 'DELETE', `/api/analytics/predictions/${numeric.body.id}`)).status).toBe(
      204,
    );
    expect((await f.json('admin', 'DELETE', `/api/analytics/predictions/${numeric.body.id}`)).status).toBe(
      404,
    );
  });

  it('refuses a bad prediction naming the field, and stores nothing', async () => {
    const before = await f.storage.contentHash();
    const valid = { type: 'abend-risk', targetEntity: 'job', targetId: 'PAYJ100', probability: 0.5 };
    const probability = await f.json('editor', 'POST', '/api/analytics/predictions', {
      ...valid,
      probability: 1.5,
    });
    expect(probability).toMatchObject({ status: 422, body: { code: 'VALIDATION' } });
    expect(issuePaths(probability.body)).toEqual(['probability']);
    const type = await f.json('editor', 'POST', '/api/analytics/predictions', { ...valid, type: 'Bad Type' });
    expect(issuePaths(type.body)).toEqual(['type']);
    const extra = await f.json('editor', 'POST', '/api/analytics/predictions', { ...valid, extra: 1 });
    expect(extra.status).toBe(422);
    // The store's own rules: a date that does not exist.
    const date = await f.json('editor', 'POST', '/api/analytics/predictions', {
      ...valid,
      expiresAt: '2027-02-30T00:00:00Z',
    });
    expect(date.status).toBe(422);
    expect(issuePaths(date.body)).toEqual(['prediction.expiresAt']);
    expect(await f.storage.contentHash()).toEqual(before);
  });
});

describe('analytics: forecasts and recommendations', () => {
  it('forecasts from the closed days of incidents, and records the days only on POST', async () => {
    // The last closed day ends at the last midnight at least an hour ago (the plugin's grace period).
    const to = Math.floor((Date.now() - HOUR) / DAY) * DAY;
    const at = (daysBack: number, hour: number) => new Date(to - daysBack * DAY + hour * HOUR).toISOString();
    const inputs = [
      incident('R1', 'S0C7', at(1, 1), { component: 'PAYROLL' }),
      incident('R2', 'S0C7', at(1, 2), { component: 'PAYROLL' }),
      incident('R3', 'SQLCODE -911', at(1, 3), { component: 'GL' }),
      incident('R4', 'VSAM Status 35', at(2, 5), { component: 'PAYROLL' }),
      incident('R5', 'VSAM Status 35', at(8, 5), { component: 'GL' }),
      incident('R6', 'S0C7', at(60, 5), { component: 'PAYROLL' }), // before the 56 days fitted
    ];
    await patterns().createIncidents(inputs);
    const historyOf = (component?: string) => {
      const from = to - 56 * DAY;
      const days = new Array<number>(56).fill(0);
      for (const i of inputs) {
        const t = Date.parse(i.createdAt);
        if (t < from || t >= to || (component !== undefined && i.component !== component)) continue;
        days[Math.floor((t - from) / DAY)]! += 1;
      }
      return days;
    };

    const read = await f.json('viewer', 'GET', '/api/analytics/forecast?days=3');
    expect(read.status).toBe(200);
    expect(read.body.history).toEqual(historyOf());
    expect(read.body.history.slice(-2)).toEqual([1, 3]);
    expect(read.body.historyFrom).toBe(new Date(to - 56 * DAY).toISOString().slice(0, 10));
    expect(read.body.days.map((d: { day: string }) => d.day)).toEqual(
      [0, 1, 2].map((i) => new Date(to + i * DAY).toISOString().slice(0, 10)),
    );
    expect(read.body.days.every((d: { predictionId: string | null }) => d.predictionId === null)).toBe(true);
    expect(read.body.candidates.map((c: { model: string }) => c.model).length).toBeGreaterThan(0);
    expect(read.body.modelVersion).toBe(`${read.body.model}-1`);
    const payroll = await f.json('viewer', 'GET', '/api/analytics/forecast?component=PAYROLL&days=1');
    expect(payroll.body.history).toEqual(historyOf('PAYROLL'));
    expect((await f.json('viewer', 'GET', '/api/analytics/predictions')).body.predictions).toEqual([]);

    expect((await f.call('viewer', 'POST', '/api/analytics/forecast', { days: 3 })).status).toBe(403);
    const recorded = await f.json('editor', 'POST', '/api/analytics/forecast', { days: 3 });
    expect(recorded.status).toBe(200);
    const ids = recorded.body.days.map((d: { predictionId: string }) => d.predictionId);
    expect(ids.every((id: string | null) => typeof id === 'string')).toBe(true);
    const stored = await f.json('viewer', 'GET', '/api/analytics/predictions?type=incident-count');
    expect(stored.body.predictions.map((p: { id: string }) => p.id).sort()).toEqual([...ids].sort());
    expect(stored.body.predictions[0]).toMatchObject({ modelType: 'incident-forecast', targetId: '*' });
    const bad = await f.json('viewer', 'GET', '/api/analytics/forecast?days=400');
    expect(bad.status).toBe(422);
    expect(issuePaths(bad.body)).toEqual(['days']);
  });

  it('recommends seed-anchor entries for an incident text; a recorded one is scored when the incident is resolved', async () => {
    const text = await f.json('viewer', 'POST', '/api/analytics/recommend', {
      title: 'S0C7 data exception in PAYROLL: packed decimal field holds spaces',
      errorCodes: ['S0C7'],
    });
    expect(text.status).toBe(200);
    expect(text.body).toMatchObject({ predictionId: null, incidentId: null, modelType: 'kb-recommender' });
    expect(text.body.candidates[0].entryId).toBe(entry.S0C7);
    expect(text.body.candidates).toHaveLength(3);

    const open = await patterns().createIncident(
      incident('INC-911', 'SQLCODE -911', '2026-12-01T03:00:00Z', { component: 'BILLING' }),
    );
    const byIncident = await f.json('viewer', 'POST', '/api/analytics/recommend', {
      incidentId: open.id,
      limit: 5,
    });
    expect(byIncident.body.incidentId).toBe(open.id);
    expect(byIncident.body.candidates[0].entryId).toBe(entry['SQLCODE -911']);
    expect(byIncident.body.predictionId).toBeNull();
    expect((await f.json('viewer', 'GET', '/api/analytics/predictions')).body.predictions).toEqual([]);

    const both = await f.json('viewer', 'POST', '/api/analytics/recommend', {
      incidentId: open.id,
      title: 'x',
    });
    expect(both.status).toBe(422);
    expect(issuePaths(both.body)).toEqual(['title']);
    expect((await f.json('viewer', 'POST', '/api/analytics/recommend', { incidentId: 'nope' })).status).toBe(
      404,
    );
    expect(
      (await f.call('viewer', 'POST', `/api/analytics/incidents/${open.id}/recommendations`)).status,
    ).toBe(403);

    const recorded = await f.json('editor', 'POST', `/api/analytics/incidents/${open.id}/recommendations`);
    expect(recorded.status).toBe(201);
    expect(typeof recorded.body.predictionId).toBe('string');
    const prediction = await f.json(
      'viewer',
      'GET',
      `/api/analytics/predictions/${recorded.body.predictionId}`,
    );
    expect(prediction.body).toMatchObject({
      type: 'kb-recommendation',
      targetId: open.id,
      actualOutcome: null,
    });

    // Nothing to score until the incident is resolved with an entry.
    expect((await f.json('editor', 'POST', '/api/analytics/predictions/score')).body).toEqual({
      recommendations: 0,
      forecasts: 0,
    });
    await patterns().updateIncident(open.id, {
      status: 'resolved',
      resolvedAt: new Date().toISOString(),
      kbEntryId: entry['SQLCODE -911'],
    });
    expect((await f.json('editor', 'POST', '/api/analytics/predictions/score')).body.recommendations).toBe(1);
    const accuracy = await f.json('viewer', 'GET', '/api/analytics/accuracy?modelType=kb-recommender');
    expect(accuracy.body.models).toEqual([
      expect.objectContaining({ predictions: 1, scored: 1, top1: 1, top3: 1, meanScore: 1 }),
    ]);
  });
});

describe('analytics: models and datasets', () => {
  it('lists stored models with their sha256, verifies them, and moves their stage', async () => {
    const bytes = readFileSync(join(mainframeSamplesDir(), 'cobrix/data/test1_data/example.bin'));
    const sha = createHash('sha256').update(bytes).digest('hex');
    const api = f.storage.plugin(analyticsPlugin);
    const first = await api.saveModel({ modelType: 'recommender', version: '1.0.0' }, bytes);
    const second = await api.saveModel({ modelType: 'recommender', version: '2.0.0', checksum: sha }, bytes);

    const list = await f.json('viewer', 'GET', '/api/analytics/models');
    expect(list.status).toBe(200);
    expect(list.body.models.map((m: { version: string }) => m.version)).toEqual(['1.0.0', '2.0.0']);
    expect(list.body.models[0]).toMatchObject({
      modelType: 'recommender',
      stage: 'candidate',
      sizeBytes: bytes.length,
      checksum: sha,
      chunkCount: 1,
    });
    const one = await f.json('viewer', 'GET', '/api/analytics/models/recommender@2.0.0');
    expect(one.body.id).toBe(second.id);
    const verified = await f.json('viewer', 'POST', `/api/analytics/models/${first.id}/verify`);
    expect(verified.body).toMatchObject({ ok: true, checksum: sha, sizeBytes: bytes.length });

    expect(
      (await f.call('viewer', 'POST', `/api/analytics/models/${first.id}/stage`, { stage: 'production' }))
        .status,
    ).toBe(403);
    const promoted = await f.json('editor', 'POST', `/api/analytics/models/${first.id}/stage`, {
      stage: 'production',
    });
    expect(promoted.body).toMatchObject({ model: { stage: 'production' }, retired: [] });
    const next = await f.json('editor', 'POST', '/api/analytics/models/recommender@2.0.0/stage', {
      stage: 'production',
    });
    expect(next.body.retired).toEqual([first.id]);
    const production = await f.json('viewer', 'GET', '/api/analytics/models?stage=production');
    expect(production.body.models.map((m: { id: string }) => m.id)).toEqual([second.id]);
    const badStage = await f.json('editor', 'POST', `/api/analytics/models/${first.id}/stage`, {
      stage: 'live',
    });
    expect(issuePaths(badStage.body)).toEqual(['stage']);

    expect((await f.call('editor', 'DELETE', `/api/analytics/models/${first.id}`)).status).toBe(403);
    expect((await f.call('admin', 'DELETE', `/api/analytics/models/${first.id}`)).status).toBe(204);
    expect((await f.json('viewer', 'GET', `/api/analytics/models/${first.id}`)).status).toBe(404);
  });

  it('freezes a dataset of the incidents resolved with a KB entry', async () => {
    await patterns().createIncidents(november());
    const made = await f.json('editor', 'POST', '/api/analytics/datasets/from-incidents', {
      name: 'november',
    });
    expect(made.status).toBe(201);
    expect(made.body).toMatchObject({
      name: 'november',
      entity: 'incident',
      memberCount: 2,
      createdBy: 'editor-user',
    });
    const read = await f.json('viewer', 'GET', '/api/analytics/datasets/november?members=true');
    expect(read.body.intact).toBe(true);
    expect(read.body.members.map((m: { label: string }) => m.label).sort()).toEqual(
      [entry.S0C7, entry['VSAM Status 35']].sort(),
    );
    expect((await f.json('viewer', 'GET', '/api/analytics/datasets')).body.datasets).toHaveLength(1);
    const again = await f.json('editor', 'POST', '/api/analytics/datasets/from-incidents', {
      name: 'november',
    });
    expect(again.status).toBe(409);
    expect((await f.call('admin', 'DELETE', '/api/analytics/datasets/november')).status).toBe(204);
  });
});

describe('analytics: the auto-resolution log', () => {
  it('logs a held decision and its review, reads them newest first, and verifies the chain', async () => {
    const open = await patterns().createIncident(
      incident('INC-AUTO', 'S0C7', '2026-12-01T02:00:00Z', { component: 'PAYROLL' }),
    );
    const decided = await f.json('editor', 'POST', '/api/analytics/auto/decide', { incidentId: open.id });
    expect(decided.status).toBe(201);
    expect(decided.body.decision).toMatchObject({
      kind: 'decision',
      decision: 'held',
      incidentId: open.id,
      proposalId: entry.S0C7,
      decidedBy: 'editor-user',
    });
    expect(decided.body.reason).toMatch(/switched off/);
    // Held: the incident is untouched.
    expect(await patterns().getIncident(open.id)).toMatchObject({ status: 'open', kbEntryId: null });

    const decisionId = decided.body.decision.id;
    const review = await f.json('editor', 'POST', `/api/analytics/auto/${decisionId}/review`, {
      verdict: 'accepted',
      note: 'the operator applied it by hand',
    });
    expect(review.status).toBe(201);
    expect(review.body).toMatchObject({ kind: 'review', decision: 'accepted', decisionId });

    const log = await f.json('viewer', 'GET', '/api/analytics/auto/log');
    expect(log.body.entries.map((e: { kind: string }) => e.kind)).toEqual(['review', 'decision']);
    expect(log.body.entries[0].decisionId).toBe(decisionId);
    expect((await f.json('viewer', 'GET', '/api/analytics/auto/log?incidentId=other')).body.entries).toEqual(
      [],
    );
    const verified = await f.json('viewer', 'POST', '/api/analytics/auto/verify');
    expect(verified.body).toEqual({
      ok: true,
      rows: 2,
      head: { seq: log.body.entries[0].seq, hash: log.body.entries[0].hash },
      problems: [],
    });

    const badVerdict = await f.json('editor', 'POST', `/api/analytics/auto/${decisionId}/review`, {
      verdict: 'maybe',
    });
    expect(issuePaths(badVerdict.body)).toEqual(['verdict']);
    expect(
      (await f.json('editor', 'POST', '/api/analytics/auto/nope/outcome', { outcome: 'resolved' })).status,
    ).toBe(404);
    await patterns().updateIncident(open.id, { status: 'resolved', resolvedAt: new Date().toISOString() });
    expect(
      (await f.json('editor', 'POST', '/api/analytics/auto/decide', { incidentId: open.id })).status,
    ).toBe(409);
  });
});

describe('analytics: refusals', () => {
  it("refuses a viewer's writes with 403 and leaves the store unchanged", async () => {
    const open = await patterns().createIncident(incident('INC-V', 'S0C7', '2026-12-01T02:00:00Z'));
    const prediction = await f.storage.storePrediction({
      type: 'abend-risk',
      targetEntity: 'job',
      targetId: 'PAYJ100',
      probability: 0.7,
    });
    const before = await f.storage.contentHash();
    for (const [method, path, body] of [
      [
        'POST',
        '/api/analytics/predictions',
        { type: 'x', targetEntity: 'job', targetId: 'J', probability: 0.5 },
      ],
      ['POST', `/api/analytics/predictions/${prediction}/outcome`, { outcome: true }],
      ['DELETE', `/api/analytics/predictions/${prediction}`, undefined],
      ['POST', '/api/analytics/predictions/score', undefined],
      ['POST', '/api/analytics/snapshot', undefined],
      ['POST', '/api/analytics/forecast', {}],
      ['POST', `/api/analytics/incidents/${open.id}/recommendations`, {}],
      ['POST', '/api/analytics/auto/decide', { incidentId: open.id }],
      ['POST', '/api/analytics/datasets/from-incidents', { name: 'x' }],
    ] as const) {
      const response = await f.call('viewer', method, path, body);
      expect(response.status, `${method} ${path}`).toBe(403);
      expect(await response.json()).toMatchObject({ code: 'FORBIDDEN' });
    }
    expect(await f.storage.contentHash()).toEqual(before);
  });

  it('publishes the routes in the OpenAPI document', async () => {
    const doc = await f.json(null, 'GET', '/api/openapi.json');
    expect(Object.keys(doc.body.paths)).toEqual(
      expect.arrayContaining([
        '/api/analytics/series',
        '/api/analytics/predictions/{id}/outcome',
        '/api/analytics/auto/verify',
        '/api/templates/{name}/render',
        '/api/templates/preview',
      ]),
    );
    expect(doc.body.components.schemas.AnalyticsSeries).toBeDefined();
    expect(doc.body.components.schemas.TemplateParameter).toBeDefined();
  });
});

describe('analytics: stores without the plugins it reads', () => {
  async function bare(plugins: PluginDefinition[]) {
    const dir = mkdtempSync(join(tmpdir(), 'kb-demo-bare-'));
    const storage = await createStorage({ database: { path: join(dir, 'kb.db') } }, { plugins });
    const demo = createDemoApp({ storage, tokens: new TokenTable(GRANTS), events: { pollMs: 50 } });
    const call = async (method: string, path: string, body?: unknown) => {
      const response = await demo.app.request(path, {
        method,
        headers: { authorization: `Bearer ${TOKENS.editor}`, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      return { status: response.status, body: await response.json() };
    };
    const close = async () => {
      await demo.close();
      await storage.close();
      rmSync(dir, { recursive: true, force: true });
    };
    return { call, close };
  }

  it('answers 501 EXTENSION_NOT_ENABLED without plugin-analytics', async () => {
    const app = await bare([]);
    try {
      for (const [method, path, body] of [
        ['GET', '/api/analytics/series?from=2026-11-02&to=2026-11-05', undefined],
        ['GET', '/api/analytics/metrics', undefined],
        [
          'POST',
          '/api/analytics/predictions',
          { type: 'x', targetEntity: 'job', targetId: 'J', probability: 0.5 },
        ],
      ] as const) {
        const r = await app.call(method, path, body);
        expect(r.status, path).toBe(501);
        expect(r.body).toMatchObject({ code: 'EXTENSION_NOT_ENABLED', status: 501 });
      }
    } finally {
      await app.close();
    }
  });

  it('without plugin-patterns, says the incident series are unavailable and refuses a forecast with 501', async () => {
    const app = await bare([analyticsPlugin as PluginDefinition]);
    try {
      const r = await app.call(
        'GET',
        '/api/analytics/series?from=2026-11-02&to=2026-11-05&metrics=incidents.opened',
      );
      expect(r.status).toBe(200);
      expect(r.body.metrics[0].unavailable).toMatch(/plugin-patterns/);
      const forecast = await app.call('GET', '/api/analytics/forecast');
      expect(forecast).toMatchObject({ status: 501, body: { code: 'EXTENSION_NOT_ENABLED' } });
    } finally {
      await app.close();
    }
  });
});
