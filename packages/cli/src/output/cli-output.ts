import type { CommandOutput } from '@mainframe-kb/storage-core';
import { describeError } from '../cli-error.js';
import type { CliIo } from '../cli-io.js';
import { ProgressBar } from '../progress-bar.js';

export interface OutputMode {
  json: boolean;
  quiet: boolean;
}

/**
 * Everything a command prints goes through here, so the rules of CLI.md hold in one place: with `--json`
 * exactly one JSON document on stdout and errors as JSON on stderr; progress bars and bold text only on
 * a terminal without `--json`/`--quiet`.
 */
export class CliOutput implements CommandOutput {
  constructor(
    private readonly io: CliIo,
    readonly mode: OutputMode,
  ) {}

  get json(): boolean {
    return this.mode.json;
  }

  /** Decorations (bold, progress) are for a person watching a terminal; NO_COLOR opts out of bold. */
  get decorated(): boolean {
    return this.io.isTTY && !this.mode.json && !this.mode.quiet;
  }

  get bold(): boolean {
    return this.decorated && !this.io.env.NO_COLOR;
  }

  /** The one JSON document of a `--json` run. */
  document(value: unknown): void {
    this.io.stdout.write(`${JSON.stringify(value)}\n`);
  }

  /** The result itself in human form; printed under `--quiet` too. */
  result(text: string): void {
    this.io.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
  }

  /** Commentary around the result ("Created ./kb.db"); dropped under `--quiet`. */
  info(text: string): void {
    if (!this.mode.quiet) this.io.stdout.write(`${text}\n`);
  }

  /** Prints the command's outcome: `data` as JSON under `--json`, else the human text `human()` builds. */
  emit(data: unknown, human: () => string): void {
    if (this.mode.json) this.document(data);
    else this.result(human());
  }

  error(error: unknown, usage?: string): void {
    const { code, message } = describeError(error);
    if (this.mode.json) {
      this.io.stderr.write(`${JSON.stringify({ error: { code, message } })}\n`);
      return;
    }
    this.io.stderr.write(`kb: ${message}\n`);
    if (usage) this.io.stderr.write(`usage: ${usage}\n`);
  }

  warn(text: string): void {
    if (!this.mode.json && !this.mode.quiet) this.io.stderr.write(`kb: ${text}\n`);
  }

  /**
   * A progress bar on a terminal, drawn on stderr so stdout keeps only the answer; otherwise one that draws
   * nothing, so callers need no branches.
   */
  progress(label: string, total: number | undefined): ProgressBar {
    return new ProgressBar(this.decorated ? this.io.stderr : null, label, total);
  }

  /**
   * What a plugin's command may print through: emit, warn and progress only. The document and error writers
   * stay with kb, so a plugin cannot break the one-JSON-document rule of `--json`.
   */
  forPlugin(): CommandOutput {
    return {
      emit: (json, text) => this.emit(json, text),
      warn: (message) => this.warn(message),
      progress: (label, total) => this.progress(label, total),
    };
  }
}
