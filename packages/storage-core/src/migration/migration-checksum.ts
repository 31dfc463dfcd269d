import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import { StorageErrorCode } from '../errors/error-codes.js';
import { StorageError } from '../errors/storage-error.js';
import type { Migration, MigrationContext } from './migration-types.js';
import { createRecordingKysely, type RecordedStatement } from './recording-driver.js';

/**
 * Recorded in the ledger beside every checksum, so a later change of what is hashed is told apart from a
 * changed migration.
 */
export const CHECKSUM_ALGORITHM = 'sha256/plan-sql-v1';

/** A migration's statements as planned, and the checksum over them. */
export interface CapturedMigration {
  readonly statements: readonly RecordedStatement[];
  readonly checksum: string;
}

/**
 * Line endings and trailing blanks vary with the editor and the build (a template literal from TS sources
 * and from compiled dist differ only there); they do not change what the database does.
 */
export function normaliseSql(text: string): string {
  return text
    .replace(/\r\n?/g, '\n')
    .split('\n')
    .map((line) => line.replace(/[ \t]+$/, ''))
    .join('\n')
    .replace(/\n+$/, '');
}

/** A JSON-safe, type-tagged form of a parameter, so `1n`, `1` and `'1'` hash differently. */
function canonicalParameter(value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : { $number: String(value) };
  if (typeof value === 'bigint') return { $bigint: value.toString() };
  if (value instanceof Uint8Array) return { $bytes: Buffer.from(value).toString('base64') };
  if (value instanceof Date)
    return { $date: Number.isNaN(value.getTime()) ? 'invalid' : value.toISOString() };
  if (Array.isArray(value)) return value.map(canonicalParameter);
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) =>
      a < b ? -1 : a > b ? 1 : 0,
    );
    return Object.fromEntries(entries.map(([k, v]) => [k, canonicalParameter(v)]));
  }
  return { $other: String(value) };
}

export function checksumStatements(statements: readonly RecordedStatement[]): string {
  const canonical = statements.map((s) => [normaliseSql(s.sql), s.parameters.map(canonicalParameter)]);
  return createHash('sha256').update(JSON.stringify(canonical)).digest('hex');
}

/**
 * Runs `up` (or `down`) against a recording connection compiled like `db` and returns the statements it
 * issued. Reads return no rows while recording, so a migration must cope with an empty result.
 */
export async function captureMigrationSql(
  db: Kysely<any>,
  migration: Migration,
  ctx: MigrationContext,
  key: string,
  direction: 'up' | 'down' = 'up',
): Promise<RecordedStatement[]> {
  const step = direction === 'up' ? migration.up : migration.down;
  if (!step) {
    throw new StorageError(StorageErrorCode.MIGRATION_IRREVERSIBLE, `migration ${key} has no down()`, {
      details: { migration: key },
    });
  }
  const { db: recording, driver } = createRecordingKysely(db);
  try {
    await recording.transaction().execute((trx) => step.call(migration, trx, ctx));
  } catch (error) {
    if (error instanceof StorageError) throw error;
    throw new StorageError(
      StorageErrorCode.MIGRATION_INVALID,
      `migration ${key}: ${direction}() failed while being planned (${error instanceof Error ? error.message : String(error)}). ` +
        'While planning, queries return no rows; a migration must issue its SQL through the db it is given and cope with empty reads.',
      { cause: error, details: { migration: key } },
    );
  } finally {
    await recording.destroy();
  }
  return driver.statements.map((s) => ({ sql: normaliseSql(s.sql), parameters: s.parameters }));
}

/**
 * Plans a migration twice and refuses it when the two plans differ: a checksum over SQL that embeds the
 * clock or a random value would report drift on every later open.
 */
export async function captureMigration(
  db: Kysely<any>,
  migration: Migration,
  ctx: MigrationContext,
  key: string,
): Promise<CapturedMigration> {
  const first = await captureMigrationSql(db, migration, ctx, key);
  const second = await captureMigrationSql(db, migration, ctx, key);
  const checksum = checksumStatements(first);
  if (checksumStatements(second) !== checksum) {
    throw new StorageError(
      StorageErrorCode.MIGRATION_INVALID,
      `migration ${key} issues different SQL each time it is planned (a timestamp or random value in its statements?). ` +
        'Compute such values in SQL, or make them constants, so its checksum is stable.',
      { details: { migration: key } },
    );
  }
  return { statements: first, checksum };
}
