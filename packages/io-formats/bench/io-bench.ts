/**
 * Export and import of N knowledge-base entries (testkit's corpus) in each row format: wall and CPU seconds,
 * bytes, peak RSS. Every phase runs in its own child process, so its peak RSS (the kernel's maxRSS) is its
 * own; RSS includes SQLite's page cache (64 MiB) and mmap (up to 256 MiB) of the database. Baselines measured
 * in the same run, on the same machine load:
 * - core's createEntries() of the same entries (validation, FTS5, audit, one transaction), at the start and
 *   again at the end;
 * - a raw read of every kb_entries row with JSON.stringify (the floor of an export);
 * - the raw write floor: the source store's kb_entries and kb_tags rows written back with prepared
 *   single-row inserts in one transaction, with the FTS5 index kept per row (what any import through
 *   core's search index pays) and, for comparison, with it filled by one INSERT … SELECT at the end (what a
 *   bulk-load mode of core could do). No parsing, no validation: only SQLite's own work.
 *
 * `--heap` also samples the live V8 heap (a forced full collection every 250 ms, then the heap in use). That
 * sampler perturbs what it measures — on the previous code it slowed the streamed imports by 39–94% while
 * createEntries, one long call during which the timer cannot fire, paid nothing — so timings are taken
 * without it and the heap figures come from a separate `--heap` run.
 *
 * Each import runs twice, with the preparing thread (records read, parsed and validated on a second thread
 * while this one writes) and on one thread alone, one after the other.
 *
 * `--rounds N` then runs N more rounds in which each format's floors are measured right beside its own phases
 * (raw read, export, raw write, import with the thread, import on one thread, for one format after another),
 * and reports each ratio's median over the rounds: on a machine whose speed drifts by half within a run, a
 * floor taken minutes earlier or later moves a ratio more than the code does.
 *
 *   pnpm bench:io [--entries 100000] [--formats json,ndjson,csv,xml] [--heap] [--rounds 3]
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createStorage, type SqliteDialectAdapter, type Storage } from '@mainframe-kb/storage-core';
import { generateCorpusArray, rawAccessPlugin, rawDb, rawDialect } from '@mainframe-kb/testkit';
import { preparingThreadSettings } from '../src/import/prepared-stream.js';
import { exportStore, type FormatName, importStore, ioFormatsPlugin } from '../src/index.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? (process.argv[i + 1] as string) : fallback;
}

const here = dirname(fileURLToPath(import.meta.url));

interface PhaseResult {
  seconds: number;
  /** User + system CPU of the phase (all threads): less sensitive than wall time to other load on the machine. */
  cpuSeconds?: number;
  /** raw-write: milliseconds per step. */
  steps?: Record<string, number>;
  peakRssMiB: number;
  /** With --heap: highest live V8 heap (after a full collection, every 250 ms), the JS side alone. */
  peakHeapMiB?: number;
  bytes?: number;
  rows?: number;
}

async function open(path: string): Promise<Storage> {
  return createStorage(
    { database: { type: 'sqlite', path } },
    { plugins: [ioFormatsPlugin], actor: { id: 'bench', role: 'admin' } },
  );
}

/** A store whose database the raw phases reach directly (the floors the pipeline is compared with). */
async function openRaw(path: string): Promise<Storage> {
  return createStorage(
    { database: { type: 'sqlite', path } },
    { plugins: [ioFormatsPlugin, rawAccessPlugin], actor: { id: 'bench', role: 'admin' } },
  );
}

function peakRssMiB(): number {
  return Math.round(process.resourceUsage().maxRSS / 1024);
}

