import {
  CommandExit,
  formatTable,
  isStorageError,
  type PluginCommand,
  type PluginCommandContext,
  StorageError,
  StorageErrorCode,
} from '@mainframe-kb/storage-core';
import { BACKUP_TYPES, type BackupType } from '../manifest/backup-metadata.js';
import type { ScheduleEvent } from '../plugin/backup-api.js';
import {
  flag,
  formatSize,
  metadataJson,
  openBackups,
  stringOption,
  tablesOption,
} from './command-support.js';
import { stopOnSignals } from './stop-signals.js';

const USAGE =
  'kb backup create [--type full|incremental|differential] [--logical] | list | verify [<id>] [--deep] [--tables t1,t2] | prune | hold <id> [--reason text] | release <id> | schedule run   [--dest DIR] [--passphrase-file F]';

async function create(ctx: PluginCommandContext): Promise<number> {
  const typeText = stringOption(ctx, 'type') ?? 'full';
  if (!BACKUP_TYPES.includes(typeText as BackupType)) {
    throw ctx.usageError(`--type takes full, incremental or differential, not '${typeText}'`);
  }
  const { backups, call } = await openBackups(ctx);
  let bar: ReturnType<PluginCommandContext['out']['progress']> | undefined;
  const run = await backups.create({
    ...call,
    type: typeText as BackupType,
    ...(flag(ctx, 'logical') ? { kind: 'logical' as const } : {}),
    onProgress: (p) => {
      if (p.phase !== 'pages') return;
      bar ??= ctx.out.progress('Backing up', p.total);
      bar.update(p.done);
    },
  });
  bar?.finish();
  const first = run.destinations.find((d) => d.metadata)?.metadata;
  if (!first) {
    // No destination took it: that is the command's error (printed as JSON under --json), not a warning.
    const errors = run.destinations.flatMap((d) => (d.error ? [d.error] : []));
    const [error] = errors;
    if (error === undefined)
      throw ctx.usageError('no backup destination: give --dest DIR or set backup.destinations');
    if (errors.length === 1) throw error;
    const code = isStorageError(error) ? error.code : StorageErrorCode.DATABASE;
    throw new StorageError(
      code,
      `no destination took the backup: ${errors.map((e) => e.message).join('; ')}`,
      {
        cause: error,
      },
    );
  }
  for (const d of run.destinations) if (d.error) ctx.out.warn(d.error.message);
  ctx.out.emit(
    {
      ...metadataJson(first),
      destinations: run.destinations.map((d) => ({
        destination: d.destination,
        ok: !d.error,
        error: d.error?.message,
      })),
    },
    () =>
      `Backup ${first.id} (${first.type}${first.dependsOn.length > 0 ? ` on ${first.dependsOn[first.dependsOn.length - 1]}` : ''}): ` +
      `${formatSize(first.dataSize)} of data, ${formatSize(first.compressedSize)} stored, ${first.entryCount} entries, ` +
      `${run.destinations.length} destination(s) in ${(run.durationMs / 1000).toFixed(1)} s`,
  );
  return run.ok ? CommandExit.OK : CommandExit.FAILED;
}

async function list(ctx: PluginCommandContext): Promise<number> {
  const { backups: api, call } = await openBackups(ctx, 'memory');
  const { backups, damaged } = await api.list(call);
  for (const d of damaged) ctx.out.warn(`damaged manifest ${d}`);
  ctx.out.emit({ backups: backups.map(metadataJson), damaged }, () =>
    backups.length === 0
      ? 'No backups.'
      : formatTable(
          ['ID', 'TYPE', 'KIND', 'DATA', 'STORED', 'ENTRIES', 'BASE', 'HOLD', 'VERIFIED'],
          backups.map((b) => [
            b.id,
            b.type,
            b.kind,
            formatSize(b.dataSize),
            formatSize(b.compressedSize),
            String(b.entryCount),
            b.dependsOn[b.dependsOn.length - 1] ?? '',
            b.legalHold ? 'yes' : '',
            b.testVerified ?? '',
          ]),
        ),
  );
  return damaged.length > 0 ? CommandExit.INTEGRITY : CommandExit.OK;
}

