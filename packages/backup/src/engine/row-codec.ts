import { StorageErrorCode } from '@mainframe-kb/storage-core';
import { BackupError, BackupFailure } from '../errors/backup-error.js';

/**
 * Rows as portable JSON: the values every dialect's driver returns, with the few JSON cannot carry tagged —
 * bytes as `{"$b": base64}`, big integers as `{"$n": "…"}`, dates as `{"$d": ISO}`. Objects in rows are
 * never built from keys of the input except plain column names (JSON.parse makes `__proto__` an own key).
 */
export function encodeRows(rows: readonly Record<string, unknown>[]): Buffer {
  return Buffer.from(
    JSON.stringify(rows, (_key, value: unknown) => {
      if (typeof value === 'bigint') return { $n: value.toString() };
      if (value instanceof Uint8Array) return { $b: Buffer.from(value).toString('base64') };
      if (
        value !== null &&
        typeof value === 'object' &&
        'type' in value &&
        (value as any).type === 'Buffer'
      ) {
        // Buffer#toJSON ran before the replacer saw it.
        return { $b: Buffer.from((value as any).data as number[]).toString('base64') };
      }
      return value;
    }),
    'utf8',
  );
}

function decodeValue(value: unknown): unknown {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const keys = Object.keys(value);
    if (keys.length === 1) {
      const v = (value as Record<string, unknown>)[keys[0]!];
      if (keys[0] === '$b' && typeof v === 'string') return Buffer.from(v, 'base64');
      if (keys[0] === '$n' && typeof v === 'string' && /^-?\d+$/.test(v)) return BigInt(v);
      if (keys[0] === '$d' && typeof v === 'string') return new Date(v);
    }
  }
  return value;
}

export function decodeRows(bytes: Buffer, what: string): Record<string, unknown>[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    throw new BackupError(
      StorageErrorCode.INTEGRITY,
      BackupFailure.OBJECT_CORRUPT,
      `${what} is not row JSON`,
      {
        cause: error,
      },
    );
  }
  if (!Array.isArray(parsed)) {
    throw new BackupError(
      StorageErrorCode.INTEGRITY,
      BackupFailure.OBJECT_CORRUPT,
      `${what} is not a row list`,
    );
  }
  return parsed.map((row) => {
    if (row === null || typeof row !== 'object' || Array.isArray(row)) {
      throw new BackupError(
        StorageErrorCode.INTEGRITY,
        BackupFailure.OBJECT_CORRUPT,
        `${what} holds a non-row`,
      );
    }
    const out: Record<string, unknown> = Object.create(null);
    for (const [k, v] of Object.entries(row as Record<string, unknown>)) out[k] = decodeValue(v);
    return out;
  });
}
