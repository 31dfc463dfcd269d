/**
 * Columnar codecs at KB scale: Parquet, Avro and ORC export (write) and import (codec read) of N KB-entry
 * rows from testkit's corpus generator, with bytes and peak RSS, beside DuckDB writing the same rows to
 * Parquet (appender + `COPY … TO`) in the same run; then each writer streams 1M rows to show that its peak
 * RSS does not grow with the row count. Every measurement runs in its own child process, so one peak RSS
 * is not another's.
 *
 *   pnpm --filter @mainframe-kb/io-formats bench:columnar [--rows 100000] [--big 1000000] [--rounds 3]
 *
 * "import" here is the codec's read of the whole file into records (what the import pipeline consumes);
 * validation and the database transaction belong to the pipeline's own benchmark.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateCorpus } from '@mainframe-kb/testkit';
import type { DataRecord, EntitySchema, FormatCodec } from '../src/codec-types.js';
import { avroCodec } from '../src/columnar/avro/avro-codec.js';
import { orcCodec } from '../src/columnar/orc/orc-codec.js';
import { parquetCodec } from '../src/columnar/parquet/parquet-codec.js';
import { fileSink } from '../src/io/byte-sink.js';
import { fileSource } from '../src/io/byte-source.js';

const here = dirname(fileURLToPath(import.meta.url));
const CODECS: Record<string, FormatCodec> = { parquet: parquetCodec, avro: avroCodec, orc: orcCodec };

/** The kb_entries row as the export writes it. */
const KB_SCHEMA: EntitySchema = {
  entity: 'kb',
  fields: [
    { name: 'id', type: 'string', nullable: false },
    { name: 'title', type: 'string', nullable: false },
    { name: 'problem', type: 'string', nullable: false },
    { name: 'solution', type: 'string', nullable: false },
    { name: 'category', type: 'string', nullable: false },
    { name: 'severity', type: 'string', nullable: true },
    { name: 'tags', type: 'string', nullable: false },
    { name: 'created_by', type: 'string', nullable: true },
    { name: 'usage_count', type: 'integer', nullable: false },
    { name: 'success_count', type: 'integer', nullable: false },
    { name: 'confidence', type: 'double', nullable: true },
    { name: 'archived', type: 'boolean', nullable: false },
    { name: 'created_at', type: 'timestamp', nullable: false },
    { name: 'updated_at', type: 'timestamp', nullable: true },
    { name: 'version', type: 'integer', nullable: false },
  ],
};

const BASE_MS = Date.UTC(2020, 0, 1);

function* kbRows(count: number): Generator<DataRecord> {
  let i = 0;
  for (const e of generateCorpus({ count, seed: 'columnar-bench', idPrefix: 'kb-' })) {
    const created = BASE_MS + i * 61_001;
    yield {
      id: e.id ?? `kb-${i}`,
      title: e.title,
      problem: e.problem,
      solution: e.solution,
      category: e.category,
      severity: e.severity ?? null,
      tags: (e.tags ?? []).join(','),
      created_by: e.createdBy ?? null,
      usage_count: (i * 7919) % 1000,
      success_count: (i * 31) % 200,
      confidence: i % 10 === 0 ? null : (i % 1000) / 1000,
      archived: i % 50 === 0,
      created_at: new Date(created),
      updated_at: i % 3 === 0 ? null : new Date(created + 3_600_000),
      version: 1 + (i % 5),
    };
    i++;
  }
}

async function* fromArray(rows: readonly DataRecord[]): AsyncIterable<DataRecord> {
  for (const row of rows) yield row;
}

async function* fromGenerator(rows: Iterable<DataRecord>): AsyncIterable<DataRecord> {
  for (const row of rows) yield row;
}

const peakRssMb = () => process.resourceUsage().maxRSS / 1024;

/** User + system CPU seconds of this process (all its threads: DuckDB's workers count too). */
function cpuSecondsSince(start: NodeJS.CpuUsage): number {
  const { user, system } = process.cpuUsage(start);
  return (user + system) / 1e6;
}

// ------------------------------------------------------------------ children (one measurement each)

async function childExport(format: string, rows: number, file: string, mode: string): Promise<object> {
  const codec = CODECS[format]!;
  // 'array': rows generated before the clock starts (timing); 'stream': generated as written (memory).
  const source = mode === 'array' ? fromArray([...kbRows(rows)]) : fromGenerator(kbRows(rows));
  const rssBefore = peakRssMb();
  const cpu = process.cpuUsage();
  const start = performance.now();
  const summary = await codec.write(source, KB_SCHEMA, await fileSink(file));
  const seconds = (performance.now() - start) / 1000;
  return {
    seconds,
    cpuSeconds: cpuSecondsSince(cpu),
    bytes: summary.bytes,
    records: summary.records,
    peakRssMb: peakRssMb(),
    rssBeforeMb: rssBefore,
  };
}

