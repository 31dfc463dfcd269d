/**
 * The kill -9 harness (issue 13, RELIABILITY.md promises 1, 2, 3, 6): one script that runs the operations an
 * operator runs — a resumable import, a backup, a restore, a migration and a copy — through the `kb` binary,
 * kills each with SIGKILL at many points spread over its whole run, and checks what it left:
 *
 * - nothing half-done: the store (or the target, or the repository) is as before the operation or as after
 *   it, never between; a rerun of the same command completes and gives exactly the uninterrupted result;
 * - nothing left over: after the rerun, no scratch file, snapshot, partial target or temp object remains.
 *
 *   pnpm --filter @mainframe-kb/cli kill-harness [--kills N] [--entries N] [--only import,copy] [--keep]
 *
 * It needs the built CLI (`pnpm build`). It prints one line per kill and a summary, and exits 1 when any
 * kill left a problem. `packages/cli/test/kill-harness.test.ts` runs it with few kills; CI with more.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  realpathSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { SeededRandom } from '@mainframe-kb/testkit';

const BIN = fileURLToPath(new URL('../bin/kb.js', import.meta.url));
const CORE = pathToFileURL(fileURLToPath(new URL('../../storage-core/dist/index.js', import.meta.url))).href;
/** Kysely as storage-core loads it (the migration plugin is written to a folder with no node_modules). */
const KYSELY = pathToFileURL(
  join(
    realpathSync(fileURLToPath(new URL('../../storage-core/node_modules/kysely', import.meta.url))),
    'dist/esm/index.js',
  ),
).href;
const PASSPHRASE = 'kill-harness passphrase';
/** Rows the slow migration writes: enough for it to take a good part of a second. */
const MIGRATION_ROWS = 300_000;

export const SCENARIOS = ['import', 'backup', 'restore', 'migration', 'copy'] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

export interface HarnessOptions {
  /** Kill points per scenario. */
  kills: number;
  /** Entries of the source store (the bigger, the longer each operation runs). */
  entries: number;
  scenarios?: readonly ScenarioName[];
  /** Keep the work folder (printed) for inspection. */
  keep?: boolean;
  log?: (line: string) => void;
}

export interface KillResult {
  scenario: ScenarioName;
  delayMs: number;
  /** `inside`: the process was killed while running; `after`: it had already exited. */
  landed: 'inside' | 'after';
  problems: string[];
}

export interface ScenarioReport {
  scenario: ScenarioName;
  /** Wall time of one uninterrupted run, process start to exit. */
  operationMs: number;
  kills: KillResult[];
}

export interface HarnessReport {
  dir: string;
  scenarios: ScenarioReport[];
  ok: boolean;
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

class Kb {
  constructor(
    readonly cwd: string,
    readonly env: Record<string, string>,
  ) {}

  spawn(args: readonly string[]): ChildProcess & { result: Promise<Run> } {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: this.cwd,
      env: { PATH: process.env.PATH ?? '', ...this.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const result = new Promise<Run>((resolve) =>
      child.on('close', (code) => resolve({ code, stdout, stderr })),
    );
    return Object.assign(child, { result });
  }

  run(args: readonly string[]): Promise<Run> {
    return this.spawn(args).result;
  }

  /** Runs `kb --json …`; throws with kb's message unless it exits 0. */
  async json<T = any>(args: readonly string[]): Promise<T> {
    const r = await this.run(['--json', ...args]);
    if (r.code !== 0) throw new Error(`kb ${args.join(' ')} exited ${r.code}: ${r.stderr.trim()}`);
    return JSON.parse(r.stdout) as T;
  }
}

/** The data a user sees: entries, tags, relations (the audit trail and event log differ run to run). */
const DATA_TABLES = ['kb_entries', 'kb_tags', 'kb_relations'];

/** The content hash of a store's data tables, read through the library (the store is not changed). */
async function dataHash(file: string): Promise<string> {
  const { createStorage } = (await import(CORE)) as typeof import('@mainframe-kb/storage-core');
  const storage = await createStorage(
    { database: { type: 'sqlite', path: file, readonly: true } },
    { actor: { id: 'kill-harness', role: 'viewer' } },
  );
  try {
    return (await storage.contentHash({ tables: DATA_TABLES })).hash;
  } finally {
    await storage.close();
  }
}

/** Files under `dir` (relative paths), excluding those `allowed` matches. */
function leftovers(dir: string, allowed: RegExp): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const path = join(d, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (!allowed.test(relative(dir, path))) out.push(relative(dir, path));
    }
  };
  walk(dir);
  return out;
}

