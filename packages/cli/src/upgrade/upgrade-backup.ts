import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { BackupApi, BackupCallOptions } from '@mainframe-kb/backup';
import type { PluginDefinition, Storage, StorageConfig } from '@mainframe-kb/storage-core';
import { ExitCode, UsageError } from '../cli-error.js';
import { UpgradeErrorCode, UpgradeRefusal } from './upgrade-errors.js';

/** Named by id, not imported: the backup package stays an optional extension of the CLI. */
type BackupPlugin = PluginDefinition<'backup', BackupApi>;

export const BACKUP_ID = 'backup';

/** Where the pre-upgrade backup goes and the passphrase that seals it. */
export interface BackupSettings {
  readonly call: BackupCallOptions;
  /** The destination in words, for the plan. */
  readonly where: string;
}

export interface BackupSettingsInput {
  readonly dest: string | undefined;
  readonly passphraseFile: string | undefined;
  readonly cwd: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly config: StorageConfig;
  /** Whether the run enables the backup extension. */
  readonly enabled: boolean;
  readonly usage: string;
}

function refuse(reason: string): UpgradeRefusal {
  return new UpgradeRefusal(
    UpgradeErrorCode.NO_BACKUP,
    `kb upgrade takes a backup before it changes anything, and cannot take one: ${reason}. Or pass ` +
      '--no-backup to upgrade without one: a failed step is then undone by reverse migrations only',
    ExitCode.USAGE,
  );
}

/**
 * The backup the upgrade takes (`kb backup create` settings): `--dest DIR` or the config's destinations, and
 * the passphrase from `--passphrase-file F`, the variable the config names, or `$KB_BACKUP_PASSPHRASE`.
 * Refuses (exit 2) when something is missing, saying what to add.
 */
export function resolveBackupSettings(input: BackupSettingsInput): BackupSettings {
  if (!input.enabled) {
    throw refuse(
      'the backup extension is not enabled (add { "id": "backup" } to mvp.extensions in the config)',
    );
  }
  const destinations = input.config.backup.destinations;
  if (input.dest === undefined && destinations.length === 0) {
    throw refuse('no backup destination (pass --dest DIR, or set backup.destinations in the config)');
  }
  let passphrase: string | undefined;
  if (input.passphraseFile !== undefined) {
    try {
      passphrase = readFileSync(resolve(input.cwd, input.passphraseFile), 'utf8').split(/\r?\n/)[0];
    } catch (cause) {
      throw new UsageError(
        `cannot read --passphrase-file ${input.passphraseFile}: ${(cause as Error).message}`,
        input.usage,
      );
    }
  } else {
    const envName = input.config.backup.encryption.passphraseEnv;
    passphrase = input.env[envName] || input.env.KB_BACKUP_PASSPHRASE || undefined;
  }
  if (input.config.backup.encryption.enabled && !passphrase) {
    throw refuse(
      `no backup passphrase (set $${input.config.backup.encryption.passphraseEnv} or pass --passphrase-file F)`,
    );
  }
  const destination = input.dest === undefined ? undefined : resolve(input.cwd, input.dest);
  return {
    call: {
      ...(destination !== undefined ? { destination } : {}),
      ...(passphrase ? { passphrase } : {}),
    },
    where: destination ?? destinations.map((d) => d.name ?? d.path).join(', '),
  };
}

export interface TakenBackup {
  readonly id: string;
  /** A destination that holds it: the one the rollback restores from. */
  readonly destination: string;
  readonly detail: string;
}

/** A full backup through the backup extension's API (its role check and audit row included). */
export async function takeBackup(storage: Storage, settings: BackupSettings): Promise<TakenBackup> {
  const result = await storage.plugin<BackupPlugin>(BACKUP_ID).create({ ...settings.call, type: 'full' });
  const failed = result.destinations.filter((d) => d.error);
  const stored = result.destinations.find((d) => d.metadata && !d.error);
  if (!result.ok || !stored) {
    // One destination's failure is thrown as it is (its code says what went wrong); several are summed up.
    const only = failed.length === 1 ? failed[0]?.error : undefined;
    if (only) throw only;
    const why = failed.map((d) => `${d.destination}: ${d.error?.message}`).join('; ');
    throw new Error(`the backup failed${why ? `: ${why}` : ''}`);
  }
  const entries = stored.metadata?.entryCount ?? 0;
  return {
    id: result.id,
    destination: stored.destination,
    detail: `full backup ${result.id} on ${result.destinations.map((d) => d.destination).join(', ')} (${entries} entries)`,
  };
}

/**
 * Puts the backup back over the live SQLite file (the restore checks the rebuilt image before it touches
 * the store). The backup extension records the restore in the audit trail.
 */
export async function restoreBackup(
  storage: Storage,
  backup: TakenBackup,
  settings: BackupSettings,
  livePath: string,
): Promise<string> {
  const result = await storage.plugin<BackupPlugin>(BACKUP_ID).restore(backup.id, {
    ...settings.call,
    destination: backup.destination,
    to: livePath,
    overwrite: true,
  });
  return `backup ${result.id} restored over ${result.target} (${result.checks.length} checks passed)`;
}
