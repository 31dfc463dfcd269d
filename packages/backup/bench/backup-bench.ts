/**
 * Backups of a ~1 GB SQLite store of the synthetic corpus, against baselines measured in the same run on the
 * same file: `cp` + fsync (the floor), SQLite's online backup API to a file, and restic where installed.
 * Full, incremental after 1% random-row updates, differential after another 1%, restore, verify.
 *
 *   pnpm bench:backup [--entries 350000] [--level 2] [--keep] [--with-content-hash]
 *
 * `--level` is our repository's zstd level (default: the product's, `DEFAULT_COMPRESSION_LEVEL`); the changed
 * pages are always measured against zstd-3, the target's reference.
 *
 * The corpus store is built once and cached under /tmp/kb-backup-bench (about 2.5 minutes).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  closeSync,
  copyFileSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createStorage } from '@mainframe-kb/storage-core';
import BetterSqlite3 from 'better-sqlite3';
import { Compressor } from 'zstd-napi';
import { DEFAULT_COMPRESSION_LEVEL, LocalDestination } from '../src/index.js';
import { BackupVerifier } from '../src/verify/backup-verifier.js';
import { backupContextPlugin, managerOf } from '../test/support/backup-context.js';
import { CACHE_DIR, corpusDatabase } from './bench-corpus.js';

function argValue(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}

const ENTRIES = Number(argValue('entries', '350000'));
const KEEP = process.argv.includes('--keep');
const LEVEL = Number(argValue('level', String(DEFAULT_COMPRESSION_LEVEL)));
const WITH_CONTENT_HASH = process.argv.includes('--with-content-hash');
const PASSPHRASE = 'benchmark passphrase';
const here = dirname(fileURLToPath(import.meta.url));
const log = (line: string) => console.log(line);

async function time<T>(
  fn: () => T | Promise<T>,
): Promise<{ value: T; ms: number; cpuMs: number; cpu: string }> {
  const cpu = process.cpuUsage();
  const start = performance.now();
  const value = await fn();
  const used = process.cpuUsage(cpu);
  return {
    value,
    ms: performance.now() - start,
    cpuMs: (used.user + used.system) / 1000,
    // User and system time apart: system time is where page-cache and page-fault costs show.
    cpu: `user ${(used.user / 1e6).toFixed(2)} s, sys ${(used.system / 1e6).toFixed(2)} s`,
  };
}

function du(path: string): number {
  return Number(execFileSync('du', ['-sb', path], { encoding: 'utf8' }).split('\t')[0]);
}

function hasRestic(): boolean {
  return spawnSync('restic', ['version'], { encoding: 'utf8' }).status === 0;
}

/**
 * User and system seconds of the waited-for children so far (Linux: /proc/self/stat's cutime and cstime, in
 * clock ticks of 1/100 s), to give restic's restores the same split as ours; undefined elsewhere.
 */
function childCpu(): { user: number; sys: number } | undefined {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { user: Number(fields[13]) / 100, sys: Number(fields[14]) / 100 };
  } catch {
    return undefined;
  }
}

