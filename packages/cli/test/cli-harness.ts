import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../src/cli.js';
import type { CliWriter } from '../src/cli-io.js';

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout parsed as the one JSON document a `--json` run prints. */
  json<T = any>(): T;
  /** stderr parsed as the JSON error of a failed `--json` run. */
  errorJson(): { error: { code: string; message: string } };
}

class Capture implements CliWriter {
  text = '';
  write(chunk: string): boolean {
    this.text += chunk;
    return true;
  }
}

export interface RunOptions {
  env?: Record<string, string | undefined>;
  isTTY?: boolean;
  cwd?: string;
}

/** A temporary working directory with `kb` run in-process inside it. */
export class Workspace {
  readonly dir = mkdtempSync(join(tmpdir(), 'kb-cli-'));

  path(name: string): string {
    return join(this.dir, name);
  }

  /** Writes `config` as JSON to `name` (default: the config file kb reads without --config); returns its path. */
  writeConfig(config: unknown, name = 'kb.config.json'): string {
    const file = this.path(name);
    writeFileSync(file, JSON.stringify(config));
    return file;
  }

  async run(args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
    const stdout = new Capture();
    const stderr = new Capture();
    const code = await runCli(args, {
      stdout,
      stderr,
      env: options.env ?? {},
      cwd: options.cwd ?? this.dir,
      isTTY: options.isTTY ?? false,
    });
    return {
      code,
      stdout: stdout.text,
      stderr: stderr.text,
      json: () => JSON.parse(stdout.text),
      errorJson: () => JSON.parse(stderr.text),
    };
  }

  /** Runs with --json and fails the test with kb's own error text when the exit code is not 0. */
  async ok<T = any>(args: readonly string[], options?: RunOptions): Promise<T> {
    const result = await this.run(['--json', ...args], options);
    if (result.code !== 0) throw new Error(`kb ${args.join(' ')} exited ${result.code}: ${result.stderr}`);
    return result.json<T>();
  }

  /**
   * Creates the store with `kb init` (only init creates one; every other command on a missing store exits 4)
   * and returns the workspace. `args` go before `init`, e.g. `['--db', 'other.db']`.
   */
  async init(args: readonly string[] = [], options?: RunOptions): Promise<this> {
    await this.ok([...args, 'init'], options);
    return this;
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export const ENTRY_KEYS = [
  'id',
  'title',
  'problem',
  'solution',
  'category',
  'severity',
  'tags',
  'createdAt',
  'updatedAt',
  'usageCount',
  'successCount',
  'failureCount',
];
