/**
 * Load: an open arrival-rate model (requests arrive on a Poisson schedule whatever the store is doing, so
 * queueing shows up in latency — a closed loop would slow its own arrivals down and hide it), at rising
 * rates, on SQLite and on PostgreSQL with the benchmark corpus.
 *
 *   pnpm bench:load [--entries 100000] [--dialects sqlite,postgresql] [--rates 25,50,100,200,400,800]
 *                   [--seconds 15] [--runs 3] [--url postgres://…]
 *
 * Mix per request: 80% search (generated queries: codes, phrases, prefixes, typos), 15% read an entry and
 * record feedback on it, 5% writes (half new entries, half updates). Latency runs from the request's
 * scheduled arrival to its completion. The store is used as an application would: in this process, search
 * cache on (its hit rate is reported; writes clear it). The requirements' "1,000 concurrent users" at 10 s
 * think time is ≈100 req/s, to be held at p95 ≤ 50 ms with no errors.
 *
 * Each rate runs `--runs` times and the median p95 is the figure: one run of 15 s on two cores moves with
 * whatever else the machine does. Before the first run every query runs once (the first common-word query
 * builds the server engines' in-memory lists, which must not land in a timed run), and before every run the
 * server is let settle: a PostgreSQL copy is VACUUM ANALYZEd and checkpointed once, and each run waits for
 * autovacuum workers to finish.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createStorage, type Storage } from '@mainframe-kb/storage-core';
import { generateCorpus } from '../src/corpus/corpus-generator.js';
import { generateQueries } from '../src/corpus/query-generator.js';
import { SeededRandom } from '../src/random/seeded-random.js';
import { rawAccessPlugin, rawDb } from '../src/raw-access/raw-access-plugin.js';
import { BENCH_SEED, copyCorpusSqlite, openCorpusPostgres, pgQuery } from './bench-corpus.js';
import { argValue, fmt, machine, percentiles } from './bench-stats.js';

const ENTRIES = Number(argValue('entries', '100000'));
const DIALECTS = argValue('dialects', 'sqlite,postgresql').split(',');
const RATES = argValue('rates', '25,50,100,200,400,800').split(',').map(Number);
const SECONDS = Number(argValue('seconds', '15'));
const RUNS = Number(argValue('runs', '3'));
const URL = argValue('url', process.env.KB_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test');
const TARGET_P95_MS = 50;
const here = dirname(fileURLToPath(import.meta.url));

type Kind = 'search' | 'read' | 'write';

interface RateResult {
  rate: number;
  requests: number;
  achievedRate: number;
  latency: ReturnType<typeof percentiles>;
  byKind: Record<Kind, ReturnType<typeof percentiles>>;
  errors: Record<string, number>;
  maxInFlight: number;
  cacheHitRate: number;
  /** CPU of this process (the store's own work, and kysely's and the driver's) per request, ms. */
  cpuMsPerRequest: number;
  /** One-minute load average before and after the run. */
  load: [number, number];
}

async function openStore(dialect: string): Promise<{ storage: Storage; setupSeconds: number }> {
  const start = performance.now();
  // rawAccessPlugin only lets makeOps() read the first entry ids in insertion order before the load starts.
  const options = { actor: { id: 'load', role: 'admin' as const }, plugins: [rawAccessPlugin] };
  if (dialect === 'sqlite') {
    const path = `/tmp/kb-load-${ENTRIES}.db`;
    await copyCorpusSqlite(ENTRIES, path);
    const storage = await createStorage({ database: { path } }, options);
    return { storage, setupSeconds: (performance.now() - start) / 1000 };
  }
  if (dialect === 'postgresql') {
    // A schema of its own, refilled from the SQLite corpus by copyStore on every run (the writes change it).
    const { storage } = await openCorpusPostgres(URL, ENTRIES, {}, `kb_load_${ENTRIES}`, true, [
      rawAccessPlugin,
    ]);
    // A fresh copy of 689k rows: set its hint bits and visibility map now, as an operator's first
    // `kb optimize` would, rather than in the first timed run's reads.
    await storage.optimize();
    await pgQuery(URL, 'checkpoint');
    return { storage, setupSeconds: (performance.now() - start) / 1000 };
  }
  throw new Error(`unknown dialect '${dialect}'`);
}

