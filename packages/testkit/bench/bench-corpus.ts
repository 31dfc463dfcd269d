import { copyFileSync, existsSync, rmSync } from 'node:fs';
import {
  type CreateStorageOptions,
  copyStore,
  createStorage,
  type KBEntryInput,
  type Storage,
  type StorageConfigInput,
} from '@mainframe-kb/storage-core';
import mysql from 'mysql2/promise';
import pg from 'pg';
import {
  type CorpusProfile,
  chunked,
  generateCorpus,
  SKEWED_FILLER_TERMS,
} from '../src/corpus/corpus-generator.js';
import { type BenchmarkQuery, generateQueries, skewedQueryOptions } from '../src/corpus/query-generator.js';

export const BENCH_SEED = 20261128;
const ADMIN = { actor: { id: 'bench', role: 'admin' as const } };

/** Which benchmark corpus: `testkit` (the default, as always) or `skewed` (filler words in > 90% of entries). */
export type BenchCorpus = CorpusProfile;

/** The `--corpus` argument, checked. */
export function benchCorpus(value: string): BenchCorpus {
  if (value !== 'testkit' && value !== 'skewed') {
    throw new Error(`--corpus must be testkit or skewed, got ${value}`);
  }
  return value;
}

/** The entries of a benchmark corpus, generated lazily (fixed seed). */
export function benchEntries(entries: number, corpus: BenchCorpus = 'testkit'): Iterable<KBEntryInput> {
  return generateCorpus({ count: entries, seed: BENCH_SEED, profile: corpus });
}

/** The benchmark's queries over a corpus: the skewed corpus adds common-word queries and filler typos. */
export function benchQueries(
  entries: number,
  count: number,
  corpus: BenchCorpus = 'testkit',
): BenchmarkQuery[] {
  return generateQueries({
    corpus: benchEntries(entries, corpus),
    count,
    seed: BENCH_SEED,
    ...(corpus === 'skewed' ? skewedQueryOptions() : {}),
  });
}

/**
 * The groups a query's timings are reported under: its kind, and for a misspelt filler word of the skewed
 * corpus also `typo-filler` (the subset that corrects to a word in nearly every entry).
 */
export function timingGroups(q: BenchmarkQuery): string[] {
  return q.kind === 'typo' && SKEWED_FILLER_TERMS.includes(q.intended.toLowerCase())
    ? [q.kind, 'typo-filler']
    : [q.kind];
}

/** `''` for the testkit corpus (so its cached files and schemas keep their names), else `<corpus>-`. */
function tag(corpus: BenchCorpus, separator: string): string {
  return corpus === 'testkit' ? '' : `${corpus}${separator}`;
}

/** Where a corpus's SQLite file lives: `/tmp/kb-bench-100000.db`, `/tmp/kb-bench-skewed-100000.db`. */
export function corpusSqlitePath(entries: number, corpus: BenchCorpus = 'testkit'): string {
  return `/tmp/kb-bench-${tag(corpus, '-')}${entries}.db`;
}

/** A corpus's PostgreSQL schema or MySQL database: `kb_bench_100000`, `kb_bench_skewed_100000`. */
export function corpusSchemaName(entries: number, corpus: BenchCorpus = 'testkit'): string {
  return `kb_bench_${tag(corpus, '_')}${entries}`;
}

/** The suffix of a results file: `100000`, `skewed-100000`. */
export function resultsSuffix(entries: number, corpus: BenchCorpus = 'testkit'): string {
  return `${tag(corpus, '-')}${entries}`;
}

/**
 * The SQLite store of the benchmark corpus (`entries` synthetic entries, fixed seed), built once and reused
 * from /tmp by every benchmark (the search benchmark uses the same file).
 */
export async function openCorpusSqlite(
  entries: number,
  extra: Omit<StorageConfigInput, 'database'> = {},
  path?: string | undefined,
  corpus: BenchCorpus = 'testkit',
): Promise<{ storage: Storage; builtMs: number }> {
  path ??= corpusSqlitePath(entries, corpus);
  const fresh = !existsSync(path);
  const storage = await createStorage({ ...extra, database: { path } }, ADMIN);
  let builtMs = 0;
  if (fresh || (await storage.countEntries()) !== entries) {
    if (!fresh) throw new Error(`${path} holds another corpus; remove it`);
    const start = performance.now();
    for (const batch of chunked(benchEntries(entries, corpus), 5_000)) {
      await storage.createEntries(batch);
    }
    builtMs = performance.now() - start;
    console.log(`built ${entries} ${corpus} entries in SQLite in ${(builtMs / 1000).toFixed(1)} s`);
  }
  return { storage, builtMs };
}

export interface CorpusCopy {
  storage: Storage;
  /** Set when this run copied the corpus in (SQLite → PostgreSQL), with the time and the content hash. */
  copied?: { seconds: number; rows: number; hash: string };
}

/**
 * The server copy's audit keyring: the SQLite corpus's own (its key file beside it), which signed the audit
 * rows the copy carries. Without it the copy's keyed chain refuses every write (AUDIT_KEY_MISSING), as it
 * must for a process that lacks the key.
 */
