import { AsyncResource } from 'node:async_hooks';
import type { LoggedEvent, Storage } from '@mainframe-kb/storage-core';

export interface EventFeedOptions {
  /** How often the durable log is read for new events (default 200 ms). */
  pollMs?: number;
  /** Events read per batch when a client resumes (default 500). */
  batchSize?: number;
}

type Listener = (event: LoggedEvent) => void;

/**
 * Tails the store's durable event log (kb_events) and hands each new event to every subscriber: one read of
 * the log per poll, whatever the number of subscribers, and writes made by other processes (a `kb` command
 * on the same file, another server on the same PostgreSQL) are seen too. A subscriber that gives the last
 * sequence number it saw (SSE's Last-Event-ID) first gets what it missed from the log, then the live feed,
 * with nothing skipped and nothing twice.
 */
export class EventFeed {
  readonly #storage: Storage;
  readonly #pollMs: number;
  readonly #batchSize: number;
  readonly #listeners = new Set<Listener>();
  /** The last sequence number handed out; undefined until the head is known. */
  #head: number | undefined;
  #startedAt = new Date().toISOString();
  #timer: NodeJS.Timeout | undefined;
  #polling: Promise<void> | undefined;
  #closed = false;
  /**
   * Runs a function in the context the feed was made in: the log is read by the server as the store's own
   * actor, not as the request that subscribed (a viewer may follow the stream; core's events.replay rule is
   * admin). Every event in the log describes data every role may read.
   */
  readonly #asServer = AsyncResource.bind(<T>(fn: () => T): T => fn());
  /** The last failure to read the log, for the health route; cleared by the next good read. */
  lastError: string | undefined;

  constructor(storage: Storage, options: EventFeedOptions = {}) {
    this.#storage = storage;
    this.#pollMs = options.pollMs ?? 200;
    this.#batchSize = options.batchSize ?? 500;
  }

  get subscribers(): number {
    return this.#listeners.size;
  }

  /** The last sequence number the feed has seen (undefined before the first event since it started). */
  get head(): number | undefined {
    return this.#head;
  }

  start(): void {
    if (this.#timer !== undefined || this.#closed) return;
    this.#timer = setInterval(() => void this.poll(), this.#pollMs);
    this.#timer.unref();
  }

  /** Reads the log once now (the timer does this on its own; tests and writers may ask sooner). */
  poll(): Promise<void> {
    this.#polling ??= this.#asServer(() => this.#read()).finally(() => {
      this.#polling = undefined;
    });
    return this.#polling;
  }

  async #read(): Promise<void> {
    try {
      const options =
        this.#head === undefined
          ? { from: this.#startedAt, batchSize: this.#batchSize }
          : { afterSeq: this.#head, batchSize: this.#batchSize };
      for await (const event of this.#storage.replayEvents(options)) {
        if (this.#closed) return;
        this.#head = event.seq;
        for (const listener of this.#listeners) listener(event);
      }
      this.lastError = undefined;
    } catch (error) {
      this.lastError = String((error as Error).message ?? error);
    }
  }

  /**
   * Subscribes `listener`. With `afterSeq`, the events after it are replayed from the log first; events
   * arriving live meanwhile are held and delivered after them, in order. Returns the unsubscribe function.
   */
  subscribe(listener: Listener, afterSeq?: number, signal?: AbortSignal): () => void {
    if (afterSeq === undefined) {
      this.#listeners.add(listener);
      return () => this.#listeners.delete(listener);
    }
    let last = afterSeq;
    let held: LoggedEvent[] | undefined = [];
    const deliver = (event: LoggedEvent) => {
      if (event.seq <= last) return;
      last = event.seq;
      listener(event);
    };
    const live: Listener = (event) => (held === undefined ? deliver(event) : held.push(event));
    this.#listeners.add(live);
    void this.#asServer(async () => {
      try {
        for await (const event of this.#storage.replayEvents({ afterSeq, batchSize: this.#batchSize })) {
          if (signal?.aborted) return;
          deliver(event);
        }
      } catch (error) {
        this.lastError = String((error as Error).message ?? error);
      }
      const pending = held ?? [];
      held = undefined;
      for (const event of pending) deliver(event);
    });
    return () => this.#listeners.delete(live);
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    this.#listeners.clear();
    await this.#polling;
  }
}
