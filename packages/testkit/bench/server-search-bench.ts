/**
 * The server dialects at scale: the upgrade path and search, on PostgreSQL or MySQL/MariaDB.
 *
 *   pnpm bench:pg    [--corpus testkit|skewed] [--entries 100000] [--queries 200] [--reps 3] [--url postgres://…]
 *   pnpm bench:mysql [--corpus testkit|skewed] [--entries 100000] [--queries 200] [--reps 3] [--url mysql://…]
 *                    [--raw-mode boolean|natural] [--buffer-pool-mib 1024]
 *
 * The dialect is `--dialect postgresql|mysql`, else the scheme of `--url` (`mysql://`, `mariadb://`), else
 * PostgreSQL. Each corpus lives in its own schema (PostgreSQL) or database (MySQL): `kb_bench_<entries>`,
 * `kb_bench_skewed_<entries>`; `--fresh` drops it first.
 *
 * 1. Copy: the SQLite benchmark corpus → the server (copyStore, verified by content hash before commit),
 *    then the server → a new SQLite file; both hashes must be equal. Times reported.
 * 2. Search: `searchEntries` against a raw query on the same database, interleaved in one run, each what a
 *    developer would write by hand:
 *    - PostgreSQL: `tsv @@ websearch_to_tsquery('simple', q)` ordered by `ts_rank_cd`, LIMIT 10, with the
 *      store's own GIN index.
 *    - MySQL: a table of its own (`bench_raw_ft`, utf8mb4_unicode_ci) with an InnoDB FULLTEXT index over
 *      title, problem, solution, tags and category, queried `MATCH … AGAINST (… IN BOOLEAN MODE)` ordered by
 *      that relevance, LIMIT 10: every word required (`+word`), quoted phrases kept, `prefix*` kept; words
 *      InnoDB never indexes (under innodb_ft_min_token_size = 3, or on its default stopword list) are left
 *      out, since a required one makes the query match nothing. `--raw-mode natural` asks NATURAL LANGUAGE
 *      MODE with the query as typed instead (any word; prefix queries stay boolean).
 *    Quality (code precision, typo recall) is reported for both.
 * 3. MySQL's memory: MariaDB reads InnoDB pages with O_DIRECT (its default flush method since 10.6), so its
 *    buffer pool is the only cache, and a page it does not hold is a disk read. The run reports the pool's
 *    size beside the size of the benchmark database, and the pages each engine read from disk.
 *    `--buffer-pool-mib N` resizes the pool for the run (SET GLOBAL, online) and puts it back afterwards.
 * 4. Each engine alone (MySQL; PostgreSQL with `--alone`; `--no-alone` skips it): the same operations again,
 *    first all of ours, then all of the raw baseline's. Interleaved, the two engines share one buffer pool,
 *    and the raw baseline's table is a second copy of every entry's text with its own FULLTEXT index, read
 *    whole by each common-word query (at 100,000 entries it held 81 of the 128 MiB default pool after a
 *    run): each engine then pays for the other's pages. Alone, each has the pool as its own deployment
 *    would. Both figures are reported.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { copyStore, createStorage, type KBEntry } from '@mainframe-kb/storage-core';
import { type Kysely, sql } from 'kysely';
import { type BenchmarkQuery, summarizeScores } from '../src/corpus/query-generator.js';
import type { EntryText } from '../src/corpus/text-match.js';
import { SeededRandom } from '../src/random/seeded-random.js';
import { rawAccessPlugin, rawDb } from '../src/raw-access/raw-access-plugin.js';
import {
  BENCH_SEED,
  benchCorpus,
  benchQueries,
  type CorpusCopy,
  corpusSchemaName,
  mysqlExec,
  openCorpusMysql,
  openCorpusPostgres,
  pgExec,
  resultsSuffix,
  timingGroups,
} from './bench-corpus.js';
import { argValue, fmt, machine, percentiles, timed } from './bench-stats.js';

type ServerDialect = 'postgresql' | 'mysql';

const ENTRIES = Number(argValue('entries', '100000'));
const QUERIES = Number(argValue('queries', '200'));
const REPS = Number(argValue('reps', '3'));
const CORPUS = benchCorpus(argValue('corpus', 'testkit'));
const URL_ARG = argValue('url', '');
const DIALECT = dialectOf(argValue('dialect', ''), URL_ARG);
const URL =
  URL_ARG ||
  (DIALECT === 'mysql'
    ? (process.env.KB_TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test')
    : (process.env.KB_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test'));
const RAW_MODE = argValue('raw-mode', 'boolean');
const FRESH = process.argv.includes('--fresh');
const BUFFER_POOL_MIB = argValue('buffer-pool-mib', '');
const ALONE = DIALECT === 'mysql' ? !process.argv.includes('--no-alone') : process.argv.includes('--alone');
const SCHEMA = corpusSchemaName(ENTRIES, CORPUS);
const here = dirname(fileURLToPath(import.meta.url));

function dialectOf(flag: string, url: string): ServerDialect {
  if (flag === 'postgresql' || flag === 'mysql') return flag;
  if (flag !== '') throw new Error(`--dialect must be postgresql or mysql, got ${flag}`);
  return /^(mysql|mariadb):/i.test(url) ? 'mysql' : 'postgresql';
}

/** InnoDB's default full-text stopwords (INNODB_FT_DEFAULT_STOPWORD): never indexed, so never findable. */
const INNODB_STOPWORDS = new Set(
  'a about an are as at be by com de en for from how i in is it la of on or that the this to was what when where who will with und www'.split(
    ' ',
  ),
);
/** innodb_ft_min_token_size's default: shorter words are not indexed. */
const INNODB_MIN_TOKEN = 3;

