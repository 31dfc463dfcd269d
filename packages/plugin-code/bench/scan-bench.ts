/**
 * `pnpm bench:code`: scans a generated tree of realistic mainframe sources into a SQLite store, then rescans it
 * after 1% of the files change, and puts both beside floors measured in the same run on the same tree:
 *
 * - read floor: read every file and hash it (sha256) — what any scan must do;
 * - analyse floors: read, hash and run the analysers, with no store, without and with COPY members expanded —
 *   what a scan costs before it writes.
 *
 * Peak RSS is sampled during each scan; a second, smaller tree shows whether memory grows with tree size.
 *
 *   pnpm bench:code [--files 50000] [--small 10000] [--seed S] [--keep]
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { parseArgs } from 'node:util';

// The built package (pnpm bench:code builds it first), as an application runs it: not the sources through tsx.
// Imported by a name TypeScript does not resolve (a fresh clone's typecheck has no dist/ yet), typed by src/.
const packageName: string = '@mainframe-kb/plugin-code';
const { analyzeSource, codePlugin, detectLanguage, memberName } = (await import(
  packageName
)) as typeof import('../src/index.js');

import { createStorage } from '@mainframe-kb/storage-core';
import { generateTree, mutateTree } from './generate-tree.js';

const { values } = parseArgs({
  options: {
    files: { type: 'string', default: '50000' },
    small: { type: 'string', default: '10000' },
    seed: { type: 'string', default: 'bench-code' },
    keep: { type: 'boolean', default: false },
  },
});

function listFiles(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else out.push(full);
    }
  };
  walk(root);
  return out.sort();
}

/** Peak RSS over a run, sampled every 50 ms. */
async function withPeakRss<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number; peakRssMiB: number }> {
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 50);
  const started = performance.now();
  try {
    const value = await fn();
    return {
      value,
      ms: performance.now() - started,
      peakRssMiB: Math.round(Math.max(peak, process.memoryUsage().rss) / 1048576),
    };
  } finally {
    clearInterval(timer);
  }
}

function readFloor(root: string): number {
  const started = performance.now();
  for (const file of listFiles(root)) createHash('sha256').update(readFileSync(file)).digest('hex');
  return performance.now() - started;
}

/**
 * Read, hash and analyse every file with no store: without COPY resolution, and with it (members found by
 * name among the tree's files and read through a map, as the scan does), the honest floor of a scan.
 */
function analyseFloor(root: string, resolveCopies: boolean): number {
  const files = listFiles(root);
  const byMember = new Map(files.map((f) => [memberName(f), f]));
  const read = new Map<string, string>();
  const text = (file: string | undefined) => {
    if (file === undefined) return undefined;
    const cached = read.get(file);
    if (cached !== undefined) return cached;
    const t = readFileSync(file, 'utf8');
    read.set(file, t);
    return t;
  };
  const resolver = {
    copybook: (name: string) => (resolveCopies ? text(byMember.get(name.toUpperCase())) : undefined),
    proc: (name: string) => (resolveCopies ? text(byMember.get(name.toUpperCase())) : undefined),
  };
  const started = performance.now();
  for (const file of files) {
    const bytes = readFileSync(file);
    createHash('sha256').update(bytes).digest('hex');
    const source = bytes.toString('utf8');
    const path = relative(root, file).split(sep).join('/');
    analyzeSource(path, source, detectLanguage(path, source), resolver);
  }
  return performance.now() - started;
}

async function scanOnce(root: string, db: string) {
  const storage = await createStorage({ database: { type: 'sqlite', path: db } }, { plugins: [codePlugin] });
  try {
    return await withPeakRss(() => storage.plugin(codePlugin).scan({ path: root, name: 'bench' }));
  } finally {
    await storage.close();
  }
}

async function benchTree(files: number, work: string) {
  const root = join(work, `tree-${files}`);
  const generated = await generateTree({ dir: root, files, seed: values.seed });
  const bytes = listFiles(root).reduce((n, f) => n + statSync(f).size, 0);
  const read = readFloor(root);
  const analyse = analyseFloor(root, false);
  const analyseCopies = analyseFloor(root, true);
  const db = join(work, `bench-${files}.db`);
  const full = await scanOnce(root, db);
  const mutated = await mutateTree({ dir: root, fraction: 0.01, seed: `${values.seed}-mutate` });
  const rescan = await scanOnce(root, db);
  return { files, generated, bytes, read, analyse, analyseCopies, full, mutated, rescan };
}

const work = mkdtempSync(join(tmpdir(), 'kb-bench-code-'));
try {
  const big = Number(values.files);
  const small = Number(values.small);
  const results = [];
  for (const files of small > 0 && small < big ? [small, big] : [big]) {
    const r = await benchTree(files, work);
    results.push(r);
    const changed = r.mutated.changed.length + r.mutated.added.length + r.mutated.removed.length;
    console.log(
      [
        `tree: ${r.files} files, ${(r.bytes / 1048576).toFixed(0)} MiB (${r.generated.programs} programs, ${r.generated.copybooks} copybooks, ${r.generated.jcl} jobs, ${r.generated.procs} PROCs)`,
        `  read floor (read + sha256):          ${(r.read / 1000).toFixed(1)} s`,
        `  analyse floor (+ analysers, no store): ${(r.analyse / 1000).toFixed(1)} s without COPY, ${(r.analyseCopies / 1000).toFixed(1)} s with COPY expanded`,
        `  full scan into SQLite:               ${(r.full.ms / 1000).toFixed(1)} s  = ${(r.full.ms / r.analyseCopies).toFixed(2)} × the floor with COPY, ${(r.full.ms / r.analyse).toFixed(2)} × without; peak RSS ${r.full.peakRssMiB} MiB`,
        `    ${JSON.stringify({ added: r.full.value.added, skipped: r.full.value.skipped, failed: r.full.value.failed })}`,
        `  rescan after ${changed} files changed (${((changed / r.files) * 100).toFixed(1)}%): ${(r.rescan.ms / 1000).toFixed(1)} s; peak RSS ${r.rescan.peakRssMiB} MiB`,
        `    ${JSON.stringify({ changed: r.rescan.value.changed, added: r.rescan.value.added, removed: r.rescan.value.removed, unchanged: r.rescan.value.unchanged })}`,
      ].join('\n'),
    );
  }
  if (results.length === 2) {
    const [a, b] = results as [(typeof results)[0], (typeof results)[0]];
    console.log(
      `memory: peak RSS ${a.full.peakRssMiB} MiB at ${a.files} files, ${b.full.peakRssMiB} MiB at ${b.files} files (${(b.full.peakRssMiB / a.full.peakRssMiB).toFixed(2)}× for ${(b.files / a.files).toFixed(0)}× the files)`,
    );
  }
} finally {
  if (!values.keep) rmSync(work, { recursive: true, force: true });
  else console.log(`kept ${work}`);
}
