/**
 * ORC's run-length encodings (https://orc.apache.org/specification/ORCv1/, "Run Length Encoding"):
 * byte RLE (PRESENT and boolean streams), integer RLE v1 (what our writer emits) and integer RLE v2 (what
 * the Java and C++ writers emit by default; all four sub-encodings are decoded). Decoders are told how
 * many values to produce and fail, never over-read, on a short or malformed stream.
 */
export class OrcRleError extends Error {
  override readonly name: string = 'OrcRleError';
}

/** An integer the file holds exactly but a JS number cannot (past ±(2^53−1)). */
export class OrcPrecisionError extends OrcRleError {
  override readonly name = 'OrcPrecisionError';
}

/** A growable byte buffer for the encoders. */
export class ByteBuffer {
  private buf = new Uint8Array(1024);
  length = 0;

  push(byte: number): void {
    if (this.length === this.buf.length) this.grow(1);
    this.buf[this.length++] = byte;
  }

  pushAll(bytes: Uint8Array): void {
    if (this.length + bytes.length > this.buf.length) this.grow(bytes.length);
    this.buf.set(bytes, this.length);
    this.length += bytes.length;
  }

  /** Unsigned LEB128 varint of a non-negative integer (exact to 2^64 through the bigint path). */
  varint(value: number | bigint): void {
    if (typeof value === 'bigint' || value >= 2 ** 52) {
      let b = BigInt(value);
      while (b >= 0x80n) {
        this.push(Number(b & 0x7fn) | 0x80);
        b >>= 7n;
      }
      this.push(Number(b));
      return;
    }
    let v = value;
    while (v >= 0x80) {
      this.push((v % 0x80) | 0x80);
      v = Math.floor(v / 0x80);
    }
    this.push(v);
  }

  /** Empties the buffer but keeps its capacity, so a writer reuses one buffer stripe after stripe. */
  reset(): void {
    this.length = 0;
  }

  /** Room for `size` more bytes, written in place; `advance` then counts what was written. */
  reserve(size: number): Uint8Array {
    if (this.length + size > this.buf.length) this.grow(size);
    return this.buf.subarray(this.length, this.length + size);
  }

  advance(written: number): void {
    this.length += written;
  }

  bytes(): Uint8Array {
    return this.buf.subarray(0, this.length);
  }

  private grow(need: number): void {
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.length + need));
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
  }
}

/** Zig-zag; magnitudes past 2^51 go through bigint so ±(2^53−1) stay exact. */
const zigzag = (n: number): number | bigint =>
  Math.abs(n) < 2 ** 51 ? (n >= 0 ? n * 2 : -n * 2 - 1) : n >= 0 ? BigInt(n) * 2n : -BigInt(n) * 2n - 1n;
const unzigzag = (u: number): number => (u % 2 === 0 ? u / 2 : -(u + 1) / 2);

// ---------------------------------------------------------------- byte RLE and booleans

/** Byte RLE: runs of 3–130 equal bytes (`count-3`, byte), literals of 1–128 bytes (`-count`, bytes…). */
export function encodeByteRle(values: Uint8Array): Uint8Array {
  const out = new ByteBuffer();
  let i = 0;
  while (i < values.length) {
    let run = 1;
    while (run < 130 && i + run < values.length && values[i + run] === values[i]) run++;
    if (run >= 3) {
      out.push(run - 3);
      out.push(values[i]!);
      i += run;
      continue;
    }
    // Literal group: stop before the next run of three.
    const start = i;
    while (
      i < values.length &&
      i - start < 128 &&
      !(i + 2 < values.length && values[i] === values[i + 1] && values[i] === values[i + 2])
    ) {
      i++;
    }
    out.push(256 - (i - start));
    out.pushAll(values.subarray(start, i));
  }
  return out.bytes().slice();
}

