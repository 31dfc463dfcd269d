import { createHash, hash } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import type { TableContribution } from '../plugin/plugin-types.js';
import { readTableRows } from './table-reader.js';

/** A store's logical content, hashed the same way on every dialect. */
export interface ContentHash {
  readonly algorithm: 'sha256';
  /** Over every hashed table's name, row count and hash, in table-name order. */
  readonly hash: string;
  readonly tables: Readonly<Record<string, TableHash>>;
}

export interface TableHash {
  readonly rows: number;
  readonly hash: string;
}

export interface ContentHashOptions {
  /** Tables to hash (default: every non-derived table except the migrations ledger). */
  readonly tables?: readonly string[];
  /**
   * Columns left out, per table: store-local surrogate keys (`kb_entries.seq`, …) when comparing content
   * that was re-imported rather than copied.
   */
  readonly ignoreColumns?: Readonly<Record<string, readonly string[]>>;
}

/**
 * The canonical form of one value. Drivers hand back the same stored value as different JS types (SQLite
 * and MySQL booleans as 0/1, PostgreSQL BIGINT as a string, a MySQL DATETIME as a Date), so the form is
 * chosen by kind, not by type: every number in its shortest round-trip decimal, every string as itself.
 */
function canonicalValue(value: unknown): string {
  if (value === null || value === undefined) return 'N';
  switch (typeof value) {
    case 'number':
      return `n${Object.is(value, -0) ? '0' : String(value)}`;
    case 'bigint':
      return `n${value.toString()}`;
    case 'boolean':
      return value ? 'n1' : 'n0';
    case 'string':
      return `s${value}`;
    default:
      if (value instanceof Date) return `s${value.toISOString()}`;
      if (value instanceof Uint8Array) return `x${Buffer.from(value).toString('hex')}`;
      return `j${JSON.stringify(value)}`;
  }
}

/** The canonical text of one row: its `columns` (in name order), each name and canonical value length-prefixed. */
function rowText(row: Readonly<Record<string, unknown>>, columns: readonly string[]): string {
  let text = '';
  for (const column of columns) {
    const value = canonicalValue(row[column]);
    text += `${column.length}:${column}${value.length}:${value}`;
  }
  return text;
}

function sortedColumns(row: Readonly<Record<string, unknown>>, ignore?: ReadonlySet<string>): string[] {
  const columns = Object.keys(row).sort();
  return ignore === undefined || ignore.size === 0 ? columns : columns.filter((c) => !ignore.has(c));
}

/** sha256 of one row: its columns in name order, each name and canonical value length-prefixed. */
export function rowDigest(row: Readonly<Record<string, unknown>>, ignore?: ReadonlySet<string>): Buffer {
  return hash('sha256', rowText(row, sortedColumns(row, ignore)), 'buffer');
}

/** Digests each of 32 latin1 characters (one per byte), so that string order is byte order. */
const DIGEST_BYTES = 32;
/** Above this many rows the digests are put in order by their first two bytes before they are sorted. */
const BUCKETED_FROM = 1 << 16;

/**
 * The hash over a table's row digests: sorted, so that it does not depend on the order the database returns
 * rows in (which follows the dialect's collation), and hashed together with the row count. V8 sorts strings
 * several times faster than it calls Buffer.compare (2 s for 489,306 rows); a large table is first placed by
 * its digests' first two bytes (a counting sort into 65,536 buckets of a few digests each), which halves the
 * time again, and written into one buffer instead of one joined string.
 */
function digestOfRows(digests: string[]): string {
  const result = createHash('sha256');
  result.update(`rows:${digests.length}\n`);
  // Bucketing writes 32 bytes per digest: digests of any other length (tableDigest is public) take the plain sort.
  if (digests.length < BUCKETED_FROM || !digests.every((d) => d.length === DIGEST_BYTES))
    return result.update(digests.sort().join(''), 'latin1').digest('hex');
  const bucketOf = (d: string) => (d.charCodeAt(0) << 8) | d.charCodeAt(1);
  const starts = new Uint32Array((1 << 16) + 1);
  for (const d of digests) starts[bucketOf(d) + 1]! += 1;
  for (let b = 1; b < starts.length; b++) starts[b]! += starts[b - 1]!;
  const next = starts.slice(0, -1);
  const placed = new Array<string>(digests.length);
  for (const d of digests) placed[next[bucketOf(d)]!++] = d;
  const bytes = Buffer.allocUnsafe(digests.length * DIGEST_BYTES);
  let offset = 0;
  for (let b = 0; b + 1 < starts.length; b++) {
    const from = starts[b]!;
    const to = starts[b + 1]!;
    const bucket = placed.slice(from, to);
    if (bucket.length > 1) bucket.sort();
    for (const d of bucket) offset += bytes.write(d, offset, DIGEST_BYTES, 'latin1');
  }
  return result.update(bytes).digest('hex');
}

