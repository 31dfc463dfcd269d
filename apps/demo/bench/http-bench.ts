/**
 * The HTTP API under the load the requirements set for MVP5: 1,000 concurrent users.
 *
 *   pnpm bench:http [--entries 100000] [--clients 1000] [--seconds 60] [--dialects sqlite,postgresql]
 *                   [--subscribers 1000] [--events 20]
 *
 * Per dialect, on the 100k-entry benchmark corpus (the server in a child process, the clients here):
 * 1. Baseline: the same queries called on the library in-process, one at a time (what HTTP adds to).
 * 2. Steady load: `clients` keep-alive connections, each searching every 5–10 s (≈150 req/s for 1,000):
 *    p50/p95/p99 and errors, as measured by the clients.
 * 3. The knee: the same clients with shorter pauses, rate doubling, until p95 passes 50 ms or errors
 *    appear: the rate where that happens.
 * 4. Events: `subscribers` SSE streams, `events` updates made through the API; for each, the time until
 *    every subscriber has it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { dirname, join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { generateCorpus, generateQueries } from '@mainframe-kb/testkit';
import {
  BENCH_SEED,
  copyCorpusSqlite,
  openCorpusPostgres,
} from '../../../packages/testkit/bench/bench-corpus.js';
import {
  argValue,
  fmt,
  machine,
  type Percentiles,
  percentiles,
} from '../../../packages/testkit/bench/bench-stats.js';

const ENTRIES = Number(argValue('entries', '100000'));
const CLIENTS = Number(argValue('clients', '1000'));
const SECONDS = Number(argValue('seconds', '60'));
const DIALECTS = argValue('dialects', 'sqlite,postgresql').split(',');
const SUBSCRIBERS = Number(argValue('subscribers', '1000'));
const EVENTS = Number(argValue('events', '20'));
const WORKERS = argValue('workers', '1,2').split(',').map(Number);
const PG_URL = argValue('url', process.env.KB_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test');
const P95_GOAL_MS = 50;
const here = dirname(fileURLToPath(import.meta.url));
const TOKEN = 'bench-editor-token-0123456789abcdef';
const GRANTS = [{ token: TOKEN, actor: { id: 'bench', role: 'editor' } }];

const agent = new http.Agent({ keepAlive: true, maxSockets: Number.POSITIVE_INFINITY });

/** One request; `fresh` opens a new connection (so that successive requests reach every worker). */
function request(
  url: string,
  method = 'GET',
  body?: string,
  fresh = false,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      {
        method,
        agent: fresh ? false : agent,
        headers: {
          authorization: `Bearer ${TOKEN}`,
          ...(body ? { 'content-type': 'application/json' } : {}),
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function startServer(
  database: string,
  workers: number,
  schema?: string,
): Promise<{ child: ChildProcess; url: string }> {
  const args = [
    join(here, 'bench-server.ts'),
    database,
    JSON.stringify(GRANTS),
    String(workers),
    JSON.stringify(serverConfig(schema)),
  ];
  const child = spawn(process.execPath, ['--import', 'tsx', ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line) resolve(JSON.parse(line).url as string);
    });
    child.once('exit', (code) => reject(new Error(`bench server exited with ${code}`)));
  });
  return { child, url };
}

interface LoadResult {
  rate: number;
  requests: number;
  errors: number;
  latency: Percentiles;
  clientLoopDelayP99Ms: number;
}

/**
 * `clients` connections, each pausing uniformly in [pauseMs·2/3, pauseMs·4/3] between searches. The clients
 * start spread over one pause (the ramp); only requests started after the ramp are counted, so the rate
 * and the percentiles are those of the steady state.
 */
async function load(
  url: string,
  queries: string[],
  clients: number,
  meanPauseMs: number,
  seconds: number,
): Promise<LoadResult> {
  const samples: number[] = [];
  let errors = 0;
  const rampMs = meanPauseMs * 1.33;
  const steadyFrom = performance.now() + rampMs;
  const end = steadyFrom + seconds * 1000;
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  let n = 0;
  const client = async (i: number) => {
    // Start spread over one pause, so the clients do not arrive together.
    await sleep(Math.random() * rampMs);
    while (performance.now() < end) {
      const q = queries[(i * 7919 + n++) % queries.length] as string;
      const start = performance.now();
      const counted = start >= steadyFrom && start < end;
      try {
        const r = await request(`${url}/api/search?q=${encodeURIComponent(q)}&limit=10`);
        if (r.status !== 200 && counted) errors++;
      } catch {
        if (counted) errors++;
      }
      if (counted) samples.push(performance.now() - start);
      await sleep(meanPauseMs * (2 / 3 + Math.random() * (2 / 3)));
    }
  };
  await Promise.all(Array.from({ length: clients }, (_, i) => client(i)));
  loop.disable();
  // Requests are counted when they start inside the window; the window, not the time until the last
  // client woke from its pause, is what they spread over.
  const elapsed = seconds;
  return {
    rate: samples.length / elapsed,
    requests: samples.length,
    errors,
    latency: percentiles(samples),
    clientLoopDelayP99Ms: loop.percentile(99) / 1e6,
  };
}

