import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import type { ByteSource } from '../codec-types.js';

const CHUNK = 256 * 1024;

/** A file as a ByteSource: random reads for columnar readers, a chunked stream for row readers. */
export async function fileSource(path: string): Promise<ByteSource> {
  const info = await stat(path);
  return {
    size: info.size,
    async read(offset, length) {
      const handle = await open(path, 'r');
      try {
        const buffer = Buffer.alloc(Math.max(0, Math.min(length, info.size - offset)));
        const { bytesRead } = await handle.read(buffer, 0, buffer.length, offset);
        return buffer.subarray(0, bytesRead);
      } finally {
        await handle.close();
      }
    },
    async *stream() {
      for await (const chunk of createReadStream(path, { highWaterMark: CHUNK })) {
        yield chunk as Buffer;
      }
    },
  };
}

/** Bytes in memory as a ByteSource (tests, small inputs). */
export function bytesSource(bytes: Uint8Array | string): ByteSource {
  const data = typeof bytes === 'string' ? new TextEncoder().encode(bytes) : bytes;
  return {
    size: data.length,
    async read(offset, length) {
      return data.subarray(offset, Math.min(data.length, offset + length));
    },
    async *stream() {
      for (let i = 0; i < data.length; i += CHUNK) yield data.subarray(i, i + CHUNK);
    },
  };
}

/** The first `length` bytes of a source's stream (for sniffing a source that only streams). */
export async function streamHead(source: ByteSource, length: number): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let have = 0;
  for await (const chunk of source.stream()) {
    parts.push(chunk);
    have += chunk.length;
    if (have >= length) break;
  }
  return Buffer.concat(parts).subarray(0, length);
}
