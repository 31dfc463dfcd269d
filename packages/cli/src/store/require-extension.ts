import { type Storage, StorageError, StorageErrorCode } from '@mainframe-kb/storage-core';
import type { CommandContext } from '../command.js';

/**
 * The run's store, for a command that needs one plugin (`kb export` needs io-formats, `kb patterns` needs
 * patterns …): refused with EXTENSION_NOT_ENABLED when it is not installed or a config file leaves it out.
 */
export async function openStoreWithExtension(ctx: CommandContext, id: string, pkg: string): Promise<Storage> {
  const storage = await ctx.openStorage('auto');
  if (!storage.plugins.some((p) => p.id === id)) {
    const where = ctx.settings().configFile ?? 'the config file';
    throw new StorageError(
      StorageErrorCode.EXTENSION_NOT_ENABLED,
      `this command needs the '${id}' plugin (${pkg}): install it, or add { "id": "${id}" } to mvp.extensions in ${where}`,
      { details: { extension: id, package: pkg } },
    );
  }
  return storage;
}