/**
 * The PostgreSQL corpus was copied from the SQLite one, audit chain included: the server extends that chain,
 * so it needs the SQLite corpus's audit key (a server store has no key file of its own).
 */
function serverConfig(schema: string | undefined) {
  return schema ? { database: { schema }, audit: { keyFile: `/tmp/kb-bench-${ENTRIES}.db.audit-key` } } : {};
}

/** In-process library calls, one at a time: the floor HTTP adds to. */
async function baseline(database: string, queries: string[], schema?: string): Promise<Percentiles> {
  const { createStorage } = await import('@mainframe-kb/storage-core');
  const target = schema ? { type: 'postgresql' as const, url: database, schema } : { path: database };
  const storage = await createStorage({
    ...serverConfig(schema),
    database: target,
    performance: { caching: { enabled: false } },
  });
  try {
    for (const q of queries) await storage.search(q, { limit: 10 }); // warm, as the server is before its load
    const samples: number[] = [];
    for (let rep = 0; rep < 3; rep++) {
      for (const q of queries) {
        const start = performance.now();
        await storage.search(q, { limit: 10 });
        samples.push(performance.now() - start);
      }
    }
    return percentiles(samples);
  } finally {
    await storage.close();
  }
}

async function events(
  url: string,
  subscribers: number,
  count: number,
): Promise<{ subscribers: number; perEventMaxMs: Percentiles; deliveries: number; missing: number }> {
  const received = new Map<string, number[]>();
  const sent = new Map<string, number>();
  const requests: http.ClientRequest[] = [];
  const sseAgent = new http.Agent({ keepAlive: true, maxSockets: Number.POSITIVE_INFINITY });
  let ready = 0;
  await new Promise<void>((resolve, reject) => {
    for (let i = 0; i < subscribers; i++) {
      const req = http.request(
        `${url}/api/events`,
        { agent: sseAgent, headers: { authorization: `Bearer ${TOKEN}`, accept: 'text/event-stream' } },
        (res) => {
          let buffer = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            buffer += chunk;
            let cut = buffer.indexOf('\n\n');
            while (cut >= 0) {
              const block = buffer.slice(0, cut);
              buffer = buffer.slice(cut + 2);
              cut = buffer.indexOf('\n\n');
              if (block.includes('event: ready')) {
                if (++ready === subscribers) resolve();
                continue;
              }
              const data = /^data: (.*)$/m.exec(block)?.[1];
              if (!data) continue;
              const payload = JSON.parse(data) as { payload?: { after?: { title?: string } } };
              const title = payload.payload?.after?.title;
              if (title?.startsWith('bench event ')) {
                const list = received.get(title) ?? [];
                list.push(performance.now());
                received.set(title, list);
              }
            }
          });
        },
      );
      req.on('error', reject);
      req.end();
      requests.push(req);
    }
  });
  const listing = JSON.parse((await request(`${url}/api/entries?limit=1`)).text) as {
    entries: { id: string; version: number }[];
  };
  const entry = listing.entries[0];
  if (!entry) throw new Error('no entry to update');
  let version = entry.version;
  for (let i = 0; i < count; i++) {
    const title = `bench event ${i}`;
    sent.set(title, performance.now());
    const r = await request(
      `${url}/api/entries/${encodeURIComponent(entry.id)}`,
      'PATCH',
      JSON.stringify({ title, expectedVersion: version }),
    );
    if (r.status !== 200) throw new Error(`update failed: ${r.status} ${r.text}`);
    version++;
    await sleep(500);
  }
  await sleep(2000);
  for (const req of requests) req.destroy();
  sseAgent.destroy();
  const maxima: number[] = [];
  let deliveries = 0;
  let missing = 0;
  for (const [title, at] of sent) {
    const got = received.get(title) ?? [];
    deliveries += got.length;
    missing += subscribers - got.length;
    if (got.length > 0) maxima.push(Math.max(...got) - at);
  }
  return { subscribers, perEventMaxMs: percentiles(maxima), deliveries, missing };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const line = (p: Percentiles) =>
  `p50 ${fmt(p.p50)} ms · p95 ${fmt(p.p95)} ms · p99 ${fmt(p.p99)} ms · max ${fmt(p.max)} ms`;