export function decodeByteRle(input: Uint8Array, count: number): Uint8Array {
  const out = new Uint8Array(count);
  let pos = 0;
  let at = 0;
  while (at < count) {
    if (pos >= input.length) throw new OrcRleError(`byte RLE ended after ${at} of ${count} values`);
    const header = input[pos++]!;
    if (header < 128) {
      const run = header + 3;
      if (pos >= input.length) throw new OrcRleError('byte RLE run without its value');
      const value = input[pos++]!;
      if (at + run > count) throw new OrcRleError('byte RLE run past the expected count');
      out.fill(value, at, at + run);
      at += run;
    } else {
      const literals = 256 - header;
      if (pos + literals > input.length || at + literals > count) {
        throw new OrcRleError('byte RLE literals out of range');
      }
      out.set(input.subarray(pos, pos + literals), at);
      pos += literals;
      at += literals;
    }
  }
  return out;
}

/** Booleans: bits packed most significant first, then byte RLE. */
export function encodeBooleans(bits: readonly boolean[] | Uint8Array): Uint8Array {
  const bytes = new Uint8Array(Math.ceil(bits.length / 8));
  for (let i = 0; i < bits.length; i++) if (bits[i]) bytes[i >> 3]! |= 0x80 >> (i & 7);
  return encodeByteRle(bytes);
}

export function decodeBooleans(input: Uint8Array, count: number): Uint8Array {
  const bytes = decodeByteRle(input, Math.ceil(count / 8));
  const out = new Uint8Array(count);
  for (let i = 0; i < count; i++) out[i] = (bytes[i >> 3]! >> (7 - (i & 7))) & 1;
  return out;
}

// ---------------------------------------------------------------- integer RLE v1

/**
 * Integer RLE v1: runs of 3–130 values with a constant delta in −128..127 (`count-3`, delta, base
 * varint), literals of 1–128 varints (`-count`, values…). Signed streams zig-zag their varints.
 */
export function encodeIntRleV1(values: ArrayLike<number>, signed: boolean): Uint8Array {
  const out = new ByteBuffer();
  const put = (v: number) => out.varint(signed ? zigzag(v) : v);
  const n = values.length;
  let i = 0;
  while (i < n) {
    if (i + 2 < n) {
      const delta = values[i + 1]! - values[i]!;
      if (delta >= -128 && delta <= 127 && values[i + 2]! - values[i + 1]! === delta) {
        let run = 3;
        while (run < 130 && i + run < n && values[i + run]! - values[i + run - 1]! === delta) run++;
        out.push(run - 3);
        out.push(delta & 0xff);
        put(values[i]!);
        i += run;
        continue;
      }
    }
    const start = i;
    while (i < n && i - start < 128) {
      if (i + 2 < n) {
        const d = values[i + 1]! - values[i]!;
        if (d >= -128 && d <= 127 && values[i + 2]! - values[i + 1]! === d) break;
      }
      i++;
    }
    out.push(256 - (i - start));
    for (let k = start; k < i; k++) put(values[k]!);
  }
  return out.bytes().slice();
}

class VarintCursor {
  pos = 0;

  constructor(readonly buf: Uint8Array) {}

  byte(): number {
    if (this.pos >= this.buf.length) throw new OrcRleError('integer RLE stream is truncated');
    return this.buf[this.pos++]!;
  }

  /** Unsigned varint: a number when it fits 49 bits, else a bigint (exact up to 64 bits). */
  private raw(): number | bigint {
    const start = this.pos;
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 7; i++) {
      const byte = this.byte();
      result += (byte & 0x7f) * scale;
      if ((byte & 0x80) === 0) return result;
      scale *= 128;
    }
    this.pos = start;
    let big = 0n;
    for (let i = 0; i < 10; i++) {
      const byte = this.byte();
      big |= BigInt(byte & 0x7f) << BigInt(7 * i);
      if ((byte & 0x80) === 0) return big;
    }
    throw new OrcRleError('varint longer than 10 bytes');
  }

  /** Unsigned varint; one past 2^63 is read as the int64 it encodes (see `asInt64`). */
  varint(): number {
    const v = this.raw();
    return typeof v === 'number' ? v : toSafe(asInt64(v));
  }

  svarint(): number {
    const v = this.raw();
    return typeof v === 'number' ? unzigzag(v) : toSafe(bigUnzigzag(v));
  }

  /** Big-endian unsigned integer of `width` bytes. */
  bigEndian(width: number): number {
    let v = 0;
    for (let i = 0; i < width; i++) v = v * 256 + this.byte();
    return v;
  }
}