/** The hand-written BOOLEAN MODE text of the MySQL baseline; empty when no word of the query is indexed. */
function mysqlBoolean(q: BenchmarkQuery): string {
  if (q.kind === 'phrase' && q.quoted) return `+"${q.phrase.replaceAll('"', '')}"`;
  if (q.kind === 'prefix') return `+${q.prefix.toLowerCase()}*`;
  const tokens = q.query.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
  return tokens
    .filter((t) => t.length >= INNODB_MIN_TOKEN && !INNODB_STOPWORDS.has(t))
    .map((t) => `+${t}`)
    .join(' ');
}

type RawQuery = (q: BenchmarkQuery) => Promise<number[]>;

function postgresBaseline(db: Kysely<any>): RawQuery {
  return async (q) =>
    (
      await sql<{ seq: number }>`select s.seq from kb_search s
        where s.tsv @@ websearch_to_tsquery('simple', ${q.query})
        order by ts_rank_cd(s.tsv, websearch_to_tsquery('simple', ${q.query})) desc limit 10`.execute(db)
    ).rows.map((r) => Number(r.seq));
}

/** Builds `bench_raw_ft` (when missing, stale, or the corpus was copied in again) and returns its query. */
async function mysqlBaseline(db: Kysely<any>, rebuild: boolean): Promise<RawQuery> {
  const exists = await sql<{ n: number }>`select count(*) as n from information_schema.tables
    where table_schema = database() and table_name = 'bench_raw_ft'`.execute(db);
  let stale = rebuild || Number(exists.rows[0]?.n ?? 0) === 0;
  if (!stale) {
    const n = await sql<{ n: number }>`select count(*) as n from bench_raw_ft`.execute(db);
    stale = Number(n.rows[0]?.n ?? 0) !== ENTRIES;
  }
  if (stale) {
    const start = performance.now();
    await sql`drop table if exists bench_raw_ft`.execute(db);
    await sql`create table bench_raw_ft (
        seq integer primary key,
        title text not null, problem mediumtext not null, solution mediumtext not null,
        tags text not null, category text not null
      ) engine = InnoDB character set utf8mb4 collate utf8mb4_unicode_ci`.execute(db);
    await sql`insert into bench_raw_ft (seq, title, problem, solution, tags, category)
      select seq, title, problem, solution, tags, category from kb_entries`.execute(db);
    // Indexing after the load is how one bulk-loads InnoDB full text; it is also the faster way.
    await sql`alter table bench_raw_ft
      add fulltext index bench_raw_ft_idx (title, problem, solution, tags, category)`.execute(db);
    console.log(`raw FULLTEXT baseline table built in ${((performance.now() - start) / 1000).toFixed(1)} s`);
  }
  const columns = sql.raw('title, problem, solution, tags, category');
  return async (q) => {
    const natural = RAW_MODE === 'natural' && q.kind !== 'prefix';
    const text = natural ? q.query : mysqlBoolean(q);
    if (text.length === 0) return [];
    const mode = sql.raw(natural ? 'in natural language mode' : 'in boolean mode');
    const against = sql`match(${columns}) against (${text} ${mode})`;
    return (
      await sql<{ seq: number }>`select seq from bench_raw_ft where ${against}
        order by ${against} desc limit 10`.execute(db)
    ).rows.map((r) => Number(r.seq));
  };
}

