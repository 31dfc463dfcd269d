import { existsSync } from 'node:fs';
import { createStorage, type Storage } from '@mainframe-kb/storage-core';
import { type DbTarget, MEMORY_PATH } from './db-target.js';
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

export async function openStore(settings: StoreSettings, options: OpenStoreOptions): Promise<Storage> {
  return createStorage(settings.config, {
    migrate: options.migrate,
    // The operator at the terminal owns the store file; the audit trail records who it was.
    actor: { id: options.actorId, role: 'admin' },
  });
}