function checkSafe(value: number): number {
  if (!Number.isSafeInteger(value)) throw new OrcPrecisionError(`integer ${value} is beyond ±(2^53−1)`);
  return value;
}

export function decodeIntRleV1(input: Uint8Array, count: number, signed: boolean): Float64Array {
  const out = new Float64Array(count);
  const cur = new VarintCursor(input);
  let at = 0;
  while (at < count) {
    const header = cur.byte();
    if (header < 128) {
      const run = header + 3;
      const deltaByte = cur.byte();
      const delta = deltaByte > 127 ? deltaByte - 256 : deltaByte;
      const base = signed ? cur.svarint() : cur.varint();
      if (at + run > count) throw new OrcRleError('integer run past the expected count');
      for (let k = 0; k < run; k++) out[at++] = checkSafe(base + k * delta);
    } else {
      const literals = 256 - header;
      if (at + literals > count) throw new OrcRleError('integer literals past the expected count');
      for (let k = 0; k < literals; k++) out[at++] = checkSafe(signed ? cur.svarint() : cur.varint());
    }
  }
  return out;
}

// ---------------------------------------------------------------- integer RLE v2 (decode only)

const WIDTHS = [
  1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 26, 28, 30, 32, 40,
  48, 56, 64,
];

function closestFixedBits(n: number): number {
  if (n === 0) return 1;
  if (n <= 24) return n;
  for (const w of [26, 28, 30, 32, 40, 48, 56, 64]) if (n <= w) return w;
  return 64;
}

/** Reads big-endian bit-packed unsigned values of any width up to 64 as bigints. */
class BitReader {
  private bitPos = 0;

  constructor(
    private readonly cur: VarintCursor,
    private readonly width: number,
  ) {}

  next(): bigint {
    let value = 0n;
    let remaining = this.width;
    while (remaining > 0) {
      if (this.bitPos === 0) this.current = this.cur.byte();
      const available = 8 - this.bitPos;
      const take = Math.min(available, remaining);
      const shift = available - take;
      const bits = (this.current >> shift) & ((1 << take) - 1);
      value = (value << BigInt(take)) | BigInt(bits);
      remaining -= take;
      this.bitPos = (this.bitPos + take) % 8;
    }
    return value;
  }

  private current = 0;
}

function readPacked(cur: VarintCursor, width: number, count: number): bigint[] {
  const reader = new BitReader(cur, width);
  const out = new Array<bigint>(count);
  for (let i = 0; i < count; i++) out[i] = reader.next();
  return out;
}

const bigUnzigzag = (u: bigint): bigint => (u & 1n ? -((u + 1n) >> 1n) : u >> 1n);

/**
 * "Unsigned" streams are int64 to the Java and C++ readers: the C++ writer (pyarrow) stores the negative
 * nanos of pre-1970 timestamps in SECONDARY as two's-complement 64-bit values. Read them the same way;
 * callers check the sign where a negative value is invalid (lengths, dictionary indexes).
 */
const asInt64 = (u: bigint): bigint => BigInt.asIntN(64, u);

function toSafe(value: bigint): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw new OrcPrecisionError(`integer ${value} is beyond ±(2^53−1)`);
  return n;
}

/** Sub-encodings of RLE v2, in header order; `decodeIntRleV2` can count the runs of each it meets. */
export const RLE_V2_SUB_ENCODINGS = ['SHORT_REPEAT', 'DIRECT', 'PATCHED_BASE', 'DELTA'] as const;

type RunCounts = Record<(typeof RLE_V2_SUB_ENCODINGS)[number], number>;

export function decodeIntRleV2(input: Uint8Array, count: number, signed: boolean): Float64Array {
  const out = new Float64Array(count);
  const cur = new VarintCursor(input);
  let at = 0;
  const emit = (value: number) => {
    if (at >= count) throw new OrcRleError('RLE v2 run past the expected count');
    out[at++] = value;
  };
  while (at < count) decodeRun(cur, signed, emit);
  return out;
}