/** The files a SQLite store named `name` may own: the database, its WAL, its audit key and checkpoints. */
const storeFiles = (name: string) =>
  new RegExp(`^${name.replace(/\./g, '\\.')}(-wal|-shm|-journal|\\.audit-key|\\.audit-checkpoints)?$`);

interface Scenario {
  /** Prepares what every kill point starts from (once). */
  prepare(): Promise<void>;
  /** Makes kill point `k`'s starting state; returns the command to kill. */
  start(k: number): Promise<string[]>;
  /** After the kill: checks the state, reruns to completion, checks the result and what is left. */
  check(k: number): Promise<string[]>;
}

async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await fn();
  return { value, ms: performance.now() - started };
}

export async function runKillHarness(options: HarnessOptions): Promise<HarnessReport> {
  const log = options.log ?? (() => {});
  const dir = mkdtempSync(join(tmpdir(), 'kb-kill-harness-'));
  const kb = new Kb(dir, { KB_BACKUP_PASSPHRASE: PASSPHRASE });
  const path = (name: string) => join(dir, name);
  const random = new SeededRandom('kill-harness');

  // The source store: the bundled sample KB and `entries` generated entries with tags and relations,
  // exported once as the input of the import scenario.
  log(`work folder ${dir}; building a source store of ${options.entries} entries`);
  await kb.json(['init', '--sample', '--db', path('source.db')]);
  const generated = Array.from({ length: options.entries }, (_, i) => ({
    id: `KILL${String(i).padStart(6, '0')}`,
    title: `Kill point entry ${i}: S0C7 in PAYR${String(i % 1000).padStart(3, '0')}`,
    problem: `Job KJOB${i} abends S0C7 in step STEP${i % 9} reading PROD.PAYROLL.MASTER${i % 13}.`,
    solution: `1. Check the packed field at offset ${i % 200}\n2. Rerun from STEP${i % 9}`,
    category: ['Batch', 'VSAM', 'DB2', 'CICS', 'JCL'][i % 5],
    tags: [`k${i % 23}`, `m${i % 7}`],
  }));
  writeFileSync(path('generated.json'), JSON.stringify(generated));
  await kb.json(['add', '--file', path('generated.json'), '--db', path('source.db')]);
  rmSync(path('generated.json'));
  await kb.json(['export', '--format', 'ndjson', '--out', path('export'), '--db', path('source.db')]);
  const sourceHash = await dataHash(path('source.db'));

  const scenarios: Record<ScenarioName, Scenario> = {
    import: {
      async prepare() {
        await kb.json(['init', '--db', path('import-ref.db')]);
        await kb.json([
          'import',
          path('export'),
          '--batch-size',
          '200',
          '--resume',
          '--db',
          path('import-ref.db'),
        ]);
      },
      async start(k) {
        await kb.json(['init', '--db', path(`import-${k}.db`)]);
        return ['import', path('export'), '--batch-size', '200', '--resume', '--db', path(`import-${k}.db`)];
      },
      async check(k) {
        const db = path(`import-${k}.db`);
        const problems: string[] = [];
        const rerun = await kb.run([
          '--json',
          'import',
          path('export'),
          '--batch-size',
          '200',
          '--resume',
          '--db',
          db,
        ]);
        if (rerun.code !== 0)
          problems.push(`the resumed import exited ${rerun.code}: ${rerun.stderr.trim()}`);
        if ((await dataHash(db)) !== (await dataHash(path('import-ref.db')))) {
          problems.push('the resumed import differs from the uninterrupted one');
        }
        problems.push(...(await storeHealth(kb, db)));
        return problems;
      },
    },
    backup: {
      async prepare() {
        await kb.json([
          'backup',
          'create',
          '--type',
          'full',
          '--dest',
          path('backup-base'),
          '--db',
          path('source.db'),
        ]);
      },
      async start(k) {
        cpSync(path('backup-base'), path(`backup-${k}`), { recursive: true });
        return [
          'backup',
          'create',
          '--type',
          'full',
          '--dest',
          path(`backup-${k}`),
          '--db',
          path('source.db'),
        ];
      },
      async check(k) {
        const repo = path(`backup-${k}`);
        const problems: string[] = [];
        const { backups } = await kb.json<{ backups: { id: string }[] }>([
          'backup',
          'list',
          '--dest',
          repo,
          '--db',
          path('source.db'),
        ]);
        for (const { id } of backups) {
          const verify = await kb.run([
            '--json',
            'backup',
            'verify',
            id,
            '--dest',
            repo,
            '--db',
            path('source.db'),
          ]);
          if (verify.code !== 0)
            problems.push(`backup ${id} is listed but does not verify: ${verify.stdout}`);
        }
        // The next backup (and a prune) clear what the killed one left; the new backup restores exactly.
        const next = await kb.json<{ id: string }>([
          'backup',
          'create',
          '--type',
          'full',
          '--dest',
          repo,
          '--db',
          path('source.db'),
        ]);
        await kb.json(['backup', 'prune', '--dest', repo, '--db', path('source.db')]);
        const target = path(`backup-${k}-restored.db`);
        await kb.json(['restore', next.id, '--dest', repo, '--to', target]);
        if ((await dataHash(target)) !== sourceHash)
          problems.push('the next backup does not restore the source');
        const left = leftovers(
          repo,
          /^(?!.*\.(tmp|partial))(config|(data|manifests|verified|locks|keys)\/.+)$/,
        );
        if (left.length > 0) problems.push(`left in the repository: ${left.join(', ')}`);
        return problems;
      },
    },
    restore: {
      backupId: '',
      async prepare() {
        const created = await kb.json<{ id: string }>([
          'backup',
          'create',
          '--type',
          'full',
          '--dest',
          path('restore-repo'),
          '--db',
          path('source.db'),
        ]);
        (this as { backupId: string }).backupId = created.id;
      },
      async start(k) {
        mkdirSync(path(`restore-${k}`));
        const id = (this as unknown as { backupId: string }).backupId;
        return ['restore', id, '--dest', path('restore-repo'), '--to', path(`restore-${k}/target.db`)];
      },
      async check(k) {
        const folder = path(`restore-${k}`);
        const target = join(folder, 'target.db');
        const problems: string[] = [];
        if (existsSync(target) && (await dataHash(target)) !== sourceHash) {
          problems.push('the killed restore left a target that is not the backup');
        }
        if (!existsSync(target)) {
          const id = (this as unknown as { backupId: string }).backupId;
          const rerun = await kb.run([
            '--json',
            'restore',
            id,
            '--dest',
            path('restore-repo'),
            '--to',
            target,
          ]);
          if (rerun.code !== 0)
            problems.push(`the rerun restore exited ${rerun.code}: ${rerun.stderr.trim()}`);
          else if ((await dataHash(target)) !== sourceHash)
            problems.push('the rerun restore differs from the source');
        }
        const left = leftovers(folder, storeFiles('target.db'));
        if (left.length > 0) problems.push(`left beside the target: ${left.join(', ')}`);
        return problems;
      },
    } as Scenario & { backupId: string },
    migration: {
      async prepare() {
        writeFileSync(path('slow-migration-plugin.mjs'), slowMigrationPlugin());
        writeFileSync(
          path('migration.config.json'),
          JSON.stringify({
            mvp: { extensions: [{ id: 'slowmig', package: path('slow-migration-plugin.mjs') }] },
          }),
        );
        await kb.json(['init', '--db', path('migration-base.db')]);
      },
      async start(k) {
        for (const suffix of ['', '.audit-key', '.audit-checkpoints']) {
          const from = path(`migration-base.db${suffix}`);
          if (existsSync(from)) cpSync(from, path(`migration-${k}/store.db${suffix}`));
        }
        return [
          'migrate',
          'up',
          '--config',
          path('migration.config.json'),
          '--db',
          path(`migration-${k}/store.db`),
        ];
      },
      async check(k) {
        const folder = path(`migration-${k}`);
        const db = join(folder, 'store.db');
        const args = ['--config', path('migration.config.json'), '--db', db];
        const problems: string[] = [];
        const rerun = await kb.run(['--json', 'migrate', 'up', ...args]);
        if (rerun.code !== 0)
          problems.push(`the rerun migration exited ${rerun.code}: ${rerun.stderr.trim()}`);
        const status = await kb.json<{
          namespaces: { namespace: string; applied: unknown[]; pending: unknown[] }[];
        }>(['migrate', 'status', ...args]);
        const ns = status.namespaces.find((n) => n.namespace === 'slowmig');
        if (ns?.applied.length !== 2 || ns.pending.length !== 0) {
          problems.push(`slowmig after the rerun: ${JSON.stringify(ns)}`);
        }
        const count = await slowRows(db, path('slow-migration-plugin.mjs'));
        if (count !== MIGRATION_ROWS) problems.push(`slow_rows holds ${count} rows, not ${MIGRATION_ROWS}`);
        problems.push(...(await storeHealth(kb, db, path('migration.config.json'))));
        const left = leftovers(folder, storeFiles('store.db'));
        if (left.length > 0) problems.push(`left beside the store: ${left.join(', ')}`);
        return problems;
      },
    },
    copy: {
      async prepare() {},
      async start(k) {
        mkdirSync(path(`copy-${k}`));
        return ['copy', '--from', path('source.db'), '--to', path(`copy-${k}/target.db`)];
      },
      async check(k) {
        const folder = path(`copy-${k}`);
        const target = join(folder, 'target.db');
        const problems: string[] = [];
        if (existsSync(target) && (await dataHash(target).catch(() => 'unreadable')) !== sourceHash) {
          problems.push('the killed copy left a target that is not the source');
        }
        // The next copy completes the job, or finds the target already holds the source and changes nothing.
        const rerun = await kb.run(['--json', 'copy', '--from', path('source.db'), '--to', target]);
        if (rerun.code !== 0) problems.push(`the rerun copy exited ${rerun.code}: ${rerun.stderr.trim()}`);
        else if ((await dataHash(target)) !== sourceHash)
          problems.push('the rerun copy differs from the source');
        problems.push(...(await storeHealth(kb, target)));
        const left = leftovers(folder, storeFiles('target.db'));
        if (left.length > 0) problems.push(`left beside the target: ${left.join(', ')}`);
        return problems;
      },
    },
  };

  const reports: ScenarioReport[] = [];
  for (const name of options.scenarios ?? SCENARIOS) {
    const scenario = scenarios[name];
    await scenario.prepare();
    // One uninterrupted run measures the window the kill points are spread over (its check must pass too).
    const args = await scenario.start(-1);
    const { value: run, ms } = await timed(() => kb.run(args));
    if (run.code !== 0)
      throw new Error(`${name}: the uninterrupted run exited ${run.code}: ${run.stderr.trim()}`);
    const baseline = await scenario.check(-1);
    if (baseline.length > 0)
      throw new Error(`${name}: the uninterrupted run fails its own check: ${baseline.join('; ')}`);
    log(`${name}: one uninterrupted run takes ${ms.toFixed(0)} ms`);
    const kills: KillResult[] = [];
    for (let k = 0; k < options.kills; k++) {
      const killArgs = await scenario.start(k);
      // One kill point in each of kills - 1 equal slices of the run (process start included), at a random
      // place in the slice's middle half so that it lands inside the run; the last lands after the end.
      const slices = Math.max(1, options.kills - 1);
      const delayMs = k === options.kills - 1 ? ms * 1.2 : (ms * (k + 0.25 + 0.5 * random.next())) / slices;
      const child = kb.spawn(killArgs);
      let exited = false;
      child.on('exit', () => (exited = true));
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      const landed = exited ? 'after' : 'inside';
      child.kill('SIGKILL');
      await child.result;
      const problems = await scenario.check(k);
      kills.push({ scenario: name, delayMs, landed, problems });
      log(
        `${name} kill ${k} at ${delayMs.toFixed(0)} ms (${landed}): ${problems.length === 0 ? 'ok' : problems.join('; ')}`,
      );
    }
    reports.push({ scenario: name, operationMs: ms, kills });
  }
  const ok = reports.every((r) => r.kills.every((k) => k.problems.length === 0));
  if (!options.keep) rmSync(dir, { recursive: true, force: true });
  return { dir, scenarios: reports, ok };
}