/** One server configuration under the three loads: steady, the knee, the event fan-out. */
async function serve(
  dialect: string,
  label: string,
  database: string,
  schema: string | undefined,
  workers: number,
  floor: Percentiles,
  queries: string[],
): Promise<unknown> {
  const { child, url } = await startServer(database, workers, schema);
  try {
    // The first searches build the engine's in-memory lists and vocabulary (issue 19), in every worker: a
    // pass over every query per worker, timed and reported on its own, not mixed into the load figures.
    const cold: number[] = [];
    for (let w = 0; w < workers; w++) {
      for (const q of queries) {
        const start = performance.now();
        await request(`${url}/api/search?q=${encodeURIComponent(q)}&limit=10`, 'GET', undefined, true);
        cold.push(performance.now() - start);
      }
    }
    const coldPass = percentiles(cold);
    console.log(`[${label}] first pass over the ${queries.length} queries after start: ${line(coldPass)}`);
    const steady = await load(url, queries, CLIENTS, 7_500, SECONDS);
    console.log(
      `[${label}] ${CLIENTS} clients, pause 5–10 s: ${steady.rate.toFixed(0)} req/s, ${steady.errors} errors, ${line(steady.latency)} (p95 ${(steady.latency.p95 / floor.p95).toFixed(2)}× the library's; client loop delay p99 ${fmt(steady.clientLoopDelayP99Ms)} ms)`,
    );
    // The knee: pauses halve (the rate doubles) until p95 passes the goal or errors appear, then one step
    // between the last pause that held and the first that did not.
    const knee: LoadResult[] = [steady];
    const fails = (r: LoadResult) => r.latency.p95 > P95_GOAL_MS || r.errors > 0;
    const step = async (pause: number) => {
      const r = await load(url, queries, CLIENTS, pause, 15);
      knee.push(r);
      console.log(
        `[${label}]   pause ${fmt(pause)} ms: ${r.rate.toFixed(0)} req/s, ${r.errors} errors, ${line(r.latency)}`,
      );
      return r;
    };
    for (let pause = 3_750; pause >= 100; pause /= 2) {
      if (fails(await step(pause))) {
        await step(pause * Math.SQRT2);
        break;
      }
    }
    knee.sort((a, b) => a.rate - b.rate);
    const held = knee.filter((r) => !fails(r)).at(-1);
    const passed = knee.find(fails);
    const ev = await events(url, SUBSCRIBERS, EVENTS);
    console.log(
      `[${label}] ${ev.subscribers} SSE subscribers, ${EVENTS} events: every subscriber had each event within ${line(ev.perEventMaxMs)}; ${ev.missing} deliveries missing`,
    );
    return {
      dialect,
      workers,
      coldPass,
      steady,
      p95Ratio: steady.latency.p95 / floor.p95,
      knee,
      p95HeldUpTo: held ? Math.round(held.rate) : null,
      p95PassesGoalAt: passed ? Math.round(passed.rate) : null,
      events: ev,
    };
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }
}

async function main() {
  console.log(
    `HTTP benchmark: ${ENTRIES} entries, ${CLIENTS} clients, ${SECONDS} s steady, dialects ${DIALECTS.join(', ')}`,
  );
  const corpus = generateCorpus({ count: ENTRIES, seed: BENCH_SEED });
  const queries = generateQueries({ corpus, count: 200, seed: BENCH_SEED }).map((q) => q.query);
  const results: Record<string, unknown> = { machine: machine(), entries: ENTRIES, clients: CLIENTS };
  for (const dialect of DIALECTS) {
    let database: string;
    let schema: string | undefined;
    if (dialect === 'sqlite') {
      database = `/tmp/kb-bench-http-${ENTRIES}.db`;
      await copyCorpusSqlite(ENTRIES, database);
    } else {
      schema = 'kb_bench_http';
      const { storage } = await openCorpusPostgres(PG_URL, ENTRIES, {}, schema);
      await storage.close();
      database = PG_URL;
    }
    const floor = await baseline(database, queries, schema);
    console.log(`\n[${dialect}] library in-process, one at a time: ${line(floor)}`);
    const perWorkers: Record<string, unknown> = { baseline: floor };
    for (const workers of WORKERS) {
      perWorkers[`workers${workers}`] = await serve(
        dialect,
        `${dialect} ×${workers}`,
        database,
        schema,
        workers,
        floor,
        queries,
      );
    }
    results[dialect] = perWorkers;
  }
  agent.destroy();
  mkdirSync(join(here, 'results'), { recursive: true });
  const file = join(here, 'results', `http-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify(results, null, 2));
  console.log(`\nresults: ${file}`);
}

await main();