async function runRate(storage: Storage, rate: number, ops: Ops, random: SeededRandom): Promise<RateResult> {
  const total = Math.max(1, Math.round(rate * SECONDS));
  // Poisson arrivals: exponential gaps with mean 1/rate.
  const arrivals: number[] = [];
  let t = 0;
  for (let i = 0; i < total; i++) {
    t += -Math.log(1 - random.next()) / rate;
    arrivals.push(t * 1000);
  }
  const latencies: Record<Kind, number[]> = { search: [], read: [], write: [] };
  const all: number[] = [];
  const errors: Record<string, number> = {};
  let inFlight = 0;
  let maxInFlight = 0;
  const pending: Promise<void>[] = [];
  const before = await storage.getMetrics();
  const loadBefore = loadavg()[0]!;
  const cpuBefore = process.cpuUsage();
  const start = performance.now();
  for (const at of arrivals) {
    const wait = start + at - performance.now();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    const scheduled = start + at;
    const roll = random.next();
    const kind: Kind = roll < 0.8 ? 'search' : roll < 0.95 ? 'read' : 'write';
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    pending.push(
      ops[kind](random)
        .then(
          () => {
            const ms = performance.now() - scheduled;
            latencies[kind].push(ms);
            all.push(ms);
          },
          (error: unknown) => {
            const code = String((error as { code?: unknown }).code ?? (error as Error).name);
            errors[code] = (errors[code] ?? 0) + 1;
          },
        )
        .finally(() => {
          inFlight--;
        }),
    );
  }
  await Promise.all(pending);
  const elapsed = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const after = await storage.getMetrics();
  const hits = after.cache.hits - before.cache.hits;
  const misses = after.cache.misses - before.cache.misses;
  return {
    rate,
    requests: total,
    achievedRate: total / elapsed,
    latency: percentiles(all),
    byKind: {
      search: percentiles(latencies.search),
      read: percentiles(latencies.read),
      write: percentiles(latencies.write),
    },
    errors,
    maxInFlight,
    cacheHitRate: hits + misses === 0 ? 0 : hits / (hits + misses),
    cpuMsPerRequest: (cpu.user + cpu.system) / 1000 / total,
    load: [loadBefore, loadavg()[0]!],
  };
}

