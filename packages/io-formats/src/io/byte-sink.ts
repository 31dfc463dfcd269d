import { open } from 'node:fs/promises';
import type { ByteSink } from '../codec-types.js';

/** A file as a ByteSink; each write waits for the file system, so memory stays flat. */
export async function fileSink(path: string): Promise<FileSink> {
  const handle = await open(path, 'wx');
  let closed = false;
  return {
    async write(chunk) {
      let offset = 0;
      while (offset < chunk.length) {
        const { bytesWritten } = await handle.write(chunk, offset, chunk.length - offset);
        offset += bytesWritten;
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      try {
        await handle.sync();
      } finally {
        await handle.close();
      }
    },
    async abandon() {
      if (closed) return;
      closed = true;
      await handle.close().catch(() => undefined);
    },
  };
}

export interface FileSink extends ByteSink {
  /** Closes the file without syncing it, unless it is closed already: for a write that failed. */
  abandon(): Promise<void>;
}

/**
 * Runs `write` with a sink on a new file at `path`. When it throws, the file's handle is closed before the
 * error goes on, so a failed export holds no descriptor of the file it leaves for removal.
 */
export async function withFileSink<T>(path: string, write: (sink: FileSink) => Promise<T>): Promise<T> {
  const sink = await fileSink(path);
  try {
    return await write(sink);
  } catch (error) {
    await sink.abandon();
    throw error;
  }
}

export interface MemorySink extends ByteSink {
  bytes(): Uint8Array;
  text(): string;
}

export function memorySink(): MemorySink {
  const parts: Uint8Array[] = [];
  return {
    async write(chunk) {
      parts.push(chunk.slice());
    },
    async close() {},
    bytes: () => Buffer.concat(parts),
    text: () => Buffer.concat(parts).toString('utf8'),
  };
}

const FLUSH_AT = 256 * 1024;

/**
 * Collects text from a writer and hands it to the sink in large UTF-8 chunks: one encode and one write per
 * ~256 KB instead of one per record. A chunk is written while the writer collects the next one (the file
 * system works beside the thread that formats records); at most one chunk is in flight, so memory stays flat.
 * A failed write is thrown by the next write, flush or close.
 */
export class TextSinkWriter {
  #parts: string[] = [];
  #pending = 0;
  #bytes = 0;
  #inFlight: Promise<void> = Promise.resolve();
  readonly #encoder = new TextEncoder();

  constructor(private readonly sink: ByteSink) {}

  get bytes(): number {
    return this.#bytes + Buffer.byteLength(this.#parts.join(''));
  }

  async write(text: string): Promise<void> {
    this.#parts.push(text);
    this.#pending += text.length;
    if (this.#pending >= FLUSH_AT) await this.#handOff();
  }

  /** Resolves once everything written so far has reached the sink. */
  async flush(): Promise<void> {
    await this.#handOff();
    await this.#inFlight;
  }

  /** Flushes and closes the sink; returns the bytes written. */
  async close(): Promise<number> {
    await this.flush();
    await this.sink.close();
    return this.#bytes;
  }

  /** Starts writing what was collected, once the chunk before it is written. */
  async #handOff(): Promise<void> {
    await this.#inFlight;
    if (this.#parts.length === 0) return;
    // TextEncoder gives each chunk its own memory (a small Buffer.from would be a view of Node's shared pool).
    const chunk = this.#encoder.encode(this.#parts.join(''));
    this.#parts = [];
    this.#pending = 0;
    this.#bytes += chunk.length;
    // A sink written in plain JavaScript may return nothing: the chunk is then written when the call returns.
    const write = Promise.resolve(this.sink.write(chunk));
    // Its failure surfaces where the next hand-off, flush or close awaits it, not as an unhandled rejection.
    write.catch(() => {});
    this.#inFlight = write;
  }
}