/** MySQL: the buffer pool's size and the benchmark database's data and indexes, in MiB. */
async function mysqlMemory(db: Kysely<any>): Promise<{ bufferPoolMib: number; databaseMib: number }> {
  const pool = await sql<{ size: string }>`select @@innodb_buffer_pool_size as size`.execute(db);
  const data = await sql<{ bytes: string | null }>`select sum(data_length + index_length) as bytes
    from information_schema.tables where table_schema = database()`.execute(db);
  return {
    bufferPoolMib: Math.round(Number(pool.rows[0]!.size) / 2 ** 20),
    databaseMib: Math.round(Number(data.rows[0]?.bytes ?? 0) / 2 ** 20),
  };
}

/** What the buffer pool holds of this database, per table, in MiB (largest first; tables under 1 MiB left out). */
async function mysqlPoolByTable(db: Kysely<any>): Promise<Record<string, number>> {
  const r = await sql<{ name: string; pages: string }>`select table_name as name, count(*) as pages
    from information_schema.innodb_buffer_page
    where table_name like concat('\`', database(), '\`.%')
    group by table_name order by pages desc`.execute(db);
  const out: Record<string, number> = {};
  for (const row of r.rows) {
    const mib = (Number(row.pages) * 16) / 1024;
    // Full-text index tables are named by the ids of their table and index (FTS_…_INDEX_n).
    if (mib >= 1) out[row.name.split('.')[1]!.replaceAll('`', '')] = Math.round(mib);
  }
  return out;
}

/** Pages InnoDB has read from disk so far (Innodb_buffer_pool_reads). */
async function mysqlDiskReads(db: Kysely<any>): Promise<number> {
  const r = await sql<{ Value: string }>`show global status like 'Innodb_buffer_pool_reads'`.execute(db);
  return Number(r.rows[0]?.Value ?? 0);
}

/** Sets the buffer pool to `mib` and waits until InnoDB has finished resizing; returns the size before. */
async function resizeBufferPool(db: Kysely<any>, mib: number): Promise<number> {
  const before = Number(
    (await sql<{ size: string }>`select @@innodb_buffer_pool_size as size`.execute(db)).rows[0]!.size,
  );
  await sql`set global innodb_buffer_pool_size = ${mib * 2 ** 20}`.execute(db);
  for (let i = 0; i < 600; i++) {
    const size = Number(
      (await sql<{ size: string }>`select @@innodb_buffer_pool_size as size`.execute(db)).rows[0]!.size,
    );
    const status = await sql<{
      Value: string;
    }>`show global status like 'Innodb_buffer_pool_resize_status'`.execute(db);
    const text = status.rows[0]?.Value ?? '';
    if (size === mib * 2 ** 20 && (text === '' || /completed|finished/i.test(text))) return before;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`the buffer pool did not reach ${mib} MiB within 60 s`);
}

async function openCorpus(): Promise<CorpusCopy> {
  const noCache = { performance: { caching: { enabled: false } } };
  // rawAccessPlugin hands the raw baseline its connection; it adds nothing to the store's own searches.
  if (DIALECT === 'mysql') {
    if (FRESH) await mysqlExec(URL, `drop database if exists \`${SCHEMA}\``);
    return openCorpusMysql(URL, ENTRIES, noCache, SCHEMA, false, [rawAccessPlugin], CORPUS);
  }
  if (FRESH) await pgExec(URL, `drop schema if exists ${SCHEMA} cascade`);
  return openCorpusPostgres(URL, ENTRIES, noCache, SCHEMA, false, [rawAccessPlugin], CORPUS);
}

