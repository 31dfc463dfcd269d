import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  CORE_VERSION,
  StorageError,
  StorageErrorCode,
  type TableContribution,
} from '@mainframe-kb/storage-core';
import type { Kysely, Transaction } from 'kysely';
import { z } from 'zod';
import type { CodecRegistry } from '../codec-registry.js';
import type { DataRecord } from '../codec-types.js';
import { writeJsonEnvelope } from '../envelope/json-envelope-writer.js';
import {
  EXPORT_FORMAT_ID,
  EXPORT_VERSION,
  type ExportHeader,
  type ExportManifest,
  type ExportMetadata,
  type ExportTrailer,
  MANIFEST_FILE,
  type ManifestFile,
  READABLE_VERSIONS,
  type TableSchema,
  type TableValidationResult,
  toEntitySchema,
} from '../envelope/versioned-export.js';
import { checkValue } from '../field-values.js';
import { recordTables } from '../import/record-counts.js';
import { ContentHasher } from '../integrity/content-hasher.js';
import { withFileSink } from '../io/byte-sink.js';
import { hashingSink } from '../io/hashing-sink.js';
import type { StoreAccess } from '../plugin/store-access.js';
import { IO_FORMATS_VERSION } from '../version.js';
import type { FormatExportOptions, FormatExportResult } from './export-types.js';
import { writeOutput } from './output-file.js';
import { describeTables, type TableInfo } from './table-schema.js';

const exportOptionsSchema = z.strictObject({
  format: z.string().min(1),
  out: z.string().min(1),
  entities: z.array(z.string().min(1)).optional(),
  onProgress: z.function().optional(),
  pageSize: z.number().int().min(1).max(100_000).optional(),
  target: z.undefined().optional(),
});

/** Tables an export writes: every contributed table but the derived ones, optionally of some entities. */
export function exportedTables(
  tables: readonly TableContribution[],
  entities: readonly string[] | undefined,
): TableContribution[] {
  const chosen = tables.filter((t) => !t.derived);
  if (entities === undefined) return chosen;
  const known = new Set(chosen.map((t) => t.entity));
  const unknown = entities.filter((e) => !known.has(e));
  if (unknown.length > 0) {
    throw new StorageError(
      StorageErrorCode.VALIDATION,
      `unknown entit${unknown.length > 1 ? 'ies' : 'y'} ${unknown.map((e) => `'${e}'`).join(', ')}; this store has ${[...known].join(', ')} (an entity appears when its plugin is enabled)`,
      { details: { unknown, known: [...known] } },
    );
  }
  return chosen.filter((t) => entities.includes(t.entity));
}

/**
 * Exports the store on one consistent snapshot (a read transaction around every query), streaming each
 * table page by page into the codec. The output appears under its final name only once complete. It records
 * what a restore verifies: the content hash of the tables, computed from the rows as they are read, and the
 * sha256 of each file (a manifest's files; an envelope's body).
 */
