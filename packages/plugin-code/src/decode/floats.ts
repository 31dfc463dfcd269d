/** Reads COMP-1 / COMP-2 values: IEEE 754 or IBM hexadecimal floating point, big-endian. */

export type FloatingPointFormat = 'IBM' | 'IEEE754';

/**
 * IBM hexadecimal float: sign bit, 7-bit exponent of 16 biased by 64, then a 24-bit (single) or 56-bit
 * (double) fraction: value = ±0.fraction × 16^(exponent − 64).
 */
function ibmFloat(view: DataView, offset: number, double: boolean): number {
  const high = view.getUint32(offset);
  const negative = high >>> 31 === 1;
  const exponent = (high >>> 24) & 0x7f;
  let fraction = high & 0xffffff;
  let fractionBits = 24;
  if (double) {
    fraction = fraction * 2 ** 32 + view.getUint32(offset + 4);
    fractionBits = 56;
  }
  const magnitude = fraction * 2 ** (4 * (exponent - 64) - fractionBits);
  return negative ? -magnitude : magnitude;
}

export function readFloat(bytes: Uint8Array, format: FloatingPointFormat): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const double = bytes.byteLength === 8;
  if (format === 'IBM') return ibmFloat(view, 0, double);
  return double ? view.getFloat64(0) : view.getFloat32(0);
}
