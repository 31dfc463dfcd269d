import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { deflateRaw } from 'node:zlib';
import type avro from 'avsc';
import type { ByteSink } from '../../codec-types.js';

const deflate = promisify(deflateRaw);
const MAGIC = new Uint8Array([0x4f, 0x62, 0x6a, 0x01]); // 'Obj' 1

/** Avro's zig-zag varint `long`, for block counts and sizes and the header map. */
export function encodeLong(n: number): Uint8Array {
  const out: number[] = [];
  let z = n >= 0 ? n * 2 : -n * 2 - 1;
  do {
    let byte = z % 128;
    z = Math.floor(z / 128);
    if (z > 0) byte |= 0x80;
    out.push(byte);
  } while (z > 0);
  return Uint8Array.from(out);
}

function encodeBytes(bytes: Uint8Array): Uint8Array[] {
  return [encodeLong(bytes.length), bytes];
}

/**
 * Writes an Avro object container file: header (magic, `avro.schema` and `avro.codec` metadata, sync
 * marker), then blocks of `count, size, data, sync`. Records are encoded with avsc; blocks are closed at
 * `blockSize` bytes and handed to the sink, so memory holds one block at a time.
 */
export class AvroContainerWriter {
  private readonly sync = randomBytes(16);
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private pendingCount = 0;
  bytes = 0;

  constructor(
    private readonly sink: ByteSink,
    private readonly type: avro.Type,
    private readonly codec: 'deflate' | 'null',
    private readonly blockSize: number,
  ) {}

  async writeHeader(schemaJson: string): Promise<void> {
    const text = new TextEncoder();
    const parts: Uint8Array[] = [
      MAGIC,
      encodeLong(2),
      ...encodeBytes(text.encode('avro.schema')),
      ...encodeBytes(text.encode(schemaJson)),
      ...encodeBytes(text.encode('avro.codec')),
      ...encodeBytes(text.encode(this.codec)),
      encodeLong(0),
      this.sync,
    ];
    await this.emit(Buffer.concat(parts));
  }

  async append(value: unknown): Promise<void> {
    const encoded = this.type.toBuffer(value);
    this.pending.push(encoded);
    this.pendingBytes += encoded.length;
    this.pendingCount++;
    if (this.pendingBytes >= this.blockSize) await this.flushBlock();
  }

  async flushBlock(): Promise<void> {
    if (this.pendingCount === 0) return;
    const raw = Buffer.concat(this.pending, this.pendingBytes);
    const data = this.codec === 'deflate' ? await deflate(raw) : raw;
    const block = Buffer.concat([encodeLong(this.pendingCount), encodeLong(data.length), data, this.sync]);
    this.pending = [];
    this.pendingBytes = 0;
    this.pendingCount = 0;
    await this.emit(block);
  }

  private async emit(chunk: Uint8Array): Promise<void> {
    await this.sink.write(chunk);
    this.bytes += chunk.length;
  }
}
