import type { ByteSink, DataRecord } from '../codec-types.js';
import type { ExportIntegrity } from '../integrity/integrity-types.js';
import { TextSinkWriter } from '../io/byte-sink.js';
import { hashingSink } from '../io/hashing-sink.js';
import { recordToJson } from '../record-shape.js';
import { type ExportHeader, type ExportTrailer, toEntitySchema } from './versioned-export.js';

export interface EnvelopeTable {
  readonly table: string;
  readonly records: AsyncIterable<DataRecord>;
}

/**
 * Writes the versioned export envelope as one JSON document, streamed: the header, then each table's records
 * one line each as they come (never all of them in memory), then the trailer that `trailer()` builds once the
 * data is written (it knows the counts and the content hash). The last member, on a line of its own, is
 * `"integrity"`: the sha256 of every byte before that line (`body_sha256`, hashed as the bytes go out) and the
 * trailer's content hash, if it has one.
 */
export async function writeJsonEnvelope(
  sink: ByteSink,
  header: ExportHeader,
  tables: AsyncIterable<EnvelopeTable>,
  trailer: () => ExportTrailer,
): Promise<{ bytes: number; records: Record<string, number> }> {
  const hashed = hashingSink(sink);
  const out = new TextSinkWriter(hashed);
  const counts: Record<string, number> = {};
  // Header keys first and in this order: readers check format and version before the first record.
  await out.write(
    `{"format":${JSON.stringify(header.format)},"version":${JSON.stringify(header.version)},\n`,
  );
  await out.write(`"backward_compatibility":${JSON.stringify(header.backward_compatibility)},\n`);
  await out.write(`"forward_compatibility":${JSON.stringify(header.forward_compatibility)},\n`);
  await out.write(`"metadata":${JSON.stringify(header.metadata)},\n`);
  await out.write(`"schemas":${JSON.stringify(header.schemas)},\n"data":{`);
  let entity: string | undefined;
  let firstTableOfEntity = true;
  for await (const { table, records } of tables) {
    const schema = header.schemas[table];
    if (schema === undefined) throw new Error(`writeJsonEnvelope: no schema for table '${table}'`);
    if (schema.entity !== entity) {
      await out.write(`${entity === undefined ? '\n' : '},\n'}${JSON.stringify(schema.entity)}:{`);
      entity = schema.entity;
      firstTableOfEntity = true;
    }
    await out.write(`${firstTableOfEntity ? '\n' : ',\n'}${JSON.stringify(table)}:[`);
    firstTableOfEntity = false;
    const entitySchema = toEntitySchema(schema);
    let n = 0;
    for await (const record of records) {
      n += 1;
      await out.write(
        `${n === 1 ? '\n' : ',\n'}${JSON.stringify(recordToJson('json', entitySchema, record, { row: n }))}`,
      );
    }
    counts[table] = n;
    await out.write(']');
  }
  await out.write(entity === undefined ? '},\n' : '}},\n');
  const end = trailer();
  await out.write(`"transformation_log":${JSON.stringify(end.transformation_log)},\n`);
  await out.write(`"validation_results":${JSON.stringify(end.validation_results)},\n`);
  await out.flush();
  const integrity: ExportIntegrity | Omit<ExportIntegrity, 'content_hash'> = {
    algorithm: 'sha256',
    body_sha256: hashed.seal(),
    ...(end.integrity === undefined ? {} : { content_hash: end.integrity.content_hash }),
  };
  await out.write(`"integrity":${JSON.stringify(integrity)}}\n`);
  const bytes = await out.close();
  return { bytes, records: counts };
}

/** Whether the first bytes of a file are an export envelope written by this package (any version). */
export function sniffEnvelope(head: Uint8Array): boolean {
  const text = new TextDecoder('utf-8', { fatal: false }).decode(head.subarray(0, 256));
  // Version 2 starts with its format id; the seed's 1.0.0 layout starts with its version.
  return (
    /^\uFEFF?\s*\{\s*"format"\s*:\s*"mainframe-kb-export"/.test(text) ||
    /^\uFEFF?\s*\{\s*"version"\s*:\s*"1\.\d+\.\d+"/.test(text)
  );
}
