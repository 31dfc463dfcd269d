import { resolve } from 'node:path';
import {
  CommandExit,
  isStorageError,
  type PluginCommand,
  type PluginCommandContext,
  parseDatabaseUrl,
  StorageError,
  StorageErrorCode,
} from '@mainframe-kb/storage-core';
import type { IntegrityLevel } from '../restore/restore-checks.js';
import { flag, openBackups, stringOption, tablesOption } from './command-support.js';

const INTEGRITY: readonly IntegrityLevel[] = ['auto', 'full', 'quick'];

/** `--to`: a file path is relative to the working folder; a server URL is taken as it is. */
function targetOf(ctx: PluginCommandContext, to: string): string {
  const target = parseDatabaseUrl(to);
  return 'path' in target ? resolve(ctx.cwd, target.path) : target.url;
}

/** `kb restore <id>`, on the backup plugin's API (roles, audit). */
export const restoreCommand: PluginCommand = {
  name: 'restore',
  summary: 'restore a backup into a new file (default), another store, or chosen tables only',
  usage:
    'kb restore <id> [--to <target>] [--tables t1,t2] [--overwrite] [--integrity auto|full|quick] [--dest DIR] [--passphrase-file F]',
  details: [
    '--to <target>   a SQLite path (default: <store>.restored-<id>.db), or postgres://… / mysql://…',
    '--tables t1,t2  restore only these tables (their rows replace the target’s with --overwrite)',
    '--overwrite     allow writing over an existing target; the live store only with this flag',
    '--integrity     auto (default): integrity_check, foreign_key_check and the content check, unless',
    '                `kb backup verify --deep` recorded that they passed on this very image (the restored',
    '                file is proven identical to it by sha256); full: always run them; quick: quick_check',
    'Every restore ends with the sha256 identity check and row counts against the manifest; nothing is',
    'written at the target unless every check passes.',
  ],
  options: {
    to: { type: 'string' },
    tables: { type: 'string' },
    overwrite: { type: 'boolean' },
    integrity: { type: 'string' },
    dest: { type: 'string' },
    'passphrase-file': { type: 'string' },
  },
  positionals: { min: 1, max: 1 },
  async run(ctx) {
    const integrity = stringOption(ctx, 'integrity') ?? 'auto';
    if (!(INTEGRITY as readonly string[]).includes(integrity))
      throw ctx.usageError(`--integrity must be one of ${INTEGRITY.join(', ')}, got '${integrity}'`);
    const to = stringOption(ctx, 'to');
    const tables = tablesOption(ctx);
    // Disaster recovery: restoring elsewhere (--to) needs no live store, so a lost one is no obstacle.
    const { backups, call } = await openBackups(ctx, to === undefined ? 'fail' : 'memory').catch(
      (error: unknown) => {
        throw lostStore(error, ctx.positionals[0]!);
      },
    );
    let bar: ReturnType<PluginCommandContext['out']['progress']> | undefined;
    const result = await backups.restore(ctx.positionals[0]!, {
      ...call,
      ...(to !== undefined ? { to: targetOf(ctx, to) } : {}),
      ...(tables ? { tables } : {}),
      overwrite: flag(ctx, 'overwrite'),
      integrity: integrity as IntegrityLevel,
      onProgress: (p) => {
        bar ??= ctx.out.progress('Restoring', p.total);
        bar.update(p.done);
      },
    });
    bar?.finish();
    ctx.out.emit(
      {
        restored: result.restored,
        entryCount: result.entryCount,
        id: result.id,
        target: result.target,
        tables: result.tables,
        checks: result.checks,
      },
      () =>
        `Restored ${result.id} to ${result.target}: ${result.entryCount} entries; ` +
        `${result.checks.length} checks passed in ${(result.durationMs / 1000).toFixed(1)} s`,
    );
    return CommandExit.OK;
  },
};

/** A restore over a store that does not exist: say how to restore into its place. */
function lostStore(error: unknown, id: string): unknown {
  const details = isStorageError(error, StorageErrorCode.NOT_FOUND)
    ? (error.details as { entity?: string; id?: string } | undefined)
    : undefined;
  if (details?.entity !== 'store' || details.id === undefined) return error;
  return new StorageError(
    StorageErrorCode.NOT_FOUND,
    `no store at ${details.id} to restore over; to restore the backup there, name it: kb restore ${id} --to ${details.id}`,
    { cause: error, details },
  );
}
