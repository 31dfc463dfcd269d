/**
 * PostgreSQL at scale: the upgrade path and search.
 *
 *   pnpm bench:pg [--entries 100000] [--queries 200] [--reps 3] [--url postgres://…]
 *
 * 1. Copy: the SQLite benchmark corpus → PostgreSQL (copyStore, verified by content hash before commit),
 *    then PostgreSQL → a new SQLite file; both hashes must be equal. Times reported.
 * 2. Search: `searchEntries` against a raw tsvector query on the same schema, interleaved in one run: what a
 *    developer would write by hand — `tsv @@ websearch_to_tsquery('simple', q)` ordered by `ts_rank_cd`,
 *    LIMIT 10, with the same GIN index. Quality (code precision, typo recall) is reported for both.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { copyStore, createStorage, type KBEntry } from '@mainframe-kb/storage-core';
import { sql } from 'kysely';
import { generateCorpus } from '../src/corpus/corpus-generator.js';
import { type BenchmarkQuery, generateQueries, summarizeScores } from '../src/corpus/query-generator.js';
import type { EntryText } from '../src/corpus/text-match.js';
import { SeededRandom } from '../src/random/seeded-random.js';
import { rawAccessPlugin, rawDb } from '../src/raw-access/raw-access-plugin.js';
import { BENCH_SEED, openCorpusPostgres, pgExec } from './bench-corpus.js';
import { argValue, fmt, machine, percentiles, timed } from './bench-stats.js';

const ENTRIES = Number(argValue('entries', '100000'));
const QUERIES = Number(argValue('queries', '200'));
const REPS = Number(argValue('reps', '3'));
const URL = argValue('url', process.env.KB_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test');
const FRESH = process.argv.includes('--fresh');
const here = dirname(fileURLToPath(import.meta.url));

async function main() {
  console.log(`PostgreSQL benchmark: ${ENTRIES} entries, ${QUERIES} queries × ${REPS}`);
  if (FRESH) await pgExec(URL, `drop schema if exists kb_bench_${ENTRIES} cascade`);
  const noCache = { performance: { caching: { enabled: false } } };
  // rawAccessPlugin hands the raw baseline its connection; it adds nothing to the store's own searches.
  const { storage, copied } = await openCorpusPostgres(URL, ENTRIES, noCache, undefined, false, [
    rawAccessPlugin,
  ]);

  // The way back: PostgreSQL → a new SQLite file, with the same content hash.
  let back: { seconds: number; hash: string } | undefined;
  if (copied) {
    const path = `/tmp/kb-bench-back-${ENTRIES}.db`;
    rmSync(path, { force: true });
    rmSync(`${path}-wal`, { force: true });
    const target = await createStorage({ database: { path } }, { actor: { id: 'bench', role: 'admin' } });
    const start = performance.now();
    const result = await copyStore(storage, target, { batchSize: 5_000 });
    back = { seconds: (performance.now() - start) / 1000, hash: result.hash.hash };
    await target.close();
    console.log(
      `copied back PostgreSQL → SQLite in ${back.seconds.toFixed(1)} s; hashes equal: ${back.hash === copied.hash}`,
    );
    if (back.hash !== copied.hash) throw new Error('the round trip changed the content hash');
  }

  const db = rawDb(storage);
  const raw = async (q: string) =>
    (
      await sql<{ seq: number }>`select s.seq from kb_search s
        where s.tsv @@ websearch_to_tsquery('simple', ${q})
        order by ts_rank_cd(s.tsv, websearch_to_tsquery('simple', ${q})) desc limit 10`.execute(db)
    ).rows;
  const textBySeq = async (seqs: number[]) =>
    seqs.length === 0
      ? []
      : ((await db
          .selectFrom('kb_entries')
          .select(['seq', 'title', 'problem', 'solution', 'category', 'tags'])
          .where('seq', 'in', seqs)
          .execute()) as (EntryText & { seq: number; tags: string })[]);

  const firstQuery = await timed(() =>
    storage.searchEntries('job ended data set not found', { recordHistory: false }),
  );
  console.log(`first common-word query after open: ${fmt(firstQuery.wallMs)} ms`);

  const queries = generateQueries({
    corpus: generateCorpus({ count: ENTRIES, seed: BENCH_SEED }),
    count: QUERIES,
    seed: BENCH_SEED,
  });
  const ours: { query: BenchmarkQuery; results: EntryText[] }[] = [];
  const base: { query: BenchmarkQuery; results: EntryText[] }[] = [];
  for (const q of queries) {
    ours.push({
      query: q,
      results: (await storage.searchEntries(q.query, { recordHistory: false })).map(
        (r) => r.entry as KBEntry,
      ),
    });
    const seqs = (await raw(q.query)).map((r) => Number(r.seq));
    const rows = new Map((await textBySeq(seqs)).map((r) => [Number(r.seq), r]));
    base.push({
      query: q,
      results: seqs.map((s) => {
        const r = rows.get(s)!;
        return { ...r, tags: JSON.parse(r.tags) as string[] };
      }),
    });
  }

  const ops = new SeededRandom(BENCH_SEED).shuffle(
    queries.flatMap((q) => Array.from({ length: REPS }, () => q)),
  );
  const samples = { ours: [] as number[], raw: [] as number[] };
  for (const q of queries.slice(0, 20)) {
    await storage.searchEntries(q.query, { recordHistory: false });
    await raw(q.query);
  }
  for (let i = 0; i < ops.length; i++) {
    const q = ops[i]!;
    const a = () => timed(() => storage.searchEntries(q.query, { recordHistory: false }));
    const b = () => timed(() => raw(q.query));
    if (i % 2 === 0) {
      samples.ours.push((await a()).wallMs);
      samples.raw.push((await b()).wallMs);
    } else {
      samples.raw.push((await b()).wallMs);
      samples.ours.push((await a()).wallMs);
    }
  }
  await storage.close();

  const result = {
    benchmark: 'postgresql',
    command: `pnpm bench:pg --entries ${ENTRIES} --queries ${QUERIES} --reps ${REPS}${FRESH ? ' --fresh' : ''}`,
    date: new Date().toISOString(),
    machine: machine(),
    entries: ENTRIES,
    copy: copied
      ? {
          toPostgresSeconds: copied.seconds,
          rows: copied.rows,
          backToSqliteSeconds: back?.seconds,
          hash: copied.hash,
          hashesEqual: back?.hash === copied.hash,
        }
      : null,
    firstQueryAfterOpenMs: firstQuery.wallMs,
    ours: { wall: percentiles(samples.ours), quality: summarizeScores(ours) },
    raw: { wall: percentiles(samples.raw), quality: summarizeScores(base) },
  };
  console.log(
    `\nload average ${result.machine.loadAverage.join(' ')}; ${ops.length} timed operations per engine\n`,
  );
  console.log('engine               p50 ms   p95 ms   p99 ms   code P@10   typo R@10');
  for (const [name, r] of [
    ['searchEntries', result.ours],
    ['raw tsvector query', result.raw],
  ] as const) {
    console.log(
      `${name.padEnd(19)} ${fmt(r.wall.p50).padStart(7)} ${fmt(r.wall.p95).padStart(8)} ${fmt(r.wall.p99).padStart(8)} ${String(r.quality.codePrecisionAt10?.toFixed(3)).padStart(11)} ${String(r.quality.typoRecallAt10?.toFixed(3)).padStart(11)}`,
    );
  }
  console.log(
    `\nsearchEntries p95 ${fmt(result.ours.wall.p95)} ms (target ≤ 15 ms); raw ${fmt(result.raw.wall.p95)} ms`,
  );
  const out = join(here, 'results');
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, `postgresql-${ENTRIES}.json`), `${JSON.stringify(result, null, 2)}\n`);
}

await main();
