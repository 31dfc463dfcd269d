import { formatTable, parseStorageConfig, StorageError, StorageErrorCode } from '@mainframe-kb/storage-core';
import { ExitCode, UsageError } from '../cli-error.js';
import { type Command, type CommandContext, flag, stringOption } from '../command.js';
import { ProgressBar } from '../progress-bar.js';
import { describeTarget } from '../store/db-target.js';
import { grantRole } from '../store/store-role.js';
import { isMvp } from '../upgrade/mvp-levels.js';
import { describeRollback, planRollback } from '../upgrade/rollback-plan.js';
import { DEFAULT_MAX_SLOWDOWN, SLOWDOWN_FLOOR_MS } from '../upgrade/search-benchmark.js';
import { BACKUP_ID, type BackupSettings, resolveBackupSettings } from '../upgrade/upgrade-backup.js';
import { UpgradeErrorCode, UpgradeRefusal } from '../upgrade/upgrade-errors.js';
import {
  type RollbackOutcome,
  stepNames,
  type UpgradePlan,
  UpgradeRunner,
  type UpgradeStep,
} from '../upgrade/upgrade-runner.js';
import { setUpUpgrade, type UpgradeSetup } from '../upgrade/upgrade-setup.js';

const USAGE =
  'kb upgrade --to-mvp N [--dry-run] [--dest DIR] [--passphrase-file F] [--no-backup] [--max-slowdown X] [--write-config]';

/** Test hook: names the step after whose work a failure is injected, to exercise the rollback. */
const FAIL_AFTER_ENV = 'KB_UPGRADE_FAIL_AFTER';

interface UpgradeJson {
  from: number;
  to: number;
  dryRun?: true;
  steps: (UpgradeStep | { name: string; detail: string })[];
  backup: string | null;
  rolledBack: boolean;
  rollback: RollbackOutcome | { method: string; detail: string } | null;
  config: { persistence: 'config' | 'ledger'; file: string | null; changes: readonly string[] };
}

function targetMvp(ctx: CommandContext): 1 | 2 | 3 | 4 | 5 {
  const text = stringOption(ctx, 'to-mvp');
  if (text === undefined) throw new UsageError('kb upgrade needs --to-mvp N (1 to 5)', USAGE);
  const value = /^(mvp)?[1-5]$/i.test(text.trim()) ? Number(text.trim().slice(-1)) : Number.NaN;
  if (!isMvp(value)) throw new UsageError(`--to-mvp takes an MVP from 1 to 5, not '${text}'`, USAGE);
  return value;
}

function maxSlowdown(ctx: CommandContext): number {
  const text = stringOption(ctx, 'max-slowdown');
  if (text === undefined) return DEFAULT_MAX_SLOWDOWN;
  const value = /^\d+(\.\d+)?x?$/i.test(text.trim()) ? Number.parseFloat(text) : Number.NaN;
  if (!(value >= 1 && Number.isFinite(value))) {
    throw new UsageError(`--max-slowdown takes a factor of 1 or more (e.g. 2 or 1.5), not '${text}'`, USAGE);
  }
  return value;
}

function checkFlags(ctx: CommandContext): void {
  if (!flag(ctx, 'no-backup')) return;
  for (const name of ['dest', 'passphrase-file']) {
    if (ctx.values[name] !== undefined)
      throw new UsageError(`--${name} and --no-backup contradict each other`, USAGE);
  }
}

/** The plan in words: one line per step, as the real run would take them. */
function plannedSteps(setup: UpgradeSetup, plan: UpgradePlan): { name: string; detail: string }[] {
  const backup = plan.backup
    ? `full backup to ${plan.backup.where}`
    : 'none (--no-backup): a failed step is undone by reverse migrations';
  const details: Record<string, string> = {
    backup,
    'validate-before':
      'health probes (integrity and foreign keys, search index, ledger, audit chain, extensions)',
    baseline: 'time a handful of searches (fastest of 5 runs each) beside a fixed reference work',
    'validate-after': 'the same probes; nothing pending; no table lost rows',
    performance: `fail above ${plan.maxSlowdown}× the baseline (and +${SLOWDOWN_FLOOR_MS} ms)`,
    'enable-extensions': plan.extensions.write
      ? `${plan.extensions.write.original === null ? 'create' : 'update'} ${plan.extensions.write.file}: ${plan.extensions.changes.join('; ')}`
      : plan.extensions.persistence === 'ledger'
        ? 'no config file: kb enables every installed extension, the ledger records the level'
        : 'the config already enables them',
  };
  for (const phase of setup.phases) details[phase.name] = phase.migrations.join(', ');
  return stepNames(plan).map((name) => ({ name, detail: details[name] ?? '' }));
}

