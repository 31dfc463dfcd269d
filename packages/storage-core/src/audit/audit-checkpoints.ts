import { createHmac } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, writeSync } from 'node:fs';
import { StorageErrorCode } from '../errors/error-codes.js';
import { StorageError } from '../errors/storage-error.js';
import { sameDigest } from './audit-hash.js';

/**
 * A signed statement that the audit chain's row `seq` had hash `hash` at `at`: kept outside the store (the
 * checkpoint file, or anywhere the operator copies it), it shows a chain cut back or re-chained since.
 * `kind: 'load'` marks a checkpoint written by a load that replaced the chain (a restore): checkpoints before
 * the last such one describe a chain that no longer exists and are not checked.
 */
export interface AuditCheckpoint {
  readonly seq: number;
  readonly hash: string;
  readonly at: string;
  readonly keyId: string;
  /** HMAC-SHA-256 with the key `keyId` over the other fields (hex). */
  readonly signature: string;
  readonly kind?: 'load';
}

export type UnsignedCheckpoint = Omit<AuditCheckpoint, 'signature'>;

function signedText(checkpoint: UnsignedCheckpoint): string {
  return [
    'kb-audit-checkpoint-v1',
    checkpoint.kind ?? 'checkpoint',
    String(checkpoint.seq),
    checkpoint.hash,
    checkpoint.at,
    checkpoint.keyId,
  ].join('\n');
}

export function signCheckpoint(checkpoint: UnsignedCheckpoint, key: Buffer): AuditCheckpoint {
  const signature = createHmac('sha256', key).update(signedText(checkpoint)).digest('hex');
  return { ...checkpoint, signature };
}

export function checkpointSignatureValid(checkpoint: AuditCheckpoint, key: Buffer): boolean {
  const { signature, ...unsigned } = checkpoint;
  return sameDigest(signCheckpoint(unsigned, key).signature, String(signature));
}

/** Whether `value` has a checkpoint's shape (a line read back, or one an operator passes in). */
export function isCheckpoint(value: unknown): value is AuditCheckpoint {
  const c = value as Record<string, unknown> | null;
  return (
    typeof c === 'object' &&
    c !== null &&
    Number.isSafeInteger(c.seq) &&
    (c.seq as number) >= 0 &&
    typeof c.hash === 'string' &&
    /^[0-9a-f]{64}$/.test(c.hash) &&
    typeof c.at === 'string' &&
    typeof c.keyId === 'string' &&
    typeof c.signature === 'string' &&
    (c.kind === undefined || c.kind === 'load')
  );
}

export interface CheckpointLog {
  /** The checkpoints that describe the present chain: from the last `load` checkpoint on. */
  readonly checkpoints: readonly AuditCheckpoint[];
  /** Lines that are not checkpoints (a damaged or edited file). */
  readonly problems: readonly string[];
}

/** The append-only file of checkpoints (one JSON object per line). */
export class CheckpointFile {
  constructor(readonly path: string | undefined) {}

  read(): CheckpointLog {
    if (this.path === undefined) return { checkpoints: [], problems: [] };
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { checkpoints: [], problems: [] };
      throw new StorageError(
        StorageErrorCode.DATABASE,
        `cannot read the audit checkpoint file ${this.path}: ${(error as Error).message}`,
        { cause: error },
      );
    }
    const all: AuditCheckpoint[] = [];
    const problems: string[] = [];
    for (const [index, line] of text.split('\n').entries()) {
      if (line.trim() === '') continue;
      let parsed: unknown;
      try {
        parsed = JSON.parse(line);
      } catch {
        parsed = undefined;
      }
      if (isCheckpoint(parsed)) all.push(parsed);
      else problems.push(`${this.path} line ${index + 1} is not a checkpoint`);
    }
    const lastLoad = all.findLastIndex((c) => c.kind === 'load');
    return { checkpoints: lastLoad < 0 ? all : all.slice(lastLoad), problems };
  }

  /** Whether the file exists: a load records itself only where checkpoints are being kept. */
  exists(): boolean {
    return this.path !== undefined && existsSync(this.path);
  }

  /** Appends one line and flushes it; the file is created owner-only. */
  append(checkpoint: AuditCheckpoint): void {
    if (this.path === undefined) return;
    const fd = openSync(this.path, 'a', 0o600);
    try {
      writeSync(fd, `${JSON.stringify(checkpoint)}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }
}
