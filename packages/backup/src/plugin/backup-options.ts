import { z } from 'zod';

/** The plugin's options, from `config.mvp.extensions: [{ id: 'backup', options }]`. */
export const backupOptionsSchema = z.strictObject({
  /** Run the policy's schedule in this process (default: `config.backup.enabled`). */
  schedule: z.boolean().optional(),
  scratchDir: z.string().min(1).optional(),
  contentCheck: z.enum(['hash', 'counts']).optional(),
  /** Prune after each scheduled backup (default true). */
  pruneAfterBackup: z.boolean().default(true),
  /**
   * Test-restore scheduled backups of these types right after they are taken (`kb backup verify --deep`):
   * `full` (default) the daily full only, `all` every backup, `none` never. A backup that passed is restored
   * without running integrity_check again (its integrity record proves the image); its failure is an event.
   */
  verifyAfterBackup: z.enum(['none', 'full', 'all']).default('full'),
});

export type BackupPluginOptions = z.output<typeof backupOptionsSchema>;
