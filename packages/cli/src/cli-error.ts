import { CommandExit, isStorageError, StorageErrorCode } from '@mainframe-kb/storage-core';

/** Exit codes of CLI.md, as core defines them for every command (plugins' too). Never renumber. */
export const ExitCode = CommandExit;
export type ExitCode = CommandExit;

/** A failure the CLI itself detects (bad arguments, unreadable file), with the code it prints. */
export class CliError extends Error {
  override readonly name: string = 'CliError';

  constructor(
    readonly code: string,
    message: string,
    readonly exitCode: ExitCode,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Wrong command line: exit 2 with the usage line of the command that was meant. */
export class UsageError extends CliError {
  override readonly name = 'UsageError';

  constructor(
    message: string,
    readonly usage?: string,
  ) {
    super('USAGE', message, ExitCode.USAGE);
  }
}

const EXIT_BY_STORAGE_CODE: Partial<Record<StorageErrorCode, ExitCode>> = {
  [StorageErrorCode.VALIDATION]: ExitCode.REJECTED,
  // The actor's role does not allow the operation: refused, like rejected input, and nothing written.
  [StorageErrorCode.FORBIDDEN]: ExitCode.REJECTED,
  [StorageErrorCode.NOT_FOUND]: ExitCode.NOT_FOUND,
  // An existing target, a stale expectedVersion, a duplicate key: the input is refused, nothing written.
  [StorageErrorCode.CONFLICT]: ExitCode.REJECTED,
  [StorageErrorCode.INTEGRITY]: ExitCode.INTEGRITY,
  // The migration ledger disagreeing with the code is a verification failure in CLI.md's terms.
  [StorageErrorCode.MIGRATION_DRIFT]: ExitCode.INTEGRITY,
  [StorageErrorCode.CONFIG_INVALID]: ExitCode.USAGE,
};

export function exitCodeOf(error: unknown): ExitCode {
  if (error instanceof CliError) return error.exitCode;
  if (isStorageError(error)) return EXIT_BY_STORAGE_CODE[error.code] ?? ExitCode.FAILED;
  return ExitCode.FAILED;
}

export interface ErrorReport {
  code: string;
  message: string;
}

/**
 * The code and message printed for a failure. A ValidationError's message already names every offending
 * field (`Invalid entry: entry.title: must not be empty`), so nothing else is added.
 */
export function describeError(error: unknown): ErrorReport {
  if (error instanceof CliError || isStorageError(error)) return { code: error.code, message: error.message };
  // Anything else is a bug or an environment failure; keep its message, there is no stable code for it.
  const message = error instanceof Error ? error.message : String(error);
  return { code: 'INTERNAL', message };
}
