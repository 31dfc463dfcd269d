import {
  definePlugin,
  type PluginContext,
  type Storage,
  StorageError,
  StorageErrorCode,
} from '@mainframe-kb/storage-core';
import { BackupManager, type BackupManagerOptions } from '../../src/engine/backup-manager.js';

const contexts = new WeakMap<Storage, PluginContext>();

/**
 * Tests only: a plugin that keeps the setup context of the store it starts in, so a test can build a
 * BackupManager (which needs a plugin's context, never a bare store) and drive it below the backup plugin's
 * role checks. Only the code that opens a store chooses its plugins, so only a test can reach a manager so.
 */
export const backupContextPlugin = definePlugin({
  id: 'test-backup-context',
  version: '1.0.0',
  mvp: 1,
  description: 'tests only: a BackupManager on the store, below the backup plugin',
  setup(ctx) {
    contexts.set(ctx.storage(), ctx);
    return {};
  },
});

/** A manager on a store opened with `backupContextPlugin`. */
export function managerOf(storage: Storage, options: BackupManagerOptions = {}): BackupManager {
  const ctx = contexts.get(storage);
  if (!ctx) {
    throw new StorageError(
      StorageErrorCode.EXTENSION_NOT_ENABLED,
      'open the store with { plugins: [backupContextPlugin] } to build a BackupManager in a test',
    );
  }
  return new BackupManager(ctx, options);
}