function sharedKeyring(
  entries: number,
  corpus: BenchCorpus,
  extra: Omit<StorageConfigInput, 'database'>,
): Omit<StorageConfigInput, 'database'> {
  if (extra.audit !== undefined) return extra;
  return { ...extra, audit: { keyFile: `${corpusSqlitePath(entries, corpus)}.audit-key` } };
}

/**
 * The corpus in a PostgreSQL schema of its own (`kb_bench_<entries>`, `kb_bench_skewed_<entries>`), copied
 * from the SQLite corpus with copyStore (the tested upgrade path) when the schema is missing or holds other
 * content.
 */
export async function openCorpusPostgres(
  url: string,
  entries: number,
  extra: Omit<StorageConfigInput, 'database'> = {},
  schema?: string | undefined,
  /** Copy the corpus in again even when the schema already holds it (benchmarks that write). */
  refill = false,
  /** Plugins the store opens with, e.g. rawAccessPlugin for a benchmark's hand-written baseline queries. */
  plugins: CreateStorageOptions['plugins'] = [],
  corpus: BenchCorpus = 'testkit',
): Promise<CorpusCopy> {
  const storage = await createStorage(
    {
      ...sharedKeyring(entries, corpus, extra),
      database: { type: 'postgresql', url, schema: schema ?? corpusSchemaName(entries, corpus) },
    },
    { ...ADMIN, plugins },
  );
  return fillFromSqlite(storage, entries, refill, corpus, 'PostgreSQL');
}

/**
 * The corpus in a MySQL/MariaDB database of its own on the server `url` names (`kb_bench_<entries>`,
 * `kb_bench_skewed_<entries>`, created utf8mb4 as the store's tests create theirs), copied from the SQLite
 * corpus with copyStore when the database is missing or holds other content.
 */
export async function openCorpusMysql(
  url: string,
  entries: number,
  extra: Omit<StorageConfigInput, 'database'> = {},
  database?: string | undefined,
  refill = false,
  plugins: CreateStorageOptions['plugins'] = [],
  corpus: BenchCorpus = 'testkit',
): Promise<CorpusCopy & { url: string }> {
  const name = database ?? corpusSchemaName(entries, corpus);
  await mysqlExec(url, `create database if not exists \`${name}\` character set utf8mb4 collate utf8mb4_bin`);
  const target = mysqlDatabaseUrl(url, name);
  const storage = await createStorage(
    { ...sharedKeyring(entries, corpus, extra), database: { type: 'mysql', url: target } },
    { ...ADMIN, plugins },
  );
  return { ...(await fillFromSqlite(storage, entries, refill, corpus, 'MySQL')), url: target };
}

/** `url` with its database replaced by `database`. */
export function mysqlDatabaseUrl(url: string, database: string): string {
  const target = new URL(url);
  target.pathname = `/${database}`;
  return target.toString();
}

async function fillFromSqlite(
  storage: Storage,
  entries: number,
  refill: boolean,
  corpus: BenchCorpus,
  server: string,
): Promise<CorpusCopy> {
  if (!refill && (await storage.countEntries()) === entries) return { storage };
  const { storage: source } = await openCorpusSqlite(entries, {}, undefined, corpus);
  try {
    const start = performance.now();
    const result = await copyStore(source, storage, { replace: true, batchSize: 5_000 });
    const seconds = (performance.now() - start) / 1000;
    const rows = Object.values(result.rows).reduce((a, b) => a + b, 0);
    console.log(
      `copied ${rows} rows SQLite → ${server} in ${seconds.toFixed(1)} s (hash ${result.hash.hash.slice(0, 16)}…)`,
    );
    return { storage, copied: { seconds, rows, hash: result.hash.hash } };
  } finally {
    await source.close();
  }
}

/** A private copy of the SQLite corpus file, for benchmarks that write (the shared file must stay as built). */
export async function copyCorpusSqlite(
  entries: number,
  to: string,
  corpus: BenchCorpus = 'testkit',
): Promise<void> {
  const { storage } = await openCorpusSqlite(entries, {}, undefined, corpus);
  await storage.close(); // checkpoints the WAL into the file
  for (const suffix of ['', '-wal', '-shm']) rmSync(`${to}${suffix}`, { force: true });
  copyFileSync(corpusSqlitePath(entries, corpus), to);
}

/** Runs one SQL statement on a fresh client (setup that the store's API does not offer, e.g. DROP SCHEMA). */
export async function pgExec(url: string, text: string): Promise<void> {
  await pgQuery(url, text);
}

/** One query on a fresh client, its rows returned (the server's own views, e.g. pg_stat_activity). */
export async function pgQuery<Row = Record<string, unknown>>(url: string, text: string): Promise<Row[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(text)).rows as Row[];
  } finally {
    await client.end();
  }
}

/** Runs statements on a fresh MySQL connection (setup the store's API does not offer, e.g. DROP DATABASE). */
export async function mysqlExec(url: string, ...statements: string[]): Promise<void> {
  const connection = await mysql.createConnection({ uri: url });
  try {
    for (const text of statements) await connection.query(text);
  } finally {
    await connection.end();
  }
}
