import { z } from 'zod';
import { DEFAULT_TIMEZONE, isTimeZone } from '../scheduler/cron-expression.js';

/** The plugin's options, from `config.mvp.extensions: [{ id: 'backup', options }]`. */
export const backupOptionsSchema = z.strictObject({
  /** Run the policy's schedule in this process (default: `config.backup.enabled`). */
  schedule: z.boolean().optional(),
  /**
   * The IANA time zone the policy's cron expressions are read in (default `UTC`): `30 2 * * *` with
   * `Europe/Berlin` runs at 02:30 Berlin time, through daylight saving changes (see CronExpression).
   */
  timezone: z
    .string()
    .refine(isTimeZone, {
      error: (issue) =>
        `'${String(issue.input)}' is not an IANA time zone name (such as Europe/Berlin, America/New_York or UTC)`,
    })
    .default(DEFAULT_TIMEZONE),
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
