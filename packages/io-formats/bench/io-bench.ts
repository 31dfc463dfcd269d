/**
 * Export and import of N knowledge-base entries (testkit's corpus) in each row format: wall seconds, bytes,
 * peak RSS and peak live heap. Every phase runs in its own child process, so its peak RSS (the kernel's
 * maxRSS) is its own; RSS includes SQLite's page cache (64 MiB) and mmap (up to 256 MiB) of the database.
 * Baselines measured in the same run, on the same machine load: core's createEntries() of the same entries
 * (the floor of any import of them: validation, FTS5, audit, one transaction) and a raw read of every
 * kb_entries row with JSON.stringify (the floor of an export).
 *
 *   pnpm bench:io [--entries 100000] [--formats json,ndjson,csv,xml]
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createStorage, type Storage } from '@mainframe-kb/storage-core';
import { generateCorpusArray } from '@mainframe-kb/testkit';
import { exportStore, type FormatName, importStore, ioFormatsPlugin } from '../src/index.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? (process.argv[i + 1] as string) : fallback;
}

const here = dirname(fileURLToPath(import.meta.url));

interface PhaseResult {
  seconds: number;
  peakRssMiB: number;
  /** Highest live V8 heap (after a full collection, every 250 ms): the JS side alone, without SQLite's page cache and mmap. */
  peakHeapMiB?: number;
  bytes?: number;
  rows?: number;
}

async function open(path: string): Promise<Storage> {
  return createStorage(
    { database: { type: 'sqlite', path } },
    { plugins: [ioFormatsPlugin()], actor: { id: 'bench', role: 'admin' } },
  );
}

function peakRssMiB(): number {
  return Math.round(process.resourceUsage().maxRSS / 1024);
}