/** `kb audit verify` and SQLite's integrity check on a store. */
async function storeHealth(kb: Kb, db: string, config?: string): Promise<string[]> {
  const problems: string[] = [];
  const args = config ? ['--config', config, '--db', db] : ['--db', db];
  const audit = await kb.run(['--json', 'audit', 'verify', ...args]);
  if (audit.code !== 0) problems.push(`kb audit verify exited ${audit.code}: ${audit.stdout}${audit.stderr}`);
  const health = await kb.run(['--json', 'health', ...args]);
  if (health.code !== 0) problems.push(`kb health exited ${health.code}: ${health.stdout}${health.stderr}`);
  return problems;
}

/** Rows of the slow migration's table, through the library with the plugin enabled (-1: no such table). */
async function slowRows(db: string, pluginFile: string): Promise<number> {
  const { createStorage } = (await import(CORE)) as typeof import('@mainframe-kb/storage-core');
  const plugin = (await import(pathToFileURL(pluginFile).href)).default;
  const storage = await createStorage(
    { database: { type: 'sqlite', path: db, readonly: true } },
    { actor: { id: 'kill-harness', role: 'viewer' }, plugins: [plugin] },
  );
  try {
    return (await storage.rowCounts(['slow_rows'])).slow_rows ?? -1;
  } catch {
    return -1;
  } finally {
    await storage.close();
  }
}

