import { readFileSync, writeFileSync } from 'node:fs';
import { analyticsPlugin } from '@mainframe-kb/plugin-analytics';
import { patternsPlugin } from '@mainframe-kb/plugin-patterns';
import { createStorage } from '@mainframe-kb/storage-core';
import { rawAccessPlugin, rawDb } from '@mainframe-kb/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Workspace } from './cli-harness.js';

/** `kb analytics …` (plugin-analytics' commands), run as an operator would, on a store seeded with incidents. */
let ws: Workspace;
let db: string;
let openIncident: string;
const DAY = 86_400_000;

beforeAll(async () => {
  ws = new Workspace();
  db = ws.path('kb.db');
  await ws.ok(['--db', db, 'init', '--sample']);
  const storage = await createStorage(
    { database: { type: 'sqlite', path: db } },
    { plugins: [patternsPlugin, analyticsPlugin], actor: { id: 'seed', role: 'admin' } },
  );
  const start = Date.parse('2026-10-05T00:00:00Z');
  const inputs = [];
  for (let d = 0; d < 28; d++) {
    const n = new Date(start + d * DAY).getUTCDay() === 1 ? 5 : 2;
    for (let k = 0; k < n; k++) {
      const created = start + d * DAY + k * 3_600_000;
      inputs.push({
        ticketId: `INC${d}-${k}`,
        source: 'servicenow' as const,
        title: k % 2 ? 'S0C7 data exception in PAYJ100' : 'VSAM status 35 opening the master file',
        component: k % 2 ? 'PAYROLL' : 'BILLING',
        createdAt: new Date(created).toISOString(),
        ...(k > 0 && {
          status: 'resolved' as const,
          resolvedAt: new Date(created + 2 * 3_600_000).toISOString(),
        }),
      });
    }
  }
  const ids = await storage.plugin(patternsPlugin).createIncidents(inputs);
  openIncident = ids[0]!;
  await storage.close();
});
afterAll(() => ws?.remove());

