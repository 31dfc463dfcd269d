/**
 * Child process for the reliability tests, run as a bundle (child-bundle.ts), `node reliability-child.mjs '<json>'` from the
 * repo root. It imports storage-core from its sources, as the tests themselves do, so it never runs a stale
 * build. Lines on stdout are the protocol: `ready`, then `done <n>` or a JSON result.
 */
import { createInterface } from 'node:readline';
import { sql } from 'kysely';
import {
  createStorage,
  type Migration,
  MigrationRegistry,
  openDialect,
  parseStorageConfig,
} from '../../../storage-core/src/index.js';
import { generateCorpusArray } from '../../src/corpus/corpus-generator.js';

interface ImportTask {
  mode: 'import';
  path: string;
  count: number;
  seed: string;
}

interface WriterTask {
  mode: 'writer';
  /** A SQLite file, or the database config of a server store. */
  path?: string;
  database?: Record<string, unknown>;
  /** The audit config every process of the deployment shares (a server store's keyring). */
  audit?: Record<string, unknown>;
  writes: number;
  worker: number;
  /** Leave out to run with the config's default busy timeout. */
  busyTimeoutMs?: number;
}

export interface WriterResult {
  worker: number;
  ok: number;
  busy: number;
  other: string[];
  /** The longest single write, in milliseconds: how long the unluckiest writer queued for the lock. */
  maxWriteMs: number;
}

async function runImport(task: ImportTask): Promise<void> {
  // The entries are built before `ready`, so a kill after `ready` always lands in the store's own work.
  const entries = generateCorpusArray({ count: task.count, seed: task.seed });
  const storage = await createStorage({ database: { type: 'sqlite', path: task.path } });
  process.stdout.write('ready\n');
  const ids = await storage.createEntries(entries);
  process.stdout.write(`done ${ids.length}\n`);
  await storage.close();
}

async function runWriter(task: WriterTask): Promise<void> {
  const timeout = task.busyTimeoutMs === undefined ? {} : { busyTimeoutMs: task.busyTimeoutMs };
  const database = task.database ?? { type: 'sqlite', path: task.path };
  const storage = await createStorage({
    database: { ...database, ...timeout },
    ...(task.audit ? { audit: task.audit } : {}),
  });
  process.stdout.write('ready\n');
  // Every writer starts on the same `go`, so their transactions really contend for the write lock.
  const lines = createInterface({ input: process.stdin });
  await new Promise<void>((resolve) => lines.once('line', () => resolve()));
  lines.close();
  const result: WriterResult = { worker: task.worker, ok: 0, busy: 0, other: [], maxWriteMs: 0 };
  // Every other write is feedback on the worker's own last entry: it touches no row another worker touches
  // except the shared ones every write must serialise on (the audit chain), so a missing lock there shows.
  let last: string | undefined;
  for (let i = 0; i < task.writes; i++) {
    const started = performance.now();
    try {
      if (i % 2 === 1 && last !== undefined) {
        await storage.recordFeedback(last, { outcome: 'success' });
      } else {
        last = await storage.createEntry({
          title: `Writer ${task.worker} entry ${i}`,
          problem: `Concurrent write ${i} of worker ${task.worker}: job ended with S0C7 in step STEP010.`,
          solution: '1. Check the input data set\n2. Restart the job',
          category: 'Batch',
          tags: [`worker-${task.worker}`],
        });
      }
      result.ok += 1;
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (code === 'BUSY') result.busy += 1;
      else result.other.push(`${String(code)}: ${(error as Error).message}`.slice(0, 300));
    }
    result.maxWriteMs = Math.max(result.maxWriteMs, Math.round(performance.now() - started));
  }
  await storage.close();
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

interface MigrateTask {
  mode: 'migrate';
  database: Record<string, unknown>;
  /** `kill-2` / `kill-3`: SIGKILL itself inside that migration, after its DDL or DML took effect. */
  scenario: 'kill-2' | 'kill-3' | 'fixed';
}

export interface MigrateResult {
  results: string[];
  error?: { code: string; message: string; cause?: string };
}

/** Reliability 2 on any dialect: three migrations (two DDL, one DML), killed inside one of them on request. */
async function runMigrate(task: MigrateTask): Promise<void> {
  const config = parseStorageConfig({ database: task.database });
  const adapter = await openDialect(config);
  // up() also runs against the recording connection that plans and checksums it, where reads return no
  // rows: the kill happens only in the real run, once the statement before it has taken effect.
  const killIfPresent = async (db: Parameters<Migration['up']>[0], table: string) => {
    const where = adapter.name === 'mysql' ? sql`database()` : sql`current_schema()`;
    const { rows } = await sql`select table_name from information_schema.tables
      where table_schema = ${where} and table_name = ${table}`.execute(db);
    if (rows.length > 0) process.kill(process.pid, 'SIGKILL');
  };
  const migrations: Migration[] = [
    {
      id: '0001_t1',
      async up(db) {
        await sql`create table t1 (id integer primary key, note varchar(100))`.execute(db);
      },
    },
    {
      id: '0002_t2',
      async up(db) {
        await sql`create table t2 (id integer primary key, t1_id integer references t1 (id))`.execute(db);
        if (task.scenario === 'kill-2') await killIfPresent(db, 't2');
      },
    },
    {
      id: '0003_seed',
      async up(db) {
        await sql`insert into t1 (id, note) values (1, 'seeded once')`.execute(db);
        if (task.scenario === 'kill-3') await killIfPresent(db, 't1');
      },
    },
  ];
  const registry = new MigrationRegistry(adapter, [{ namespace: 'rel2', dependsOn: [], migrations }], {
    owner: `reliability-2 ${task.scenario}`,
    lockTimeoutMs: 20_000,
  });
  process.stdout.write('ready\n');
  const { results, error } = await registry.up();
  await adapter.close();
  const result: MigrateResult = {
    results: results.map((r) => `${r.id}:${r.status}`),
    ...(error
      ? {
          error: {
            code: error.code,
            message: error.message,
            // The driver's own report (PostgreSQL's routine and position), to tell where a failure came from.
            ...(error.cause === undefined
              ? {}
              : {
                  cause: String(JSON.stringify(error.cause, Object.getOwnPropertyNames(error.cause))).slice(
                    0,
                    2_000,
                  ),
                }),
          },
        }
      : {}),
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

const task = JSON.parse(process.argv[2] ?? '{}') as ImportTask | WriterTask | MigrateTask;
const run =
  task.mode === 'import' ? runImport(task) : task.mode === 'migrate' ? runMigrate(task) : runWriter(task);
run.catch((error) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
