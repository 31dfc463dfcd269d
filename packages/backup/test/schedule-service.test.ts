import { type ChildProcess, spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createStorage, type Storage, type StorageConfigInput } from '@mainframe-kb/storage-core';
import { bundleChild, generateCorpusArray } from '@mainframe-kb/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { scheduleLogLine } from '../src/commands/backup-command.js';
import { stopOnSignals } from '../src/commands/stop-signals.js';
import { backupPlugin, type ScheduleEvent, sleepUnlessAborted } from '../src/index.js';
import { commandNamed, FakeUsageError, runCommand } from './support/command-context.js';
import { PASSPHRASE } from './support/fixtures.js';
import { filesUnder } from './support/repo-files.js';

const ENV = 'KB_TEST_SCHEDULE_PASSPHRASE';
const backup = commandNamed(backupPlugin.commands, 'backup');
/** Bundled once: a tsx child takes ~1.3 s to start (testkit's child-bundle.ts). */
const CHILD = await bundleChild(fileURLToPath(new URL('./fixtures/schedule-child.ts', import.meta.url)));

/** A clock that only moves when the scheduler sleeps, and a sleep that ends the test at `until`. */
function fakeTime(start: string, until: string, controller: AbortController) {
  let now = new Date(start);
  const sleeps: number[] = [];
  return {
    now: () => now,
    sleep: async (ms: number) => {
      sleeps.push(ms);
      now = new Date(now.getTime() + ms);
      if (now.getTime() >= Date.parse(until)) controller.abort('test over');
    },
    sleeps,
  };
}