/**
 * Hashes a table's rows independently of the order the database returns them in (see {@link TableDigester},
 * which hashes rows as they stream past without keeping them).
 */
export function tableDigest(digests: Buffer[]): string {
  return digestOfRows(digests.map((d) => d.toString('latin1')));
}

/**
 * One table's content hash, accumulated a row at a time as the rows stream past (an export, a backup, a copy
 * between stores): the same hash as `rowDigest` of every row and then `tableDigest`, at a fraction of the
 * cost. Each digest is kept as a 32-character latin1 string (one-shot `crypto.hash`, about 5× cheaper per row
 * than a Hash object and a Buffer), and a table's rows share one sorted column list while their keys repeat.
 */
export class TableDigester {
  readonly #ignore: ReadonlySet<string> | undefined;
  readonly #digests: string[] = [];
  #keys: string[] = [];
  #columns: string[] = [];

  constructor(ignore?: ReadonlySet<string>) {
    this.#ignore = ignore;
  }

  get rows(): number {
    return this.#digests.length;
  }

  add(row: Readonly<Record<string, unknown>>): void {
    // 'binary' is Node's name for latin1: one character per byte of the digest.
    this.#digests.push(hash('sha256', rowText(row, this.#columnsOf(row)), 'binary'));
  }

  /** The table's hash over the rows added so far. */
  result(): TableHash {
    return { rows: this.#digests.length, hash: digestOfRows(this.#digests) };
  }

  #columnsOf(row: Readonly<Record<string, unknown>>): readonly string[] {
    const keys = Object.keys(row);
    const last = this.#keys;
    let same = keys.length === last.length;
    for (let i = 0; same && i < keys.length; i++) same = keys[i] === last[i];
    if (!same) {
      this.#keys = keys;
      this.#columns = sortedColumns(row, this.#ignore);
    }
    return this.#columns;
  }
}

export function combineTableHashes(tables: Readonly<Record<string, TableHash>>): string {
  const hash = createHash('sha256');
  for (const name of Object.keys(tables).sort()) {
    const t = tables[name]!;
    hash.update(`${name}:${t.rows}:${t.hash}\n`);
  }
  return hash.digest('hex');
}

/** The tables a content hash covers by default: content, not derived indexes or the dialect-specific ledger. */
export function hashedTables(all: readonly TableContribution[]): TableContribution[] {
  return all.filter((t) => !t.derived && t.entity !== 'schema');
}

/** The tables `options.tables` names (each must be one of `tables`), else the default hashed ones. */
function chosenTables(
  tables: readonly TableContribution[],
  names: readonly string[] | undefined,
  what: string,
) {
  const known = new Map(tables.map((t) => [t.name, t]));
  return names
    ? names.map((name) => {
        const table = known.get(name);
        if (!table) throw new RangeError(`${what}: '${name}' is not a table of this store`);
        return table;
      })
    : hashedTables(tables);
}

/** Row counts of the chosen tables (default: those a content hash covers), inside `trx`. */
export async function computeRowCounts(
  trx: Transaction<any> | Kysely<any>,
  tables: readonly TableContribution[],
  names?: readonly string[],
): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const table of chosenTables(tables, names, 'rowCounts')) {
    const row = await trx
      .selectFrom(table.name)
      .select((eb) => eb.fn.countAll().as('n'))
      .executeTakeFirstOrThrow();
    counts[table.name] = Number((row as { n: unknown }).n);
  }
  return counts;
}

/** Computes the content hash inside `trx` (a read transaction: one consistent snapshot). */
export async function computeContentHash(
  trx: Transaction<any> | Kysely<any>,
  tables: readonly TableContribution[],
  options: ContentHashOptions = {},
): Promise<ContentHash> {
  const chosen = chosenTables(tables, options.tables, 'contentHash');
  const result: Record<string, TableHash> = {};
  for (const table of chosen) {
    const digester = new TableDigester(new Set(options.ignoreColumns?.[table.name] ?? []));
    for await (const rows of readTableRows(trx, table)) {
      for (const row of rows) digester.add(row);
    }
    result[table.name] = digester.result();
  }
  return { algorithm: 'sha256', hash: combineTableHashes(result), tables: result };
}
