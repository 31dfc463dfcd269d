import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { PluginCommandContext, PluginDefinition, Storage } from '@mainframe-kb/storage-core';
import type { BackupMetadata } from '../manifest/backup-metadata.js';
import type { BackupApi, BackupCallOptions } from '../plugin/backup-api.js';

/** Named by id, not imported: the plugin's definition lists these commands. */
type BackupPluginShape = PluginDefinition<'backup', BackupApi>;

export function stringOption(ctx: PluginCommandContext, name: string): string | undefined {
  const value = ctx.values[name];
  return typeof value === 'string' ? value : undefined;
}

export function flag(ctx: PluginCommandContext, name: string): boolean {
  return ctx.values[name] === true;
}

/** `--tables t1,t2` as a list, or undefined when not given. */
export function tablesOption(ctx: PluginCommandContext): string[] | undefined {
  return stringOption(ctx, 'tables')
    ?.split(',')
    .map((t) => t.trim())
    .filter(Boolean);
}

/**
 * The passphrase: `--passphrase-file F` (its first line), else the variable the config names, else
 * `$KB_BACKUP_PASSPHRASE`, read from the command's environment.
 */
function passphraseOf(ctx: PluginCommandContext, envName: string): string | undefined {
  const file = stringOption(ctx, 'passphrase-file');
  if (file !== undefined) {
    let text: string;
    try {
      text = readFileSync(resolve(ctx.cwd, file), 'utf8');
    } catch (cause) {
      throw ctx.usageError(`cannot read --passphrase-file ${file}: ${(cause as Error).message}`);
    }
    return text.split(/\r?\n/)[0];
  }
  const value = ctx.env[envName] ?? ctx.env.KB_BACKUP_PASSPHRASE;
  return value === undefined || value === '' ? undefined : value;
}

/**
 * The store's backup API and the repository the command line chose (`--dest DIR`, the passphrase). `missing`:
 * what a store that does not exist means (see PluginCommandContext.storage): reading a repository needs only
 * the config (`memory`), a restore into the store creates it (`create`), anything audited needs the store.
 */
export async function openBackups(
  ctx: PluginCommandContext,
  missing: 'fail' | 'create' | 'memory' = 'fail',
): Promise<{ backups: BackupApi; call: BackupCallOptions; storage: Storage }> {
  const storage = await ctx.storage({ missing });
  const dest = stringOption(ctx, 'dest');
  const passphrase = passphraseOf(ctx, storage.config.backup.encryption.passphraseEnv);
  return {
    backups: storage.plugin<BackupPluginShape>('backup'),
    call: {
      ...(dest !== undefined ? { destination: resolve(ctx.cwd, dest) } : {}),
      ...(passphrase !== undefined ? { passphrase } : {}),
    },
    storage,
  };
}

/** The metadata as CLI.md prints it: its fields, with `storedSize` (bytes this backup added). */
export function metadataJson(m: BackupMetadata): Record<string, unknown> {
  return { ...m, storedSize: m.compressedSize };
}

export function formatSize(bytes: number): string {
  if (bytes >= 1e9) return `${(bytes / 1e9).toFixed(2)} GB`;
  if (bytes >= 1e6) return `${(bytes / 1e6).toFixed(1)} MB`;
  if (bytes >= 1e3) return `${(bytes / 1e3).toFixed(1)} kB`;
  return `${bytes} B`;
}
