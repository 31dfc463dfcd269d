import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  BACKUP_TYPES,
  BackupManager,
  type BackupMetadata,
  type BackupType,
  BackupVerifier,
  LocalDestination,
} from '@mainframe-kb/backup';
import { CliError, ExitCode, UsageError } from '../cli-error.js';
import { type Command, type CommandContext, flag, stringOption } from '../command.js';
import { formatTable } from '../output/table-format.js';

const USAGE =
  'kb backup create [--type full|incremental|differential] [--logical] | list | verify [<id>] [--deep] [--tables t1,t2] | prune   [--dest DIR] [--passphrase-file F]';

/** The passphrase: `--passphrase-file F` (first line), else the environment variable the config names. */
export function backupPassphrase(ctx: CommandContext, envName: string): string | undefined {
  const file = stringOption(ctx, 'passphrase-file');
  if (file !== undefined) {
    let text: string;
    try {
      text = readFileSync(resolve(ctx.io.cwd, file), 'utf8');
    } catch (cause) {
      throw new CliError(
        'VALIDATION',
        `cannot read --passphrase-file ${file}: ${(cause as Error).message}`,
        ExitCode.USAGE,
        {
          cause,
        },
      );
    }
    return text.split(/\r?\n/)[0];
  }
  const value = ctx.io.env[envName] ?? ctx.io.env.KB_BACKUP_PASSPHRASE;
  return value === undefined || value === '' ? undefined : value;
}

/** Opens the store and a BackupManager on `--dest DIR` (or the config's destinations). */
export async function openBackups(ctx: CommandContext): Promise<BackupManager> {
  const storage = await ctx.openStorage('auto');
  const dest = stringOption(ctx, 'dest');
  return new BackupManager(storage, {
    ...(dest !== undefined ? { destinations: [new LocalDestination(resolve(ctx.io.cwd, dest))] } : {}),
    passphrase: backupPassphrase(ctx, storage.config.backup.encryption.passphraseEnv),
  });
}

/** The metadata as CLI.md prints it: its fields, with `storedSize` (bytes this backup added). */
export function metadataJson(m: BackupMetadata): Record<string, unknown> {
  return { ...m, storedSize: m.compressedSize };
}

function formatSize(bytes: number): string {
  if (bytes >= 1e9) return `${(bytes / 1e9).toFixed(2)} GB`;
  if (bytes >= 1e6) return `${(bytes / 1e6).toFixed(1)} MB`;
  if (bytes >= 1e3) return `${(bytes / 1e3).toFixed(1)} kB`;
  return `${bytes} B`;
}

async function create(ctx: CommandContext): Promise<number> {
  const typeText = stringOption(ctx, 'type') ?? 'full';
  if (!BACKUP_TYPES.includes(typeText as BackupType)) {
    throw new UsageError(`--type takes full, incremental or differential, not '${typeText}'`, USAGE);
  }
  const manager = await openBackups(ctx);
  let bar: ReturnType<typeof ctx.out.progress> | undefined;
  const run = await manager.create({
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
  for (const d of run.destinations) if (d.error) ctx.out.error(d.error);
  if (!first) return ExitCode.FAILED;
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
  return run.ok ? ExitCode.OK : ExitCode.FAILED;
}

async function list(ctx: CommandContext): Promise<number> {
  const manager = await openBackups(ctx);
  const { backups, damaged } = await manager.list();
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
  return damaged.length > 0 ? ExitCode.INTEGRITY : ExitCode.OK;
}

async function verify(ctx: CommandContext): Promise<number> {
  const manager = await openBackups(ctx);
  const id = ctx.positionals[1];
  const tables = stringOption(ctx, 'tables')
    ?.split(',')
    .map((t) => t.trim())
    .filter(Boolean);
  const deep = flag(ctx, 'deep');
  if ((deep || tables) && id === undefined)
    throw new UsageError('--deep and --tables need a backup id', USAGE);
  const report = await new BackupVerifier(manager).verify(id, { deep, ...(tables ? { tables } : {}) });
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
  return report.ok ? ExitCode.OK : ExitCode.INTEGRITY;
}

async function prune(ctx: CommandContext): Promise<number> {
  const manager = await openBackups(ctx);
  const results = await manager.prune();
  ctx.out.emit({ destinations: results }, () =>
    results
      .map(
        (r) =>
          `${r.destination}: removed ${r.removed.length} backups, ${r.packsRemoved} packs (${formatSize(r.bytesFreed)}), ` +
          `${r.temporaryRemoved.length} temporary files; kept ${r.kept.length}${r.sweepSkipped ? `\n  ${r.sweepSkipped}` : ''}`,
      )
      .join('\n'),
  );
  return ExitCode.OK;
}

export const backupCommand: Command = {
  name: 'backup',
  summary: 'encrypted, compressed full / incremental / differential backups: create, list, verify, prune',
  usage: USAGE,
  details: [
    'create [--type t] [--logical]  back up the store (SQLite: page image; --logical or a server: table rows)',
    'list                           the backups on the destination',
    'verify [<id>] [--deep]         checksums and chain (no passphrase); with one, decrypt and check every page;',
    '                               --deep restores into a temporary database and compares. Exit 5 on failure',
    'prune                          apply the retention tiers, then delete objects no kept backup needs',
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
    if (action !== 'verify' && ctx.positionals.length > 1) {
      throw new UsageError(`kb backup ${action} takes no further argument`, USAGE);
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
      default:
        throw new UsageError(`unknown backup action '${action}'`, USAGE);
    }
  },
};
