import type { SearchHistoryRecord } from './kb-types.js';

type Flush = (records: Omit<SearchHistoryRecord, 'id'>[]) => Promise<void>;

/**
 * Search history is written in batches, off the search path: a write transaction (and its fsync) per
 * search would cost more than the search. Pending records are flushed after `delayMs`, when `maxPending`
 * accumulate, and on close; a crash loses at most the pending batch of history, never KB data.
 */
export class SearchHistoryWriter {
  #pending: Omit<SearchHistoryRecord, 'id'>[] = [];
  #timer: NodeJS.Timeout | undefined;
  #flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly flushFn: Flush,
    private readonly onError: (error: unknown) => void,
    private readonly delayMs = 1_000,
    private readonly maxPending = 200,
  ) {}

  add(record: Omit<SearchHistoryRecord, 'id'>): void {
    this.#pending.push(record);
    if (this.#pending.length >= this.maxPending) {
      void this.flush();
    } else if (!this.#timer) {
      this.#timer = setTimeout(() => void this.flush(), this.delayMs);
      this.#timer.unref();
    }
  }

  /** Writes everything pending; resolves when it is committed. */
  flush(): Promise<void> {
    if (this.#timer) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    const batch = this.#pending;
    this.#pending = [];
    this.#flushing = this.#flushing.then(async () => {
      if (batch.length === 0) return;
      try {
        await this.flushFn(batch);
      } catch (error) {
        this.onError(error);
      }
    });
    return this.#flushing;
  }
}