async function verify(ctx: PluginCommandContext): Promise<number> {
  const id = ctx.positionals[1];
  const tables = tablesOption(ctx);
  const deep = flag(ctx, 'deep');
  if ((deep || tables) && id === undefined) throw ctx.usageError('--deep and --tables need a backup id');
  const { backups, call } = await openBackups(ctx, 'memory');
  const report = await backups.verify(id, { ...call, deep, ...(tables ? { tables } : {}) });
  ctx.out.emit(
    {
      ok: report.ok,
      id: report.id,
      keyed: report.keyed,
      checks: report.checks,
      ...(report.restoreMs !== undefined ? { restoreMs: Math.round(report.restoreMs) } : {}),
      ...(report.comparison ? { comparison: report.comparison } : {}),
    },
    () => {
      const lines = report.checks.map((c) => `${c.ok ? 'ok  ' : 'FAIL'} ${c.name}: ${c.detail}`);
      if (!report.keyed)
        lines.push('(no passphrase: checksums and chain only; give one to decrypt and check content)');
      if (report.restoreMs !== undefined)
        lines.push(`test restore took ${(report.restoreMs / 1000).toFixed(1)} s`);
      if (report.comparison && !report.comparison.equal) {
        lines.push(`the live store has changed since: ${report.comparison.changedTables.join(', ')}`);
      }
      lines.push(report.ok ? 'Verified.' : 'Verification FAILED.');
      return lines.join('\n');
    },
  );
  return report.ok ? CommandExit.OK : CommandExit.INTEGRITY;
}

async function prune(ctx: PluginCommandContext): Promise<number> {
  const { backups, call } = await openBackups(ctx);
  const results = await backups.prune(call);
  ctx.out.emit({ destinations: results }, () =>
    results
      .map(
        (r) =>
          `${r.destination}: removed ${r.removed.length} backups, ${r.packsRemoved} packs (${formatSize(r.bytesFreed)}), ` +
          `${r.temporaryRemoved.length} temporary files; kept ${r.kept.length}${r.sweepSkipped ? `\n  ${r.sweepSkipped}` : ''}`,
      )
      .join('\n'),
  );
  return CommandExit.OK;
}

async function hold(ctx: PluginCommandContext): Promise<number> {
  const id = ctx.positionals[1];
  if (id === undefined) throw ctx.usageError('kb backup hold needs a backup id');
  const reason = stringOption(ctx, 'reason');
  const { backups, call } = await openBackups(ctx);
  const result = await backups.hold(id, { ...call, ...(reason !== undefined ? { reason } : {}) });
  ctx.out.emit({ id, legalHold: true, hold: result.hold, placed: result.placed }, () =>
    result.placed
      ? `Backup ${id} is under legal hold${result.hold.reason ? ` (${result.hold.reason})` : ''}: no prune or delete removes it until it is released.`
      : `Backup ${id} was already under legal hold${result.hold.since ? ` since ${result.hold.since}` : ''}${result.hold.reason ? ` (${result.hold.reason})` : ''}; the hold is kept as it was.`,
  );
  return CommandExit.OK;
}

/** Release of a backup that is not held is no error: `released: false`, nothing written (scripts may make sure). */
async function release(ctx: PluginCommandContext): Promise<number> {
  const id = ctx.positionals[1];
  if (id === undefined) throw ctx.usageError('kb backup release needs a backup id');
  const { backups, call } = await openBackups(ctx);
  const result = await backups.release(id, call);
  ctx.out.emit({ id, legalHold: false, released: result.released }, () =>
    result.released
      ? `Backup ${id} is no longer held: retention applies to it again.`
      : `Backup ${id} was not under legal hold; nothing changed.`,
  );
  return CommandExit.OK;
}

/** One line of the schedule's log, as `kb backup schedule run` writes it on stderr. */
export function scheduleLogLine(event: ScheduleEvent): string {
  switch (event.event) {
    case 'started':
      return `${event.at} schedule started (cron in ${event.timezone}): ${event.tiers
        .map(
          (t) =>
            `${t.type} ${t.cron !== undefined ? `at '${t.cron}'` : `every ${(t.intervalMs ?? 0) / 1000} s`}, next ${t.next}`,
        )
        .join('; ')}`;
    case 'backup': {
      const failed = event.destinations.filter((d) => !d.ok);
      const after = [
        ...(event.verified === null ? [] : [event.verified ? 'verified' : 'test restore FAILED']),
        ...(event.pruned === null ? [] : [`pruned ${event.pruned}`]),
        ...(event.pruneError !== undefined ? [`prune failed: ${event.pruneError}`] : []),
      ];
      const head = `${event.at} ${event.type} backup ${event.id}`;
      return event.ok
        ? `${head} done in ${(event.durationMs / 1000).toFixed(1)} s on ${event.destinations.length} destination(s)${after.length > 0 ? `; ${after.join('; ')}` : ''}`
        : `${head} FAILED on ${failed.map((d) => `${d.destination}: ${d.error ?? 'failed'}`).join('; ')}`;
    }
    case 'failed':
      return `${event.at} ${event.type} backup FAILED (${event.code}): ${event.message}`;
    case 'stopping':
      return `${event.at} ${event.reason}: stopping${event.finishing ? ` once the ${event.finishing} backup in progress is complete` : ''}`;
    case 'stopped':
      return `${event.at} schedule stopped: ${event.backups} backup(s), ${event.failed} failed`;
  }
}

