import { existsSync } from 'node:fs';
import { createStorage, type Storage, StorageErrorCode } from '@mainframe-kb/storage-core';
import { CliError, ExitCode } from '../cli-error.js';
import { type DbTarget, MEMORY_PATH } from './db-target.js';
import type { StoreSettings } from './store-config.js';

const DIALECT_NAMES = { postgresql: 'PostgreSQL', mysql: 'MySQL/MariaDB' } as const;

/**
 * This release of storage-core ships the SQLite dialect only; the PostgreSQL and MySQL dialects arrive
 * with a later release. Refusing here gives one clear message instead of a driver error from deep inside.
 */
function assertDialectAvailable(target: DbTarget): void {
  if (target.type === 'sqlite') return;
  throw new CliError(
    StorageErrorCode.UNSUPPORTED,
    `${DIALECT_NAMES[target.type]} support arrives with a later release of kb; this release stores data in SQLite only (use --db ./kb.db or --db sqlite:<path>)`,
    ExitCode.FAILED,
  );
}

/** Whether opening the target will create a new database (a missing file, or a fresh in-memory one). */
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
  assertDialectAvailable(settings.target);
  return createStorage(settings.config, {
    migrate: options.migrate,
    // The operator at the terminal owns the store file; the audit trail records who it was.
    actor: { id: options.actorId, role: 'admin' },
  });
}
