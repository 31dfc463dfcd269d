import type {
  ByteSink,
  ByteSource,
  DataRecord,
  EntitySchema,
  FormatCodec,
  ReadItem,
  ReadOptions,
  WriteSummary,
} from '../codec-types.js';
import { FormatErrorReason, formatError } from '../errors/format-error.js';
import { TextSinkWriter } from '../io/byte-sink.js';
import { decodeUtf8 } from '../io/text-decoding.js';
import { jsonToRecord, recordToJson } from '../record-shape.js';
import { JsonStreamParser, type JsonValue, pointerOf } from './json-stream-parser.js';

/** First non-blank byte, skipping a UTF-8 BOM. */
export function firstSignificantByte(head: Uint8Array): number | undefined {
  let i = head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf ? 3 : 0;
  while (i < head.length && (head[i] === 0x20 || head[i] === 0x0a || head[i] === 0x0d || head[i] === 0x09))
    i += 1;
  return head[i];
}

/**
 * JSON: one array of record objects, streamed both ways. The store's whole-export envelope is written by
 * `writeJsonEnvelope`; this codec is the per-table form (and what a directory export holds for `json`).
 */
export const jsonCodec: FormatCodec = {
  format: 'json',
  sniff(head) {
    return firstSignificantByte(head) === 0x5b;
  },
  read(source: ByteSource, options: ReadOptions): AsyncIterable<ReadItem> {
    return readJsonArray(source, options);
  },
  async write(
    records: AsyncIterable<DataRecord>,
    schema: EntitySchema,
    sink: ByteSink,
  ): Promise<WriteSummary> {
    const out = new TextSinkWriter(sink);
    let count = 0;
    await out.write('[');
    for await (const record of records) {
      const json = recordToJson('json', schema, record, { row: count + 1 });
      await out.write(`${count === 0 ? '\n' : ',\n'}${JSON.stringify(json)}`);
      count += 1;
    }
    await out.write(count === 0 ? ']\n' : '\n]\n');
    const bytes = await out.close();
    return { records: count, bytes };
  },
};

async function* readJsonArray(source: ByteSource, options: ReadOptions): AsyncGenerator<ReadItem> {
  const queue: ReadItem[] = [];
  let records = 0;
  const parser = new JsonStreamParser({
    format: 'json',
    limits: options.limits,
    decide: (path) => {
      if (path.length === 0) return 'walk';
      return 'capture';
    },
    onEnter: (path, kind) => {
      if (path.length === 0 && kind !== 'array') {
        throw formatError('json', FormatErrorReason.MALFORMED, 'the document must be an array of records');
      }
    },
    onValue: (path, value: JsonValue) => {
      if (path.length === 0) {
        throw formatError('json', FormatErrorReason.MALFORMED, 'the document must be an array of records');
      }
      records += 1;
      if (records > options.limits.maxRecords) {
        throw formatError(
          'json',
          FormatErrorReason.TOO_MANY_RECORDS,
          `more than ${options.limits.maxRecords} records`,
        );
      }
      const location = { pointer: pointerOf(path), row: records };
      queue.push({ record: jsonToRecord('json', value, options.schema, location, options), location });
    },
  });
  for await (const text of decodeUtf8(source.stream(), 'json')) {
    options.signal?.throwIfAborted();
    parser.push(text);
    yield* queue.splice(0);
  }
  parser.end();
  yield* queue.splice(0);
}