/** Counts the runs of each sub-encoding in a whole RLE v2 stream (diagnostics: which encodings a writer used). */
export function countRleV2Runs(input: Uint8Array, signed: boolean, runs: RunCounts): void {
  const cur = new VarintCursor(input);
  while (cur.pos < input.length) runs[RLE_V2_SUB_ENCODINGS[decodeRun(cur, signed, () => undefined)]!]++;
}

/** Decodes one run and returns its sub-encoding (0 short repeat, 1 direct, 2 patched base, 3 delta). */
function decodeRun(cur: VarintCursor, signed: boolean, emit: (value: number) => void): number {
  const first = cur.byte();
  const encoding = first >> 6;
  if (encoding === 0) {
    // Short repeat: width in bytes, 3–10 repetitions.
    const width = ((first >> 3) & 7) + 1;
    const repeat = (first & 7) + 3;
    let raw = 0n;
    for (let i = 0; i < width; i++) raw = (raw << 8n) | BigInt(cur.byte());
    const value = toSafe(signed ? bigUnzigzag(raw) : asInt64(raw));
    for (let i = 0; i < repeat; i++) emit(value);
  } else if (encoding === 1) {
    // Direct: bit-packed values of one width.
    const width = WIDTHS[(first >> 1) & 0x1f]!;
    const length = (((first & 1) << 8) | cur.byte()) + 1;
    for (const raw of readPacked(cur, width, length)) emit(toSafe(signed ? bigUnzigzag(raw) : asInt64(raw)));
  } else if (encoding === 2) {
    decodePatchedBase(cur, first, emit);
  } else {
    decodeDelta(cur, first, signed, emit);
  }
  return encoding;
}

function decodePatchedBase(cur: VarintCursor, first: number, emit: (v: number) => void): void {
  const width = WIDTHS[(first >> 1) & 0x1f]!;
  const length = (((first & 1) << 8) | cur.byte()) + 1;
  const third = cur.byte();
  const baseWidth = ((third >> 5) & 7) + 1;
  const patchWidth = WIDTHS[third & 0x1f]!;
  const fourth = cur.byte();
  const gapWidth = ((fourth >> 5) & 7) + 1;
  const patchCount = fourth & 0x1f;
  // The base is sign-magnitude: the top bit of its first byte is the sign.
  let base = 0n;
  for (let i = 0; i < baseWidth; i++) base = (base << 8n) | BigInt(cur.byte());
  const signBit = 1n << BigInt(baseWidth * 8 - 1);
  if (base & signBit) base = -(base & ~signBit);
  const values = readPacked(cur, width, length);
  const entryWidth = closestFixedBits(patchWidth + gapWidth);
  if (entryWidth > 64) throw new OrcRleError('RLE v2 patch entries wider than 64 bits');
  const patches = readPacked(cur, entryWidth, patchCount);
  const patchMask = (1n << BigInt(patchWidth)) - 1n;
  let index = 0;
  for (const entry of patches) {
    const gap = Number(entry >> BigInt(patchWidth));
    const patch = entry & patchMask;
    index += gap;
    // A gap of 255 with an empty patch only moves the position (gaps wider than the field).
    if (gap === 255 && patch === 0n) continue;
    if (index >= length) throw new OrcRleError('RLE v2 patch past the run');
    values[index] = values[index]! | (patch << BigInt(width));
  }
  // Patched base needs no zig-zag: the base carries the sign.
  for (const value of values) emit(toSafe(base + value));
}

function decodeDelta(cur: VarintCursor, first: number, signed: boolean, emit: (v: number) => void): void {
  const code = (first >> 1) & 0x1f;
  const width = code === 0 ? 0 : WIDTHS[code]!;
  const length = (((first & 1) << 8) | cur.byte()) + 1;
  const base = signed ? cur.svarint() : cur.varint();
  const deltaBase = cur.svarint();
  let value = checkSafe(base);
  emit(value);
  if (length === 1) return;
  if (width === 0) {
    for (let i = 1; i < length; i++) {
      value = checkSafe(value + deltaBase);
      emit(value);
    }
    return;
  }
  value = checkSafe(value + deltaBase);
  emit(value);
  const deltas = readPacked(cur, width, length - 2);
  for (const delta of deltas) {
    const d = toSafe(delta);
    value = checkSafe(deltaBase < 0 ? value - d : value + d);
    emit(value);
  }
}
