/**
 * Bulk import: `createEntries()` of N entries (validation, one BEGIN IMMEDIATE transaction, tags, the FTS5
 * index, an audit row and a durable event per entry) against a raw prepared-insert loop in one transaction
 * that writes the same rows into kb_entries, kb_tags and kb_fts. Rounds alternate, each on a fresh file.
 *
 *   pnpm bench:import [--entries 100000] [--rounds 3] [--keep store.db]
 *
 * `--keep` moves the last round's store (createEntries') to the path given: a store of N entries for the
 * search benchmarks, made in the same run that timed it.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type CreateStorageOptions,
  createStorage,
  type KBEntryInput,
  normalizeCategory,
  normalizeTags,
  SQLITE_COMPANIONS,
} from '@mainframe-kb/storage-core';
import { generateCorpusArray } from '../src/corpus/corpus-generator.js';
import { rawAccessPlugin, rawDialect } from '../src/raw-access/raw-access-plugin.js';
import { argValue, fmt, machine, percentiles } from './bench-stats.js';

const ENTRIES = Number(argValue('entries', '100000'));
const ROUNDS = Number(argValue('rounds', '3'));
const KEEP = argValue('keep', '');
const here = dirname(fileURLToPath(import.meta.url));

interface RawSqlite {
  prepare(sql: string): { run(...params: unknown[]): { lastInsertRowid: number | bigint } };
  transaction<T>(fn: () => T): () => T;
}

async function openFresh(dir: string, name: string, plugins: CreateStorageOptions['plugins'] = []) {
  return createStorage(
    { database: { path: join(dir, `${name}.db`) } },
    { actor: { id: 'bench', role: 'admin' }, plugins },
  );
}

/** The floor: the same rows, prepared statements, one transaction, no validation, audit or events. */
async function rawLoop(dir: string, entries: readonly KBEntryInput[]): Promise<number> {
  // The store only creates the schema; the loop writes through the driver under it.
  const storage = await openFresh(dir, `raw-${randomUUID()}`, [rawAccessPlugin]);
  const sqlite = (rawDialect(storage) as unknown as { sqlite: RawSqlite }).sqlite;
  const insertEntry = sqlite.prepare(`insert into kb_entries
    (id, title, problem, solution, category, severity, tags, created_at, updated_at, created_by)
    values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
  const insertTag = sqlite.prepare('insert into kb_tags (entry_id, tag) values (?, ?)');
  const insertFts = sqlite.prepare(
    'insert into kb_fts (rowid, title, problem, solution, tags, category) values (?, ?, ?, ?, ?, ?)',
  );
  const start = performance.now();
  sqlite.transaction(() => {
    const now = new Date().toISOString();
    for (const e of entries) {
      const id = randomUUID();
      const tags = normalizeTags(e.tags ?? []);
      const category = normalizeCategory(e.category);
      const { lastInsertRowid } = insertEntry.run(
        id,
        e.title,
        e.problem,
        e.solution,
        category,
        e.severity ?? 'medium',
        JSON.stringify(tags),
        now,
        now,
        null,
      );
      for (const tag of tags) insertTag.run(id, tag);
      insertFts.run(lastInsertRowid, e.title, e.problem, e.solution, tags.join(' '), category);
    }
  })();
  const ms = performance.now() - start;
  await storage.close();
  return ms;
}

async function ours(dir: string, entries: readonly KBEntryInput[], keep: boolean): Promise<number> {
  const name = `ours-${randomUUID()}`;
  const storage = await openFresh(dir, name);
  const start = performance.now();
  await storage.createEntries(entries);
  const ms = performance.now() - start;
  if ((await storage.countEntries()) !== entries.length) throw new Error('createEntries lost entries');
  await storage.close();
  // Closed, the store is one file (the last connection checkpoints and removes the WAL).
  if (keep && KEEP) {
    renameSync(join(dir, `${name}.db`), KEEP);
    // Its audit key and checkpoints go with it: without the key, the kept store (and every copy of it)
    // refuses writes to its keyed audit chain.
    for (const companion of SQLITE_COMPANIONS) {
      if (existsSync(join(dir, `${name}.db${companion}`)))
        renameSync(join(dir, `${name}.db${companion}`), `${KEEP}${companion}`);
    }
  }
  return ms;
}

async function main() {
  console.log(`bulk import benchmark: ${ENTRIES} entries, ${ROUNDS} rounds each, alternating`);
  const entries = generateCorpusArray({ count: ENTRIES, seed: 20261128 });
  const dir = mkdtempSync(join(tmpdir(), 'kb-import-bench-'));
  const raw: number[] = [];
  const api: number[] = [];
  try {
    for (let round = 0; round < ROUNDS; round++) {
      if (round % 2 === 0) {
        raw.push(await rawLoop(dir, entries));
        api.push(await ours(dir, entries, round === ROUNDS - 1));
      } else {
        api.push(await ours(dir, entries, round === ROUNDS - 1));
        raw.push(await rawLoop(dir, entries));
      }
      console.log(`round ${round + 1}: raw ${fmt(raw.at(-1)!)} ms, createEntries ${fmt(api.at(-1)!)} ms`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const r = percentiles(raw);
  const o = percentiles(api);
  const ratio = o.p50 / r.p50;
  const result = {
    benchmark: 'bulk-import',
    command: `pnpm bench:import --entries ${ENTRIES} --rounds ${ROUNDS}`,
    date: new Date().toISOString(),
    machine: machine(),
    entries: ENTRIES,
    rawLoopMs: raw,
    createEntriesMs: api,
    medianRatio: ratio,
  };
  console.log(`\nload average ${result.machine.loadAverage.join(' ')}`);
  console.log(
    `median: raw prepared-insert loop ${(r.p50 / 1000).toFixed(2)} s, createEntries ${(o.p50 / 1000).toFixed(2)} s`,
  );
  console.log(`ratio createEntries / raw = ${ratio.toFixed(2)} (target ≤ 1.5)`);
  const out = join(here, 'results');
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, `bulk-import-${ENTRIES}.json`), `${JSON.stringify(result, null, 2)}\n`);
}

await main();
