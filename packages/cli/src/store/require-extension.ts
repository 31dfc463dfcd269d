import { isStorageError, type Storage, StorageError, StorageErrorCode } from '@mainframe-kb/storage-core';
import type { CommandContext, MissingStore } from '../command.js';

/**
 * The run's store, for a command that needs one plugin (`kb export` needs io-formats, `kb patterns` needs
 * patterns …): refused with EXTENSION_NOT_ENABLED when it is not installed or a config file leaves it out.
 */
export async function openStoreWithExtension(
  ctx: CommandContext,
  id: string,
  pkg: string,
  missing: MissingStore = 'fail',
): Promise<Storage> {
  const storage = await ctx.openStorage('auto', { missing });
  if (!storage.plugins.some((p) => p.id === id)) {
    // Enabled but held back by a rollback (kb migrate down): the store's own refusal says so.
    try {
      storage.plugin(id);
    } catch (error) {
      if (isStorageError(error) && (error.details as { held?: boolean } | undefined)?.held) throw error;
    }
    throw extensionNotEnabled(id, pkg, ctx.settings().configFile ?? undefined);
  }
  return storage;
}

/** The refusal of a command whose plugin the run does not enable: it says how to enable it. */
export function extensionNotEnabled(id: string, pkg: string, configFile: string | undefined): StorageError {
  const where = configFile ?? 'the config file';
  return new StorageError(
    StorageErrorCode.EXTENSION_NOT_ENABLED,
    `this command needs the '${id}' plugin (${pkg}): install it, or add { "id": "${id}" } to mvp.extensions in ${where}`,
    { details: { extension: id, package: pkg } },
  );
}