/** One engine's timings over a run of operations, in total and by query kind, with the disk pages read. */
interface EngineTiming {
  samples: number[];
  pages: number;
  byKind: Record<string, { samples: number[]; pages: number }>;
}

const newTiming = (): EngineTiming => ({ samples: [], pages: 0, byKind: {} });

/** Runs one operation, and records its wall time and the disk pages read meanwhile in `timing`. */
async function timeOne(
  timing: EngineTiming,
  q: BenchmarkQuery,
  run: (q: BenchmarkQuery) => Promise<unknown>,
  reads: () => Promise<number>,
): Promise<void> {
  const before = await reads();
  const ms = (await timed(() => run(q))).wallMs;
  const pages = (await reads()) - before;
  timing.samples.push(ms);
  timing.pages += pages;
  for (const group of timingGroups(q)) {
    const kind = timing.byKind[group] ?? { samples: [], pages: 0 };
    timing.byKind[group] = kind;
    kind.samples.push(ms);
    kind.pages += pages;
  }
}

async function timeAlone(
  ops: readonly BenchmarkQuery[],
  run: (q: BenchmarkQuery) => Promise<unknown>,
  reads: () => Promise<number>,
): Promise<EngineTiming> {
  const timing = newTiming();
  for (const q of ops) await timeOne(timing, q, run, reads);
  return timing;
}

function aloneSummary(timing: EngineTiming, pages: boolean) {
  const perOp = (n: number, of: number) => (pages ? { diskPagesPerOperation: n / of } : {});
  return {
    wall: percentiles(timing.samples),
    ...perOp(timing.pages, timing.samples.length),
    byKind: Object.fromEntries(
      Object.entries(timing.byKind).map(([k, v]) => [
        k,
        { wall: percentiles(v.samples), ...perOp(v.pages, v.samples.length) },
      ]),
    ),
  };
}

function printAlone(alone: Record<'ours' | 'raw', ReturnType<typeof aloneSummary>>, rawName: string): void {
  console.log("\neach engine alone (the same operations, all of ours, then all of the baseline's):");
  console.log('engine                  p50 ms   p95 ms   p99 ms   disk pages / op');
  for (const [name, r] of [
    ['searchEntries', alone.ours],
    [rawName, alone.raw],
  ] as const) {
    const pages = r.diskPagesPerOperation === undefined ? '' : fmt(r.diskPagesPerOperation).padStart(17);
    console.log(
      `${name.padEnd(22)} ${fmt(r.wall.p50).padStart(7)} ${fmt(r.wall.p95).padStart(8)} ${fmt(r.wall.p99).padStart(8)} ${pages}`,
    );
  }
  console.log('by query kind alone (wall p95 ms, ours / raw; disk pages per operation, ours / raw):');
  for (const [kind, v] of Object.entries(alone.ours.byKind)) {
    const r = alone.raw.byKind[kind]!;
    const disk =
      v.diskPagesPerOperation === undefined
        ? ''
        : `   ${fmt(v.diskPagesPerOperation).padStart(7)} / ${fmt(r.diskPagesPerOperation!).padStart(7)} pages`;
    console.log(
      `  ${kind.padEnd(11)} ${fmt(v.wall.p95).padStart(8)} / ${fmt(r.wall.p95).padStart(8)}${disk}`,
    );
  }
}

