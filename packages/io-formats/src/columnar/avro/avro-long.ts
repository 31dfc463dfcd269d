import avro from 'avsc';

/**
 * avsc's default `long` stops at ±(2^53 − 2); the contract's integers go to ±(2^53 − 1). This long type
 * covers every safe integer exactly and refuses, on read, a long that a JS number cannot hold.
 */
export const safeLongType = avro.types.LongType.__with({
  fromBuffer(buf: Buffer): number {
    const value = buf.readBigInt64LE(0);
    const n = Number(value);
    if (!Number.isSafeInteger(n))
      throw new Error(`potential precision loss: long ${value} is not a safe integer`);
    return n;
  },
  toBuffer(n: number): Buffer {
    const buf = Buffer.alloc(8);
    buf.writeBigInt64LE(BigInt(n));
    return buf;
  },
  fromJSON: (value: unknown) => Number(value),
  toJSON: (n: number) => n,
  isValid: (value: unknown) => typeof value === 'number' && Number.isSafeInteger(value),
  compare: (a: number, b: number) => (a === b ? 0 : a < b ? -1 : 1),
});

/** `typeHook` for `Type.forSchema`: every `long` (plain or with a logical type) becomes `safeLongType`. */
export function safeLongHook(schema: avro.Schema): avro.Type | undefined {
  if (schema === 'long') return safeLongType;
  if (typeof schema === 'object' && schema !== null && (schema as { type?: unknown }).type === 'long') {
    return safeLongType;
  }
  return undefined;
}

export function avroType(schema: object): avro.Type {
  return avro.Type.forSchema(schema as avro.Schema, { typeHook: safeLongHook as never });
}
