import { copyFileSync, existsSync, rmSync } from 'node:fs';
import {
  type CreateStorageOptions,
  copyStore,
  createStorage,
  type Storage,
  type StorageConfigInput,
} from '@mainframe-kb/storage-core';
import pg from 'pg';
import { chunked, generateCorpus } from '../src/corpus/corpus-generator.js';

export const BENCH_SEED = 20261128;
const ADMIN = { actor: { id: 'bench', role: 'admin' as const } };

/**
 * The SQLite store of the benchmark corpus (`entries` synthetic entries, fixed seed), built once and reused
 * from /tmp by every benchmark (the search benchmark uses the same file).
 */
export async function openCorpusSqlite(
  entries: number,
  extra: Omit<StorageConfigInput, 'database'> = {},
  path = `/tmp/kb-bench-${entries}.db`,
): Promise<{ storage: Storage; builtMs: number }> {
  const fresh = !existsSync(path);
  const storage = await createStorage({ ...extra, database: { path } }, ADMIN);
  let builtMs = 0;
  if (fresh || (await storage.countEntries()) !== entries) {
    if (!fresh) throw new Error(`${path} holds another corpus; remove it`);
    const start = performance.now();
    for (const batch of chunked(generateCorpus({ count: entries, seed: BENCH_SEED }), 5_000)) {
      await storage.createEntries(batch);
    }
    builtMs = performance.now() - start;
    console.log(`built ${entries} entries in SQLite in ${(builtMs / 1000).toFixed(1)} s`);
  }
  return { storage, builtMs };
}

export interface CorpusCopy {
  storage: Storage;
  /** Set when this run copied the corpus in (SQLite → PostgreSQL), with the time and the content hash. */
  copied?: { seconds: number; rows: number; hash: string };
}

/**
 * The corpus in a PostgreSQL schema of its own (`kb_bench_<entries>`), copied from the SQLite corpus with
 * copyStore (the tested upgrade path) when the schema is missing or holds other content.
 */
export async function openCorpusPostgres(
  url: string,
  entries: number,
  extra: Omit<StorageConfigInput, 'database'> = {},
  schema = `kb_bench_${entries}`,
  /** Copy the corpus in again even when the schema already holds it (benchmarks that write). */
  refill = false,
  /** Plugins the store opens with, e.g. rawAccessPlugin for a benchmark's hand-written baseline queries. */
  plugins: CreateStorageOptions['plugins'] = [],
): Promise<CorpusCopy> {
  const storage = await createStorage(
    { ...extra, database: { type: 'postgresql', url, schema } },
    { ...ADMIN, plugins },
  );
  if (!refill && (await storage.countEntries()) === entries) return { storage };
  const { storage: source } = await openCorpusSqlite(entries);
  try {
    const start = performance.now();
    const result = await copyStore(source, storage, { replace: true, batchSize: 5_000 });
    const seconds = (performance.now() - start) / 1000;
    const rows = Object.values(result.rows).reduce((a, b) => a + b, 0);
    console.log(
      `copied ${rows} rows SQLite → PostgreSQL in ${seconds.toFixed(1)} s (hash ${result.hash.hash.slice(0, 16)}…)`,
    );
    return { storage, copied: { seconds, rows, hash: result.hash.hash } };
  } finally {
    await source.close();
  }
}

/** A private copy of the SQLite corpus file, for benchmarks that write (the shared file must stay as built). */
export async function copyCorpusSqlite(entries: number, to: string): Promise<void> {
  const { storage } = await openCorpusSqlite(entries);
  await storage.close(); // checkpoints the WAL into the file
  for (const suffix of ['', '-wal', '-shm']) rmSync(`${to}${suffix}`, { force: true });
  copyFileSync(`/tmp/kb-bench-${entries}.db`, to);
}

/** Runs one SQL statement on a fresh client (setup that the store's API does not offer, e.g. DROP SCHEMA). */
export async function pgExec(url: string, text: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}
