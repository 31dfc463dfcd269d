import { basename, dirname, isAbsolute, sep } from 'node:path';
import { definePlugin } from '@mainframe-kb/storage-core';
import { backupCommand } from '../commands/backup-command.js';
import { restoreCommand } from '../commands/restore-command.js';
import type { BackupApi, BackupRestoreOptions } from './backup-api.js';
import { type BackupPluginOptions, backupOptionsSchema } from './backup-options.js';
import {
  BACKUP_PERMISSIONS,
  type BackupContext,
  type BackupDatabase,
  BackupService,
} from './backup-service.js';

/**
 * The `backup` plugin: its API (`storage.plugin(backupPlugin)`) and the store's `backup()` / `restore()` run
 * backups under the actor's role with an audit row for each change; `kb backup …` and `kb restore` are its
 * commands. It reports the age of the last successful backup as a health probe and backup counters as
 * metrics, and (with `config.backup.enabled` or the `schedule` option) runs the policy's schedule in the
 * process that holds the store open.
 */
export const backupPlugin = definePlugin<'backup', BackupApi, BackupDatabase, BackupPluginOptions>({
  id: 'backup',
  version: '0.2.0',
  mvp: 1,
  package: '@mainframe-kb/backup',
  description: 'Encrypted, compressed, page-level incremental backups with retention and verification',
  dependsOn: { core: '>=0.1.0 <1.0.0' },
  options: backupOptionsSchema,
  provides: ['backup', 'restore'],
  commands: [backupCommand, restoreCommand],
  setup(ctx: BackupContext) {
    const service = new BackupService(ctx);
    service.start();
    return {
      api: service.api(),
      methods: {
        backup: (options = {}) => service.backup(options),
        restore: (backup, options = {}) => service.restore(...backupAt(backup, options)),
      },
      permissions: BACKUP_PERMISSIONS,
      contributes: {
        healthProbes: [service.healthProbe()],
        metrics: () => service.metrics(),
      },
      stop: () => service.stop(),
    };
  },
});

/**
 * The seed interface's `restore(backupPath, options)`: a backup id (in the call's or the configured
 * destination), or a path `<repository folder>/<id>`, which names the destination too. A destination given
 * in `options` wins over the path's folder.
 */
function backupAt(backup: string, options: BackupRestoreOptions): [string, BackupRestoreOptions] {
  if (typeof backup !== 'string' || !(backup.includes(sep) || backup.includes('/')) || !isAbsolute(backup)) {
    return [backup, options];
  }
  return [basename(backup), { destination: dirname(backup), ...options }];
}