/**
 * `kb backup schedule run`: serves the schedule until SIGINT or SIGTERM. Each event is a line on stderr, or
 * with `--json` one JSON document per line on stdout. The first signal lets a backup in progress complete and
 * exits 0; a second one ends the process at once (the interrupted backup has no manifest, so it does not exist;
 * its temporary files and packs are swept by the next backup or prune).
 */
async function scheduleRun(ctx: PluginCommandContext): Promise<number> {
  if (ctx.positionals[1] !== 'run') {
    throw ctx.usageError(
      ctx.positionals[1] === undefined
        ? 'kb backup schedule needs an action: run'
        : `unknown schedule action '${ctx.positionals[1]}': kb backup schedule run`,
    );
  }
  const json = ctx.values.json === true;
  const { backups, call } = await openBackups(ctx);
  const controller = new AbortController();
  const stopListening = stopOnSignals(controller);
  try {
    await backups.serveSchedule({
      ...call,
      signal: controller.signal,
      onEvent: (event) => {
        if (json) ctx.out.emit(event, () => scheduleLogLine(event));
        else ctx.out.warn(scheduleLogLine(event));
      },
    });
  } finally {
    stopListening();
  }
  return CommandExit.OK;
}

/** `kb backup create|list|verify|prune|hold|release|schedule run`, on the backup plugin's API (roles, audit, events). */
export const backupCommand: PluginCommand = {
  name: 'backup',
  summary: 'encrypted, compressed full / incremental / differential backups: create, list, verify, prune',
  usage: USAGE,
  details: [
    'create [--type t] [--logical]  back up the store (SQLite: page image; --logical or a server: table rows)',
    'list                           the backups on the destination',
    'verify [<id>] [--deep]         checksums and chain (no passphrase); with one, decrypt and check every page;',
    '                               --deep restores into a temporary database and compares. Exit 5 on failure',
    'prune                          apply the retention tiers, then delete objects no kept backup needs',
    'hold <id> [--reason text]      put a legal hold: no prune or delete removes the backup until released',
    'release <id>                   lift it (a backup that is not held: released false, exit 0)',
    'schedule run                   serve the configured schedule until SIGINT/SIGTERM; one log line per',
    '                               event on stderr (--json: one JSON document per line on stdout)',
    '--dest DIR                     the repository folder (default: config.backup.destinations)',
    'Passphrase: $KB_BACKUP_PASSPHRASE or --passphrase-file F.',
  ],
  options: {
    type: { type: 'string' },
    dest: { type: 'string' },
    deep: { type: 'boolean' },
    logical: { type: 'boolean' },
    tables: { type: 'string' },
    reason: { type: 'string' },
    'passphrase-file': { type: 'string' },
  },
  positionals: { min: 1, max: 2 },
  async run(ctx) {
    const action = ctx.positionals[0];
    const takesArgument =
      action === 'verify' || action === 'hold' || action === 'release' || action === 'schedule';
    if (!takesArgument && ctx.positionals.length > 1) {
      throw ctx.usageError(`kb backup ${action} takes no further argument`);
    }
    if (action !== 'hold' && stringOption(ctx, 'reason') !== undefined) {
      throw ctx.usageError('--reason goes with kb backup hold only');
    }
    switch (action) {
      case 'create':
        return create(ctx);
      case 'list':
        return list(ctx);
      case 'verify':
        return verify(ctx);
      case 'prune':
        return prune(ctx);
      case 'hold':
        return hold(ctx);
      case 'release':
        return release(ctx);
      case 'schedule':
        return scheduleRun(ctx);
      default:
        throw ctx.usageError(`unknown backup action '${action}'`);
    }
  },
};
