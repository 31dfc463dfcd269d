/**
 * Search benchmark: `searchEntries` through the public API against a raw FTS5 query on the same file,
 * interleaved in one run, over a synthetic corpus and a fixed mix of queries.
 *
 *   pnpm bench:search [--corpus testkit|skewed] [--entries 100000] [--queries 200] [--reps 5]
 *                     [--db /tmp/kb-bench-100000.db]
 *
 * `--corpus skewed` is the hostile corpus: a handful of filler words in over 90% of entries, codes on a steep
 * Zipf curve, and a query mix with common-word queries and misspelt filler words (its own file,
 * /tmp/kb-bench-skewed-<entries>.db, and results file, search-skewed-<entries>.json).
 *
 * The raw baseline is what a developer would write without this engine: a weighted-bm25 FTS5 table over the
 * same five columns (title highest), `ORDER BY rank LIMIT 10` with `snippet()`, each query token quoted.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createStorage, type KBEntry } from '@mainframe-kb/storage-core';
import { chunked } from '../src/corpus/corpus-generator.js';
import { type BenchmarkQuery, summarizeScores } from '../src/corpus/query-generator.js';
import type { EntryText } from '../src/corpus/text-match.js';
import { SeededRandom } from '../src/random/seeded-random.js';
import { rawAccessPlugin, rawDialect } from '../src/raw-access/raw-access-plugin.js';
import {
  BENCH_SEED,
  benchCorpus,
  benchEntries,
  benchQueries,
  corpusSqlitePath,
  resultsSuffix,
  timingGroups,
} from './bench-corpus.js';
import { argValue, fmt, machine, percentiles, timed } from './bench-stats.js';

const ENTRIES = Number(argValue('entries', '100000'));
const QUERIES = Number(argValue('queries', '200'));
const REPS = Number(argValue('reps', '5'));
const SEED = BENCH_SEED;
const CORPUS = benchCorpus(argValue('corpus', 'testkit'));
const DB = argValue('db', corpusSqlitePath(ENTRIES, CORPUS));
const WEIGHTS = [10, 4, 2, 6, 3]; // title, problem, solution, tags, category — the store's defaults

/** The part of better-sqlite3's Database the baseline uses (testkit does not depend on the driver). */
interface RawSqlite {
  exec(sql: string): void;
  prepare(sql: string): {
    all(...params: unknown[]): unknown[];
    get(...params: unknown[]): unknown;
    run(...params: unknown[]): unknown;
  };
}

const here = dirname(fileURLToPath(import.meta.url));

/** The raw baseline's MATCH expression: phrases kept, prefix kept, every other token quoted and ANDed. */
function rawMatch(q: BenchmarkQuery): string {
  if (q.kind === 'phrase' && q.quoted) return `"${q.phrase.replaceAll('"', '""')}"`;
  if (q.kind === 'prefix') return `"${q.prefix.replaceAll('"', '""')}"*`;
  const tokens = q.query.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
  return tokens.map((t) => `"${t}"`).join(' ');
}

