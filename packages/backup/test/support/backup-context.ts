import type { Storage } from '@mainframe-kb/storage-core';
import { rawAccessPlugin, rawContext } from '@mainframe-kb/testkit';
import { BackupManager, type BackupManagerOptions } from '../../src/engine/backup-manager.js';

/**
 * Tests only: a BackupManager needs a plugin's context, never a bare store. A store opened with this plugin
 * (testkit's raw-access plugin) hands its context to the test, which then drives a manager below the backup
 * plugin's role checks. Only the code that opens a store chooses its plugins, so only a test can do so.
 */
export const backupContextPlugin = rawAccessPlugin;

/** A manager on a store opened with `backupContextPlugin`. */
export function managerOf(storage: Storage, options: BackupManagerOptions = {}): BackupManager {
  return new BackupManager(rawContext(storage), options);
}
