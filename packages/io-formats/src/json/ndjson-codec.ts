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
import { firstSignificantByte } from './json-codec.js';
import { canonicalFlatObject, JsonStreamParser, type JsonValue } from './json-stream-parser.js';

/** NDJSON: one record object per line (LF or CRLF); blank lines are skipped. */
export const ndjsonCodec: FormatCodec = {
  format: 'ndjson',
  sniff(head) {
    return firstSignificantByte(head) === 0x7b;
  },
  read(source: ByteSource, options: ReadOptions): AsyncIterable<ReadItem> {
    return readLines(source, options);
  },
  async write(
    records: AsyncIterable<DataRecord>,
    schema: EntitySchema,
    sink: ByteSink,
  ): Promise<WriteSummary> {
    const out = new TextSinkWriter(sink);
    let count = 0;
    for await (const record of records) {
      count += 1;
      // JSON.stringify escapes U+2028/2029 and every control character, so a record never spans lines.
      await out.write(`${JSON.stringify(recordToJson('ndjson', schema, record, { line: count }))}\n`);
    }
    const bytes = await out.close();
    return { records: count, bytes };
  },
};

async function* readLines(source: ByteSource, options: ReadOptions): AsyncGenerator<ReadItem> {
  const { limits } = options;
  let rest = '';
  let line = 0;
  let records = 0;
  const parseLine = (text: string): ReadItem | undefined => {
    line += 1;
    const body = text.endsWith('\r') ? text.slice(0, -1) : text;
    if (body.trim().length === 0) return undefined;
    if (Buffer.byteLength(body) > limits.maxRecordBytes) throw tooLarge(line, limits.maxRecordBytes);
    records += 1;
    if (records > limits.maxRecords) {
      throw formatError(
        'ndjson',
        FormatErrorReason.TOO_MANY_RECORDS,
        `more than ${limits.maxRecords} records`,
      );
    }
    const location = { line };
    const canonical = canonicalFlatObject(body);
    if (canonical !== undefined) {
      return { record: jsonToRecord('ndjson', canonical, options.schema, location), location };
    }
    let value: JsonValue | undefined;
    const parser = new JsonStreamParser({
      format: 'ndjson',
      limits,
      decide: () => 'capture',
      onValue: (_path, v) => {
        value = v;
      },
    });
    try {
      parser.push(body);
      parser.end();
    } catch (error) {
      throw relocate(error, location);
    }
    return { record: jsonToRecord('ndjson', value as JsonValue, options.schema, location), location };
  };
  for await (const text of decodeUtf8(source.stream(), 'ndjson')) {
    options.signal?.throwIfAborted();
    const lines = (rest + text).split('\n');
    rest = lines.pop() as string;
    if (rest.length > limits.maxRecordBytes) throw tooLarge(line + 1, limits.maxRecordBytes);
    for (const l of lines) {
      const item = parseLine(l);
      if (item) yield item;
    }
  }
  const item = parseLine(rest);
  if (item) yield item;
}

function tooLarge(line: number, limit: number) {
  return formatError(
    'ndjson',
    FormatErrorReason.RECORD_TOO_LARGE,
    `line ${line} is longer than ${limit} bytes`,
    {
      location: { line },
      details: { limit },
    },
  );
}

/** Errors from the line's parser know the pointer inside the line; the line number is what a user needs. */
function relocate(error: unknown, location: { line: number }): unknown {
  const details = (error as { details?: Record<string, unknown> }).details;
  if (details && typeof details === 'object')
    details.location = { ...location, ...(details.location as object) };
  return error;
}
