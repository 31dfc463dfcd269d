import { isStorageError, type Storage, StorageError, StorageErrorCode } from '@mainframe-kb/storage-core';
import type { CliIo } from './cli-io.js';
import type { MissingStore } from './command.js';
import { COMMANDS, PLACEHOLDER_COMMANDS } from './command-registry.js';
import { CommandCatalog } from './plugin/command-catalog.js';
import { type CliPlugins, resolveCliPlugins } from './store/enabled-plugins.js';
import { openStore } from './store/open-store.js';
import { resolveStoreSettings, type StoreSettings } from './store/store-config.js';
import { grantRole, type RoleGrant } from './store/store-role.js';

/**
 * One run of one command: where its store is, the plugins it enables and the commands they bring, and the
 * store it opened, so it can be closed whatever happens.
 */
export class CommandRun {
  #settings: StoreSettings | undefined;
  #plugins: Promise<CliPlugins> | undefined;
  #catalog: Promise<CommandCatalog> | undefined;
  #storage: Promise<Storage> | undefined;
  #grant: RoleGrant | undefined;

  constructor(
    private readonly io: CliIo,
    private readonly flags: { db?: string | undefined; config?: string | undefined },
  ) {}

  settings(): StoreSettings {
    this.#settings ??= resolveStoreSettings({
      dbFlag: this.flags.db,
      configFlag: this.flags.config,
      env: this.io.env,
      cwd: this.io.cwd,
    });
    return this.#settings;
  }

  /** Decided once per run, before any store is opened; the store then opens with exactly these. */
  plugins(): Promise<CliPlugins> {
    this.#plugins ??= Promise.resolve().then(() =>
      resolveCliPlugins(this.settings().config, this.settings().cwd),
    );
    return this.#plugins;
  }

  /** Every command of the run: kb's own and those of its plugins. */
  catalog(): Promise<CommandCatalog> {
    this.#catalog ??= this.plugins().then((p) => new CommandCatalog(COMMANDS, PLACEHOLDER_COMMANDS, p));
    return this.#catalog;
  }

  /** kb's own commands only, for help when the plugins cannot be resolved. */
  ownCatalog(): CommandCatalog {
    return new CommandCatalog(COMMANDS, PLACEHOLDER_COMMANDS, { enabled: [], disabled: [] });
  }

  openStorage(
    migrate: 'auto' | 'verify' | 'none' = 'auto',
    missing: MissingStore = 'fail',
  ): Promise<Storage> {
    this.#storage ??= this.plugins().then(({ enabled }) => {
      const settings = this.settings();
      this.#grant = grantRole(settings);
      return openStore(settings, {
        migrate,
        actorId: settings.actor.id,
        grant: this.#grant,
        plugins: enabled,
        missing,
      });
    });
    return this.#storage;
  }

  /** A refusal says why the run has its role, so the operator knows what to change. */
  explain(error: unknown): unknown {
    const grant = this.#grant;
    if (!grant || !isStorageError(error) || error.code !== StorageErrorCode.FORBIDDEN) return error;
    return new StorageError(
      error.code,
      `${error.message} (${grant.role} because ${grant.reason}; see docs/cli-roles.md)`,
      { cause: error, details: error.details },
    );
  }

  async close(): Promise<void> {
    const storage = await this.#storage?.catch(() => undefined);
    await storage?.close();
  }
}
