/** Seconds from 1970-01-01 to ORC's timestamp base, 2015-01-01 00:00:00 UTC. */
export const ORC_EPOCH_SECONDS = 1_420_070_400;

/**
 * Nanoseconds as ORC stores them: two or more trailing decimal zeros are dropped and their count less one
 * kept in the low three bits (so 1 ms = 1_000_000 ns is stored as 1 << 3 | 5).
 */
export function encodeNanos(nanos: number): number {
  if (nanos === 0) return 0;
  if (nanos % 100 !== 0) return nanos * 8;
  let value = nanos / 100;
  let zeros = 1;
  while (value % 10 === 0 && zeros < 7) {
    value /= 10;
    zeros++;
  }
  return value * 8 + zeros;
}

/** Decodes stored nanos; negative ones (pre-1970 values from the C++ writer) shift arithmetically like C++. */
export function decodeNanos(stored: number): number {
  const zeros = ((stored % 8) + 8) % 8;
  let value = Math.floor(stored / 8);
  if (zeros !== 0) value *= 10 ** (zeros + 1);
  return value;
}

/**
 * Splits epoch milliseconds into ORC's (seconds since the ORC base, nanos). Like the Java and C++ writers,
 * a negative time with a fraction stores its seconds rounded toward zero; readers take one second off
 * again when they see negative seconds with nanos (ORC-763). Returns undefined for the one range that
 * convention cannot represent: (-1 s, 0) exclusive, where the rounded seconds are 0, not negative.
 */
export function toOrcTimestamp(millis: number): { seconds: number; nanos: number } | undefined {
  const floorSeconds = Math.floor(millis / 1000);
  const remainder = millis - floorSeconds * 1000;
  if (floorSeconds === -1 && remainder !== 0) return undefined;
  const seconds = floorSeconds < 0 && remainder !== 0 ? floorSeconds + 1 : floorSeconds;
  return { seconds: seconds - ORC_EPOCH_SECONDS, nanos: remainder * 1_000_000 };
}

/**
 * Epoch milliseconds of a stored timestamp, or undefined when it has sub-millisecond nanos. Negative nanos
 * (the C++ writer's pre-1970 values, seconds truncated toward zero) add as they are.
 */
export function fromOrcTimestamp(storedSeconds: number, nanos: number): number | undefined {
  let seconds = storedSeconds + ORC_EPOCH_SECONDS;
  if (seconds < 0 && nanos > 999_999) seconds -= 1;
  if (nanos % 1_000_000 !== 0) return undefined;
  return seconds * 1000 + nanos / 1_000_000;
}
