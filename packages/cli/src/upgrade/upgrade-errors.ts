import { isStorageError, StorageErrorCode } from '@mainframe-kb/storage-core';
import { CliError, ExitCode, exitCodeOf } from '../cli-error.js';

/** Stable codes of `kb upgrade`'s own failures, printed in `--json` errors. */
export const UpgradeErrorCode = {
  /** The target is lower than the store's level: kb upgrade only goes up. */
  DOWNGRADE: 'UPGRADE_DOWNGRADE',
  /** The target cannot be kept: the config (or its absence) would enable another level on the next run. */
  LEVEL_NOT_KEPT: 'UPGRADE_LEVEL_NOT_KEPT',
  /** No backup can be taken (no destination, no passphrase, or the backup extension is off). */
  NO_BACKUP: 'UPGRADE_NO_BACKUP',
  /** Without a backup, a failure of this plan could not be undone by reverse migrations. */
  NO_ROLLBACK: 'UPGRADE_NO_ROLLBACK',
  /** The config file changed while the upgrade ran; it was not overwritten. */
  CONFIG_CHANGED: 'UPGRADE_CONFIG_CHANGED',
  /** The searches after the migration are slower than `--max-slowdown` allows. */
  TOO_SLOW: 'UPGRADE_TOO_SLOW',
  /** A step failed (the error's message says which, and how the rollback went). */
  FAILED: 'UPGRADE_FAILED',
  /** A failure injected through the test hook (`KB_UPGRADE_FAIL_AFTER`). */
  INJECTED: 'UPGRADE_INJECTED_FAILURE',
} as const;

/** A refusal before anything was written: the command line asked for something kb upgrade will not do. */
export class UpgradeRefusal extends CliError {
  override readonly name = 'UpgradeRefusal';
}

/** What the test hook throws after the step it names did its work, so the rollback has work to undo. */
export class InjectedFailure extends CliError {
  override readonly name = 'InjectedFailure';

  constructor(step: string) {
    super(
      UpgradeErrorCode.INJECTED,
      `failure injected after step '${step}' (KB_UPGRADE_FAIL_AFTER, for tests)`,
      ExitCode.FAILED,
    );
  }
}

/**
 * A step of the upgrade failed. The code is the cause's (MIGRATION_FAILED, INTEGRITY …) so scripts see what
 * went wrong; the exit code is 5 when a validation found an integrity failure (or the rollback could not be
 * verified), else 1 (or the cause's own, when nothing had been changed yet).
 */
export class UpgradeFailure extends CliError {
  override readonly name = 'UpgradeFailure';

  constructor(
    readonly step: string,
    message: string,
    options: { cause: unknown; integrity: boolean; changed: boolean },
  ) {
    super(codeOf(options.cause), message, exitOf(options), { cause: options.cause });
  }
}

/**
 * 5 for an integrity failure; before anything changed, the cause's own exit code (a refused role or a
 * rejected passphrase: 3); once the store had changed, 1.
 */
function exitOf(options: { cause: unknown; integrity: boolean; changed: boolean }): ExitCode {
  if (options.integrity) return ExitCode.INTEGRITY;
  return options.changed ? ExitCode.FAILED : exitCodeOf(options.cause);
}

function codeOf(error: unknown): string {
  if (error instanceof CliError || isStorageError(error)) return error.code;
  return UpgradeErrorCode.FAILED;
}

/** Whether a step's error is a verification or integrity failure (exit 5 in CLI.md's terms). */
export function isIntegrityFailure(error: unknown): boolean {
  if (isStorageError(error) && error.code === StorageErrorCode.INTEGRITY) return true;
  return exitCodeOf(error) === ExitCode.INTEGRITY;
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
