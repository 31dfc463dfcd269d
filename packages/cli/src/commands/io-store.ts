import type { Storage } from '@mainframe-kb/storage-core';
import type { CommandContext } from '../command.js';
import { openStoreWithExtension } from '../store/require-extension.js';

/** The run's store for `kb export` / `kb import`, with the io-formats extension enabled. */
export function openStoreWithIo(ctx: CommandContext): Promise<Storage> {
  return openStoreWithExtension(ctx, 'io-formats', '@mainframe-kb/io-formats');
}
