import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { ConfigError, type StorageConfigInput } from '@mainframe-kb/storage-core';
import { type CliActor, resolveActor } from '../actor.js';
import { CliError, ExitCode } from '../cli-error.js';
import { type CliRolesConfig, parseCliRolesConfig } from './cli-roles-config.js';
import { type DbTarget, parseDbTarget, resolveSqlitePath } from './db-target.js';

export const DEFAULT_CONFIG_FILE = 'kb.config.json';
export const DEFAULT_DB_FILE = 'kb.db';

export interface StoreSettings {
  /** The config handed to createStorage, its `database` section set to `target`. */
  config: StorageConfigInput;
  target: DbTarget;
  /** The config file that was read, if any. */
  configFile: string | null;
  /** The config file's `cli` section (who gets which role), kept out of `config`. */
  cliRoles: CliRolesConfig;
  /** Who runs kb, from `$KB_ACTOR` or the operating-system user. */
  actor: CliActor;
  /** The run's working directory: relative paths, and plugins the config names, resolve from it. */
  cwd: string;
}

export interface StoreSettingsInput {
  dbFlag: string | undefined;
  configFlag: string | undefined;
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
}

type DatabaseInput = NonNullable<StorageConfigInput['database']>;

/** Settings that say where the database is; replaced as a whole when `--db` names another place. */
const LOCATION_KEYS = ['type', 'path', 'url', 'host', 'port', 'database', 'credentials', 'schema'] as const;

function readConfigFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    throw new CliError(
      'CONFIG_INVALID',
      `cannot read config file ${file}: ${(cause as Error).message}`,
      ExitCode.USAGE,
      {
        cause,
      },
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (cause) {
    throw new ConfigError(`config file ${file} is not valid JSON: ${(cause as Error).message}`, [
      { path: '', message: 'not valid JSON' },
    ]);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ConfigError(`config file ${file} must hold a JSON object (a StorageConfig)`, [
      { path: '', message: 'expected an object' },
    ]);
  }
  return parsed as Record<string, unknown>;
}

function targetFromConfig(database: DatabaseInput | undefined, configDir: string): DbTarget | null {
  if (database === undefined) return null;
  const type = database.type ?? 'sqlite';
  if (type === 'sqlite') {
    // A relative path in a config file means relative to that file, wherever kb is run from.
    return database.path === undefined ? null : { type, path: resolveSqlitePath(database.path, configDir) };
  }
  // Host/port style network configs stay as written; only their dialect matters to the CLI.
  return { type, url: database.url ?? `${type}://${database.host ?? 'localhost'}` };
}

function withTarget(database: DatabaseInput | undefined, target: DbTarget): DatabaseInput {
  const rest: Record<string, unknown> = { ...database };
  for (const key of LOCATION_KEYS) delete rest[key];
  return target.type === 'sqlite'
    ? { ...rest, type: 'sqlite', path: target.path }
    : { ...rest, type: target.type, url: target.url };
}

/**
 * Where the store is, by precedence: `--db`, then `$KB_DATABASE_URL`, then the config file's `database`,
 * then `./kb.db`. The config file is `--config` or, when present, `./kb.config.json`.
 */
export function resolveStoreSettings(input: StoreSettingsInput): StoreSettings {
  const explicitConfig = input.configFlag !== undefined;
  const configPath = resolve(input.cwd, input.configFlag ?? DEFAULT_CONFIG_FILE);
  let fileConfig: Record<string, unknown> = {};
  let configFile: string | null = null;
  let cliRoles: CliRolesConfig = {};
  if (explicitConfig || existsSync(configPath)) {
    const { cli, ...storageConfig } = readConfigFile(configPath);
    cliRoles = parseCliRolesConfig(cli, configPath);
    fileConfig = storageConfig;
    configFile = configPath;
  }
  const database = fileConfig.database as DatabaseInput | undefined;
  const dbSpec = input.dbFlag ?? (input.env.KB_DATABASE_URL?.trim() || undefined);
  const target =
    dbSpec !== undefined
      ? parseDbTarget(dbSpec, input.cwd)
      : (targetFromConfig(database, dirname(configPath)) ?? {
          type: 'sqlite' as const,
          path: resolve(input.cwd, DEFAULT_DB_FILE),
        });
  // A server named in the config file by host/port/credentials is used as written.
  const fromFile = dbSpec === undefined && database !== undefined && (database.type ?? 'sqlite') !== 'sqlite';
  return {
    config: {
      ...fileConfig,
      database: fromFile ? database : withTarget(database, target),
    } as StorageConfigInput,
    target,
    configFile,
    cliRoles,
    actor: resolveActor(input.env),
    cwd: input.cwd,
  };
}