describe('kb backup schedule run: the scheduler as a foreground service', () => {
  let dir: string;
  let repo: string;
  let storage: Storage | undefined;
  const open = async (backupConfig: Record<string, unknown>, options: Record<string, unknown> = {}) => {
    const config: StorageConfigInput = {
      database: { type: 'sqlite', path: join(dir, 'kb.db') },
      backup: {
        destinations: [{ type: 'local', path: repo }],
        encryption: { passphraseEnv: ENV },
        ...backupConfig,
      },
      mvp: { extensions: [{ id: 'backup', options }] },
    };
    storage = await createStorage(config, { plugins: [backupPlugin] });
    await storage.createEntries(generateCorpusArray({ count: 40, seed: 23 }));
    return storage;
  };
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'kb-backup-schedule-'));
    repo = join(dir, 'repo');
    process.env[ENV] = PASSPHRASE;
  });
  afterEach(async () => {
    await storage?.close();
    storage = undefined;
    rmSync(dir, { recursive: true, force: true });
    delete process.env[ENV];
  });

  it('runs the configured tiers on its clock, one event per backup, until it is stopped', async () => {
    const store = await open({
      policy: {
        full: { cron: '0 3 * * *', keep: 5 },
        incremental: { intervalMs: 15 * 60_000, keep: 20 },
      },
    });
    const controller = new AbortController();
    const time = fakeTime('2026-11-28T02:20:00Z', '2026-11-28T03:40:00Z', controller);
    const events: ScheduleEvent[] = [];
    const summary = await store.plugin(backupPlugin).serveSchedule({
      signal: controller.signal,
      now: time.now,
      sleep: time.sleep,
      onEvent: (e) => events.push(e),
    });
    expect(summary).toEqual({ backups: 6, failed: 0 });
    expect(events[0]).toEqual({
      event: 'started',
      at: '2026-11-28T02:20:00.000Z',
      timezone: 'UTC',
      tiers: [
        { type: 'full', cron: '0 3 * * *', next: '2026-11-28T03:00:00.000Z' },
        { type: 'incremental', intervalMs: 900_000, next: '2026-11-28T02:35:00.000Z' },
      ],
    });
    const runs = events.filter((e) => e.event === 'backup');
    expect(runs.map((e) => `${e.at.slice(11, 16)} ${e.type} ${e.ok}`)).toEqual([
      '02:35 full true', // the first incremental has no base: it is taken as a full
      '02:50 incremental true',
      '03:00 full true',
      '03:05 incremental true',
      '03:20 incremental true',
      '03:35 incremental true',
    ]);
    // verifyAfterBackup: fulls are test-restored; each run prunes (keeping everything here).
    expect(runs.map((e) => e.verified)).toEqual([true, null, true, null, null, null]);
    expect(runs.every((e) => e.pruned === 0)).toBe(true);
    expect(events.slice(-2)).toEqual([
      { event: 'stopping', at: '2026-11-28T03:40:00.000Z', reason: 'test over' },
      { event: 'stopped', at: '2026-11-28T03:40:00.000Z', backups: 6, failed: 0 },
    ]);
    // It never slept longer than a minute (a changed clock is noticed), nor for nothing.
    expect(Math.max(...time.sleeps)).toBeLessThanOrEqual(60_000);
    expect(Math.min(...time.sleeps)).toBeGreaterThan(0);
    const { backups } = await store.plugin(backupPlugin).list();
    expect(backups.map((b) => b.id)).toEqual(runs.map((e) => e.id));
    expect(scheduleLogLine(runs[2]!)).toMatch(
      /^2026-11-28T03:00:00.000Z full backup \S+ done in \d+\.\d s on 1 destination\(s\); verified; pruned 0$/,
    );
  });

  it('a stop during a backup lets it complete, skips its test restore and prune, and starts nothing more', async () => {
    const store = await open({ policy: { full: { intervalMs: 60_000, keep: 1 } } });
    const controller = new AbortController();
    const time = fakeTime('2026-11-28T10:00:00Z', '2026-12-01T00:00:00Z', controller);
    // SIGTERM while the first backup is being written.
    store.on('backup:started', () => controller.abort('SIGTERM'));
    const pruned: unknown[] = [];
    store.on('backup:pruned', (e) => pruned.push(e));
    const events: ScheduleEvent[] = [];
    const summary = await store.plugin(backupPlugin).serveSchedule({
      signal: controller.signal,
      now: time.now,
      sleep: time.sleep,
      onEvent: (e) => events.push(e),
    });
    expect(summary).toEqual({ backups: 1, failed: 0 });
    expect(events.map((e) => e.event)).toEqual(['started', 'stopping', 'backup', 'stopped']);
    expect(events[1]).toMatchObject({ reason: 'SIGTERM', finishing: 'full' });
    expect(events[2]).toMatchObject({ ok: true, verified: null, pruned: null });
    expect(scheduleLogLine(events[1]!)).toBe(
      '2026-11-28T10:01:00.000Z SIGTERM: stopping once the full backup in progress is complete',
    );
    expect(pruned).toEqual([]);
    // The backup is whole: it verifies with its key, and no temporary file or lock is left.
    const id = (events[2] as Extract<ScheduleEvent, { event: 'backup' }>).id;
    expect((await store.plugin(backupPlugin).verify(id)).ok).toBe(true);
    expect(filesUnder(repo).filter((f) => f.startsWith('tmp/') || f.startsWith('locks/'))).toEqual([]);
  });

  it('pauses this process’s own scheduler while it serves, so no tier runs twice', async () => {
    const store = await open(
      { enabled: true, interval: 1_000 },
      { schedule: true, verifyAfterBackup: 'none' },
    );
    const started: string[] = [];
    store.on('backup:started', (e) => started.push(e.trigger));
    const controller = new AbortController();
    // Real time: the embedded scheduler's timer (1 s) would fire during these 2.5 s if it were not paused.
    const serving = store.plugin(backupPlugin).serveSchedule({
      signal: controller.signal,
      sleep: (ms, signal) => sleepUnlessAborted(Math.min(ms, 100), signal),
    });
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    controller.abort('SIGTERM');
    const summary = await serving;
    expect(summary.failed).toBe(0);
    expect(summary.backups).toBeGreaterThanOrEqual(1);
    // One run per second at most, and every one from the foreground scheduler (the API's count is the service's).
    expect(started.length).toBe(summary.backups);
    expect((await store.plugin(backupPlugin).list()).backups).toHaveLength(summary.backups);
  });

  it('exits 2 when no schedule is configured, 3 without a passphrase, and refuses unknown actions', async () => {
    const store = await open({});
    const env = { [ENV]: PASSPHRASE };
    const run = (argv: string[], environment: Record<string, string> = env) =>
      runCommand(backup, argv, { storage: store, cwd: dir, env: environment });
    await expect(run(['schedule', 'run'])).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      reason: 'NO_SCHEDULE',
      message: expect.stringMatching(
        /^no backup schedule is configured: .*config\.backup\.policy.*config\.backup\.enabled/,
      ),
    });
    await store.close();
    const tierless = await open({ policy: { full: { keep: 3 } } });
    await expect(
      runCommand(backup, ['schedule', 'run'], { storage: tierless, cwd: dir, env }),
    ).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      message: expect.stringMatching(/gives none of its tiers/),
    });
    await tierless.close();
    const scheduled = await open({ policy: { full: { intervalMs: 3_600_000, keep: 3 } } });
    delete process.env[ENV];
    await expect(
      runCommand(backup, ['schedule', 'run'], { storage: scheduled, cwd: dir, env: {} }),
    ).rejects.toMatchObject({ code: 'VALIDATION', reason: 'PASSPHRASE_REQUIRED' });
    expect(filesUnder(repo)).toEqual([]);
    for (const argv of [['schedule'], ['schedule', 'now'], ['list', '--reason', 'x']]) {
      await expect(
        runCommand(backup, argv, { storage: scheduled, cwd: dir, env }),
        argv.join(' '),
      ).rejects.toBeInstanceOf(FakeUsageError);
    }
  });
});

