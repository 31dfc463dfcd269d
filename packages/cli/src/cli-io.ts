/** Where the CLI writes and what it knows of its surroundings; tests pass in-memory streams. */
export interface CliWriter {
  write(chunk: string): unknown;
}

export interface CliIo {
  stdout: CliWriter;
  stderr: CliWriter;
  env: Readonly<Record<string, string | undefined>>;
  /** Relative paths (`--db`, `--config`, `--file`) resolve against this directory. */
  cwd: string;
  /** Whether stdout is a terminal: progress bars and bold text only then. */
  isTTY: boolean;
}
