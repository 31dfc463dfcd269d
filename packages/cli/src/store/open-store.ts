import { existsSync } from 'node:fs';
import { createStorage, type Storage } from '@mainframe-kb/storage-core';
import { type DbTarget, MEMORY_PATH } from './db-target.js';
import { importFromCli, installedExtensions } from './installed-extensions.js';
import type { StoreSettings } from './store-config.js';

/**
 * Whether the SQLite target already exists (a missing file, or a fresh in-memory one, does not). Server
 * targets are judged after opening, by when their migrations were applied (see init).
 */
export function storeExists(target: DbTarget): boolean {
  if (target.type !== 'sqlite') return true;
  return target.path !== MEMORY_PATH && existsSync(target.path);
}

export interface OpenStoreOptions {
  /**
   * `auto` creates and migrates on first use (every KB command); `verify` opens without migrating, so
   * `kb migrate status|plan|up|down` see and control the pending migrations themselves.
   */
  migrate: 'auto' | 'verify' | 'none';
  actorId: string;
}

/**
 * Opens the store with its extensions: those the config file names (`mvp.extensions`, imported from the
 * CLI's context), or, without any named, every extension package installed next to the CLI.
 */
export async function openStore(settings: StoreSettings, options: OpenStoreOptions): Promise<Storage> {
  const named = settings.config.mvp?.extensions;
  return createStorage(settings.config, {
    plugins: named === undefined ? await installedExtensions() : [],
    importPlugin: importFromCli,
    migrate: options.migrate,
    // The operator at the terminal owns the store file; the audit trail records who it was.
    actor: { id: options.actorId, role: 'admin' },
  });
}