async function childImport(format: string, file: string): Promise<object> {
  const codec = CODECS[format]!;
  const limits = {
    maxRecordBytes: 16 << 20,
    maxDepth: 64,
    maxRecords: 50_000_000,
    maxDecompressedBytes: 1 << 30,
  };
  const cpu = process.cpuUsage();
  const start = performance.now();
  let records = 0;
  for await (const item of codec.read(await fileSource(file), { schema: KB_SCHEMA, limits })) {
    if (item.record.id === undefined) throw new Error('record without id');
    records++;
  }
  return {
    seconds: (performance.now() - start) / 1000,
    cpuSeconds: cpuSecondsSince(cpu),
    records,
    peakRssMb: peakRssMb(),
  };
}

async function childDuckdb(rows: number, file: string): Promise<object> {
  // Loaded here only: the native library would otherwise weigh on every other child's peak RSS.
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const data = [...kbRows(rows)];
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  await connection.run(`CREATE TABLE kb (id VARCHAR, title VARCHAR, problem VARCHAR, solution VARCHAR,
    category VARCHAR, severity VARCHAR, tags VARCHAR, created_by VARCHAR, usage_count BIGINT,
    success_count BIGINT, confidence DOUBLE, archived BOOLEAN, created_ms BIGINT, updated_ms BIGINT,
    version BIGINT)`);
  const cpu = process.cpuUsage();
  const start = performance.now();
  const appender = await connection.createAppender('kb');
  const text = (v: unknown) => (v === null ? appender.appendNull() : appender.appendVarchar(v as string));
  const big = (v: unknown) =>
    v === null ? appender.appendNull() : appender.appendBigInt(BigInt(v as number));
  for (const r of data) {
    text(r.id);
    text(r.title);
    text(r.problem);
    text(r.solution);
    text(r.category);
    text(r.severity);
    text(r.tags);
    text(r.created_by);
    big(r.usage_count);
    big(r.success_count);
    if (r.confidence === null) appender.appendNull();
    else appender.appendDouble(r.confidence as number);
    appender.appendBoolean(r.archived as boolean);
    big((r.created_at as Date).getTime());
    big(r.updated_at === null ? null : (r.updated_at as Date).getTime());
    big(r.version);
    appender.endRow();
  }
  appender.closeSync();
  const appended = performance.now();
  await connection.run(`COPY (SELECT id, title, problem, solution, category, severity, tags, created_by,
      usage_count, success_count, confidence, archived, epoch_ms(created_ms) AS created_at,
      epoch_ms(updated_ms) AS updated_at, version FROM kb) TO '${file}' (FORMAT parquet)`);
  const done = performance.now();
  connection.closeSync();
  instance.closeSync();
  return {
    seconds: (done - start) / 1000,
    cpuSeconds: cpuSecondsSince(cpu),
    appendSeconds: (appended - start) / 1000,
    copySeconds: (done - appended) / 1000,
    bytes: statSync(file).size,
    peakRssMb: peakRssMb(),
  };
}

// ------------------------------------------------------------------ parent

function argValue(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : fallback;
}