async function main() {
  console.log(
    `search benchmark: ${CORPUS} corpus, ${ENTRIES} entries, ${QUERIES} queries × ${REPS}, db ${DB}`,
  );
  const fresh = !existsSync(DB);
  const storage = await createStorage(
    { database: { path: DB }, performance: { caching: { enabled: false } } },
    // rawAccessPlugin only hands this script the driver for the baseline; it adds nothing to a search.
    { actor: { id: 'bench', role: 'admin' }, plugins: [rawAccessPlugin] },
  );
  let buildMs = 0;
  if (fresh || (await storage.countEntries()) !== ENTRIES) {
    if (!fresh) throw new Error(`${DB} holds another corpus; remove it or pass --db`);
    const start = performance.now();
    for (const batch of chunked(benchEntries(ENTRIES, CORPUS), 5_000)) {
      await storage.createEntries(batch);
    }
    buildMs = performance.now() - start;
    console.log(`built ${ENTRIES} entries in ${(buildMs / 1000).toFixed(1)} s`);
  }
  const sqlite = (rawDialect(storage) as unknown as { sqlite: RawSqlite }).sqlite;
  if (!sqlite.prepare("select 1 from sqlite_master where name = 'bench_raw_fts'").get()) {
    const start = performance.now();
    sqlite.exec(`create virtual table bench_raw_fts using fts5(title, problem, solution, tags, category,
      tokenize = 'unicode61 remove_diacritics 2')`);
    sqlite.exec(`insert into bench_raw_fts(rowid, title, problem, solution, tags, category)
      select seq, title, problem, solution, (select group_concat(value, ' ') from json_each(kb_entries.tags)), category
      from kb_entries`);
    sqlite
      .prepare("insert into bench_raw_fts(bench_raw_fts, rank) values ('rank', ?)")
      .run(`bm25(${WEIGHTS.join(', ')})`);
    console.log(`raw FTS5 baseline table built in ${((performance.now() - start) / 1000).toFixed(1)} s`);
  }
  const raw = sqlite.prepare(
    `select rowid, snippet(bench_raw_fts, 1, '<mark>', '</mark>', '…', 12) as snippet
     from bench_raw_fts where bench_raw_fts match ? order by rank limit 10`,
  );
  const textBySeq = sqlite.prepare(
    'select title, problem, solution, category, tags from kb_entries where seq = ?',
  );

  // The first query of common words after open builds the in-memory term lists; reported, not hidden.
  const firstQuery = await timed(() =>
    storage.searchEntries('job ended data set not found', { recordHistory: false }),
  );
  console.log(`first common-word query after open: ${fmt(firstQuery.wallMs)} ms`);

  const queries = benchQueries(ENTRIES, QUERIES, CORPUS);
  const toText = (e: KBEntry): EntryText => e;

  // Quality: one pass each, outside the timed loop.
  const ours: { query: BenchmarkQuery; results: EntryText[] }[] = [];
  const base: { query: BenchmarkQuery; results: EntryText[] }[] = [];
  for (const q of queries) {
    ours.push({
      query: q,
      results: (await storage.searchEntries(q.query, { recordHistory: false })).map((r) => toText(r.entry)),
    });
    const rows = raw.all(rawMatch(q)) as { rowid: number }[];
    base.push({
      query: q,
      results: rows.map((r) => {
        const row = textBySeq.get(r.rowid) as EntryText & { tags: string };
        return { ...row, tags: JSON.parse(row.tags) as string[] };
      }),
    });
  }

  // Timing: every query REPS times in a seeded shuffle, the two engines interleaved, alternating who goes first.
  const ops = new SeededRandom(SEED).shuffle(queries.flatMap((q) => Array.from({ length: REPS }, () => q)));
  const samples = {
    ours: { wall: [] as number[], cpu: [] as number[] },
    raw: { wall: [] as number[], cpu: [] as number[] },
  };
  const byKind: Record<string, { ours: number[]; raw: number[] }> = {};
  for (const q of queries.slice(0, 20)) {
    await storage.searchEntries(q.query); // warm-up
    raw.all(rawMatch(q));
  }
  for (let i = 0; i < ops.length; i++) {
    const q = ops[i]!;
    const runOurs = () => timed(() => storage.searchEntries(q.query));
    const runRaw = () => timed(() => raw.all(rawMatch(q)));
    let a: Awaited<ReturnType<typeof runOurs>>;
    let b: Awaited<ReturnType<typeof runRaw>>;
    if (i % 2 === 0) {
      a = await runOurs();
      b = await runRaw();
    } else {
      b = await runRaw();
      a = await runOurs();
    }
    samples.ours.wall.push(a.wallMs);
    samples.ours.cpu.push(a.cpuMs);
    samples.raw.wall.push(b.wallMs);
    samples.raw.cpu.push(b.cpuMs);
    for (const group of timingGroups(q)) {
      const kind = byKind[group] ?? { ours: [], raw: [] };
      byKind[group] = kind;
      kind.ours.push(a.wallMs);
      kind.raw.push(b.wallMs);
    }
  }
  await storage.close();

  const result = {
    benchmark: 'search',
    command: `pnpm bench:search --corpus ${CORPUS} --entries ${ENTRIES} --queries ${QUERIES} --reps ${REPS}`,
    date: new Date().toISOString(),
    machine: machine(),
    corpus: CORPUS,
    entries: ENTRIES,
    queries: queries.length,
    timedOperations: ops.length,
    buildSeconds: buildMs ? buildMs / 1000 : null,
    firstQueryAfterOpenMs: firstQuery.wallMs,
    ours: {
      wall: percentiles(samples.ours.wall),
      cpu: percentiles(samples.ours.cpu),
      quality: summarizeScores(ours),
    },
    raw: {
      wall: percentiles(samples.raw.wall),
      cpu: percentiles(samples.raw.cpu),
      quality: summarizeScores(base),
    },
    byKind: Object.fromEntries(
      Object.entries(byKind).map(([k, v]) => [k, { ours: percentiles(v.ours), raw: percentiles(v.raw) }]),
    ),
  };
  const ratio = result.ours.wall.p95 / result.raw.wall.p95;
  console.log(
    `\nload average ${result.machine.loadAverage.join(' ')}; ${ops.length} timed operations per engine\n`,
  );
  console.log('engine            p50 ms   p95 ms   p99 ms   max ms   cpu p95 ms   code P@10   typo R@10');
  for (const [name, r] of [
    ['searchEntries', result.ours],
    ['raw FTS5 rank', result.raw],
  ] as const) {
    console.log(
      `${name.padEnd(16)} ${fmt(r.wall.p50).padStart(7)} ${fmt(r.wall.p95).padStart(8)} ${fmt(r.wall.p99).padStart(8)} ${fmt(r.wall.max).padStart(8)} ${fmt(r.cpu.p95).padStart(12)} ${String(r.quality.codePrecisionAt10?.toFixed(3)).padStart(11)} ${String(r.quality.typoRecallAt10?.toFixed(3)).padStart(11)}`,
    );
  }
  console.log('\nby query kind (wall p95 ms, ours / raw):');
  for (const [kind, v] of Object.entries(result.byKind)) {
    console.log(
      `  ${kind.padEnd(11)} ${fmt(v.ours.p95).padStart(8)} / ${fmt(v.raw.p95).padStart(8)}   (n=${v.ours.n})`,
    );
  }
  console.log(`\np95 ratio searchEntries / raw = ${ratio.toFixed(3)} (target ≤ 0.25)`);
  const out = join(here, 'results');
  mkdirSync(out, { recursive: true });
  writeFileSync(
    join(out, `search-${resultsSuffix(ENTRIES, CORPUS)}.json`),
    `${JSON.stringify({ ...result, p95Ratio: ratio }, null, 2)}\n`,
  );
}

await main();
