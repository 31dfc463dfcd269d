import { token } from './api.js';

export interface StoreEvent {
  seq: number;
  type: string;
  payload: unknown;
  createdAt: string;
}

type Listener = (event: StoreEvent) => void;

/**
 * Follows /api/events. EventSource cannot send an Authorization header, so the stream is read with fetch and
 * parsed here; on a drop it reconnects with Last-Event-ID, so the server replays what was missed.
 */
export class EventStream {
  readonly #listeners = new Set<Listener>();
  #lastId: string | undefined;
  #abort: AbortController | undefined;
  #stopped = false;
  onStatus: (status: 'live' | 'reconnecting' | 'stopped') => void = () => {};

  on(listener: Listener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  start(): void {
    this.#stopped = false;
    void this.#run();
  }

  stop(): void {
    this.#stopped = true;
    this.#abort?.abort();
    this.onStatus('stopped');
  }

  async #run(): Promise<void> {
    let delay = 500;
    while (!this.#stopped) {
      this.#abort = new AbortController();
      try {
        const headers: Record<string, string> = { accept: 'text/event-stream' };
        const t = token();
        if (t) headers.authorization = `Bearer ${t}`;
        if (this.#lastId !== undefined) headers['last-event-id'] = this.#lastId;
        const response = await fetch('/api/events', { headers, signal: this.#abort.signal });
        if (response.status === 401 || response.status === 403) {
          this.stop();
          return;
        }
        if (!response.ok || !response.body) throw new Error(`event stream: ${response.status}`);
        this.onStatus('live');
        delay = 500;
        await this.#read(response.body);
      } catch {
        if (this.#stopped) return;
      }
      this.onStatus('reconnecting');
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 10_000);
    }
  }

  async #read(body: ReadableStream<Uint8Array>): Promise<void> {
    const reader = body.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += decoder.decode(value, { stream: true });
      let end = buffer.indexOf('\n\n');
      while (end >= 0) {
        this.#dispatch(buffer.slice(0, end));
        buffer = buffer.slice(end + 2);
        end = buffer.indexOf('\n\n');
      }
    }
  }

  #dispatch(block: string): void {
    let id: string | undefined;
    let type = 'message';
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const name = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (name === 'id') id = value;
      else if (name === 'event') type = value;
      else if (name === 'data') data.push(value);
    }
    if (id !== undefined) this.#lastId = id;
    if (type === 'ready' || data.length === 0) return;
    try {
      const event = JSON.parse(data.join('\n')) as StoreEvent;
      for (const listener of this.#listeners) listener(event);
    } catch {
      // a malformed event is skipped; the next one carries on
    }
  }
}

export const events = new EventStream();