function runChild(args: string[]): Record<string, number> {
  const out = execFileSync(
    process.execPath,
    [...process.execArgv, fileURLToPath(import.meta.url), '--child', ...args],
    {
      encoding: 'utf8',
      maxBuffer: 16 << 20,
    },
  );
  const line = out.trim().split('\n').pop()!;
  return JSON.parse(line) as Record<string, number>;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function parent(): Promise<void> {
  const rows = Number(argValue('rows', '100000'));
  const big = Number(argValue('big', '1000000'));
  const rounds = Number(argValue('rounds', '3'));
  const dir = mkdtempSync(join(tmpdir(), 'kb-columnar-bench-'));
  try {
    const formats: Record<string, object> = {};
    const duck: Record<string, number>[] = [];
    const perFormat: Record<
      string,
      { exports: Record<string, number>[]; imports: Record<string, number>[] }
    > = {};
    for (const format of Object.keys(CODECS)) perFormat[format] = { exports: [], imports: [] };
    // Rounds interleave DuckDB and our writers, so machine load hits both alike.
    for (let round = 0; round < rounds; round++) {
      const duckFile = join(dir, `duck-${round}.parquet`);
      duck.push(runChild(['duckdb', String(rows), duckFile]));
      rmSync(duckFile, { force: true });
      for (const format of Object.keys(CODECS)) {
        const file = join(dir, `${format}-${round}.${format}`);
        perFormat[format]!.exports.push(runChild(['export', format, String(rows), file, 'array']));
        perFormat[format]!.imports.push(runChild(['import', format, file]));
        rmSync(file, { force: true });
      }
      console.error(`round ${round + 1}/${rounds} done`);
    }
    const duckSeconds = median(duck.map((d) => d.seconds!));
    for (const [format, { exports, imports }] of Object.entries(perFormat)) {
      const exportSeconds = median(exports.map((e) => e.seconds!));
      formats[format] = {
        exportSeconds,
        exportSecondsAll: exports.map((e) => e.seconds),
        exportCpuSeconds: median(exports.map((e) => e.cpuSeconds!)),
        importSeconds: median(imports.map((e) => e.seconds!)),
        importCpuSeconds: median(imports.map((e) => e.cpuSeconds!)),
        importSecondsAll: imports.map((e) => e.seconds),
        bytes: exports[0]!.bytes,
        exportPeakRssMb: Math.max(...exports.map((e) => e.peakRssMb!)),
        importPeakRssMb: Math.max(...imports.map((e) => e.peakRssMb!)),
        ...(format === 'parquet' ? { exportVsDuckdb: exportSeconds / duckSeconds } : {}),
      };
    }
    // Memory: each writer streams `rows` then `big` rows straight from the generator.
    const flatness: Record<string, object> = {};
    for (const format of Object.keys(CODECS)) {
      const small = runChild(['export', format, String(rows), join(dir, `s-${format}`), 'stream']);
      const large = runChild(['export', format, String(big), join(dir, `l-${format}`), 'stream']);
      rmSync(join(dir, `s-${format}`), { force: true });
      rmSync(join(dir, `l-${format}`), { force: true });
      flatness[format] = {
        rows: [rows, big],
        peakRssMb: [small.peakRssMb, large.peakRssMb],
        ratio: large.peakRssMb! / small.peakRssMb!,
        seconds: [small.seconds, large.seconds],
        bytes: [small.bytes, large.bytes],
      };
      console.error(`flatness ${format}: ${JSON.stringify(flatness[format])}`);
    }
    const result = {
      benchmark: 'columnar-codecs',
      command: `pnpm --filter @mainframe-kb/io-formats bench:columnar --rows ${rows} --big ${big} --rounds ${rounds}`,
      date: new Date().toISOString(),
      machine: {
        node: process.version,
        cpus: cpus().length,
        cpuModel: cpus()[0]?.model ?? 'unknown',
        loadAverage: loadavg().map((l) => Number(l.toFixed(2))),
      },
      rows,
      duckdbParquet: {
        seconds: duckSeconds,
        secondsAll: duck.map((d) => d.seconds),
        cpuSeconds: median(duck.map((d) => d.cpuSeconds!)),
        appendSeconds: median(duck.map((d) => d.appendSeconds!)),
        copySeconds: median(duck.map((d) => d.copySeconds!)),
        bytes: duck[0]!.bytes,
        peakRssMb: Math.max(...duck.map((d) => d.peakRssMb!)),
      },
      formats,
      rssFlatness: flatness,
      targets: {
        parquetExportVsDuckdb: '<= 2',
        exportSeconds: '<= 3',
        importSeconds: '<= 5',
        rssRatio1MTo100k: '<= 1.2',
      },
    };
    const outDir = join(here, 'results');
    mkdirSync(outDir, { recursive: true });
    const outFile = join(outDir, `columnar-${rows}.json`);
    writeFileSync(outFile, `${JSON.stringify(result, null, 2)}\n`);
    console.log(JSON.stringify(result, null, 2));
    console.error(`written ${outFile}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function child(): Promise<void> {
  const [kind, a, b, c, d] = process.argv.slice(process.argv.indexOf('--child') + 1);
  let result: object;
  if (kind === 'export') result = await childExport(a!, Number(b), c!, d ?? 'array');
  else if (kind === 'import') result = await childImport(a!, b!);
  else if (kind === 'duckdb') result = await childDuckdb(Number(a), b!);
  else throw new Error(`unknown child ${kind}`);
  console.log(JSON.stringify(result));
}

if (process.argv.includes('--child')) await child();
else await parent();