export async function exportWith(
  access: StoreAccess,
  codecs: CodecRegistry,
  options: FormatExportOptions,
): Promise<FormatExportResult> {
  const parsed = exportOptionsSchema.safeParse(options);
  if (!parsed.success) {
    throw new StorageError(
      StorageErrorCode.VALIDATION,
      `invalid export options: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  }
  const codec = codecs.get(options.format);
  const tables = exportedTables(access.tables(), options.entities);
  const pageSize = options.pageSize ?? 2_000;
  return writeOutput(options.out, (temporary) =>
    access.read('io-formats.export', () =>
      access.dialect.readTransaction(async (trx) => {
        const infos = await describeTables(trx, tables);
        const counts = new Map<string, number>();
        for (const table of tables) counts.set(table.name, await countRows(trx, table.name));
        const total = [...counts.values()].reduce((a, b) => a + b, 0);
        let done = 0;
        const header = await buildHeader(trx, access, infos);
        // The migrations ledger is the target's own on a restore: no content hash covers it.
        const hasher = new ContentHasher(tables.filter((t) => t.entity !== 'schema').map((t) => t.name));
        const rows = (table: TableContribution): AsyncIterable<DataRecord> =>
          readTable(trx, infos.get(table.name) as TableInfo, table, pageSize, (raw) => {
            hasher.add(table.name, raw);
            done += 1;
            if (done % 500 === 0 || done === total)
              options.onProgress?.({ phase: 'export', table: table.name, done, total });
          });
        const validation = (): TableValidationResult[] =>
          tables.map((t) => ({
            entity: t.entity,
            table: t.name,
            records: counts.get(t.name) ?? 0,
            ok: true,
          }));
        const trailer = (): ExportTrailer => ({
          transformation_log: [],
          validation_results: validation(),
          integrity: { algorithm: 'sha256', content_hash: hasher.result() },
        });
        options.onProgress?.({ phase: 'export', table: tables[0]?.name ?? '', done: 0, total });
        let bytes = 0;
        const perTable: Record<string, number> = {};
        if (codec.format === 'json') {
          const written = await withFileSink(temporary, (sink) =>
            writeJsonEnvelope(
              sink,
              header,
              (async function* () {
                for (const table of tables) yield { table: table.name, records: rows(table) };
              })(),
              trailer,
            ),
          );
          bytes = written.bytes;
          Object.assign(perTable, written.records);
        } else {
          await mkdir(temporary);
          const files: ManifestFile[] = [];
          for (const table of tables) {
            const info = infos.get(table.name) as TableInfo;
            const file = `${table.name}.${codec.format}`;
            const { summary, sha256 } = await withFileSink(join(temporary, file), async (fileOut) => {
              const sink = hashingSink(fileOut);
              const written = await codec.write(rows(table), toEntitySchema(info.schema), sink);
              return { summary: written, sha256: sink.seal() };
            });
            files.push({
              entity: table.entity,
              table: table.name,
              file,
              format: codec.format,
              records: summary.records,
              bytes: summary.bytes,
              sha256,
            });
            perTable[table.name] = summary.records;
            bytes += summary.bytes;
          }
          const manifest: ExportManifest = { ...header, files, ...trailer() };
          const text = `${JSON.stringify(manifest, null, 2)}\n`;
          await writeFile(join(temporary, MANIFEST_FILE), text, { flag: 'wx' });
          bytes += Buffer.byteLength(text);
        }
        for (const table of tables) {
          if (perTable[table.name] !== counts.get(table.name)) {
            throw new StorageError(
              StorageErrorCode.INTEGRITY,
              `${table.name}: wrote ${perTable[table.name]} records but the snapshot holds ${counts.get(table.name)}`,
            );
          }
        }
        // What the user exported, per entity: the rows of its first table (entries, incidents, templates …);
        // the rows of its other tables (tags, feedback, versions) are detail, in `tables`.
        const records: Record<string, number> = {};
        for (const [entity, table] of recordTables(tables)) records[entity] = perTable[table] ?? 0;
        return {
          file: options.out,
          format: codec.format,
          layout: codec.format === 'json' ? 'envelope' : 'directory',
          records,
          tables: perTable,
          bytes,
        };
      }),
    ),
  );
}

async function countRows(db: Kysely<any>, table: string): Promise<number> {
  const row = await db
    .selectFrom(table)
    .select((eb) => eb.fn.countAll().as('n'))
    .executeTakeFirstOrThrow();
  return Number((row as { n: number | bigint | string }).n);
}

/**
 * Pages through a table by keyset, each page an index seek from where the last one ended (never OFFSET, which
 * re-reads every earlier row and made a 400,000-row composite-key table quadratic). A table with a generated
 * sequence column (kb_entries.seq) is read in that order — the order its rows were created, and the order an
 * import writes them back in: ascending rowids append to SQLite's b-tree and full-text index, where key order
 * (random UUIDs) made every insert land somewhere else. Other tables are read in primary-key order.
 */
async function* readTable(
  db: Transaction<any>,
  info: TableInfo,
  table: TableContribution,
  pageSize: number,
  /** Each row as the database returned it, before it is converted for the codec. */
  onRecord: (raw: Readonly<Record<string, unknown>>) => void,
): AsyncGenerator<DataRecord> {
  const order = pagingColumns(info, table);
  const schema = toEntitySchema(info.schema);
  const fields = schema.fields;
  const location = { row: 0, pointer: `${table.name}` };
  let last: unknown[] | undefined;
  for (;;) {
    let query = db.selectFrom(table.name).selectAll();
    for (const column of order) query = query.orderBy(column);
    if (last !== undefined) {
      const after = last;
      query = query.where((eb) => {
        // (a, b, c) > (x, y, z), spelled out for every dialect and led by `a >= x` so that the index on the
        // first column bounds the scan: a > x  OR  a = x AND b > y  OR  a = x AND b = y AND c > z.
        const disjuncts = order.map((column, i) =>
          eb.and([
            ...order.slice(0, i).map((earlier, j) => eb(earlier, '=', after[j] as never)),
            eb(column, '>', after[i] as never),
          ]),
        );
        return order.length === 1
          ? eb(order[0] as string, '>', after[0] as never)
          : eb.and([eb(order[0] as string, '>=', after[0] as never), eb.or(disjuncts)]);
      });
    }
    const page = (await query.limit(pageSize).execute()) as Record<string, unknown>[];
    for (const raw of page) {
      location.row += 1;
      const record: DataRecord = {};
      for (const field of fields) {
        let value = raw[field.name];
        if (typeof value === 'bigint') value = Number(value);
        record[field.name] = checkValue('json', field, value as never, location);
      }
      onRecord(raw);
      yield record;
    }
    if (page.length < pageSize) return;
    const tail = page.at(-1) as Record<string, unknown>;
    last = order.map((column) => tail[column]);
  }
}

/**
 * The columns a table is read in order of: its one generated sequence column, then its primary key (which
 * keeps the order total and the keyset exact where a sequence column is not unique, e.g. a PostgreSQL
 * `serial` outside the key); else its primary key.
 */
function pagingColumns(info: TableInfo, table: TableContribution): readonly string[] {
  const generated = info.columns.filter((c) => c.autoIncrement);
  if (generated.length !== 1) return table.primaryKey;
  const sequence = (generated[0] as { name: string }).name;
  return [sequence, ...table.primaryKey.filter((k) => k !== sequence)];
}

async function buildHeader(
  db: Kysely<any>,
  access: StoreAccess,
  infos: ReadonlyMap<string, TableInfo>,
): Promise<ExportHeader> {
  const ledger = (await db
    .selectFrom('kb_migrations')
    .select(['namespace', 'id'])
    .orderBy('namespace')
    .orderBy('id')
    .execute()) as { namespace: string; id: string }[];
  const plugins = access.plugins();
  const mvp = Math.max(1, ...plugins.map((p) => p.mvp));
  const metadata: ExportMetadata = {
    exported_at: new Date().toISOString(),
    mvp_version: `MVP${mvp}`,
    schema_version: ledger.length,
    data_model_version: EXPORT_VERSION,
    export_tool_version: IO_FORMATS_VERSION,
    core_version: CORE_VERSION,
    dialect: access.dialect.name,
    extensions: plugins.map((p) => ({ id: p.id, version: p.version, mvp: p.mvp })),
    migrations: ledger.map((m) => `${m.namespace}:${m.id}`),
  };
  const schemas: Record<string, TableSchema> = {};
  for (const [name, info] of infos) schemas[name] = info.schema;
  return {
    format: EXPORT_FORMAT_ID,
    version: EXPORT_VERSION,
    backward_compatibility: [EXPORT_VERSION],
    forward_compatibility: [...READABLE_VERSIONS],
    metadata,
    schemas,
  };
}