function restic(repo: string, args: string[]): number {
  const start = performance.now();
  const result = spawnSync('restic', ['-r', repo, '--no-cache', '-q', ...args], {
    env: { ...process.env, RESTIC_PASSWORD: PASSPHRASE },
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.status !== 0) throw new Error(`restic ${args.join(' ')}: ${result.stderr}`);
  return performance.now() - start;
}

async function onlineBackup(source: string, target: string): Promise<number> {
  rmSync(target, { force: true });
  const start = performance.now();
  const db = new BetterSqlite3(source, { readonly: true });
  await db.backup(target, { progress: () => 0x7fffffff });
  db.close();
  const fd = openSync(target, 'r+');
  fsyncSync(fd);
  closeSync(fd);
  return performance.now() - start;
}

/** Pages that differ between two images of the same database, and their zstd (level 3) size together. */
function changedPages(
  before: string,
  after: string,
  pageSize: number,
): { pages: number; raw: number; zstd: number } {
  const a = openSync(before, 'r');
  const b = openSync(after, 'r');
  const bufA = Buffer.alloc(pageSize * 256);
  const bufB = Buffer.alloc(pageSize * 256);
  const changed: Buffer[] = [];
  const sizeB = statSync(after).size;
  for (let offset = 0; offset < sizeB; offset += bufB.length) {
    const nb = readSync(b, bufB, 0, bufB.length, offset);
    const na = readSync(a, bufA, 0, bufA.length, offset);
    for (let p = 0; p * pageSize < nb; p += 1) {
      const pb = bufB.subarray(p * pageSize, (p + 1) * pageSize);
      const pa = p * pageSize < na ? bufA.subarray(p * pageSize, (p + 1) * pageSize) : undefined;
      if (!pa?.equals(pb)) changed.push(Buffer.from(pb));
    }
  }
  closeSync(a);
  closeSync(b);
  const compressor = new Compressor();
  compressor.setParameters({ compressionLevel: 3 });
  const raw = Buffer.concat(changed);
  return { pages: changed.length, raw: raw.length, zstd: compressor.compress(raw).length };
}

function sha256File(path: string): string {
  const hash = createHash('sha256');
  const fd = openSync(path, 'r');
  const buf = Buffer.alloc(4 * 1024 * 1024);
  for (let n = readSync(fd, buf, 0, buf.length, null); n > 0; n = readSync(fd, buf, 0, buf.length, null)) {
    hash.update(buf.subarray(0, n));
  }
  closeSync(fd);
  return hash.digest('hex');
}

interface Row {
  step: string;
  ms: number | null;
  bytes: number | null;
  note?: string;
}

async function main(): Promise<void> {
  const corpus = await corpusDatabase(ENTRIES, log);
  const run = join(CACHE_DIR, `run-${process.pid}`);
  rmSync(run, { recursive: true, force: true });
  mkdirSync(run, { recursive: true });
  const db = join(run, 'kb.db');
  copyFileSync(corpus, db);
  const dbBytes = statSync(db).size;
  const rows: Row[] = [];
  const add = (row: Row) => {
    rows.push(row);
    log(
      `  ${row.step.padEnd(46)} ${row.ms === null ? '' : `${(row.ms / 1000).toFixed(2)} s`.padStart(9)} ${row.bytes === null ? '' : `${(row.bytes / 1e6).toFixed(1)} MB`.padStart(11)}  ${row.note ?? ''}`,
    );
  };
  log(
    `database: ${ENTRIES} entries, ${(dbBytes / 1e6).toFixed(0)} MB; load ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}; ${cpus().length} cores`,
  );

  // ─── Baselines for the full backup ──────────────────────────────────────────────────────────────
  const cpTarget = join(run, 'cp.db');
  const cp = await time(() => {
    copyFileSync(db, cpTarget);
    const fd = openSync(cpTarget, 'r+');
    fsyncSync(fd);
    closeSync(fd);
  });
  add({ step: 'cp + fsync (the floor)', ms: cp.ms, bytes: dbBytes });
  rmSync(cpTarget);
  const before = join(run, 'image-before.db');
  const online = await onlineBackup(db, before);
  add({ step: 'SQLite online backup API to a file', ms: online, bytes: statSync(before).size });

  const resticRepo = join(run, 'restic');
  const withRestic = hasRestic();
  let resticFull: number | null = null;
  let resticFullBytes: number | null = null;
  if (withRestic) {
    restic(resticRepo, ['init', '--repository-version', '2']);
    resticFull = restic(resticRepo, ['backup', db]);
    resticFullBytes = du(resticRepo);
    add({ step: 'restic first backup (zstd auto, AES-256)', ms: resticFull, bytes: resticFullBytes });
  } else {
    log('  restic is not installed: its rows are skipped (apt-get install restic)');
  }

  // ─── Ours: full ─────────────────────────────────────────────────────────────────────────────────
  const storage = await createStorage(
    { database: { path: db } },
    { actor: { id: 'bench', role: 'admin' }, plugins: [backupContextPlugin] },
  );
  const repoDir = join(run, 'repo');
  const manager = managerOf(storage, {
    destinations: [new LocalDestination(repoDir)],
    compressionLevel: LEVEL,
    passphrase: PASSPHRASE,
    scratchDir: join(run, 'scratch'),
  });
  // Where the full's time goes: the snapshot (serialize + row counts), then the pages pipeline, then the manifest.
  const phaseAt: Record<string, number> = {};
  const fullStart = performance.now();
  const full = await time(() =>
    manager.create({
      type: 'full',
      onProgress: (p) => {
        phaseAt[p.phase] ??= performance.now() - fullStart;
      },
    }),
  );
  if (!full.value.ok) throw full.value.destinations[0]!.error;
  const fullMeta = full.value.destinations[0]!.metadata!;
  add({
    step: `ours: full (zstd-${LEVEL} + AES-256-GCM, row counts)`,
    ms: full.ms,
    bytes: du(repoDir),
    note: `cpu ${(full.cpuMs / 1000).toFixed(1)} s; snapshot ${((phaseAt.pages ?? 0) / 1000).toFixed(1)} s, pages to manifest ${(((phaseAt.manifest ?? 0) - (phaseAt.pages ?? 0)) / 1000).toFixed(1)} s`,
  });

  if (WITH_CONTENT_HASH) {
    // storage-core's content hash reads and hashes every row: minutes at this size (the default records counts).
    const hashManager = managerOf(storage, {
      destinations: [new LocalDestination(join(run, 'repo-hash'))],
      passphrase: PASSPHRASE,
      scratchDir: join(run, 'scratch'),
      contentCheck: 'hash',
    });
    const fullHash = await time(() => hashManager.create({ type: 'full' }));
    add({
      step: 'ours: full with per-table content hashes',
      ms: fullHash.ms,
      bytes: du(join(run, 'repo-hash')),
    });
    rmSync(join(run, 'repo-hash'), { recursive: true, force: true });
  }

  // ─── 1% random-row updates, then incremental ───────────────────────────────────────────────────
  const raw = new BetterSqlite3(db, { readonly: true });
  const ids = (raw.prepare('select id from kb_entries').all() as { id: string }[]).map((r) => r.id);
  const pageSize = (raw.pragma('page_size', { simple: true }) as number) ?? 4096;
  raw.close();
  let seed = 12345;
  const random = () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
  const updateOnePercent = async (round: number) => {
    const count = Math.floor(ids.length / 100);
    const started = performance.now();
    for (let i = 0; i < count; i += 1) {
      const id = ids[Math.floor(random() * ids.length)]!;
      await storage.updateEntry(id, {
        solution: `Revised (round ${round}, ${i}): check the job log, then rerun the step.`,
      });
    }
    return { count, ms: performance.now() - started };
  };
  const u1 = await updateOnePercent(1);
  log(`  (updated ${u1.count} random entries through updateEntry in ${(u1.ms / 1000).toFixed(1)} s)`);
  const after1 = join(run, 'image-after-1.db');
  await onlineBackup(db, after1);
  const changed1 = changedPages(before, after1, pageSize);
  add({
    step: 'changed pages after 1% updates, zstd-3 together',
    ms: null,
    bytes: changed1.zstd,
    note: `${changed1.pages} pages, ${(changed1.raw / 1e6).toFixed(1)} MB raw`,
  });
  const repoBeforeInc = du(repoDir);
  const inc = await time(() => manager.create({ type: 'incremental' }));
  if (!inc.value.ok) throw inc.value.destinations[0]!.error;
  const incMeta = inc.value.destinations[0]!.metadata!;
  const incBytes = du(repoDir) - repoBeforeInc;
  add({
    step: 'ours: incremental',
    ms: inc.ms,
    bytes: incBytes,
    note: `manifest says ${(incMeta.compressedSize / 1e6).toFixed(1)} MB`,
  });
  let resticInc: number | null = null;
  let resticIncBytes: number | null = null;
  if (withRestic) {
    const r0 = du(resticRepo);
    resticInc = restic(resticRepo, ['backup', db]);
    resticIncBytes = du(resticRepo) - r0;
    add({ step: 'restic incremental', ms: resticInc, bytes: resticIncBytes });
  }

  // ─── Another 1%, then differential (against the full) ───────────────────────────────────────────
  await updateOnePercent(2);
  const after2 = join(run, 'image-after-2.db');
  await onlineBackup(db, after2);
  const changed2 = changedPages(before, after2, pageSize);
  add({
    step: 'changed pages since the full (2 × 1%), zstd-3',
    ms: null,
    bytes: changed2.zstd,
    note: `${changed2.pages} pages`,
  });
  const repoBeforeDiff = du(repoDir);
  const diff = await time(() => manager.create({ type: 'differential' }));
  if (!diff.value.ok) throw diff.value.destinations[0]!.error;
  const diffMeta = diff.value.destinations[0]!.metadata!;
  add({ step: 'ours: differential', ms: diff.ms, bytes: du(repoDir) - repoBeforeDiff });
  if (withRestic) {
    const r0 = du(resticRepo);
    const ms = restic(resticRepo, ['backup', db]);
    add({ step: 'restic third backup (same change)', ms, bytes: du(resticRepo) - r0 });
  }

  // ─── Verify ─────────────────────────────────────────────────────────────────────────────────────
  const verifier = new BackupVerifier(manager);
  const keyless = await time(() => verifier.verify(undefined, { keyless: true }));
  add({
    step: 'ours: verify all, no key (every object sha256)',
    ms: keyless.ms,
    bytes: null,
    note: keyless.value.ok ? 'ok' : 'FAILED',
  });
  const keyed = await time(() => verifier.verify(diffMeta.id));
  add({
    step: 'ours: verify differential, key (decrypt, pages)',
    ms: keyed.ms,
    bytes: null,
    note: keyed.value.ok ? 'ok' : 'FAILED',
  });
  if (withRestic) {
    const ms = restic(resticRepo, ['check', '--read-data']);
    add({ step: 'restic check --read-data', ms, bytes: null });
  }
  // A deep verification (test restore with integrity_check, foreign_key_check, content) records, MACed, that
  // this image passed them; a restore proven bit-identical to it (sha256) then does not repeat them.
  const deep = await time(() => verifier.verify(diffMeta.id, { deep: true }));
  add({
    step: 'ours: verify differential --deep (test restore)',
    ms: deep.ms,
    bytes: null,
    note: deep.value.ok ? 'ok, integrity recorded' : 'FAILED',
  });

  // ─── Restore ────────────────────────────────────────────────────────────────────────────────────
  // Every timed restore, ours and restic's, follows the deletion of a 1 GB file the previous one wrote: on a
  // virtual machine that hands freed memory back to its host, a restore that reuses page-cache memory freed
  // a moment ago runs faster than one that faults in memory freed long ago.
  const restoreTarget = join(run, 'restored.db');
  const restoreInc = await time(() => manager.restore(incMeta.id, { to: restoreTarget, integrity: 'full' }));
  add({
    step: 'ours: restore the incremental (integrity_check…)',
    ms: restoreInc.ms,
    bytes: statSync(restoreTarget).size,
  });
  rmSync(restoreTarget, { force: true });
  const restoreDiff = await time(() =>
    manager.restore(diffMeta.id, { to: restoreTarget, integrity: 'full' }),
  );
  add({
    step: 'ours: restore the differential (integrity_check…)',
    ms: restoreDiff.ms,
    bytes: statSync(restoreTarget).size,
  });
  const restoredSha = sha256File(restoreTarget);
  rmSync(restoreTarget, { force: true });
  const restoreQuick = await time(() =>
    manager.restore(diffMeta.id, { to: restoreTarget, integrity: 'quick' }),
  );
  add({ step: 'ours: restore the differential (quick_check…)', ms: restoreQuick.ms, bytes: null });
  rmSync(restoreTarget, { force: true });
  const resticRestores: number[] = [];
  const resticRestoreOnce = () => {
    if (!withRestic) return;
    const target = join(run, 'restic-restore');
    const before = childCpu();
    const ms = restic(resticRepo, ['restore', 'latest', '--target', target]);
    const after = childCpu();
    resticRestores.push(ms);
    add({
      step: 'restic restore (latest)',
      ms,
      bytes: du(target),
      ...(before && after
        ? {
            note: `user ${(after.user - before.user).toFixed(2)} s, sys ${(after.sys - before.sys).toFixed(2)} s; no fsync`,
          }
        : {}),
    });
    rmSync(target, { recursive: true, force: true });
  };
  // What `kb restore` runs by default once `verify --deep` recorded the image's checks.
  const restoreVerified = await time(() => manager.restore(diffMeta.id, { to: restoreTarget }));
  const recorded = restoreVerified.value.checks.some((c) => c.name === 'integrity-record');
  add({
    step: 'ours: restore the verified differential (default)',
    ms: restoreVerified.ms,
    bytes: statSync(restoreTarget).size,
    note: `${recorded ? 'integrity record used; sha256, open, row counts' : 'no record: integrity_check ran'}; ${restoreVerified.cpu}`,
  });
  const verifiedSha = sha256File(restoreTarget);
  rmSync(restoreTarget, { force: true });
  resticRestoreOnce();
  // The part comparable with restic's restore: every blob authenticated, the image's sha256 checked against
  // the manifest, written and synced, without SQLite's own checks.
  const repository = await manager.openRepository(manager.destinations[0]!);
  const rebuildOnly = await time(() => manager.rebuild(repository, diffMeta, restoreTarget));
  add({
    step: 'ours: rebuild the differential image only',
    ms: rebuildOnly.ms,
    bytes: statSync(restoreTarget).size,
    note: rebuildOnly.cpu,
  });
  rmSync(restoreTarget, { force: true });
  resticRestoreOnce();
  const resticRestore =
    resticRestores.length === 0 ? null : resticRestores.reduce((a, b) => a + b, 0) / resticRestores.length;
  await storage.close();

  // ─── Targets ────────────────────────────────────────────────────────────────────────────────────
  const targets = {
    fullVsOnlineBackup: { ratio: full.ms / online, target: '≤ 3', holds: full.ms <= 3 * online },
    fullVsResticFirst:
      resticFull === null
        ? null
        : { ratio: full.ms / resticFull, target: '< 1', holds: full.ms < resticFull },
    incrementalVsChangedPagesZstd: {
      ratio: incBytes / changed1.zstd,
      target: '≤ 1.25',
      holds: incBytes <= 1.25 * changed1.zstd,
    },
    incrementalVsResticIncrement:
      resticIncBytes === null
        ? null
        : { ratio: incBytes / resticIncBytes, target: '≤ 0.1', holds: incBytes <= 0.1 * resticIncBytes },
    restoreVsRestic:
      resticRestore === null
        ? null
        : { ratio: restoreDiff.ms / resticRestore, target: '≤ 1', holds: restoreDiff.ms <= resticRestore },
    restoreVerifiedVsRestic:
      resticRestore === null
        ? null
        : {
            ratio: restoreVerified.ms / resticRestore,
            target: '≤ 1',
            holds: restoreVerified.ms <= resticRestore,
          },
    rebuildOnlyVsResticRestore:
      resticRestore === null
        ? null
        : { ratio: rebuildOnly.ms / resticRestore, target: '≤ 1', holds: rebuildOnly.ms <= resticRestore },
  };
  log('\ntargets:');
  for (const [name, t] of Object.entries(targets)) {
    log(
      `  ${name.padEnd(32)} ${t ? `${t.ratio.toFixed(3)} (target ${t.target}) ${t.holds ? 'holds' : 'MISSED'}` : 'n/a (no restic)'}`,
    );
  }
  const result = {
    benchmark: 'backup',
    command: `pnpm bench:backup --entries ${ENTRIES}${LEVEL === DEFAULT_COMPRESSION_LEVEL ? '' : ` --level ${LEVEL}`}`,
    at: new Date().toISOString(),
    machine: { cores: cpus().length, loadavg: loadavg(), node: process.version },
    database: { entries: ENTRIES, bytes: dbBytes, pageSize },
    fullChecksum: fullMeta.checksum,
    restoredDifferentialSha256MatchesManifest: restoredSha === diffMeta.checksum,
    verifiedRestoreSha256MatchesManifest: verifiedSha === diffMeta.checksum,
    verifiedRestoreUsedRecord: recorded,
    rows,
    targets,
  };
  mkdirSync(join(here, 'results'), { recursive: true });
  const file = join(here, 'results', `backup-${result.at.replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  log(`\nresults: ${file}`);
  if (!KEEP) rmSync(run, { recursive: true, force: true });
}

await main();
