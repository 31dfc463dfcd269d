import type { CliWriter } from './cli-io.js';

const WIDTH = 30;
/** Redrawing more often than this only costs time; the eye cannot follow it. */
const MIN_REDRAW_MS = 50;

/**
 * A one-line progress bar redrawn in place with a carriage return. Constructed without a writer it draws
 * nothing, which is how `--json`, `--quiet` and non-terminal runs get none. Without a total (a plugin's
 * stream of unknown length) it shows the count alone.
 */
export class ProgressBar {
  #done = 0;
  #lastDraw = 0;
  #drawn = false;

  constructor(
    private readonly writer: CliWriter | null,
    private readonly label: string,
    private readonly total: number | undefined,
    private readonly now: () => number = () => Date.now(),
  ) {}

  get done(): number {
    return this.#done;
  }

  tick(by = 1): void {
    this.update(this.#done + by);
  }

  update(done: number): void {
    const total = this.total ?? Number.POSITIVE_INFINITY;
    this.#done = Math.max(0, Math.min(done, total));
    const time = this.now();
    // The last step is always drawn so the bar never stops short of 100 %.
    if (this.#done < total && this.#drawn && time - this.#lastDraw < MIN_REDRAW_MS) return;
    this.#lastDraw = time;
    this.draw();
  }

  /** Leaves the completed bar on its own line so later output does not overwrite it. */
  finish(): void {
    if (!this.writer) return;
    if (!this.#drawn) this.draw();
    this.writer.write('\n');
  }

  render(): string {
    if (this.total === undefined) return `${this.label} ${this.#done}`;
    const ratio = this.total === 0 ? 1 : this.#done / this.total;
    const filled = Math.round(ratio * WIDTH);
    const percent = String(Math.floor(ratio * 100)).padStart(3);
    return `${this.label} [${'#'.repeat(filled)}${'-'.repeat(WIDTH - filled)}] ${percent}% ${this.#done}/${this.total}`;
  }

  private draw(): void {
    if (!this.writer) return;
    this.#drawn = true;
    // \r returns to the line start; ESC[K clears what a longer earlier frame left behind.
    this.writer.write(`\r${this.render()}\x1b[K`);
  }
}
