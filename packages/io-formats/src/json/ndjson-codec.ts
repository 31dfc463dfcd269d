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

/**
 * Splits the bytes into lines before decoding (a newline byte is never part of a multi-byte UTF-8 sequence)
 * and decodes each line strictly: a line that is not UTF-8 is refused by its number, never patched with
 * U+FFFD. Lines are small strings, decoded once each.
 */
async function* readLines(source: ByteSource, options: ReadOptions): AsyncGenerator<ReadItem> {
  const { limits } = options;
  const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  let line = 0;
  let records = 0;
  /** The start of a line that a chunk boundary cut, in pieces. */
  let carried: Buffer[] = [];
  let carriedBytes = 0;
  let first = true;
  const parseLine = (bytes: Buffer): ReadItem | undefined => {
    line += 1;
    const end = bytes.length > 0 && bytes[bytes.length - 1] === 0x0d ? bytes.length - 1 : bytes.length;
    if (end > limits.maxRecordBytes) throw tooLarge(line, limits.maxRecordBytes);
    let body: string;
    try {
      body = decoder.decode(bytes.subarray(0, end));
    } catch (cause) {
      throw formatError(
        'ndjson',
        FormatErrorReason.INVALID_UTF8,
        `line ${line} holds bytes that are not UTF-8 (an invalid, overlong or truncated sequence); save the file as UTF-8`,
        { cause, location: { line } },
      );
    }
    if (body.trim().length === 0) return undefined;
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
      return { record: jsonToRecord('ndjson', canonical, options.schema, location, options), location };
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
    return {
      record: jsonToRecord('ndjson', value as JsonValue, options.schema, location, options),
      location,
    };
  };
  for await (const chunk of source.stream()) {
    options.signal?.throwIfAborted();
    let bytes = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (first) {
      first = false;
      if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) bytes = bytes.subarray(3);
    }
    let start = 0;
    for (let nl = bytes.indexOf(0x0a); nl >= 0; nl = bytes.indexOf(0x0a, start)) {
      const piece = bytes.subarray(start, nl);
      const item = parseLine(carriedBytes === 0 ? piece : Buffer.concat([...carried, piece]));
      carried = [];
      carriedBytes = 0;
      start = nl + 1;
      if (item) yield item;
    }
    if (start < bytes.length) {
      // Copied: the reader may reuse the chunk's memory for the next one.
      carried.push(Buffer.from(bytes.subarray(start)));
      carriedBytes += bytes.length - start;
      if (carriedBytes > limits.maxRecordBytes + 1) throw tooLarge(line + 1, limits.maxRecordBytes);
    }
  }
  const item = parseLine(Buffer.concat(carried));
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
