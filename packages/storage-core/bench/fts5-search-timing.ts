/**
 * Local timing of the SQLite search engine against a raw FTS5 query on the same file — a developer's tool
 * for seeing where time goes, not the project benchmark (that is `pnpm bench:search` in packages/testkit,
 * which goes through createStorage). Same corpus and query generators as the benchmark.
 *
 *   npx tsx bench/fts5-search-timing.ts [--entries 20000] [--reps 3] [--db /tmp/fts5-timing-20000.db]
 *                                       [--exact-limit 2000] [--list-size 400] [--candidates 300]
 *
 * Prints p50/p95 per query kind for: the engine, the engine with the champion path switched off (every
 * query ranked exactly), and the raw `ORDER BY rank LIMIT 10` + snippet() baseline; plus the engine's code
 * precision@10, typo recall@10, and how often its top 10 agrees with the exact ranking.
 */
import { existsSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { generateCorpus } from '../../testkit/src/corpus/corpus-generator.js';
import {
  type BenchmarkQuery,
  generateQueries,
  scoreQuery,
} from '../../testkit/src/corpus/query-generator.js';
import { parseStorageConfig } from '../src/config/storage-config.js';
import { Fts5SearchIndex } from '../src/dialect/sqlite/fts5-search-index.js';
import { SqliteDialectAdapter } from '../src/dialect/sqlite/sqlite-adapter.js';
import { kbSchemaMigration } from '../src/kb/kb-migrations.js';
import { entryToRow } from '../src/kb/kb-repository.js';
import type { KBEntry } from '../src/kb/kb-types.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}

const ENTRIES = Number(arg('entries', '20000'));
const REPS = Number(arg('reps', '3'));
const SEED = 20261128;
const DB = arg('db', `/tmp/fts5-timing-${ENTRIES}.db`);

function pct(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

function rawMatch(q: BenchmarkQuery): string {
  if (q.kind === 'phrase' && q.quoted) return `"${q.phrase.replaceAll('"', '""')}"`;
  if (q.kind === 'prefix') return `"${q.prefix.replaceAll('"', '""')}"*`;
  const tokens = q.query.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
  return tokens.map((t) => `"${t}"`).join(' ');
}

async function main() {
  const fresh = !existsSync(DB);
  const config = parseStorageConfig({ database: { path: DB } });
  const adapter = SqliteDialectAdapter.open(config);
  const tuning = Object.fromEntries(
    (['exact-limit', 'list-size', 'candidates'] as const)
      .filter((k) => process.argv.includes(`--${k}`))
      .map((k) => [k.replace(/-(\w)/g, (_, c: string) => c.toUpperCase()), Number(arg(k, '0'))]),
  );
  const engine = new Fts5SearchIndex(adapter, config, tuning);
  const exactOnly = new Fts5SearchIndex(adapter, config, { exactLimit: Number.MAX_SAFE_INTEGER });
  if (fresh) {
    const ctx = {
      dialect: 'sqlite' as const,
      capabilities: adapter.capabilities,
      types: adapter.columnTypes,
      appendOnly: adapter.appendOnlyGuard,
    };
    await adapter.migrationTransaction(async (trx) => {
      await kbSchemaMigration.up(trx, ctx);
      for (const m of engine.migrations) await m.up(trx, ctx);
    });
    const start = performance.now();
    let batch: KBEntry[] = [];
    let i = 0;
    const flush = async () => {
      const entries = batch;
      batch = [];
      await adapter.writeTransaction(async (trx) => {
        for (let k = 0; k < entries.length; k += 400) {
          await trx
            .insertInto('kb_entries')
            .values(entries.slice(k, k + 400).map(entryToRow))
            .execute();
        }
        await engine.upsertMany(trx, entries);
      });
    };
    for (const input of generateCorpus({ count: ENTRIES, seed: SEED })) {
      const at = new Date(Date.UTC(2026, 0, 1) + i * 1000).toISOString();
      batch.push({
        id: `e${i++}`,
        title: input.title,
        problem: input.problem,
        solution: input.solution,
        category: input.category,
        severity: input.severity ?? 'medium',
        tags: input.tags ?? [],
        createdAt: at,
        updatedAt: at,
        createdBy: null,
        usageCount: 0,
        successCount: 0,
        failureCount: 0,
        archived: false,
        version: 1,
      });
      if (batch.length === 5000) await flush();
    }
    if (batch.length > 0) await flush();
    console.log(`built ${ENTRIES} entries in ${((performance.now() - start) / 1000).toFixed(1)} s`);
  }
  const sqlite = adapter.sqlite;
  if (!sqlite.prepare("select 1 from sqlite_master where name = 'bench_raw_fts'").get()) {
    sqlite.exec(`create virtual table bench_raw_fts using fts5(title, problem, solution, tags, category,
      tokenize = 'unicode61 remove_diacritics 2')`);
    sqlite.exec(`insert into bench_raw_fts(rowid, title, problem, solution, tags, category)
      select seq, title, problem, solution, (select group_concat(value, ' ') from json_each(kb_entries.tags)), category from kb_entries`);
    sqlite
      .prepare("insert into bench_raw_fts(bench_raw_fts, rank) values ('rank', 'bm25(10, 4, 2, 6, 3)')")
      .run();
  }
  const raw = sqlite.prepare(
    `select rowid, snippet(bench_raw_fts, 1, '<mark>', '</mark>', '…', 12) as snippet
     from bench_raw_fts where bench_raw_fts match ? order by rank limit 10`,
  );
  const queries = generateQueries({
    corpus: generateCorpus({ count: ENTRIES, seed: SEED }),
    count: 200,
    seed: SEED,
  });

  const t0 = performance.now();
  await engine.search('warm the champion lists', {}).catch(() => undefined);
  await engine.optimize();
  console.log(`champion lists built in ${((performance.now() - t0) / 1000).toFixed(2)} s (optimize step)`);

  // Quality, outside the timed loop.
  let codeSum = 0;
  let codeN = 0;
  let typoSum = 0;
  let typoN = 0;
  let agree = 0;
  let compared = 0;
  for (const q of queries) {
    const ours = await engine.search(q.query, {});
    const score = scoreQuery(
      q,
      ours.results.map((r) => r.entry),
    );
    if (score !== null && q.kind === 'code') {
      codeSum += score;
      codeN++;
    }
    if (score !== null && q.kind === 'typo') {
      typoSum += score;
      typoN++;
    }
    if (ours.approximate) {
      const exact = await exactOnly.search(q.query, {});
      // Entries whose exact final score reaches the exact 10th count as correct (ties are common).
      const floor = exact.results[exact.results.length - 1]?.score ?? 0;
      const exactScores = new Map(exact.results.map((r) => [r.entry.id, r.score]));
      const all = await exactOnly.search(q.query, { limit: 100 });
      for (const r of all.results) exactScores.set(r.entry.id, r.score);
      agree += ours.results.filter((r) => (exactScores.get(r.entry.id) ?? 0) >= floor - 1e-12).length;
      compared += ours.results.length;
    }
  }

  const ops = queries.flatMap((q) => Array.from({ length: REPS }, () => q));
  for (let i = ops.length - 1; i > 0; i--) {
    const j = (i * 7919 + 13) % (i + 1);
    [ops[i], ops[j]] = [ops[j]!, ops[i]!];
  }
  const times: Record<string, { ours: number[]; exact: number[]; raw: number[] }> = {};
  const all = { ours: [] as number[], exact: [] as number[], raw: [] as number[] };
  for (const q of ops) {
    times[q.kind] ??= { ours: [], exact: [], raw: [] };
    const slot = times[q.kind]!;
    let s = performance.now();
    await engine.search(q.query, {});
    const a = performance.now() - s;
    s = performance.now();
    await exactOnly.search(q.query, {});
    const b = performance.now() - s;
    s = performance.now();
    raw.all(rawMatch(q));
    const c = performance.now() - s;
    slot.ours.push(a);
    slot.exact.push(b);
    slot.raw.push(c);
    all.ours.push(a);
    all.exact.push(b);
    all.raw.push(c);
  }
  console.log(`\ntuning ${JSON.stringify(tuning)}`);
  console.log(
    `${ENTRIES} entries, ${queries.length} queries × ${REPS}; load ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')} on ${cpus().length} cores`,
  );
  console.log('kind       n     engine p50/p95      exact-only p50/p95     raw FTS5 p50/p95   (ms)');
  for (const [kind, t] of [...Object.entries(times), ['all', all] as const]) {
    const f = (v: number[]) => `${pct(v, 50).toFixed(2).padStart(7)} ${pct(v, 95).toFixed(2).padStart(7)}`;
    console.log(
      `${kind.padEnd(8)} ${String(t.ours.length).padStart(4)}   ${f(t.ours)}      ${f(t.exact)}      ${f(t.raw)}`,
    );
  }
  console.log(`\np95 ratio engine/raw = ${(pct(all.ours, 95) / pct(all.raw, 95)).toFixed(3)}`);
  console.log(
    `code precision@10 = ${(codeSum / codeN).toFixed(3)} (${codeN} queries), typo recall@10 = ${(typoSum / typoN).toFixed(3)} (${typoN})`,
  );
  console.log(
    `champion answers whose entries reach the exact 10th score: ${compared ? ((100 * agree) / compared).toFixed(1) : '-'}% of ${compared}`,
  );
  await adapter.close();
}

await main();
