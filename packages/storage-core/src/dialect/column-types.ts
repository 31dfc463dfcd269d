import type { CreateTableBuilder } from 'kysely';

/** What `CreateTableBuilder.addColumn` accepts as a column's type (kysely does not export the name). */
export type DataTypeExpression = Parameters<CreateTableBuilder<string>['addColumn']>[1];

/**
 * Column types whose spelling differs between dialects, for migrations. Each dialect's spelling is the one
 * its stores were created with: migration checksums cover the SQL, so a change here reports drift on every
 * existing store.
 */
export interface ColumnTypes {
  /** An integer primary key the database assigns: applies the type and the key to a column. */
  autoIncrementKey<TB extends string, C extends string, CN extends string>(
    table: CreateTableBuilder<TB, C>,
    column: CN,
  ): CreateTableBuilder<TB, C | CN>;
  /** IEEE double. */
  readonly double: DataTypeExpression;
  /** JSON document stored as text (portable; no JSON column type). */
  readonly json: DataTypeExpression;
  /** Text of any length (MySQL's `text` stops at 64 KiB, hence `longtext` there). */
  readonly longText: DataTypeExpression;
  /** Binary large object. */
  readonly blob: DataTypeExpression;
}
