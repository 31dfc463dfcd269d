import { existsSync } from 'node:fs';
import {
  createStorage,
  isStorageError,
  type PluginDefinition,
  type Storage,
  StorageError,
  StorageErrorCode,
} from '@mainframe-kb/storage-core';
import type { MissingStore } from '../command.js';
import { type DbTarget, describeTarget, MEMORY_PATH } from './db-target.js';
import { resolveCliPlugins } from './enabled-plugins.js';
import { cliImporter } from './installed-extensions.js';
import type { StoreSettings } from './store-config.js';
import { grantRole, type RoleGrant } from './store-role.js';

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
  /** The role to open with; default: `grantRole(settings)`, the rule of docs/cli-roles.md. */
  grant?: RoleGrant;
  /** The plugins to enable, when the run has resolved them already; default: `resolveCliPlugins`. */
  plugins?: readonly PluginDefinition[];
  /**
   * A store that does not exist: `fail` (default) is NOT_FOUND, exit 4; `create` creates it (`kb init`);
   * `memory` opens an empty in-memory store with the same config and plugins instead.
   */
  missing?: MissingStore;
}

/**
 * Opens the store with its plugins: those the config file names (`mvp.extensions`), or, without any named,
 * every plugin package installed next to the CLI (see resolveCliPlugins).
 */
export async function openStore(settings: StoreSettings, options: OpenStoreOptions): Promise<Storage> {
  try {
    return await openWith(settings, options);
  } catch (error) {
    const missingStore =
      isStorageError(error) &&
      error.code === StorageErrorCode.NOT_FOUND &&
      (error.details as { entity?: string } | undefined)?.entity === 'store';
    if (missingStore && options.missing === 'memory') {
      // The same extensions and backup settings; no audit key or checkpoint file (there is no store to key).
      const { audit } = settings.config;
      const config = {
        ...settings.config,
        database: { type: 'sqlite' as const, path: MEMORY_PATH },
        audit: audit?.keyEnv === undefined ? {} : { keyEnv: audit.keyEnv },
      };
      const target = { type: 'sqlite' as const, path: MEMORY_PATH };
      return openWith({ ...settings, config, target }, { ...options, missing: 'create' });
    }
    if (missingStore && options.missing !== 'create') {
      throw new StorageError(
        error.code,
        `no store at ${describeTarget(settings.target)}; 'kb init' creates one (or check --db / $KB_DATABASE_URL)`,
        { cause: error, details: error.details },
      );
    }
    throw error;
  }
}

async function openWith(settings: StoreSettings, options: OpenStoreOptions): Promise<Storage> {
  return createStorage(settings.config, {
    plugins: options.plugins ?? (await resolveCliPlugins(settings.config, settings.cwd)).enabled,
    // Named plugins kb could not resolve are core's to load (as kb would) and to report.
    importPlugin: cliImporter(settings.cwd),
    migrate: options.migrate,
    mustExist: options.missing !== 'create',
    // storage-core checks the role on every operation; the audit trail records who it was.
    actor: { id: options.actorId, role: (options.grant ?? grantRole(settings)).role },
  });
}
