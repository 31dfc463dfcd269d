/**
 * Snappy raw-format decompressor (the block format of google/snappy's format_description.txt), for ORC
 * streams and Avro blocks written with the snappy codec. Every length is checked against the input and the
 * output bound, so a hostile stream fails instead of reading or writing out of range.
 */
export class SnappyError extends Error {
  override readonly name = 'SnappyError';
}

export function snappyUncompressedLength(input: Uint8Array): { length: number; offset: number } {
  let length = 0;
  let shift = 0;
  let offset = 0;
  for (;;) {
    if (offset >= input.length || shift > 28) throw new SnappyError('bad snappy length preamble');
    const byte = input[offset++]!;
    length += (byte & 0x7f) * 2 ** shift;
    if ((byte & 0x80) === 0) break;
    shift += 7;
  }
  return { length, offset };
}

/** Decompresses `input`; refuses a declared length over `maxOutput` before allocating. */
export function snappyDecompress(input: Uint8Array, maxOutput: number): Uint8Array {
  const { length, offset: start } = snappyUncompressedLength(input);
  if (length > maxOutput) throw new SnappyError(`snappy length ${length} exceeds the limit ${maxOutput}`);
  const out = new Uint8Array(length);
  let pos = start;
  let at = 0;
  while (pos < input.length) {
    const tag = input[pos++]!;
    const kind = tag & 3;
    if (kind === 0) {
      let len = tag >>> 2;
      if (len >= 60) {
        const extra = len - 59;
        if (pos + extra > input.length) throw new SnappyError('truncated snappy literal length');
        len = 0;
        for (let i = 0; i < extra; i++) len += input[pos + i]! * 2 ** (8 * i);
        pos += extra;
      }
      len += 1;
      if (pos + len > input.length || at + len > length) throw new SnappyError('snappy literal out of range');
      out.set(input.subarray(pos, pos + len), at);
      pos += len;
      at += len;
      continue;
    }
    let len: number;
    let distance: number;
    if (kind === 1) {
      if (pos >= input.length) throw new SnappyError('truncated snappy copy');
      len = ((tag >>> 2) & 7) + 4;
      distance = ((tag >>> 5) << 8) | input[pos++]!;
    } else if (kind === 2) {
      if (pos + 2 > input.length) throw new SnappyError('truncated snappy copy');
      len = (tag >>> 2) + 1;
      distance = input[pos]! | (input[pos + 1]! << 8);
      pos += 2;
    } else {
      if (pos + 4 > input.length) throw new SnappyError('truncated snappy copy');
      len = (tag >>> 2) + 1;
      distance = (input[pos]! | (input[pos + 1]! << 8) | (input[pos + 2]! << 16)) + input[pos + 3]! * 2 ** 24;
      pos += 4;
    }
    if (distance === 0 || distance > at || at + len > length)
      throw new SnappyError('snappy copy out of range');
    // Copies may overlap their own output (a run), so go byte by byte.
    for (let i = 0; i < len; i++) out[at + i] = out[at - distance + i]!;
    at += len;
  }
  if (at !== length) throw new SnappyError(`snappy stream produced ${at} bytes, expected ${length}`);
  return out;
}
