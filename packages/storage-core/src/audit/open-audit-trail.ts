import type { StorageConfig } from '../config/storage-config.js';
import type { DialectAdapter } from '../dialect/dialect-adapter.js';
import { CheckpointFile } from './audit-checkpoints.js';
import { AuditKeyring, auditKeySource } from './audit-keyring.js';
import { AuditTrail } from './audit-trail.js';

/**
 * The store's audit trail with its keyring and checkpoint file, located as docs/audit.md says: configured
 * paths first, else beside a SQLite database's file; a server store without configuration has no key file
 * (the variable `audit.keyEnv` names, or none) and no checkpoint file.
 */
export function openAuditTrail(config: StorageConfig, dialect: DialectAdapter): AuditTrail {
  const databaseFile = dialect.capabilities.embedded ? config.database.path : undefined;
  const writable = !config.database.readonly && dialect.fileState?.().readOnly !== true;
  const keyring = new AuditKeyring(auditKeySource(config, databaseFile, writable));
  const besideFile = databaseFile !== undefined && databaseFile !== ':memory:' ? databaseFile : undefined;
  const checkpoints = new CheckpointFile(
    config.audit.checkpointFile ?? (besideFile ? `${besideFile}.audit-checkpoints` : undefined),
  );
  return new AuditTrail(dialect.db, dialect.capabilities.lockingReads, keyring, checkpoints);
}
