/**
 * The slice of protocol buffers ORC's metadata needs (proto2, wire types 0 varint, 1 fixed64, 2
 * length-delimited, 5 fixed32), written here so the reader can bound every length it meets.
 */
export class ProtobufError extends Error {
  override readonly name = 'ProtobufError';
}

export class ProtoWriter {
  private bytes: number[] = [];

  /** Unsigned varint of a non-negative safe integer. */
  private varint(value: number): void {
    let v = value;
    while (v >= 0x80) {
      this.bytes.push((v % 0x80) | 0x80);
      v = Math.floor(v / 0x80);
    }
    this.bytes.push(v);
  }

  private key(field: number, wireType: number): void {
    this.varint(field * 8 + wireType);
  }

  uint(field: number, value: number | undefined): this {
    if (value === undefined) return this;
    if (!Number.isSafeInteger(value) || value < 0) throw new ProtobufError(`uint field ${field}: ${value}`);
    this.key(field, 0);
    this.varint(value);
    return this;
  }

  /** sint64: zig-zag, so small negatives stay short. */
  sint(field: number, value: number | undefined): this {
    if (value === undefined) return this;
    if (!Number.isSafeInteger(value)) throw new ProtobufError(`sint field ${field}: ${value}`);
    this.key(field, 0);
    this.varint(value >= 0 ? value * 2 : -value * 2 - 1);
    return this;
  }

  bool(field: number, value: boolean | undefined): this {
    return value === undefined ? this : this.uint(field, value ? 1 : 0);
  }

  double(field: number, value: number | undefined): this {
    if (value === undefined) return this;
    this.key(field, 1);
    const buf = new DataView(new ArrayBuffer(8));
    buf.setFloat64(0, value, true);
    for (let i = 0; i < 8; i++) this.bytes.push(buf.getUint8(i));
    return this;
  }

  bytesField(field: number, value: Uint8Array | undefined): this {
    if (value === undefined) return this;
    this.key(field, 2);
    this.varint(value.length);
    for (const b of value) this.bytes.push(b);
    return this;
  }

  string(field: number, value: string | undefined): this {
    return value === undefined ? this : this.bytesField(field, new TextEncoder().encode(value));
  }

  message(field: number, value: ProtoWriter | undefined): this {
    return value === undefined ? this : this.bytesField(field, value.finish());
  }

  packedUint(field: number, values: readonly number[]): this {
    if (values.length === 0) return this;
    const inner = new ProtoWriter();
    for (const v of values) inner.varint(v);
    return this.bytesField(field, inner.finish());
  }

  finish(): Uint8Array {
    return Uint8Array.from(this.bytes);
  }
}

export type ProtoValue = number | Uint8Array;

/** A decoded message: field number → every value seen for it, in order (repeated fields keep all). */
export class ProtoMessage {
  constructor(readonly fields: Map<number, ProtoValue[]>) {}

  static decode(bytes: Uint8Array, what: string): ProtoMessage {
    const fields = new Map<number, ProtoValue[]>();
    const reader = new ProtoReader(bytes, what);
    while (!reader.done()) {
      const key = reader.varint();
      const field = Math.floor(key / 8);
      const wireType = key % 8;
      let value: ProtoValue;
      switch (wireType) {
        case 0:
          value = reader.varint();
          break;
        case 1:
          value = reader.take(8);
          break;
        case 2:
          value = reader.take(reader.varint());
          break;
        case 5:
          value = reader.take(4);
          break;
        default:
          throw new ProtobufError(`${what}: unsupported wire type ${wireType} for field ${field}`);
      }
      if (field === 0) throw new ProtobufError(`${what}: field number 0`);
      const list = fields.get(field);
      if (list === undefined) fields.set(field, [value]);
      else list.push(value);
    }
    return new ProtoMessage(fields);
  }

  uint(field: number): number | undefined {
    const values = this.fields.get(field);
    const value = values?.[values.length - 1];
    if (value === undefined) return undefined;
    if (typeof value !== 'number') throw new ProtobufError(`field ${field} is not a varint`);
    if (!Number.isSafeInteger(value)) throw new ProtobufError(`field ${field} is beyond 2^53`);
    return value;
  }

  sint(field: number): number | undefined {
    const raw = this.uint(field);
    return raw === undefined ? undefined : raw % 2 === 0 ? raw / 2 : -(raw + 1) / 2;
  }

  bytes(field: number): Uint8Array | undefined {
    const values = this.fields.get(field);
    const value = values?.[values.length - 1];
    if (value === undefined) return undefined;
    if (typeof value === 'number') throw new ProtobufError(`field ${field} is not length-delimited`);
    return value;
  }

  string(field: number): string | undefined {
    const bytes = this.bytes(field);
    return bytes === undefined ? undefined : new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  }

  strings(field: number): string[] {
    const decoder = new TextDecoder('utf-8', { fatal: true });
    return (this.fields.get(field) ?? []).map((value) => {
      if (typeof value === 'number') throw new ProtobufError(`field ${field} is not length-delimited`);
      return decoder.decode(value);
    });
  }

  messages(field: number, what: string): ProtoMessage[] {
    return (this.fields.get(field) ?? []).map((value) => {
      if (typeof value === 'number') throw new ProtobufError(`field ${field} is not a message`);
      return ProtoMessage.decode(value, what);
    });
  }

  /** A repeated uint32/uint64 field, packed or not (proto2 readers must accept both). */
  packedUints(field: number, what: string): number[] {
    const out: number[] = [];
    for (const value of this.fields.get(field) ?? []) {
      if (typeof value === 'number') {
        if (!Number.isSafeInteger(value)) throw new ProtobufError(`${what}: field ${field} is beyond 2^53`);
        out.push(value);
        continue;
      }
      const reader = new ProtoReader(value, what);
      while (!reader.done()) {
        const v = reader.varint();
        if (!Number.isSafeInteger(v)) throw new ProtobufError(`${what}: field ${field} is beyond 2^53`);
        out.push(v);
      }
    }
    return out;
  }
}

class ProtoReader {
  private pos = 0;

  constructor(
    private readonly buf: Uint8Array,
    private readonly what: string,
  ) {}

  done(): boolean {
    return this.pos >= this.buf.length;
  }

  /** A varint as a safe integer; larger values (never legitimate in ORC metadata we read) are refused. */
  varint(): number {
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.buf.length) throw new ProtobufError(`${this.what}: truncated varint`);
      const byte = this.buf[this.pos++]!;
      result += (byte & 0x7f) * scale;
      if ((byte & 0x80) === 0) {
        // May be inexact past 2^53: the typed accessors refuse such values; unread fields may keep them.
        return result;
      }
      scale *= 128;
    }
    throw new ProtobufError(`${this.what}: varint longer than 10 bytes`);
  }

  take(length: number): Uint8Array {
    if (length > this.buf.length - this.pos) {
      throw new ProtobufError(`${this.what}: length ${length} runs past the message`);
    }
    const out = this.buf.subarray(this.pos, this.pos + length);
    this.pos += length;
    return out;
  }
}