/** One phase, in this (child) process; prints its result as one JSON line. */
async function child(phase: string): Promise<void> {
  // The live heap: every 250 ms, a full collection, then the heap in use. What survives a collection is
  // what the phase holds (the corpus, key sets, buffers); a plain sample would mostly measure garbage.
  let heap = 0;
  const gc = (globalThis as { gc?: () => void }).gc;
  const sampler = setInterval(() => {
    gc?.();
    heap = Math.max(heap, process.memoryUsage().heapUsed);
  }, 250);
  const db = arg('db', '');
  let result: PhaseResult;
  if (phase === 'create') {
    const entries = generateCorpusArray({ count: Number(arg('entries', '100000')), seed: 20261128 });
    const storage = await open(db);
    const start = performance.now();
    await storage.createEntries(entries);
    const seconds = (performance.now() - start) / 1000;
    await storage.close();
    result = { seconds, peakRssMiB: peakRssMiB(), rows: entries.length };
  } else if (phase === 'raw-read') {
    const storage = await open(db);
    const start = performance.now();
    let bytes = 0;
    const rows = await storage.dialect.db.selectFrom('kb_entries').selectAll().execute();
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
    const exported = await exportStore(storage, {
      format: arg('format', 'json') as FormatName,
      out: arg('out', ''),
      entities: ['kb'],
    });
    result = { seconds: (performance.now() - start) / 1000, peakRssMiB: peakRssMiB(), bytes: exported.bytes };
    await storage.close();
  } else {
    const storage = await open(db);
    const start = performance.now();
    const imported = await importStore(storage, { input: arg('in', '') });
    const seconds = (performance.now() - start) / 1000;
    if (!imported.committed)
      throw new Error(`import refused: ${JSON.stringify(imported.errors.slice(0, 3))}`);
    result = { seconds, peakRssMiB: peakRssMiB(), rows: imported.inserted };
    await storage.close();
  }
  clearInterval(sampler);
  result.peakHeapMiB = Math.round(heap / 1024 / 1024);
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

function run(args: string[]): PhaseResult {
  const out = spawnSync(
    process.execPath,
    ['--expose-gc', '--import', 'tsx', fileURLToPath(import.meta.url), ...args],
    {
      encoding: 'utf8',
      maxBuffer: 16 * 1024 * 1024,
    },
  );
  if (out.status !== 0) throw new Error(`bench phase ${args.join(' ')} failed:\n${out.stderr}`);
  const line = out.stdout.trim().split('\n').at(-1) as string;
  return JSON.parse(line) as PhaseResult;
}

async function main(): Promise<void> {
  const entries = Number(arg('entries', '100000'));
  const formats = arg('formats', 'json,ndjson,csv,xml').split(',') as FormatName[];
  console.log(
    `io benchmark: ${entries} entries, formats ${formats.join(', ')}; each phase in its own process`,
  );
  const dir = mkdtempSync(join(tmpdir(), 'kb-io-bench-'));
  const results: Record<string, number | string | undefined>[] = [];
  try {
    const source = join(dir, 'source.db');
    const create = run(['--child', 'create', '--db', source, '--entries', String(entries)]);
    console.log(
      `baseline createEntries: ${create.seconds.toFixed(2)} s, peak RSS ${create.peakRssMiB} MiB heap ${create.peakHeapMiB} MiB`,
    );
    const raw = run(['--child', 'raw-read', '--db', source]);
    console.log(
      `baseline raw read + JSON.stringify: ${raw.seconds.toFixed(2)} s, peak ${raw.peakRssMiB} MiB`,
    );
    for (const format of formats) {
      const out = join(dir, `export-${format}`);
      const exported = run(['--child', 'export', '--db', source, '--format', format, '--out', out]);
      const imported = run(['--child', 'import', '--db', join(dir, `target-${format}.db`), '--in', out]);
      const row = {
        format,
        exportSeconds: Number(exported.seconds.toFixed(3)),
        exportBytes: exported.bytes,
        exportPeakRssMiB: exported.peakRssMiB,
        exportPeakHeapMiB: exported.peakHeapMiB,
        importSeconds: Number(imported.seconds.toFixed(3)),
        importPeakRssMiB: imported.peakRssMiB,
        importPeakHeapMiB: imported.peakHeapMiB,
        importedRows: imported.rows,
        exportVsRawRead: Number((exported.seconds / raw.seconds).toFixed(2)),
        importVsCreateEntries: Number((imported.seconds / create.seconds).toFixed(2)),
      };
      results.push(row);
      console.log(
        `${format.padEnd(6)} export ${row.exportSeconds.toFixed(2)} s, ${((row.exportBytes ?? 0) / 1e6).toFixed(1)} MB, peak RSS ${row.exportPeakRssMiB} MiB heap ${row.exportPeakHeapMiB} MiB | import ${row.importSeconds.toFixed(2)} s, peak RSS ${row.importPeakRssMiB} MiB heap ${row.importPeakHeapMiB} MiB (${row.importedRows} rows) | export/raw read ${row.exportVsRawRead}, import/createEntries ${row.importVsCreateEntries}`,
      );
    }
    // The machine is shared: the load drifts during a run. The baseline is taken again at the end and the
    // import ratios use the mean of both.
    const createAgain = run([
      '--child',
      'create',
      '--db',
      join(dir, 'source-again.db'),
      '--entries',
      String(entries),
    ]);
    const createMean = (create.seconds + createAgain.seconds) / 2;
    console.log(
      `baseline createEntries again: ${createAgain.seconds.toFixed(2)} s (mean ${createMean.toFixed(2)} s)`,
    );
    for (const row of results) {
      row.importVsCreateEntries = Number(((row.importSeconds as number) / createMean).toFixed(2));
    }
    const report = {
      benchmark: 'io-formats',
      command: `pnpm bench:io --entries ${entries} --formats ${formats.join(',')}`,
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
      },
      results,
    };
    const outDir = join(here, 'results');
    mkdirSync(outDir, { recursive: true });
    writeFileSync(join(outDir, `io-${entries}.json`), `${JSON.stringify(report, null, 2)}\n`);
    console.log(
      `load average ${report.machine.loadAverage.join(' ')}; written bench/results/io-${entries}.json`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const phase = arg('child', '');
if (phase) await child(phase);
else await main();