/** A plugin whose two migrations take a while: a big table filled by one statement, then an index on it. */
function slowMigrationPlugin(): string {
  return `import { definePlugin } from ${JSON.stringify(CORE)};
import { sql } from ${JSON.stringify(KYSELY)};
export default definePlugin({
  id: 'slowmig',
  version: '1.0.0',
  mvp: 2,
  dependsOn: { core: '>=0.1.0 <1.0.0' },
  tables: { slow_rows: { entity: 'slowmig', primaryKey: ['id'] } },
  migrations: [
    {
      id: '0001_fill',
      async up(db) {
        await db.schema.createTable('slow_rows').addColumn('id', 'integer', (c) => c.primaryKey()).addColumn('v', 'text').execute();
        await sql\`insert into slow_rows (id, v) with recursive c(x) as (select 1 union all select x + 1 from c where x < ${MIGRATION_ROWS}) select x, 'row ' || x || ' of the slow migration' from c\`.execute(db);
      },
      async down(db) { await db.schema.dropTable('slow_rows').execute(); },
    },
    {
      id: '0002_index',
      async up(db) { await db.schema.createIndex('slow_rows_v').on('slow_rows').column('v').execute(); },
      async down(db) { await db.schema.dropIndex('slow_rows_v').execute(); },
    },
  ],
});
`;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      kills: { type: 'string', default: '6' },
      entries: { type: 'string', default: '5000' },
      only: { type: 'string' },
      keep: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
    },
  });
  const only = values.only?.split(',').map((s) => s.trim()) as ScenarioName[] | undefined;
  const unknown = only?.filter((s) => !(SCENARIOS as readonly string[]).includes(s)) ?? [];
  if (unknown.length > 0)
    throw new Error(`unknown scenarios: ${unknown.join(', ')} (known: ${SCENARIOS.join(', ')})`);
  const report = await runKillHarness({
    kills: Number(values.kills),
    entries: Number(values.entries),
    ...(only ? { scenarios: only } : {}),
    keep: values.keep,
    log: values.json ? undefined : (line) => console.log(line),
  });
  if (values.json) console.log(JSON.stringify(report));
  else {
    for (const s of report.scenarios) {
      const inside = s.kills.filter((k) => k.landed === 'inside').length;
      const bad = s.kills.filter((k) => k.problems.length > 0).length;
      console.log(
        `${s.scenario}: ${s.kills.length} kills (${inside} inside a ${s.operationMs.toFixed(0)} ms run), ${bad} with problems`,
      );
    }
    console.log(report.ok ? 'kill harness: ok' : 'kill harness: FAILED');
  }
  process.exitCode = report.ok ? 0 : 1;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((error) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 2;
  });
}
