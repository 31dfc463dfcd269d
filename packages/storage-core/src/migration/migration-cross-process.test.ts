import { type ChildProcess, fork } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const CHILD = fileURLToPath(new URL('./fixtures/migrate-child.mjs', import.meta.url));

interface ChildReport {
  pid: number;
  results: { id: string; status: string }[];
  error?: { code: string; message: string };
}

interface Child {
  process: ChildProcess;
  ready: Promise<void>;
  report: Promise<ChildReport>;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>;
}

let dir: string;
let path: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'kb-migration-xproc-'));
  path = join(dir, 'kb.db');
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function spawnChild(scenario: string): Child {
  const child = fork(CHILD, [path, scenario], { execArgv: ['--import', 'tsx'], stdio: 'pipe' });
  let stderr = '';
  child.stderr?.on('data', (chunk) => {
    stderr += String(chunk);
  });
  let onReady: () => void = () => {};
  let onReport: (r: ChildReport) => void = () => {};
  const ready = new Promise<void>((resolve) => {
    onReady = resolve;
  });
  const report = new Promise<ChildReport>((resolve) => {
    onReport = resolve;
  });
  child.on('message', (message) => {
    if (message === 'ready') onReady();
    else onReport(message as ChildReport);
  });
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>(
    (resolve) => {
      child.on('exit', (code, signal) => resolve({ code, signal, stderr }));
    },
  );
  // A child that dies before reporting must fail the test, not hang it.
  void exit.then(({ code, signal }) => {
    onReady();
    onReport({
      pid: child.pid ?? -1,
      results: [],
      error: { code: 'EXITED', message: `${code ?? signal}: ${stderr}` },
    });
  });
  return { process: child, ready, report, exit };
}

function inspect(): {
  ledger: string[];
  tables: string[];
  lock: unknown[];
  quickCheck: unknown;
  t1Rows: number | undefined;
} {
  const db = new BetterSqlite3(path);
  try {
    const tables = (
      db
        .prepare(
          "select name from sqlite_master where type = 'table' and name not like 'sqlite_%' order by name",
        )
        .all() as {
        name: string;
      }[]
    ).map((t) => t.name);
    const ledger = (
      db.prepare('select id, status from kb_migrations order by id').all() as { id: string; status: string }[]
    ).map((r) => `${r.id}:${r.status}`);
    const lock = tables.includes('kb_migration_lock')
      ? db.prepare('select owner, pid from kb_migration_lock').all()
      : [];
    const t1Rows = tables.includes('t1')
      ? (db.prepare('select count(*) as n from t1').get() as { n: number }).n
      : undefined;
    return { ledger, tables, lock, quickCheck: db.pragma('quick_check', { simple: true }), t1Rows };
  } finally {
    db.close();
  }
}

const leftoverSnapshots = () => readdirSync(dir).filter((f) => f.includes('.pre-migrate-'));

describe('migrating from several processes', () => {
  it('two processes racing to migrate one file apply each migration exactly once', async () => {
    const a = spawnChild('race');
    const b = spawnChild('race');
    await Promise.all([a.ready, b.ready]);
    a.process.send('go');
    b.process.send('go');
    const reports = await Promise.all([a.report, b.report]);
    await Promise.all([a.exit, b.exit]);

    for (const report of reports) expect(report.error).toBeUndefined();
    const applied = reports
      .flatMap((r) => r.results.filter((x) => x.status === 'applied').map((x) => x.id))
      .sort();
    expect(applied).toEqual(['0001_t1', '0002_t2', '0003_seed']);
    // The loser took the lock after the winner released it, re-read the ledger and found nothing to do.
    expect(reports.map((r) => r.results.length).sort()).toEqual([0, 3]);
    const state = inspect();
    expect(state.ledger).toEqual(['0001_t1:applied', '0002_t2:applied', '0003_seed:applied']);
    expect(state.t1Rows).toBe(1);
    expect(state.lock).toEqual([]);
  });

  for (const killedIn of [2, 3]) {
    it(`kill -9 inside migration ${killedIn} leaves the ledger equal to the schema, and the store usable`, async () => {
      const victim = spawnChild(`kill-${killedIn}`);
      await victim.ready;
      victim.process.send('go');
      const { signal } = await victim.exit;
      expect(signal).toBe('SIGKILL');

      const afterKill = inspect();
      expect(afterKill.quickCheck).toBe('ok');
      if (killedIn === 2) {
        expect(afterKill.ledger).toEqual(['0001_t1:applied']);
        expect(afterKill.tables).toContain('t1');
        expect(afterKill.tables).not.toContain('t2');
      } else {
        expect(afterKill.ledger).toEqual(['0001_t1:applied', '0002_t2:applied']);
        expect(afterKill.tables).toContain('t2');
        expect(afterKill.t1Rows).toBe(0);
      }
      // The dead process's lock and snapshot are still there for the next run to deal with.
      expect(afterKill.lock).toEqual([{ owner: `migrate-child kill-${killedIn}`, pid: victim.process.pid }]);
      expect(leftoverSnapshots()).toHaveLength(1);

      const next = spawnChild('fixed');
      await next.ready;
      next.process.send('go');
      const report = await next.report;
      await next.exit;
      expect(report.error).toBeUndefined();
      expect(report.results.map((r) => `${r.id}:${r.status}`)).toEqual(
        killedIn === 2 ? ['0002_t2:applied', '0003_seed:applied'] : ['0003_seed:applied'],
      );
      const recovered = inspect();
      expect(recovered.ledger).toEqual(['0001_t1:applied', '0002_t2:applied', '0003_seed:applied']);
      expect(recovered.t1Rows).toBe(1);
      expect(recovered.lock).toEqual([]);
      expect(recovered.quickCheck).toBe('ok');
      expect(leftoverSnapshots()).toEqual([]);
    });
  }
});
