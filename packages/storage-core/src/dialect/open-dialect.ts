import type { StorageConfig } from '../config/storage-config.js';
import { StorageErrorCode } from '../errors/error-codes.js';
import { StorageError } from '../errors/storage-error.js';
import type { DialectAdapter, DialectName } from './dialect-adapter.js';
import { MysqlDialectAdapter } from './mysql/mysql-adapter.js';
import { PgDialectAdapter } from './postgres/pg-adapter.js';
import { SqliteDialectAdapter } from './sqlite/sqlite-adapter.js';

type DialectFactory = (config: StorageConfig) => Promise<DialectAdapter>;

/** The one table that maps a configured database type to the code that opens it. */
const FACTORIES: Partial<Record<DialectName, DialectFactory>> = {
  sqlite: async (config) => SqliteDialectAdapter.open(config),
  postgresql: (config) => PgDialectAdapter.open(config),
  mysql: (config) => MysqlDialectAdapter.open(config),
};

export async function openDialect(config: StorageConfig): Promise<DialectAdapter> {
  const factory = FACTORIES[config.database.type];
  if (!factory) {
    throw new StorageError(
      StorageErrorCode.UNSUPPORTED,
      `database.type '${config.database.type}' is not available in this release of @mainframe-kb/storage-core; use 'sqlite'`,
      { details: { type: config.database.type } },
    );
  }
  return factory(config);
}
