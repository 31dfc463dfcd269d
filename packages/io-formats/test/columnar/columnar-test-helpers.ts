import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type {
  ByteSink,
  ByteSource,
  DataRecord,
  EntitySchema,
  FormatCodec,
  InputLimits,
  ReadItem,
} from '../../src/codec-types.js';

export const TEST_LIMITS: InputLimits = {
  maxRecordBytes: 16 * 1024 * 1024,
  maxDepth: 64,
  maxRecords: 10_000_000,
  maxDecompressedBytes: 256 * 1024 * 1024,
};

/** A ByteSink collecting chunks in memory. */
export class MemorySink implements ByteSink {
  readonly chunks: Uint8Array[] = [];
  closed = false;

  async write(chunk: Uint8Array): Promise<void> {
    if (this.closed) throw new Error('write after close');
    this.chunks.push(chunk.slice());
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  bytes(): Uint8Array {
    const total = this.chunks.reduce((n, c) => n + c.length, 0);
    const out = new Uint8Array(total);
    let at = 0;
    for (const chunk of this.chunks) {
      out.set(chunk, at);
      at += chunk.length;
    }
    return out;
  }
}

/** A ByteSource over bytes in memory; `stream()` yields small chunks to exercise chunk boundaries. */
export function memorySource(bytes: Uint8Array, chunkSize = 4096): ByteSource {
  return {
    size: bytes.length,
    async read(offset: number, length: number): Promise<Uint8Array> {
      if (offset < 0 || length < 0 || offset + length > bytes.length) {
        throw new RangeError(`read ${offset}+${length} outside 0..${bytes.length}`);
      }
      return bytes.slice(offset, offset + length);
    },
    async *stream(): AsyncIterable<Uint8Array> {
      for (let at = 0; at < bytes.length; at += chunkSize) yield bytes.slice(at, at + chunkSize);
    },
  };
}

export async function* asAsync<T>(items: Iterable<T>): AsyncIterable<T> {
  for (const item of items) yield item;
}

export async function writeToBytes(
  codec: FormatCodec,
  records: readonly DataRecord[],
  schema: EntitySchema,
): Promise<Uint8Array> {
  const sink = new MemorySink();
  const summary = await codec.write(asAsync(records), schema, sink);
  const bytes = sink.bytes();
  if (summary.records !== records.length || summary.bytes !== bytes.length || !sink.closed) {
    throw new Error(`write summary ${JSON.stringify(summary)} disagrees with ${bytes.length} bytes written`);
  }
  return bytes;
}

export async function readAll(
  codec: FormatCodec,
  bytes: Uint8Array,
  schema?: EntitySchema,
  limits: InputLimits = TEST_LIMITS,
): Promise<ReadItem[]> {
  const items: ReadItem[] = [];
  for await (const item of codec.read(memorySource(bytes), { limits, ...(schema ? { schema } : {}) })) {
    items.push(item);
  }
  return items;
}

export function plain(record: DataRecord): DataRecord {
  return { ...record };
}

/** A temporary directory removed by the returned cleanup. */
export function tempDir(prefix: string): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export { readFileSync, writeFileSync };
