/**
 * How decoded numbers are returned:
 * - an integer is a `number` when it is a safe integer (|n| ≤ 2^53 − 1), otherwise a `bigint`;
 * - a number with decimals is a `number` when it has at most 15 significant digits (so the double prints
 *   back as the same decimal), otherwise the exact decimal text with all its `scale` decimals
 *   (`"305039325767626768.7078781717"`), like the BigDecimal Cobrix emits.
 */
export type DecodedNumber = number | bigint | string;

/** Significant digits a double keeps exactly through a decimal round trip. */
const DOUBLE_DECIMAL_DIGITS = 15;

/** The value of `unscaled × 10^-scale` (scale may be negative, for trailing P positions). */
export function scaledNumber(unscaled: bigint, scale: number): DecodedNumber {
  if (scale <= 0) {
    const value = scale === 0 ? unscaled : unscaled * 10n ** BigInt(-scale);
    const asNumber = Number(value);
    return Number.isSafeInteger(asNumber) ? asNumber : value;
  }
  if (unscaled === 0n) return 0;
  const negative = unscaled < 0n;
  const digits = (negative ? -unscaled : unscaled).toString();
  const padded = digits.padStart(scale + 1, '0');
  const text = `${negative ? '-' : ''}${padded.slice(0, -scale)}.${padded.slice(-scale)}`;
  return digits.length <= DOUBLE_DECIMAL_DIGITS ? Number(text) : text;
}

/**
 * The shortest decimal that reads back as the same 32-bit float (what Java's Float.toString prints, and
 * so what Cobrix emits for COMP-1), as a double.
 */
export function shortestFloat32(value: number): number {
  if (!Number.isFinite(value) || value === 0) return value;
  const single = Math.fround(value);
  for (let precision = 1; precision < 9; precision++) {
    const candidate = Number(single.toPrecision(precision));
    if (Math.fround(candidate) === single) return candidate;
  }
  return Number(single.toPrecision(9));
}
