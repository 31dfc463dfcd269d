import type { ByteSource, ReadItem } from '../codec-types.js';
import { FormatErrorReason, formatError } from '../errors/format-error.js';
import type { ImportLimits } from '../input-limits.js';
import { decodeUtf8 } from '../io/text-decoding.js';
import { type JsonPath, JsonStreamParser, pointerOf } from '../json/json-stream-parser.js';
import { jsonToRecord } from '../record-shape.js';
import type { EntryJsonShape } from './input-recognition.js';

/** Whether `path` is where a record of a JSON document of KB entries in `shape` is. */
function isRecordPath(shape: EntryJsonShape, path: JsonPath): boolean {
  switch (shape) {
    case 'object':
      return path.length === 0;
    case 'array':
      return path.length === 1;
    case 'entries':
      return path.length === 2 && path[0] === 'entries';
  }
}

/**
 * The KB entries of a JSON document, streamed: the elements of a top-level array, the document itself when
 * it is one entry object, or the elements of its `entries` member (`kb list --json`, a seed file of entries).
 * Values are kept as they are, a `tags` array included, for the entry mapping to check record by record.
 */
export async function* readEntryJson(
  source: ByteSource,
  shape: EntryJsonShape,
  limits: ImportLimits,
): AsyncGenerator<ReadItem> {
  const queue: ReadItem[] = [];
  let records = 0;
  const parser = new JsonStreamParser({
    format: 'json',
    limits,
    // The records are built; other members of a wrapper (`total`, `version`) are walked past unbuilt.
    decide: (path) => (isRecordPath(shape, path) ? 'capture' : 'walk'),
    onValue: (path, value) => {
      if (!isRecordPath(shape, path)) return;
      records += 1;
      if (records > limits.maxRecords) {
        throw formatError(
          'json',
          FormatErrorReason.TOO_MANY_RECORDS,
          `more than ${limits.maxRecords} records`,
        );
      }
      const location = { pointer: pointerOf(path), row: records };
      queue.push({
        record: jsonToRecord('json', value, undefined, location, { nestedAsJson: true }),
        location,
      });
    },
  });
  for await (const text of decodeUtf8(source.stream(), 'json')) {
    parser.push(text);
    yield* queue.splice(0);
  }
  parser.end();
  yield* queue.splice(0);
}
