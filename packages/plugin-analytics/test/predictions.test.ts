import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { patternsPlugin } from '@mainframe-kb/plugin-patterns';
import { createStorage, type Storage } from '@mainframe-kb/storage-core';
import { rawAccessPlugin, rawDb } from '@mainframe-kb/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyticsPlugin, brierScore, recommendationQuery } from '../src/index.js';
import { ENTRIES, seedHistory } from './support/history.js';

const dir = mkdtempSync(join(tmpdir(), 'kb-analytics-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const open = (
  plugins = [patternsPlugin, analyticsPlugin, rawAccessPlugin],
  role: 'viewer' | 'editor' | 'admin' = 'admin',
  path = join(dir, `store-${++n}.db`),
) => createStorage({ database: { type: 'sqlite', path } }, { plugins, actor: { id: `t-${role}`, role } });

describe('predictions', () => {
  let storage: Storage;
  beforeAll(async () => {
    storage = await open();
  });
  afterAll(() => storage.close());

  it('stores a prediction and scores its outcome once', async () => {
    const api = storage.plugin(analyticsPlugin);
    const id = await storage.storePrediction({
      type: 'abend-risk',
      targetEntity: 'job',
      targetId: 'PAYJ100',
      probability: 0.7,
      expiresAt: '2027-01-01T00:00:00Z',
      metadata: { reason: 'three S0C7 last week' },
    });
    expect(await api.getPrediction(id)).toMatchObject({
      probability: 0.7,
      expiresAt: '2027-01-01T00:00:00.000Z',
      modelType: 'manual',
      modelVersion: '1',
      actualOutcome: null,
    });
    const scored = await api.recordOutcome(id, { outcome: 'no' });
    expect(scored).toMatchObject({ actualOutcome: 'false', accuracyScore: 0, observedValue: 0 });
    await expect(api.recordOutcome(id, { outcome: true })).rejects.toMatchObject({ code: 'CONFLICT' });
    expect((await api.getPrediction(id)).actualOutcome).toBe('false');
  });

  it('refuses bad predictions and outcomes with the field named, storing nothing', async () => {
    const api = storage.plugin(analyticsPlugin);
    const before = (await api.listPredictions({ limit: 1000 })).length;
    for (const bad of [
      { type: 'x', targetEntity: 'job', targetId: 'J', probability: 1.5 },
      { type: 'x', targetEntity: 'job', targetId: 'J', probability: Number.NaN },
      { type: 'Bad Type', targetEntity: 'job', targetId: 'J', probability: 0.5 },
      { type: 'x', targetEntity: '', targetId: 'J', probability: 0.5 },
      { type: 'x', targetEntity: 'job', targetId: 'J\u0000', probability: 0.5 },
      { type: 'x', targetEntity: 'job', targetId: 'J', probability: 0.5, expiresAt: 'tomorrow' },
      { type: 'x', targetEntity: 'job', targetId: 'J', probability: 0.5, extra: 1 },
      // JavaScript reads 30 February as 2 March: refused, not moved.
      { type: 'x', targetEntity: 'job', targetId: 'J', probability: 0.5, expiresAt: '2027-02-30T00:00:00Z' },
      { type: 'x', targetEntity: 'job', targetId: 'J', probability: 0.5, metadata: { big: 10n } },
    ]) {
      await expect(storage.storePrediction(bad as never)).rejects.toMatchObject({ code: 'VALIDATION' });
    }
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    await expect(
      storage.storePrediction({
        type: 'x',
        targetEntity: 'job',
        targetId: 'J',
        probability: 0.5,
        metadata: cyclic,
      }),
    ).rejects.toMatchObject({ code: 'VALIDATION', message: expect.stringMatching(/not JSON/) });
    await expect(storage.getAnalytics({ from: '2026-02-30', to: '2026-03-05' })).rejects.toMatchObject({
      code: 'VALIDATION',
    });
    const numeric = await storage.storePrediction({
      type: 'count',
      targetEntity: 'component',
      targetId: 'GL',
      probability: 0.9,
      predictedValue: 4,
    });
    await expect(api.recordOutcome(numeric, { outcome: 'many' })).rejects.toMatchObject({
      code: 'VALIDATION',
    });
    await expect(api.recordOutcome('missing', { outcome: true })).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
    expect(await api.recordOutcome(numeric, { outcome: 5 })).toMatchObject({
      observedValue: 5,
      accuracyScore: 0.8,
    });
    expect((await api.listPredictions({ limit: 1000 })).length).toBe(before + 1);
  });

  it('reports accuracy per model version: Brier score, calibration, MAE against the naive forecast', async () => {
    const fresh = await open();
    try {
      const api = fresh.plugin(analyticsPlugin);
      const pairs: [number, boolean][] = [
        [0.9, true],
        [0.8, true],
        [0.7, false],
        [0.2, false],
        [0.1, true],
      ];
      for (const [p, happened] of pairs) {
        const id = await fresh.storePrediction({
          type: 'risk',
          targetEntity: 'job',
          targetId: 'J',
          probability: p,
          modelType: 'risk',
          modelVersion: '3',
        });
        await api.recordOutcome(id, { outcome: happened });
      }
      await fresh.storePrediction({
        type: 'risk',
        targetEntity: 'job',
        targetId: 'J',
        probability: 0.5,
        modelType: 'risk',
        modelVersion: '3',
      });
      await fresh.storePrediction({
        type: 'risk',
        targetEntity: 'job',
        targetId: 'J',
        probability: 0.5,
        modelType: 'risk',
        modelVersion: '3',
        expiresAt: '2020-01-01T00:00:00Z',
      });
      // Forecasts with the naive value beside them.
      for (const [f, naive, actual] of [
        [3, 5, 4],
        [10, 6, 9],
        [0, 2, 1],
      ] as const) {
        const id = await fresh.storePrediction({
          type: 'count',
          targetEntity: 'component',
          targetId: 'GL',
          probability: 0.5,
          predictedValue: f,
          modelType: 'fc',
          metadata: { naive },
        });
        await api.recordOutcome(id, { outcome: actual });
      }
      const [fc, risk] = await api.accuracy();
      expect(risk).toMatchObject({
        modelType: 'risk',
        modelVersion: '3',
        predictions: 7,
        scored: 5,
        pending: 1,
        expired: 1,
      });
      const expectedBrier = brierScore(pairs.map(([p, h]) => ({ probability: p, outcome: h ? 1 : 0 })))!;
      expect(risk!.brier).toBeCloseTo(expectedBrier, 12);
      expect(risk!.brier).toBeCloseTo((0.01 + 0.04 + 0.49 + 0.04 + 0.81) / 5, 12);
      expect(risk!.meanScore).toBeCloseTo(3 / 5, 12); // 0.9✓ 0.8✓ 0.7✗ 0.2✓ 0.1✗
      expect(risk!.calibration.reduce((s, b) => s + b.count, 0)).toBe(5);
      expect(fc).toMatchObject({ modelType: 'fc', scored: 3 });
      expect(fc!.mae).toBeCloseTo((1 + 1 + 1) / 3, 12);
      expect(fc!.naiveMae).toBeCloseTo((1 + 3 + 1) / 3, 12);
      expect(fc!.maeRatio).toBeCloseTo(3 / 5, 12);
    } finally {
      await fresh.close();
    }
  });

  it('forbids a viewer to store a prediction or record an outcome, and lets it read', async () => {
    const path = join(dir, `store-${++n}.db`);
    const admin = await open(undefined, 'admin', path);
    const id = await admin.storePrediction({
      type: 'x',
      targetEntity: 'job',
      targetId: 'J',
      probability: 0.5,
    });
    await admin.close();
    const viewer = await open(undefined, 'viewer', path);
    try {
      await expect(
        viewer.storePrediction({ type: 'x', targetEntity: 'job', targetId: 'J', probability: 0.5 }),
      ).rejects.toMatchObject({
        code: 'FORBIDDEN',
      });
      await expect(viewer.plugin(analyticsPlugin).recordOutcome(id, { outcome: true })).rejects.toMatchObject(
        { code: 'FORBIDDEN' },
      );
      expect((await viewer.plugin(analyticsPlugin).getPrediction(id)).id).toBe(id);
    } finally {
      await viewer.close();
    }
  });
});

describe('the baseline models', () => {
  it('builds a recommendation query from codes first, then meaningful words', () => {
    expect(
      recommendationQuery({
        title: 'SQLCODE -911 in PAYROLL',
        description: 'the job failed with a deadlock',
        errorCodes: ['SQLCODE -911'],
      }),
    ).toBe('"sqlcode 911" OR sqlcode OR 911 OR payroll OR deadlock');
    expect(recommendationQuery({ title: 'the of and' })).toBeNull();
    expect(recommendationQuery({ title: 'x'.repeat(600) })).toBeNull();
    const long = recommendationQuery({
      title: Array.from({ length: 80 }, (_, i) => `word${i}abcdefghijklmnopqrstuvwxyz`).join(' '),
    });
    expect(long!.length).toBeLessThanOrEqual(500);
    expect(long!.split(' OR ').length).toBeLessThanOrEqual(32);
    // Codes written as phrases count each of their terms against core's limit of 32.
    const codes = Array.from({ length: 20 }, (_, i) => `SQLCODE -${900 + i}`);
    const phrased = recommendationQuery({ title: 'deadlock', errorCodes: codes })!;
    expect(phrased.split(' OR ').length).toBe(16);
  });

  it('recommends the entry of an incident’s code, records it, and scores it when the incident is resolved', async () => {
    const storage = await open();
    try {
      const history = await seedHistory(storage, { start: '2026-10-05', days: 3, perDay: 2 });
      const patterns = storage.plugin(patternsPlugin);
      const api = storage.plugin(analyticsPlugin);
      const incident = await patterns.createIncident({
        ticketId: 'INC9000001',
        title: 'S0C7 abend in PAYJ220',
        description: 'data exception on a packed decimal field after the input file changed',
        createdAt: '2026-11-02T03:00:00Z',
        component: 'PAYROLL',
      });
      const r = await api.recommend(incident.id);
      expect(r.candidates[0]!.entryId).toBe(history.entryIds[0]);
      expect(r.candidates.reduce((s, c) => s + c.probability, 0)).toBeLessThanOrEqual(1 + 1e-9);
      expect(r.predictionId).not.toBeNull();
      // Free text is recommended, not recorded: nothing would score it.
      expect(
        (await api.recommend({ title: 'VSAM status 35 IEC161I' }, { record: false })).candidates[0]!.entryId,
      ).toBe(history.entryIds[2]);
      await expect(api.recommend({ title: 'VSAM' }, { record: true })).rejects.toMatchObject({
        code: 'VALIDATION',
      });
      expect(await api.scorePending()).toEqual({ recommendations: 0, forecasts: 0 });
      await patterns.updateIncident(incident.id, {
        status: 'resolved',
        resolvedAt: '2026-11-02T05:00:00Z',
        kbEntryId: history.entryIds[0]!,
      });
      expect((await api.scorePending()).recommendations).toBe(1);
      expect(await api.getPrediction(r.predictionId!)).toMatchObject({
        actualOutcome: history.entryIds[0],
        accuracyScore: 1,
      });
      const [acc] = await api.accuracy({ modelType: 'kb-recommender' });
      expect(acc).toMatchObject({ top1: 1, top3: 1, scored: 1 });
      expect((await api.scorePending()).recommendations).toBe(0);
    } finally {
      await storage.close();
    }
  });

  it('forecasts daily incidents with the naive forecast beside it, and scores closed days', async () => {
    const storage = await open();
    try {
      const patterns = storage.plugin(patternsPlugin);
      const api = storage.plugin(analyticsPlugin);
      // Eight weeks ending yesterday with a weekly shape: 9 on Mondays, 2 on other days.
      const today = Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), new Date().getUTCDate());
      const inputs = [];
      for (let d = 58; d >= 2; d--) {
        const day = today - d * 86_400_000;
        const count = new Date(day).getUTCDay() === 1 ? 9 : 2;
        for (let k = 0; k < count; k++) {
          inputs.push({
            ticketId: `F${d}-${k}`,
            title: 'S322 in GL',
            component: 'GL',
            createdAt: new Date(day + k * 60_000 + 3_600_000).toISOString(),
          });
        }
      }
      await patterns.createIncidents(inputs);
      const f = await api.forecast({ component: 'GL', days: 7 });
      // An exact weekly shape: last week's value forecasts it better than the smoothed model, and is chosen.
      expect(f.model).toBe('seasonal-naive');
      expect(f.candidates.map((c) => c.model)).toEqual(['holt-winters', 'seasonal-naive']);
      expect(f.candidates[1]!.mae!).toBeLessThan(f.candidates[0]!.mae!);
      expect(f.history.length).toBe(56);
      expect(f.days).toHaveLength(7);
      const monday = f.days.find((d) => new Date(`${d.day}T00:00:00Z`).getUTCDay() === 1)!;
      const tuesday = f.days.find((d) => new Date(`${d.day}T00:00:00Z`).getUTCDay() === 2)!;
      expect(monday.value).toBeGreaterThan(tuesday.value + 4);
      for (const d of f.days) expect(d.probability).toBeCloseTo(1 - Math.exp(-d.value), 12);
      expect(f.days.every((d) => d.predictionId !== null)).toBe(true);
      // Make the first forecast day closed by moving its prediction back in time, then score it.
      const first = f.days[0]!;
      const pastDay = new Date(today - 2 * 86_400_000).toISOString().slice(0, 10);
      await rawDb(storage)
        .updateTable('predictions')
        .set({ metadata: JSON.stringify({ day: pastDay, component: 'GL', naive: first.naive, history: 56 }) })
        .where('id', '=', first.predictionId)
        .execute();
      expect((await api.scorePending()).forecasts).toBe(1);
      const observed = inputs.filter((i) => i.createdAt.startsWith(pastDay)).length;
      expect(await api.getPrediction(first.predictionId!)).toMatchObject({ observedValue: observed });
      const [acc] = await api.accuracy({ modelType: 'incident-forecast' });
      expect(acc!.mae).toBeCloseTo(Math.abs(first.value - observed), 9);
      expect(acc!.naiveMae).toBeCloseTo(Math.abs(first.naive - observed), 9);
    } finally {
      await storage.close();
    }
  });

  it('says which plugin is missing when incidents are asked for on a store without plugin-patterns', async () => {
    const storage = await open([analyticsPlugin]);
    try {
      await expect(storage.plugin(analyticsPlugin).recommend('INC1')).rejects.toMatchObject({
        code: 'EXTENSION_NOT_ENABLED',
        message: expect.stringMatching(/plugin-patterns/),
      });
      const series = await storage.getAnalytics({ from: '2026-10-01', to: '2026-10-08' }, [
        'incidents.opened',
        'search.success',
      ]);
      expect(series.metrics[0]!.unavailable).toMatch(/plugin-patterns/);
      expect(series.metrics[1]!.unavailable).toBeUndefined();
      expect(ENTRIES.length).toBeGreaterThan(0);
    } finally {
      await storage.close();
    }
  });
});
