import { resolve } from 'node:path';
import { ExitCode, UsageError } from '../cli-error.js';
import { type Command, flag, stringOption } from '../command.js';
import { openBackups } from './backup-command.js';

const USAGE =
  'kb restore <id> [--to <target>] [--tables t1,t2] [--overwrite] [--integrity auto|full|quick] [--dest DIR] [--passphrase-file F]';

const INTEGRITY = ['auto', 'full', 'quick'] as const;

export const restoreCommand: Command = {
  name: 'restore',
  summary: 'restore a backup into a new file (default), another store, or chosen tables only',
  usage: USAGE,
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
    const manager = await openBackups(ctx);
    const to = stringOption(ctx, 'to');
    const tables = stringOption(ctx, 'tables')
      ?.split(',')
      .map((t) => t.trim())
      .filter(Boolean);
    const integrity = stringOption(ctx, 'integrity') ?? 'auto';
    if (!(INTEGRITY as readonly string[]).includes(integrity))
      throw new UsageError(`--integrity must be one of ${INTEGRITY.join(', ')}, got '${integrity}'`, USAGE);
    let bar: ReturnType<typeof ctx.out.progress> | undefined;
    const result = await manager.restore(ctx.positionals[0]!, {
      ...(to !== undefined ? { to: /^[a-z]+:\/\//.test(to) ? to : resolve(ctx.io.cwd, to) } : {}),
      ...(tables ? { tables } : {}),
      overwrite: flag(ctx, 'overwrite'),
      integrity: integrity as (typeof INTEGRITY)[number],
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
    return ExitCode.OK;
  },
};