describe('stopOnSignals', () => {
  it('aborts on the first SIGINT or SIGTERM, re-raises the second for its default action, then lets go', () => {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      const target = Object.assign(new EventEmitter(), { pid: 4242, killed: [] as string[] });
      const fake = {
        pid: target.pid,
        on: target.on.bind(target),
        off: target.off.bind(target),
        kill: (pid: number, s: NodeJS.Signals) => target.killed.push(`${pid} ${s}`),
      };
      const controller = new AbortController();
      const remove = stopOnSignals(controller, fake);
      target.emit(signal, signal);
      expect(controller.signal.aborted).toBe(true);
      expect(controller.signal.reason).toBe(signal);
      expect(target.killed).toEqual([]);
      target.emit(signal, signal);
      expect(target.killed).toEqual([`4242 ${signal}`]);
      expect(target.listenerCount('SIGINT') + target.listenerCount('SIGTERM')).toBe(0);
      remove();
    }
    const target = new EventEmitter();
    const remove = stopOnSignals(new AbortController(), {
      pid: 1,
      on: target.on.bind(target),
      off: target.off.bind(target),
      kill: () => undefined,
    });
    expect(target.listenerCount('SIGTERM')).toBe(1);
    remove();
    expect(target.listenerCount('SIGINT') + target.listenerCount('SIGTERM')).toBe(0);
  });
});