describe('kb analytics', () => {
  it('prints a series counted from the store, then the same from snapshots', async () => {
    const args = [
      '--db',
      db,
      'analytics',
      'series',
      '--from',
      '2026-10-05',
      '--to',
      '2026-10-12',
      '--metric',
      'incidents.opened',
    ];
    const live = await ws.ok(args);
    // Monday 5, then 2 a day: 5 + 6 × 2.
    expect(live.metrics[0].total).toMatchObject({ numerator: 17, value: 17 });
    expect(live.metrics[0].points).toHaveLength(7);
    const snap = await ws.ok(['--db', db, 'analytics', 'snapshot', '--from', '2026-10-05']);
    expect(snap.written).toBeGreaterThan(28 * 24);
    const again = await ws.ok(args);
    expect(again.periods.fromSnapshots).toBe(7);
    expect(again.metrics).toEqual(live.metrics);
    const text = await ws.run([
      '--db',
      db,
      'analytics',
      'series',
      '--from',
      '2026-10-05',
      '--to',
      '2026-10-19',
      '--interval',
      'week',
      '--by',
      'component',
      '--metric',
      'incidents.mttr',
    ]);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('incidents.mttr');
    expect(text.stdout).toContain('component=PAYROLL');
    expect(text.stdout).toContain('2026-10-12');
  });

  it('forecasts, recommends, scores and reports accuracy', async () => {
    const forecast = await ws.ok([
      '--db',
      db,
      'analytics',
      'predict',
      'forecast',
      '--component',
      'PAYROLL',
      '--days',
      '3',
    ]);
    expect(forecast.days).toHaveLength(3);
    expect(forecast.days[0].predictionId).toEqual(expect.any(String));
    const rec = await ws.ok(['--db', db, 'analytics', 'predict', 'recommend', openIncident]);
    expect(rec.candidates.length).toBeGreaterThan(0);
    expect(rec.predictionId).toEqual(expect.any(String));
    const outcome = await ws.ok([
      '--db',
      db,
      'analytics',
      'predict',
      'outcome',
      rec.predictionId,
      rec.candidates[0].entryId,
    ]);
    expect(outcome).toMatchObject({ accuracyScore: 1 });
    const listed = await ws.ok(['--db', db, 'analytics', 'predict', 'list', '--scored']);
    expect(listed.map((p: { id: string }) => p.id)).toContain(rec.predictionId);
    const accuracy = await ws.ok(['--db', db, 'analytics', 'accuracy', '--score']);
    expect(
      accuracy.models.find((m: { modelType: string }) => m.modelType === 'kb-recommender'),
    ).toMatchObject({ top1: 1 });
    const table = await ws.run(['--db', db, 'analytics', 'accuracy']);
    expect(table.stdout).toMatch(/MODEL\s+PREDICTIONS/);
  });

  it('stores a model file, writes it back verified, and exits 5 on a corrupted one', async () => {
    const bytes = Buffer.alloc(3 * 1024 * 1024 + 5, 7);
    bytes.write('model', 100);
    writeFileSync(ws.path('model.bin'), bytes);
    const stored = await ws.ok([
      '--db',
      db,
      'analytics',
      'models',
      'add',
      'model.bin',
      '--type',
      'recommender',
      '--model-version',
      '2.0.0',
    ]);
    expect(stored).toMatchObject({ sizeBytes: bytes.length, stage: 'candidate' });
    await ws.ok(['--db', db, 'analytics', 'models', 'get', 'recommender@2.0.0', '--out', 'back.bin']);
    expect(readFileSync(ws.path('back.bin')).equals(bytes)).toBe(true);
    expect((await ws.run(['--db', db, 'analytics', 'models', 'verify', 'recommender@2.0.0'])).code).toBe(0);
    const wrong = await ws.run([
      '--db',
      db,
      'analytics',
      'models',
      'add',
      'model.bin',
      '--type',
      'recommender',
      '--model-version',
      '3',
      '--sha256',
      'b'.repeat(64),
    ]);
    expect(wrong.code).toBe(5);
    expect(
      (await ws.ok(['--db', db, 'analytics', 'models', 'list'])).map((m: { version: string }) => m.version),
    ).toEqual(['2.0.0']);

    const raw = await createStorage(
      { database: { type: 'sqlite', path: db } },
      { plugins: [patternsPlugin, analyticsPlugin, rawAccessPlugin], actor: { id: 'tamper', role: 'admin' } },
    );
    await rawDb(raw)
      .updateTable('ml_model_chunks')
      .set({ data: Buffer.alloc(1024 * 1024, 1) })
      .where('seq', '=', 1)
      .execute();
    await raw.close();
    const verify = await ws.run(['--db', db, 'analytics', 'models', 'verify', 'recommender@2.0.0']);
    expect(verify.code).toBe(5);
    expect(verify.stdout).toMatch(/chunk 1 does not match its checksum/);
    const get = await ws.run([
      '--db',
      db,
      'analytics',
      'models',
      'get',
      'recommender@2.0.0',
      '--out',
      'bad.bin',
    ]);
    expect(get.code).toBe(5);
    expect(() => readFileSync(ws.path('bad.bin'))).toThrow();
  });

  it('records an automatic decision (held: the kill switch is off by default) and verifies the log', async () => {
    const decided = await ws.ok(['--db', db, 'analytics', 'auto', 'decide', openIncident]);
    expect(decided.decision).toMatchObject({ decision: 'held', kind: 'decision' });
    expect(decided.reason).toMatch(/switched off/);
    expect(await ws.ok(['--db', db, 'analytics', 'auto', 'verify'])).toMatchObject({ ok: true, rows: 1 });
    const log = await ws.run(['--db', db, 'analytics', 'auto', 'log']);
    expect(log.stdout).toMatch(/decision\s+held/);
  });

  it('refuses unknown actions and bad values with the contract’s exit codes', async () => {
    expect((await ws.run(['--db', db, 'analytics', 'bogus'])).code).toBe(2);
    expect((await ws.run(['--db', db, 'analytics', 'models'])).code).toBe(2);
    expect((await ws.run(['--db', db, 'analytics', 'predict', 'forecast', '--days', 'many'])).code).toBe(2);
    expect((await ws.run(['--db', db, 'analytics', 'series', '--interval', 'month'])).code).toBe(3);
    expect((await ws.run(['--db', db, 'analytics', 'series', '--metric', 'nope'])).code).toBe(3);
    expect((await ws.run(['--db', db, 'analytics', 'models', 'show', 'nope@1'])).code).toBe(4);
  });
});
