import {
  CommandExit,
  formatTable,
  type PluginCommand,
  type PluginCommandContext,
} from '@mainframe-kb/storage-core';
import { BACKUP_TYPES, type BackupType } from '../manifest/backup-metadata.js';
import {
  flag,
  formatSize,
  metadataJson,
  openBackups,
  stringOption,
  tablesOption,
} from './command-support.js';

const USAGE =
  'kb backup create [--type full|incremental|differential] [--logical] | list | verify [<id>] [--deep] [--tables t1,t2] | prune | hold <id> | release <id>   [--dest DIR] [--passphrase-file F]';

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
  for (const d of run.destinations) if (d.error) ctx.out.warn(d.error.message);
  if (!first) return CommandExit.FAILED;
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
  const { backups: api, call } = await openBackups(ctx);
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
  const { backups, call } = await openBackups(ctx);
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

async function hold(ctx: PluginCommandContext, on: boolean): Promise<number> {
  const id = ctx.positionals[1];
  if (id === undefined) throw ctx.usageError(`kb backup ${on ? 'hold' : 'release'} needs a backup id`);
  const { backups, call } = await openBackups(ctx);
  await (on ? backups.hold(id, call) : backups.release(id, call));
  ctx.out.emit({ id, legalHold: on }, () =>
    on ? `Backup ${id} is under legal hold: retention keeps it.` : `Backup ${id} is no longer held.`,
  );
  return CommandExit.OK;
}

/** `kb backup create|list|verify|prune|hold|release`, on the backup plugin's API (roles, audit, events). */
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
    'hold <id> / release <id>       put / lift a legal hold: retention keeps a held backup',
    '--dest DIR                     the repository folder (default: config.backup.destinations)',
    'Passphrase: $KB_BACKUP_PASSPHRASE or --passphrase-file F.',
  ],
  options: {
    type: { type: 'string' },
    dest: { type: 'string' },
    deep: { type: 'boolean' },
    logical: { type: 'boolean' },
    tables: { type: 'string' },
    'passphrase-file': { type: 'string' },
  },
  positionals: { min: 1, max: 2 },
  async run(ctx) {
    const action = ctx.positionals[0];
    const takesId = action === 'verify' || action === 'hold' || action === 'release';
    if (!takesId && ctx.positionals.length > 1) {
      throw ctx.usageError(`kb backup ${action} takes no further argument`);
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
        return hold(ctx, true);
      case 'release':
        return hold(ctx, false);
      default:
        throw ctx.usageError(`unknown backup action '${action}'`);
    }
  },
};