describe('kb backup schedule run in its own process, stopped by a signal', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'kb-backup-service-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  /** Starts the child, sends `signal` once a backup was logged, and collects what it printed. */
  async function serveUntil(mode: 'json' | 'text', signal: NodeJS.Signals) {
    const child: ChildProcess = spawn(
      process.execPath,
      [CHILD, join(dir, 'kb.db'), join(dir, 'repo'), mode],
      {
        cwd: fileURLToPath(new URL('..', import.meta.url)),
        env: { ...process.env, KB_BACKUP_PASSPHRASE: PASSPHRASE },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    let signalled = false;
    const logged =
      mode === 'json' ? () => stdout.includes('"event":"backup"') : () => /full backup \S+ done/.test(stderr);
    const maybeSignal = () => {
      if (!signalled && logged()) {
        signalled = true;
        child.kill(signal);
      }
    };
    child.stdout!.on('data', (chunk) => {
      stdout += chunk;
      maybeSignal();
    });
    child.stderr!.on('data', (chunk) => {
      stderr += chunk;
      maybeSignal();
    });
    const killer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    const [code, exitSignal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
      child.on('exit', (c, s) => resolve([c, s])),
    );
    clearTimeout(killer);
    return { code, exitSignal, stdout, stderr, signalled };
  }

  async function repositoryIsWhole(ids: readonly string[]): Promise<void> {
    const storage = await createStorage(
      { database: { type: 'sqlite', path: join(dir, 'check.db') } },
      { plugins: [backupPlugin] },
    );
    try {
      const api = storage.plugin(backupPlugin);
      const call = { destination: join(dir, 'repo'), passphrase: PASSPHRASE };
      const { backups, damaged } = await api.list(call);
      expect(damaged).toEqual([]);
      expect(backups.map((b) => b.id)).toEqual(ids);
      for (const id of ids) expect((await api.verify(id, call)).ok, id).toBe(true);
    } finally {
      await storage.close();
    }
    const repo = filesUnder(join(dir, 'repo'));
    expect(repo.filter((f) => f.startsWith('tmp/') || f.startsWith('locks/'))).toEqual([]);
  }

  it('--json: one event per line on stdout; SIGTERM stops it cleanly with exit 0', async () => {
    const seed = await createStorage({ database: { type: 'sqlite', path: join(dir, 'kb.db') } });
    await seed.createEntries(generateCorpusArray({ count: 50, seed: 29 }));
    await seed.close();
    const result = await serveUntil('json', 'SIGTERM');
    expect(result.signalled, result.stderr).toBe(true);
    expect([result.code, result.exitSignal], result.stderr).toEqual([0, null]);
    const events = result.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as ScheduleEvent);
    expect(events[0]).toMatchObject({ event: 'started', tiers: [{ type: 'full', intervalMs: 1_000 }] });
    // The signal came while it slept, or during a backup: then that backup completes before it stops.
    const stopping = events.findIndex((e) => e.event === 'stopping');
    expect(events[stopping]).toMatchObject({ reason: 'SIGTERM' });
    const after = events.slice(stopping + 1).map((e) => e.event);
    expect(after).toEqual('finishing' in events[stopping]! ? ['backup', 'stopped'] : ['stopped']);
    const runs = events.filter((e): e is Extract<ScheduleEvent, { event: 'backup' }> => e.event === 'backup');
    expect(runs.length).toBeGreaterThanOrEqual(1);
    expect(runs.every((e) => e.ok)).toBe(true);
    expect(events.at(-1)).toMatchObject({ backups: runs.length, failed: 0 });
    expect(result.stderr).toBe('');
    await repositoryIsWhole(runs.map((e) => e.id));
  });

  it('text: one log line per event on stderr, nothing on stdout; SIGINT stops it with exit 0', async () => {
    const result = await serveUntil('text', 'SIGINT');
    expect(result.signalled, result.stderr).toBe(true);
    expect([result.code, result.exitSignal], result.stderr).toEqual([0, null]);
    expect(result.stdout).toBe('');
    const lines = result.stderr.trim().split('\n');
    expect(lines[0]).toMatch(/^kb: \S+Z schedule started \(cron in UTC\): full every 1 s, next \S+Z$/);
    expect(lines.some((l) => /^kb: \S+Z SIGINT: stopping/.test(l))).toBe(true);
    // A backup the signal caught running completes without its prune, so its line ends before '; pruned'.
    const done = lines.filter((l) =>
      /^kb: \S+Z full backup \S+ done in \d+\.\d s on 1 destination\(s\)(; pruned 0)?$/.test(l),
    );
    expect(done.length).toBeGreaterThanOrEqual(1);
    expect(lines.at(-1)).toMatch(
      new RegExp(`^kb: \\S+Z schedule stopped: ${done.length} backup\\(s\\), 0 failed$`),
    );
    await repositoryIsWhole(done.map((l) => l.split(' ')[4]!));
  });
});