async function main() {
  const serverName = DIALECT === 'mysql' ? 'MySQL' : 'PostgreSQL';
  console.log(
    `${serverName} benchmark: ${CORPUS} corpus, ${ENTRIES} entries, ${QUERIES} queries × ${REPS} (${SCHEMA})`,
  );
  const { storage, copied } = await openCorpus();

  // The way back: the server → a new SQLite file, with the same content hash.
  let back: { seconds: number; hash: string } | undefined;
  if (copied) {
    const path = `/tmp/kb-bench-back-${DIALECT}-${resultsSuffix(ENTRIES, CORPUS)}.db`;
    for (const suffix of ['', '-wal', '-shm']) rmSync(`${path}${suffix}`, { force: true });
    const target = await createStorage({ database: { path } }, { actor: { id: 'bench', role: 'admin' } });
    const start = performance.now();
    const result = await copyStore(storage, target, { batchSize: 5_000 });
    back = { seconds: (performance.now() - start) / 1000, hash: result.hash.hash };
    await target.close();
    console.log(
      `copied back ${serverName} → SQLite in ${back.seconds.toFixed(1)} s; hashes equal: ${back.hash === copied.hash}`,
    );
    if (back.hash !== copied.hash) throw new Error('the round trip changed the content hash');
  }

  const db = rawDb(storage);
  const raw = DIALECT === 'mysql' ? await mysqlBaseline(db, copied !== undefined) : postgresBaseline(db);
  if (BUFFER_POOL_MIB !== '' && DIALECT !== 'mysql') throw new Error('--buffer-pool-mib is for MySQL');
  const poolBefore = BUFFER_POOL_MIB === '' ? undefined : await resizeBufferPool(db, Number(BUFFER_POOL_MIB));
  const memory = DIALECT === 'mysql' ? await mysqlMemory(db) : undefined;
  if (memory)
    console.log(
      `InnoDB buffer pool ${memory.bufferPoolMib} MiB; benchmark database ${memory.databaseMib} MiB (data and indexes)`,
    );
  const rawName =
    DIALECT === 'mysql'
      ? `raw FULLTEXT ${RAW_MODE === 'natural' ? 'natural' : 'boolean'}`
      : 'raw tsvector query';
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

  const queries = benchQueries(ENTRIES, QUERIES, CORPUS);
  const ours: { query: BenchmarkQuery; results: EntryText[] }[] = [];
  const base: { query: BenchmarkQuery; results: EntryText[] }[] = [];
  for (const q of queries) {
    ours.push({
      query: q,
      results: (await storage.searchEntries(q.query, { recordHistory: false })).map(
        (r) => r.entry as KBEntry,
      ),
    });
    const seqs = await raw(q);
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
  const reads = async () => (DIALECT === 'mysql' ? mysqlDiskReads(db) : 0);
  const search = (q: BenchmarkQuery) => storage.searchEntries(q.query, { recordHistory: false });
  for (const q of queries.slice(0, 20)) {
    await search(q);
    await raw(q);
  }
  // Interleaved: each operation by both engines, which one goes first alternating.
  const interleaved = { ours: newTiming(), raw: newTiming() };
  for (let i = 0; i < ops.length; i++) {
    const q = ops[i]!;
    const a = () => timeOne(interleaved.ours, q, search, reads);
    const b = () => timeOne(interleaved.raw, q, raw, reads);
    if (i % 2 === 0) {
      await a();
      await b();
    } else {
      await b();
      await a();
    }
  }
  const diskReads = { ours: interleaved.ours.pages, raw: interleaved.raw.pages };
  // What the interleaved run left in the pool: how much of it each engine's tables hold.
  const poolAfterInterleaved = memory ? await mysqlPoolByTable(db) : undefined;
  if (poolAfterInterleaved)
    console.log(
      `buffer pool after the interleaved run (MiB): ${Object.entries(poolAfterInterleaved)
        .map(([t, mib]) => `${t} ${mib}`)
        .join(', ')}`,
    );
  // Each engine alone: the same operations in the same order, all of ours, then all of the baseline's.
  const alone = ALONE
    ? {
        ours: await timeAlone(ops, search, reads),
        raw: await timeAlone(ops, raw, reads),
      }
    : undefined;
  if (poolBefore !== undefined) await resizeBufferPool(db, poolBefore / 2 ** 20);
  await storage.close();

  const suffix = resultsSuffix(ENTRIES, CORPUS);
  const result = {
    benchmark: DIALECT,
    command: `pnpm bench:${DIALECT === 'mysql' ? 'mysql' : 'pg'} --corpus ${CORPUS} --entries ${ENTRIES} --queries ${QUERIES} --reps ${REPS}${DIALECT === 'mysql' ? ` --raw-mode ${RAW_MODE}` : ''}${BUFFER_POOL_MIB !== '' ? ` --buffer-pool-mib ${BUFFER_POOL_MIB}` : ''}${FRESH ? ' --fresh' : ''}${ALONE === (DIALECT === 'mysql') ? '' : ALONE ? ' --alone' : ' --no-alone'}`,
    date: new Date().toISOString(),
    machine: machine(),
    corpus: CORPUS,
    entries: ENTRIES,
    schema: SCHEMA,
    baseline: rawName,
    copy: copied
      ? {
          toServerSeconds: copied.seconds,
          rows: copied.rows,
          backToSqliteSeconds: back?.seconds,
          hash: copied.hash,
          hashesEqual: back?.hash === copied.hash,
        }
      : null,
    firstQueryAfterOpenMs: firstQuery.wallMs,
    ...(memory
      ? {
          mysql: {
            ...memory,
            poolAfterInterleavedMib: poolAfterInterleaved,
            diskPagesPerOperation: { ours: diskReads.ours / ops.length, raw: diskReads.raw / ops.length },
          },
        }
      : {}),
    queries: queries.length,
    timedOperations: ops.length,
    ours: { wall: percentiles(interleaved.ours.samples), quality: summarizeScores(ours) },
    raw: { wall: percentiles(interleaved.raw.samples), quality: summarizeScores(base) },
    alone: alone && {
      ours: aloneSummary(alone.ours, memory !== undefined),
      raw: aloneSummary(alone.raw, memory !== undefined),
    },
    byKind: Object.fromEntries(
      Object.entries(interleaved.ours.byKind).map(([k, o]) => {
        const r = interleaved.raw.byKind[k]!;
        return [
          k,
          {
            ours: percentiles(o.samples),
            raw: percentiles(r.samples),
            ...(memory
              ? {
                  diskPagesPerOperation: {
                    ours: o.pages / o.samples.length,
                    raw: r.pages / r.samples.length,
                  },
                }
              : {}),
          },
        ];
      }),
    ),
  };
  console.log(
    `\nload average ${result.machine.loadAverage.join(' ')}; ${ops.length} timed operations per engine\n`,
  );
  console.log('engine                  p50 ms   p95 ms   p99 ms   code P@10   typo R@10');
  for (const [name, r] of [
    ['searchEntries', result.ours],
    [rawName, result.raw],
  ] as const) {
    console.log(
      `${name.padEnd(22)} ${fmt(r.wall.p50).padStart(7)} ${fmt(r.wall.p95).padStart(8)} ${fmt(r.wall.p99).padStart(8)} ${String(r.quality.codePrecisionAt10?.toFixed(3)).padStart(11)} ${String(r.quality.typoRecallAt10?.toFixed(3)).padStart(11)}`,
    );
  }
  console.log(
    `\nby query kind (wall p95 ms, ours / raw${memory ? '; pages read from disk per operation, ours / raw' : ''}):`,
  );
  for (const [kind, v] of Object.entries(result.byKind)) {
    const disk = v.diskPagesPerOperation
      ? `   ${fmt(v.diskPagesPerOperation.ours).padStart(7)} / ${fmt(v.diskPagesPerOperation.raw).padStart(7)} pages`
      : '';
    console.log(
      `  ${kind.padEnd(11)} ${fmt(v.ours.p95).padStart(8)} / ${fmt(v.raw.p95).padStart(8)}${disk}   (n=${v.ours.n})`,
    );
  }
  if (memory)
    console.log(
      `\npages read from disk per operation: ours ${fmt(diskReads.ours / ops.length)}, raw ${fmt(diskReads.raw / ops.length)} (buffer pool ${memory.bufferPoolMib} MiB, database ${memory.databaseMib} MiB)`,
    );
  if (result.alone) printAlone(result.alone, rawName);
  const target = DIALECT === 'mysql' ? 30 : 15;
  console.log(
    `\nsearchEntries p95 ${fmt(result.ours.wall.p95)} ms interleaved with the baseline${result.alone ? `, ${fmt(result.alone.ours.wall.p95)} ms alone` : ''} (target ≤ ${target} ms); raw ${fmt(result.raw.wall.p95)} ms${result.alone ? ` interleaved, ${fmt(result.alone.raw.wall.p95)} ms alone` : ''}`,
  );
  const out = join(here, 'results');
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, `${DIALECT}-${suffix}.json`), `${JSON.stringify(result, null, 2)}\n`);
}

await main();