function configJson(plan: UpgradePlan): UpgradeJson['config'] {
  return {
    persistence: plan.extensions.persistence,
    file: plan.extensions.write?.file ?? null,
    changes: plan.extensions.changes,
  };
}

function stepsText(steps: readonly UpgradeStep[]): string {
  return formatTable(
    ['STEP', 'RESULT', 'MS', 'DETAIL'],
    steps.map((s) => [s.name, s.ok ? 'ok' : 'FAILED', s.ms.toFixed(0), s.detail]),
  );
}

/**
 * `kb upgrade --to-mvp N` (requirements Appendix B.1): back up, validate, migrate to MVP N (its extensions
 * enabled, their migrations run, per MVP), validate, check search performance, then enable the extensions
 * for good; any failing step after the first migration rolls the store back to the backup.
 */
export const upgradeCommand: Command = {
  name: 'upgrade',
  summary:
    'upgrade the store to MVP N: backup, validate, migrate, validate, performance check; rolls back on failure',
  usage: USAGE,
  details: [
    '--to-mvp N          the MVP to reach (2 patterns, 3 code, 4 templates, 5 analytics); every MVP up to N',
    "                    is enabled. The store's level is what its migration ledger records; lower is refused",
    '--dry-run           print the plan (steps, migrations, config change, rollback) and write nothing',
    '--dest DIR          where the pre-upgrade backup goes (default: backup.destinations of the config);',
    '                    the passphrase comes from $KB_BACKUP_PASSPHRASE or --passphrase-file F',
    '--no-backup         upgrade without a backup; a failure is then undone by reverse migrations, and the',
    '                    upgrade is refused when those could not undo it without touching older data',
    `--max-slowdown X    fail when the timed searches take more than X times as long as before (default`,
    `                    ${DEFAULT_MAX_SLOWDOWN}) and at least ${SLOWDOWN_FLOOR_MS} ms more in total`,
    '--write-config      without a config file, create ./kb.config.json naming the extensions up to MVP N',
    '                    (needed when installed extensions go beyond N: kb would enable them all otherwise)',
    'With a config file, its mvp.extensions and mvp.version are rewritten (atomically) once every check passed.',
    'Exit 2: bad or lower N, or no backup possible; 1: a step failed and the store was rolled back; 5: a',
    'validation found an integrity failure (rolled back too), or the rollback could not be shown complete.',
  ],
  options: {
    'to-mvp': { type: 'string' },
    'dry-run': { type: 'boolean' },
    'no-backup': { type: 'boolean' },
    dest: { type: 'string' },
    'passphrase-file': { type: 'string' },
    'max-slowdown': { type: 'string' },
    'write-config': { type: 'boolean' },
  },
  positionals: { min: 0, max: 0 },
  async run(ctx) {
    const target = targetMvp(ctx);
    const slowdown = maxSlowdown(ctx);
    checkFlags(ctx);
    const settings = ctx.settings();
    if (settings.config.database?.readonly === true) {
      throw new UsageError(
        'the config opens the store read-only (database.readonly); kb upgrade writes to it',
        USAGE,
      );
    }
    const grant = grantRole(settings);
    if (grant.role !== 'admin') {
      throw new StorageError(
        StorageErrorCode.FORBIDDEN,
        `kb upgrade needs the admin role (it backs up, migrates and restores); this run is ${grant.role} because ${grant.reason} (see docs/cli-roles.md)`,
      );
    }
    const setup = await setUpUpgrade({ settings, grant, target, writeConfig: flag(ctx, 'write-config') });
    const { from } = setup;

    const sqliteFile = settings.target.type === 'sqlite' ? settings.target.path : null;
    if (setup.plan.steps.length === 0 && setup.extensions.write === null) {
      const json: UpgradeJson = {
        from: from.level,
        to: target,
        steps: [],
        backup: null,
        rolledBack: false,
        rollback: null,
        config: { persistence: setup.extensions.persistence, file: null, changes: [] },
      };
      ctx.out.emit(
        json,
        () => `${describeTarget(settings.target)} is at MVP${from.level} already; nothing to do.`,
      );
      return ExitCode.OK;
    }

    let backup: BackupSettings | null = null;
    if (!flag(ctx, 'no-backup')) {
      backup = resolveBackupSettings({
        dest: stringOption(ctx, 'dest'),
        passphraseFile: stringOption(ctx, 'passphrase-file'),
        cwd: settings.cwd,
        env: ctx.io.env,
        config: parseStorageConfig(settings.config),
        enabled: setup.settled.some((p) => p.id === BACKUP_ID),
        usage: USAGE,
      });
    }
    const rollback = planRollback({
      sqliteFile,
      backup: backup !== null,
      status: setup.status,
      plan: setup.plan,
    });
    if (rollback.kind === 'none') {
      const why = backup
        ? `on a ${settings.target.type} store a failed upgrade is undone by reverse migrations, and here ${rollback.reason}`
        : `without a backup a failed upgrade is undone by reverse migrations, and here ${rollback.reason}`;
      throw new UpgradeRefusal(
        UpgradeErrorCode.NO_ROLLBACK,
        `kb upgrade will not start: ${why}. ${backup ? 'Upgrade step by step with kb backup create and kb migrate up' : 'Take a backup (--dest DIR and $KB_BACKUP_PASSPHRASE) instead of --no-backup'}`,
        ExitCode.USAGE,
      );
    }
    const plan: UpgradePlan = {
      from: from.level,
      to: target,
      phases: setup.phases,
      extensions: setup.extensions,
      backup,
      rollback,
      fallback:
        rollback.kind === 'restore-backup'
          ? planRollback({ sqliteFile, backup: false, status: setup.status, plan: setup.plan })
          : null,
      sqliteFile,
      maxSlowdown: slowdown,
    };

    if (flag(ctx, 'dry-run')) {
      const steps = plannedSteps(setup, plan);
      const how = describeRollback(rollback, sqliteFile);
      const json: UpgradeJson = {
        from: from.level,
        to: target,
        dryRun: true,
        steps,
        backup: null,
        rolledBack: false,
        rollback: { method: rollback.kind, detail: how },
        config: configJson(plan),
      };
      ctx.out.emit(json, () =>
        [
          `Plan: upgrade ${describeTarget(settings.target)} from MVP${from.level} to MVP${target} (dry run: nothing is written)`,
          formatTable(
            ['STEP', 'WHAT'],
            steps.map((s) => [s.name, s.detail]),
          ),
          `If a step fails: ${how}.`,
        ].join('\n'),
      );
      return ExitCode.OK;
    }

    const names = stepNames(plan);
    const progress = new ProgressBar(
      ctx.out.decorated ? ctx.io.stderr : null,
      `Upgrading to MVP${target}`,
      names.length,
    );
    const outcome = await new UpgradeRunner(plan, {
      open: setup.open,
      progress,
      failAfter: ctx.io.env[FAIL_AFTER_ENV],
    }).run();
    progress.finish();
    const json: UpgradeJson = {
      from: from.level,
      to: target,
      steps: [...outcome.steps],
      backup: outcome.backup,
      rolledBack: outcome.rollback?.ok === true,
      rollback: outcome.rollback,
      config: configJson(plan),
    };
    ctx.out.emit(json, () => {
      const lines = [
        `Upgrade of ${describeTarget(settings.target)} from MVP${from.level} to MVP${target}`,
        stepsText(outcome.steps),
      ];
      if (!outcome.failure)
        lines.push(
          `Upgraded to MVP${target}${outcome.backup ? ` (backup ${outcome.backup} taken first)` : ''}.`,
        );
      else if (outcome.rollback?.ok)
        lines.push(`Rolled back (${outcome.rollback.method}): ${outcome.rollback.detail}.`);
      else if (outcome.rollback) lines.push(`The rollback did not succeed: ${outcome.rollback.detail}.`);
      return lines.join('\n');
    });
    if (!outcome.failure) return ExitCode.OK;
    ctx.out.error(outcome.failure);
    return outcome.failure.exitCode;
  },
};
