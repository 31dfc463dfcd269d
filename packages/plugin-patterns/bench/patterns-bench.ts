/**
 * Pattern detection over 100,000 incidents and incremental detection of one new incident, each beside a
 * baseline measured in the same run on the same store:
 * - full detection (`detectPatterns()`: read, detect, store) against just reading the incidents it reads;
 * - `createIncident` with incremental detection against `createIncident` with detection switched off.
 *
 *   pnpm bench:patterns [--incidents 100000] [--samples 200]
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createStorage, type Storage } from '@mainframe-kb/storage-core';
import { rawAccessPlugin, rawDb } from '@mainframe-kb/testkit';
import {
  type DetectionSummary,
  type IncidentInput,
  type PatternsOptionsInput,
  patternsPlugin,
} from '../src/index.js';
import { generateIncidentStream } from '../test/support/incident-stream.js';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const INCIDENTS = arg('incidents', 100_000);
const SAMPLES = arg('samples', 200);
const RUNS = 3;

function percentiles(samples: number[]) {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) =>
    sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
  return {
    n: sorted.length,
    p50: at(0.5),
    p95: at(0.95),
    p99: at(0.99),
    max: sorted[sorted.length - 1]!,
    mean: sorted.reduce((s, x) => s + x, 0) / sorted.length,
  };
}

async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; wallMs: number; cpuMs: number }> {
  const cpu = process.cpuUsage();
  const start = performance.now();
  const value = await fn();
  const wallMs = performance.now() - start;
  const used = process.cpuUsage(cpu);
  return { value, wallMs, cpuMs: (used.user + used.system) / 1000 };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const round = (x: number) => Math.round(x * 100) / 100;

const open = (path: string, options: PatternsOptionsInput) =>
  createStorage(
    { database: { path }, mvp: { extensions: [{ id: 'patterns', options }] } },
    // Raw access for the baseline: the same reads detection makes, without the plugin around them.
    { plugins: [patternsPlugin, rawAccessPlugin] },
  );

async function readBaseline(storage: Storage): Promise<number> {
  const db = rawDb(storage);
  const rows = await db
    .selectFrom('incidents')
    .select(['id', 'created_at', 'component', 'severity', 'title', 'description'])
    .orderBy('created_at')
    .orderBy('id')
    .execute();
  const codes = await db.selectFrom('incident_error_codes').select(['incident_id', 'code']).execute();
  return rows.length + codes.length;
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'kb-patterns-bench-'));
  const path = join(dir, 'kb.db');
  try {
    const stream = generateIncidentStream({
      seed: 'bench-100k',
      background: INCIDENTS,
      days: 365,
      codePool: 120,
      codeShare: 0.5,
    });
    const incidents = stream.incidents.slice(0, INCIDENTS);
    const storage = await open(path, { incremental: false });
    const load = await timed(async () => {
      for (let i = 0; i < incidents.length; i += 5000)
        await storage.plugin(patternsPlugin).createIncidents(incidents.slice(i, i + 5000));
    });
    console.log(`loaded ${incidents.length} incidents in ${load.wallMs.toFixed(0)} ms`);

    const read: number[] = [];
    const detect: number[] = [];
    const detectCpu: number[] = [];
    let summary: DetectionSummary | undefined;
    for (let run = 0; run < RUNS; run++) {
      const r = await timed(() => readBaseline(storage));
      read.push(r.wallMs);
      const d = await timed(() => storage.plugin(patternsPlugin).detectPatterns());
      detect.push(d.wallMs);
      detectCpu.push(d.cpuMs);
      summary = d.value;
      console.log(
        `run ${run + 1}: read ${r.wallMs.toFixed(0)} ms, detectPatterns ${d.wallMs.toFixed(0)} ms (${d.value.patterns} patterns)`,
      );
    }

    const next = (prefix: string, seed: string): IncidentInput[] =>
      generateIncidentStream({
        seed,
        background: SAMPLES,
        days: 2,
        codePool: 120,
        codeShare: 0.5,
        startAt: stream.end,
        planted: false,
      }).incidents.map((i) => ({ ...i, ticketId: `${prefix}-${i.ticketId}` }));
    // Two handles on the same file, one folding each new incident into the patterns and one not, sampled
    // alternately so that both see the same machine load.
    await storage.close();
    const withDetection = await open(path, { incremental: true });
    const without = await open(path, { incremental: false });
    const baselineList = next('B', 'bench-next-baseline');
    const incrementalList = next('I', 'bench-next-incremental');
    const baselineTimes: number[] = [];
    const incrementalTimes: number[] = [];
    for (let i = 0; i < SAMPLES; i++) {
      const b = await timed(() => without.plugin(patternsPlugin).createIncident(baselineList[i]!));
      baselineTimes.push(b.wallMs);
      const d = await timed(() => withDetection.plugin(patternsPlugin).createIncident(incrementalList[i]!));
      incrementalTimes.push(d.wallMs);
    }
    await withDetection.close();
    await without.close();
    const baselineCreate = percentiles(baselineTimes);
    const incrementalCreate = percentiles(incrementalTimes);

    const result = {
      benchmark: 'patterns',
      date: new Date().toISOString(),
      machine: {
        node: process.version,
        cpus: cpus().length,
        cpuModel: cpus()[0]?.model ?? 'unknown',
        loadAverage: loadavg().map((l) => round(l)),
      },
      incidents: incidents.length,
      loadMs: round(load.wallMs),
      detection: {
        patterns: summary?.patterns,
        byType: summary?.byType,
        runs: RUNS,
        // The first run stores every pattern and member; later runs find the same patterns and mostly update.
        detectPatternsMs: {
          firstRun: round(detect[0]!),
          median: round(median(detect)),
          all: detect.map(round),
          cpuFirstRun: round(detectCpu[0]!),
          cpuMedian: round(median(detectCpu)),
        },
        baselineReadMs: { median: round(median(read)), all: read.map(round) },
        firstRunRatioToRead: round(detect[0]! / median(read)),
        medianRatioToRead: round(median(detect) / median(read)),
        targetMs: 10_000,
        withinTarget: detect[0]! <= 10_000,
      },
      incremental: {
        samples: SAMPLES,
        createIncidentWithDetectionMs: Object.fromEntries(
          Object.entries(incrementalCreate).map(([k, v]) => [k, round(v)]),
        ),
        baselineCreateIncidentMs: Object.fromEntries(
          Object.entries(baselineCreate).map(([k, v]) => [k, round(v)]),
        ),
        p95Ratio: round(incrementalCreate.p95 / baselineCreate.p95),
        targetP95Ms: 20,
        withinTarget: incrementalCreate.p95 <= 20,
      },
    };
    const out = join(import.meta.dirname, 'results');
    mkdirSync(out, { recursive: true });
    const file = join(out, `patterns-${incidents.length}.json`);
    writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
    console.log(JSON.stringify(result, null, 2));
    console.log(`written to ${file}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
