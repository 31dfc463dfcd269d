import {
  type CompiledQuery,
  type DatabaseConnection,
  type DatabaseIntrospector,
  type Driver,
  Kysely,
  type QueryResult,
} from 'kysely';
import { StorageErrorCode } from '../errors/error-codes.js';
import { StorageError } from '../errors/storage-error.js';

/** One statement a migration issued, as the dialect compiled it. */
export interface RecordedStatement {
  readonly sql: string;
  readonly parameters: readonly unknown[];
}

/**
 * A driver that executes nothing: every query is recorded and answered with no rows. A migration run
 * against it shows the SQL it would issue, which is what `plan()` prints and what the checksum covers.
 */
export class RecordingDriver implements Driver {
  readonly statements: RecordedStatement[] = [];
  readonly #connection: DatabaseConnection;

  constructor() {
    const statements = this.statements;
    this.#connection = {
      async executeQuery<R>(compiledQuery: CompiledQuery): Promise<QueryResult<R>> {
        statements.push({ sql: compiledQuery.sql, parameters: [...compiledQuery.parameters] });
        return { rows: [] };
      },
      async *streamQuery<R>(compiledQuery: CompiledQuery): AsyncIterableIterator<QueryResult<R>> {
        statements.push({ sql: compiledQuery.sql, parameters: [...compiledQuery.parameters] });
        yield { rows: [] };
      },
    };
  }

  async init(): Promise<void> {}
  async acquireConnection(): Promise<DatabaseConnection> {
    return this.#connection;
  }
  // Transaction control is the registry's business, not the migration's: it is not part of the checksum.
  async beginTransaction(): Promise<void> {}
  async commitTransaction(): Promise<void> {}
  async rollbackTransaction(): Promise<void> {}
  async releaseConnection(): Promise<void> {}
  async destroy(): Promise<void> {}
}

const introspectionRefused = (): never => {
  throw new StorageError(
    StorageErrorCode.MIGRATION_INVALID,
    'a migration used db.introspection, which cannot be planned or checksummed; query the catalog with sql`…` instead',
  );
};

const refusingIntrospector: DatabaseIntrospector = {
  getSchemas: introspectionRefused,
  getTables: introspectionRefused,
  getMetadata: introspectionRefused,
};

/**
 * A kysely instance that compiles exactly as `db` does (same adapter, same compiler, same plugins) but
 * records instead of executing. Borrowing the live executor's compiler keeps this dialect-agnostic: the
 * recorded SQL is the SQL the real dialect would run.
 */
export function createRecordingKysely(db: Kysely<any>): { db: Kysely<any>; driver: RecordingDriver } {
  const executor = db.getExecutor();
  const driver = new RecordingDriver();
  const recording = new Kysely<any>({
    dialect: {
      createAdapter: () => executor.adapter,
      createDriver: () => driver,
      createIntrospector: () => refusingIntrospector,
      createQueryCompiler: () => ({ compileQuery: (node, queryId) => executor.compileQuery(node, queryId) }),
    },
    plugins: [...executor.plugins],
  });
  return { db: recording, driver };
}