/** One phase, in this (child) process; prints its result as one JSON line. */
async function child(phase: string): Promise<void> {
  // The live heap, with --heap only: every 250 ms, a full collection, then the heap in use. What survives a
  // collection is what the phase holds (the corpus, key sets, buffers); a plain sample would mostly measure
  // garbage. The collections cost time, so timed runs go without.
  let heap = 0;
  const gc = (globalThis as { gc?: () => void }).gc;
  const sampler =
    gc === undefined
      ? undefined
      : setInterval(() => {
          gc();
          heap = Math.max(heap, process.memoryUsage().heapUsed);
        }, 250);
  const db = arg('db', '');
  let result: PhaseResult;
  if (phase === 'create') {
    const entries = generateCorpusArray({ count: Number(arg('entries', '100000')), seed: 20261128 });
    const storage = await open(db);
    const start = performance.now();
    cpuFrom = process.cpuUsage();
    await storage.createEntries(entries);
    const seconds = (performance.now() - start) / 1000;
    await storage.close();
    result = { seconds, peakRssMiB: peakRssMiB(), rows: entries.length };
  } else if (phase === 'raw-write') {
    result = await rawWrite(arg('source', ''), db, arg('fts', 'per-row') === 'once');
  } else if (phase === 'raw-read') {
    const storage = await openRaw(db);
    const start = performance.now();
    cpuFrom = process.cpuUsage();
    let bytes = 0;
    const rows = await rawDb(storage).selectFrom('kb_entries').selectAll().execute();
    for (const row of rows) bytes += JSON.stringify(row).length;
    result = {
      seconds: (performance.now() - start) / 1000,
      peakRssMiB: peakRssMiB(),
      bytes,
      rows: rows.length,
    };
    await storage.close();
  } else if (phase === 'export') {
    const storage = await open(db);
    const start = performance.now();
    cpuFrom = process.cpuUsage();
    const exported = await exportStore(storage, {
      format: arg('format', 'json') as FormatName,
      out: arg('out', ''),
      entities: ['kb'],
    });
    result = { seconds: (performance.now() - start) / 1000, peakRssMiB: peakRssMiB(), bytes: exported.bytes };
    await storage.close();
  } else {
    // `--threads 1`: the import on this thread alone (no preparing thread), for the comparison.
    if (arg('threads', '2') === '1') preparingThreadSettings.minimumBytes = Number.POSITIVE_INFINITY;
    const storage = await open(db);
    const start = performance.now();
    cpuFrom = process.cpuUsage();
    const imported = await importStore(storage, { input: arg('in', '') });
    const seconds = (performance.now() - start) / 1000;
    if (!imported.committed)
      throw new Error(`import refused: ${JSON.stringify(imported.errors.slice(0, 3))}`);
    result = { seconds, peakRssMiB: peakRssMiB(), rows: imported.inserted };
    await storage.close();
  }
  const cpu = process.cpuUsage(cpuFrom);
  result.cpuSeconds = (cpu.user + cpu.system) / 1e6;
  if (sampler !== undefined) {
    clearInterval(sampler);
    result.peakHeapMiB = Math.round(heap / 1024 / 1024);
  }
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

/**
 * The raw write floor (see the header): the source store's rows, read into memory first, then written into a
 * fresh store in one transaction with better-sqlite3's prepared statements — kb_entries in seq order,
 * kb_tags, and kb_fts either row by row or in one INSERT … SELECT at the end.
 */
async function rawWrite(source: string, target: string, ftsOnce: boolean): Promise<PhaseResult> {
  const from = await openRaw(source);
  const read = (rawDialect(from) as SqliteDialectAdapter).sqlite;
  const entries = read.prepare('select * from kb_entries order by seq').all() as Record<string, unknown>[];
  const tags = read.prepare('select entry_id, tag from kb_tags').all() as { entry_id: string; tag: string }[];
  await from.close();
  const storage = await openRaw(target);
  const db = (rawDialect(storage) as SqliteDialectAdapter).sqlite;
  const columns = Object.keys(entries[0] ?? {});
  const insertEntry = db.prepare(
    `insert into kb_entries (${columns.join(', ')}) values (${columns.map(() => '?').join(', ')})`,
  );
  const insertTag = db.prepare('insert into kb_tags (entry_id, tag) values (?, ?)');
  const insertFts = db.prepare(
    'insert into kb_fts (rowid, title, problem, solution, tags, category) values (?, ?, ?, ?, ?, ?)',
  );
  const steps: Record<string, number> = {};
  const start = performance.now();
  cpuFrom = process.cpuUsage();
  let mark = start;
  const lap = (name: string) => {
    const now = performance.now();
    steps[name] = Math.round(now - mark);
    mark = now;
  };
  db.exec('begin immediate');
  for (const e of entries) {
    insertEntry.run(columns.map((c) => e[c]));
    if (!ftsOnce) {
      const tagText = (JSON.parse(e.tags as string) as string[]).join(' ');
      insertFts.run(BigInt(e.seq as number), e.title, e.problem, e.solution, tagText, e.category);
    }
  }
  lap(ftsOnce ? 'kb_entries' : 'kb_entries + kb_fts per row');
  for (const t of tags) insertTag.run(t.entry_id, t.tag);
  lap('kb_tags');
  if (ftsOnce) {
    db.exec(`insert into kb_fts (rowid, title, problem, solution, tags, category)
      select seq, title, problem, solution,
        coalesce((select group_concat(value, ' ') from json_each(kb_entries.tags)), ''), category
      from kb_entries order by seq`);
    lap('kb_fts once');
  }
  db.exec('commit');
  lap('commit');
  const seconds = (performance.now() - start) / 1000;
  await storage.close();
  return { seconds, steps, peakRssMiB: peakRssMiB(), rows: entries.length + tags.length };
}

const ratio = (a: number, b: number) => Number((a / b).toFixed(2));

function exportPhase(source: string, format: FormatName, out: string): PhaseResult {
  return run(['--child', 'export', '--db', source, '--format', format, '--out', out]);
}

/** The raw write floor into `db`, its FTS5 index kept per row or filled once at the end. */
function rawWritePhase(source: string, db: string, fts: 'per-row' | 'once'): PhaseResult {
  return run(['--child', 'raw-write', '--source', source, '--db', db, '--fts', fts]);
}

/** The import of `input` with the preparing thread and on one thread, one after the other, each into `dbOf`. */
function importBoth(
  input: string,
  dbOf: (threads: '1' | '2') => string,
  threadFirst: boolean,
): { threaded: PhaseResult; single: PhaseResult } {
  const importOn = (threads: '1' | '2') =>
    run(['--child', 'import', '--db', dbOf(threads), '--in', input, '--threads', threads]);
  if (threadFirst) {
    const threaded = importOn('2');
    return { threaded, single: importOn('1') };
  }
  const single = importOn('1');
  return { threaded: importOn('2'), single };
}

interface RoundRow {
  round: number;
  format: FormatName;
  rawReadSeconds: number;
  exportSeconds: number;
  rawWriteSeconds: number;
  importSeconds: number;
  importOneThreadSeconds: number;
  exportVsRawRead: number;
  importVsRawWrite: number;
  importOneThreadVsRawWrite: number;
  load: string;
}

/** `--rounds N`: each format's phases beside their own floors, N times; the medians of the ratios. */
function interleavedRounds(
  source: string,
  dir: string,
  formats: readonly FormatName[],
  count: number,
  load: () => string,
): RoundRow[] {
  const rows: RoundRow[] = [];
  for (let round = 1; round <= count; round++) {
    for (const format of formats) {
      const at = (name: string) => join(dir, `round-${round}-${format}-${name}`);
      const rawRead = run(['--child', 'raw-read', '--db', source]);
      const exported = exportPhase(source, format, at('export'));
      const floor = rawWritePhase(source, at('raw.db'), 'per-row');
      // Which import goes first alternates by round and format.
      const { threaded, single } = importBoth(
        at('export'),
        (threads) => at(`t${threads}.db`),
        (round + formats.indexOf(format)) % 2 === 0,
      );
      for (const name of ['export', 'raw.db', 't1.db', 't2.db'])
        rmSync(at(name), { recursive: true, force: true });
      const row: RoundRow = {
        round,
        format,
        rawReadSeconds: rawRead.seconds,
        exportSeconds: exported.seconds,
        rawWriteSeconds: floor.seconds,
        importSeconds: threaded.seconds,
        importOneThreadSeconds: single.seconds,
        exportVsRawRead: ratio(exported.seconds, rawRead.seconds),
        importVsRawWrite: ratio(threaded.seconds, floor.seconds),
        importOneThreadVsRawWrite: ratio(single.seconds, floor.seconds),
        load: load(),
      };
      rows.push(row);
      console.log(
        `round ${round} ${format.padEnd(6)} export ${secs(exported)} / raw read ${secs(rawRead)} = ${row.exportVsRawRead} | import ${secs(threaded)}, one thread ${secs(single)} / raw write ${secs(floor)} = ${row.importVsRawWrite} (one thread ${row.importOneThreadVsRawWrite}); load ${row.load}`,
      );
    }
  }
  const median = (values: number[]) => {
    const sorted = [...values].sort((x, y) => x - y);
    const mid = sorted.length >> 1;
    return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  };
  for (const format of count > 0 ? formats : []) {
    const of = rows.filter((r) => r.format === format);
    const m = (key: keyof RoundRow) => median(of.map((r) => r[key] as number));
    console.log(
      `median of ${count} rounds, ${format.padEnd(6)} export ${m('exportSeconds').toFixed(2)} s (÷ raw read ${m('exportVsRawRead').toFixed(2)}), import ÷ raw write ${m('importVsRawWrite').toFixed(2)} (one thread ${m('importOneThreadVsRawWrite').toFixed(2)})`,
    );
  }
  return rows;
}

let heapFlag = false;
/** CPU usage when the timed part of a phase began. */
let cpuFrom = process.cpuUsage();

function run(args: string[]): PhaseResult {
  const out = spawnSync(
    process.execPath,
    [...(heapFlag ? ['--expose-gc'] : []), '--import', 'tsx', fileURLToPath(import.meta.url), ...args],
    {
      encoding: 'utf8',
      maxBuffer: 16 * 1024 * 1024,
    },
  );
  if (out.status !== 0) throw new Error(`bench phase ${args.join(' ')} failed:\n${out.stderr}`);
  const line = out.stdout.trim().split('\n').at(-1) as string;
  return JSON.parse(line) as PhaseResult;
}

const secs = (r: PhaseResult) => `${r.seconds.toFixed(2)} s (CPU ${(r.cpuSeconds ?? 0).toFixed(2)} s)`;
const mem = (r: PhaseResult) =>
  `peak RSS ${r.peakRssMiB} MiB${r.peakHeapMiB === undefined ? '' : ` heap ${r.peakHeapMiB} MiB`}`;

async function main(): Promise<void> {
  const entries = Number(arg('entries', '100000'));
  const formats = arg('formats', 'json,ndjson,csv,xml').split(',') as FormatName[];
  heapFlag = process.argv.includes('--heap');
  console.log(
    `io benchmark: ${entries} entries, formats ${formats.join(', ')}; each phase in its own process${heapFlag ? '; live heap sampled (timings perturbed)' : ''}`,
  );
  const dir = mkdtempSync(join(tmpdir(), 'kb-io-bench-'));
  const results: Record<string, number | string | undefined>[] = [];
  const load = () =>
    loadavg()
      .map((l) => l.toFixed(2))
      .join(' ');
  try {
    const source = join(dir, 'source.db');
    const create = run(['--child', 'create', '--db', source, '--entries', String(entries)]);
    console.log(`baseline createEntries: ${secs(create)}, ${mem(create)}; load ${load()}`);
    const raw = run(['--child', 'raw-read', '--db', source]);
    console.log(`baseline raw read + JSON.stringify: ${secs(raw)}, ${mem(raw)}`);
    const rawWrite = rawWritePhase(source, join(dir, 'raw-write.db'), 'per-row');
    console.log(
      `baseline raw write, FTS5 per row: ${secs(rawWrite)} ${JSON.stringify(rawWrite.steps)}; load ${load()}`,
    );
    const rawWriteOnce = rawWritePhase(source, join(dir, 'raw-write-once.db'), 'once');
    console.log(
      `raw write, FTS5 filled once at the end: ${secs(rawWriteOnce)} ${JSON.stringify(rawWriteOnce.steps)}`,
    );
    for (const format of formats) {
      const out = join(dir, `export-${format}`);
      const exported = exportPhase(source, format, out);
      // With the preparing thread and without, one after the other (which goes first alternates by format).
      const { threaded: imported, single } = importBoth(
        out,
        (threads) => join(dir, `target-${format}-${threads}.db`),
        formats.indexOf(format) % 2 === 0,
      );
      const row = {
        format,
        exportSeconds: Number(exported.seconds.toFixed(3)),
        exportCpuSeconds: Number((exported.cpuSeconds ?? 0).toFixed(3)),
        exportBytes: exported.bytes,
        exportPeakRssMiB: exported.peakRssMiB,
        exportPeakHeapMiB: exported.peakHeapMiB,
        importSeconds: Number(imported.seconds.toFixed(3)),
        importCpuSeconds: Number((imported.cpuSeconds ?? 0).toFixed(3)),
        importOneThreadSeconds: Number(single.seconds.toFixed(3)),
        importOneThreadCpuSeconds: Number((single.cpuSeconds ?? 0).toFixed(3)),
        importPeakRssMiB: imported.peakRssMiB,
        importPeakHeapMiB: imported.peakHeapMiB,
        importedRows: imported.rows,
        exportVsRawRead: ratio(exported.seconds, raw.seconds),
        importVsCreateEntries: ratio(imported.seconds, create.seconds),
        importVsRawWrite: ratio(imported.seconds, rawWrite.seconds),
        importOneThreadVsRawWrite: ratio(single.seconds, rawWrite.seconds),
        load: load(),
      };
      results.push(row);
      console.log(
        `${format.padEnd(6)} export ${secs(exported)}, ${((row.exportBytes ?? 0) / 1e6).toFixed(1)} MB, ${mem(exported)} | import ${secs(imported)}, ${mem(imported)} (${row.importedRows} rows); one thread ${secs(single)} | export/raw read ${row.exportVsRawRead}, import/raw write ${row.importVsRawWrite}; load ${row.load}`,
      );
    }
    // The machine is shared: the load drifts during a run. The baselines are taken again at the end and the
    // import ratios use the mean of both.
    const createAgain = run([
      '--child',
      'create',
      '--db',
      join(dir, 'source-again.db'),
      '--entries',
      String(entries),
    ]);
    const rawWriteAgain = rawWritePhase(source, join(dir, 'raw-write-again.db'), 'per-row');
    const createMean = (create.seconds + createAgain.seconds) / 2;
    const rawWriteMean = (rawWrite.seconds + rawWriteAgain.seconds) / 2;
    console.log(
      `baseline createEntries again: ${secs(createAgain)} (mean ${createMean.toFixed(2)} s); raw write again: ${secs(rawWriteAgain)} (mean ${rawWriteMean.toFixed(2)} s)`,
    );
    for (const row of results) {
      row.importVsCreateEntries = ratio(row.importSeconds as number, createMean);
      row.importVsRawWrite = ratio(row.importSeconds as number, rawWriteMean);
      row.importOneThreadVsRawWrite = ratio(row.importOneThreadSeconds as number, rawWriteMean);
    }
    for (const row of results) {
      console.log(
        `${String(row.format).padEnd(6)} import/createEntries ${row.importVsCreateEntries}, import/raw write ${row.importVsRawWrite} (one thread ${row.importOneThreadVsRawWrite})`,
      );
    }
    const rounds = interleavedRounds(source, dir, formats, Number(arg('rounds', '0')), load);
    const report = {
      benchmark: 'io-formats',
      command: `pnpm bench:io --entries ${entries} --formats ${formats.join(',')}${heapFlag ? ' --heap' : ''}${rounds.length > 0 ? ` --rounds ${rounds.length}` : ''}`,
      date: new Date().toISOString(),
      machine: {
        node: process.version,
        cpus: cpus().length,
        cpuModel: cpus()[0]?.model ?? 'unknown',
        loadAverage: loadavg().map((l) => Number(l.toFixed(2))),
      },
      entries,
      targets: { exportSeconds: 3, importSeconds: 5 },
      baselines: {
        createEntries: create,
        createEntriesAtEnd: createAgain,
        createEntriesMeanSeconds: createMean,
        rawRead: raw,
        rawWrite,
        rawWriteAtEnd: rawWriteAgain,
        rawWriteMeanSeconds: rawWriteMean,
        rawWriteFtsOnce: rawWriteOnce,
      },
      results,
      rounds,
    };
    const outDir = join(here, 'results');
    mkdirSync(outDir, { recursive: true });
    writeFileSync(
      join(outDir, `io-${entries}${heapFlag ? '-heap' : ''}.json`),
      `${JSON.stringify(report, null, 2)}\n`,
    );
    console.log(
      `load average ${report.machine.loadAverage.join(' ')}; written bench/results/io-${entries}${heapFlag ? '-heap' : ''}.json`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const phase = arg('child', '');
if (phase) await child(phase);
else await main();
