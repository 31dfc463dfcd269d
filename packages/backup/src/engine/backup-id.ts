import { randomBytes } from 'node:crypto';
import type { BackupType } from '../manifest/backup-metadata.js';

/** `20261128t173500123z-full-1a2b3c4d`: sorts by time, names the type, unique across processes. */
export function newBackupId(at: Date, type: BackupType): string {
  const stamp = at.toISOString().replace(/[-:.]/g, '').toLowerCase();
  return `${stamp}-${type}-${randomBytes(4).toString('hex')}`;
}