/** Waits (at most two minutes) until no autovacuum worker runs on the server, then two seconds more. */
async function settle(dialect: string): Promise<void> {
  if (dialect === 'postgresql') {
    const until = performance.now() + 120_000;
    while (performance.now() < until) {
      const rows = await pgQuery<{ n: string }>(
        URL,
        "select count(*) as n from pg_stat_activity where backend_type = 'autovacuum worker'",
      );
      if (Number(rows[0]?.n ?? 0) === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
  }
  await new Promise((resolve) => setTimeout(resolve, 2_000));
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

type Ops = Record<Kind, (random: SeededRandom) => Promise<unknown>> & { queries: readonly string[] };

async function makeOps(storage: Storage): Promise<Ops> {
  const queries = generateQueries({
    corpus: generateCorpus({ count: Math.min(ENTRIES, 20_000), seed: BENCH_SEED }),
    count: 300,
    seed: BENCH_SEED + 1,
  }).map((q) => q.query);
  const ids = (
    await rawDb(storage).selectFrom('kb_entries').select('id').orderBy('seq').limit(5_000).execute()
  ).map((r) => r.id as string);
  const fresh = generateCorpus({ count: 1_000_000, seed: BENCH_SEED + 2 })[Symbol.iterator]();
  const pick = <T>(list: readonly T[], random: SeededRandom) =>
    list[Math.floor(random.next() * list.length)]!;
  return {
    queries,
    search: (random) => storage.search(pick(queries, random), { limit: 10 }),
    read: async (random) => {
      const id = pick(ids, random);
      await storage.getEntry(id);
      await storage.recordFeedback(id, { outcome: random.next() < 0.8 ? 'success' : 'failure' });
    },
    write: async (random) => {
      if (random.next() < 0.5) {
        const next = fresh.next();
        if (!next.done) await storage.createEntry(next.value);
      } else {
        await storage.updateEntry(pick(ids, random), {
          solution: `Updated under load at ${Date.now()}: rerun the step.`,
        });
      }
    },
  };
}

async function main() {
  const report: Record<string, unknown> = {};
  console.log(
    `load benchmark: ${ENTRIES} entries, rates ${RATES.join(', ')} req/s for ${SECONDS} s each, ${RUNS} run(s) per rate, dialects ${DIALECTS.join(', ')}`,
  );
  for (const dialect of DIALECTS) {
    const { storage, setupSeconds } = await openStore(dialect);
    console.log(
      `\n${dialect}: store ready in ${setupSeconds.toFixed(1)} s (${await storage.countEntries()} entries)`,
    );
    const ops = await makeOps(storage);
    const random = new SeededRandom(`${BENCH_SEED}:${dialect}`);
    // Warm-up: every query once (the first common-word query builds in-memory lists on the servers), and
    // a few reads and writes.
    for (const query of ops.queries) await storage.search(query, { limit: 10 });
    for (let i = 0; i < 20; i++) await ops.read(random);
    for (let i = 0; i < 5; i++) await ops.write(random);
    const results: RateResult[] = [];
    const summaries: { rate: number; runs: number; p95: number[]; medianP95: number; errors: number }[] = [];
    console.log(
      'rate/s  run  achieved   p50 ms   p95 ms   p99 ms  search p95  read p95  write p95  errors  in-flight  cache  CPU ms/req  load',
    );
    for (const rate of RATES) {
      const runs: RateResult[] = [];
      for (let run = 1; run <= RUNS; run++) {
        await settle(dialect);
        const r = await runRate(storage, rate, ops, random);
        runs.push(r);
        results.push(r);
        const errorCount = Object.values(r.errors).reduce((a, b) => a + b, 0);
        console.log(
          `${String(rate).padStart(6)} ${String(run).padStart(4)} ${r.achievedRate.toFixed(1).padStart(9)} ${fmt(r.latency.p50).padStart(8)} ${fmt(r.latency.p95).padStart(8)} ${fmt(r.latency.p99).padStart(8)} ${fmt(r.byKind.search.p95).padStart(11)} ${fmt(r.byKind.read.p95).padStart(9)} ${fmt(r.byKind.write.p95).padStart(10)} ${String(errorCount).padStart(7)} ${String(r.maxInFlight).padStart(10)} ${(r.cacheHitRate * 100).toFixed(0).padStart(5)}% ${r.cpuMsPerRequest.toFixed(2).padStart(11)}  ${r.load[0].toFixed(1)}→${r.load[1].toFixed(1)}`,
        );
      }
      const p95 = runs.map((r) => r.latency.p95);
      const errors = runs.reduce((n, r) => n + Object.values(r.errors).reduce((a, b) => a + b, 0), 0);
      summaries.push({ rate, runs: runs.length, p95, medianP95: median(p95), errors });
      if (RUNS > 1)
        console.log(`${String(rate).padStart(6)}  median p95 of ${RUNS} runs: ${fmt(median(p95))} ms`);
      // Past the knee there is nothing more to learn: latency only grows with the queue.
      if (median(p95) > 20 * TARGET_P95_MS || errors > runs.reduce((n, r) => n + r.requests, 0) * 0.05) break;
    }
    const knee = summaries.find((r) => r.medianP95 > TARGET_P95_MS);
    const holds = summaries.filter((r) => r.medianP95 <= TARGET_P95_MS && r.errors === 0).map((r) => r.rate);
    const best = holds.length > 0 ? Math.max(...holds) : 0;
    const at100 = summaries.find((r) => r.rate === 100);
    console.log(
      `${dialect}: median p95 passes ${TARGET_P95_MS} ms at ${knee ? `${knee.rate} req/s` : `none of the rates tried`}; highest rate held (median p95 ≤ ${TARGET_P95_MS} ms, 0 errors): ${best} req/s` +
        (at100
          ? `; at 100 req/s median p95 ${fmt(at100.medianP95)} ms, ${at100.errors === 0 ? 'no errors' : `${at100.errors} errors`}`
          : ''),
    );
    report[dialect] = {
      setupSeconds,
      summaries,
      results,
      kneeRate: knee?.rate ?? null,
      highestRateHeld: best,
    };
    await storage.close();
  }
  const out = join(here, 'results');
  mkdirSync(out, { recursive: true });
  const result = {
    benchmark: 'load',
    command: `pnpm bench:load --entries ${ENTRIES} --dialects ${DIALECTS.join(',')} --rates ${RATES.join(',')} --seconds ${SECONDS} --runs ${RUNS}`,
    date: new Date().toISOString(),
    machine: machine(),
    entries: ENTRIES,
    mix: { search: 0.8, readWithFeedback: 0.15, write: 0.05 },
    ...report,
  };
  writeFileSync(join(out, `load-${ENTRIES}.json`), `${JSON.stringify(result, null, 2)}\n`);
}

await main();
