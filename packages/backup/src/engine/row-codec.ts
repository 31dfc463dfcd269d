import { StorageErrorCode } from '@mainframe-kb/storage-core';
import { BackupError, BackupFailure } from '../errors/backup-error.js';
import { MAX_BLOB_BYTES } from '../repository/blob-codec.js';

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

/** About the length of a row's JSON (text counted once: escapes and UTF-8 make it longer, at most 6 times). */
function encodedSize(row: Readonly<Record<string, unknown>>): number {
  let size = 2;
  for (const key in row) {
    const value = row[key];
    size += key.length + 4;
    if (typeof value === 'string') size += value.length + 2;
    else if (value instanceof Uint8Array) size += Math.ceil(value.byteLength / 3) * 4 + 10;
    else size += 24;
  }
  return size;
}

/**
 * A batch of rows as the encoded blobs that store it, each at most `maxBytes` (a restore decodes no blob
 * larger than `MAX_BLOB_BYTES`): the whole batch in one blob when it fits, as every batch of ordinary rows
 * does (their blobs keep the ids earlier backups gave them, for deduplication); else consecutive runs of its
 * rows, cut first by an estimate (so that no JSON text outgrows what a JS string holds) and then halved
 * until each fits. A single row that does not fit is refused: no restore could read it back.
 */
export function encodeRowBlobs(
  table: string,
  rows: readonly Record<string, unknown>[],
  maxBytes = MAX_BLOB_BYTES,
): Buffer[] {
  const out: Buffer[] = [];
  const encode = (piece: readonly Record<string, unknown>[]): void => {
    const raw = encodeRows(piece);
    if (raw.length <= maxBytes) {
      out.push(raw);
      return;
    }
    if (piece.length === 1) {
      throw new BackupError(
        StorageErrorCode.UNSUPPORTED,
        BackupFailure.UNSUPPORTED,
        `a row of ${table} takes ${raw.length} bytes in a logical backup, more than the ${maxBytes} one stored object holds (bytes of a binary column count 4/3): back the store up physically (SQLite), or export it with @mainframe-kb/io-formats`,
        { details: { table, bytes: raw.length, limit: maxBytes } },
      );
    }
    const half = Math.ceil(piece.length / 2);
    encode(piece.slice(0, half));
    encode(piece.slice(half));
  };
  let start = 0;
  let bytes = 0;
  for (let i = 0; i < rows.length; i++) {
    const size = encodedSize(rows[i]!);
    if (i > start && bytes + size > maxBytes) {
      encode(rows.slice(start, i));
      start = i;
      bytes = 0;
    }
    bytes += size;
  }
  encode(start === 0 ? rows : rows.slice(start));
  return out;
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
