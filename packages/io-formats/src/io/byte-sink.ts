import { open } from 'node:fs/promises';
import type { ByteSink } from '../codec-types.js';

/** A file as a ByteSink; each write waits for the file system, so memory stays flat. */
export async function fileSink(path: string): Promise<ByteSink> {
  const handle = await open(path, 'wx');
  return {
    async write(chunk) {
      let offset = 0;
      while (offset < chunk.length) {
        const { bytesWritten } = await handle.write(chunk, offset, chunk.length - offset);
        offset += bytesWritten;
      }
    },
    async close() {
      try {
        await handle.sync();
      } finally {
        await handle.close();
      }
    },
  };
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
 * ~256 KB instead of one per record.
 */
export class TextSinkWriter {
  #parts: string[] = [];
  #pending = 0;
  #bytes = 0;
  readonly #encoder = new TextEncoder();

  constructor(private readonly sink: ByteSink) {}

  get bytes(): number {
    return this.#bytes + Buffer.byteLength(this.#parts.join(''));
  }

  async write(text: string): Promise<void> {
    this.#parts.push(text);
    this.#pending += text.length;
    if (this.#pending >= FLUSH_AT) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.#parts.length === 0) return;
    const chunk = this.#encoder.encode(this.#parts.join(''));
    this.#parts = [];
    this.#pending = 0;
    this.#bytes += chunk.length;
    await this.sink.write(chunk);
  }

  /** Flushes and closes the sink; returns the bytes written. */
  async close(): Promise<number> {
    await this.flush();
    await this.sink.close();
    return this.#bytes;
  }
}
