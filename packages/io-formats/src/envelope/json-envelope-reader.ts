import type { ByteSource, InputLimits, RecordLocation } from '../codec-types.js';
import { FormatErrorReason, formatError } from '../errors/format-error.js';
import { decodeUtf8 } from '../io/text-decoding.js';
import { JsonStreamParser, type JsonValue, pointerOf } from '../json/json-stream-parser.js';
import { checkVersion, type VersionDecision } from './version-check.js';

export type EnvelopeEvent =
  | {
      readonly kind: 'header';
      /** Top-level keys read before `data`: format, version, compatibility, metadata, schemas. */
      readonly header: Readonly<Record<string, JsonValue>>;
      readonly decision: VersionDecision;
    }
  | {
      readonly kind: 'record';
      /** `[entity, table]` in 2.x; `[key]` (e.g. `kb_entries`) in the seed's 1.0.0 layout. */
      readonly group: readonly string[];
      readonly value: JsonValue;
      readonly location: RecordLocation;
    }
  | { readonly kind: 'trailer'; readonly trailer: Readonly<Record<string, JsonValue>> };

/**
 * Streams an export envelope: the header (checked for version before any record is read), each record of
 * each table as it is parsed, then the trailer. Only one record is in memory at a time.
 */
export async function* readJsonEnvelope(
  source: ByteSource,
  limits: InputLimits,
): AsyncGenerator<EnvelopeEvent> {
  const queue: EnvelopeEvent[] = [];
  const header: Record<string, JsonValue> = {};
  const trailer: Record<string, JsonValue> = {};
  let decision: VersionDecision | undefined;
  let dataSeen = false;
  let records = 0;
  const parser = new JsonStreamParser({
    format: 'json',
    limits,
    decide(path) {
      if (path.length === 0) return 'walk';
      if (path[0] !== 'data') return path.length === 1 ? 'capture' : 'walk';
      const recordDepth = decision?.readAs.startsWith('1.') ? 3 : 4;
      return path.length >= recordDepth ? 'capture' : 'walk';
    },
    onEnter(path, kind) {
      if (path.length === 0 && kind !== 'object') {
        throw formatError('envelope', FormatErrorReason.BAD_ENVELOPE, 'an export envelope is a JSON object');
      }
      if (path.length === 1 && path[0] === 'data') {
        if (kind !== 'object')
          throw formatError('envelope', FormatErrorReason.BAD_ENVELOPE, '"data" must be an object');
        dataSeen = true;
        decision = checkVersion(header.format, header.version, header.backward_compatibility);
        queue.push({ kind: 'header', header: { ...header }, decision });
        return;
      }
      const groupDepth = decision?.readAs.startsWith('1.') ? 2 : 3;
      if (path[0] === 'data' && path.length === groupDepth && kind !== 'array') {
        throw formatError(
          'envelope',
          FormatErrorReason.BAD_ENVELOPE,
          `${pointerOf(path)} must be an array of records`,
        );
      }
      if (path[0] === 'data' && path.length < groupDepth && kind !== 'object') {
        throw formatError('envelope', FormatErrorReason.BAD_ENVELOPE, `${pointerOf(path)} must be an object`);
      }
    },
    onValue(path, value) {
      if (path[0] !== 'data') {
        (dataSeen ? trailer : header)[path[0] as string] = value;
        return;
      }
      if (decision === undefined) {
        throw formatError('envelope', FormatErrorReason.BAD_ENVELOPE, '"data" must be an object');
      }
      records += 1;
      if (records > limits.maxRecords) {
        throw formatError(
          'envelope',
          FormatErrorReason.TOO_MANY_RECORDS,
          `more than ${limits.maxRecords} records`,
        );
      }
      const group = path.slice(1, -1).map(String);
      queue.push({
        kind: 'record',
        group,
        value,
        location: { pointer: pointerOf(path), row: (path.at(-1) as number) + 1 },
      });
    },
  });
  for await (const text of decodeUtf8(source.stream(), 'json')) {
    parser.push(text);
    yield* queue.splice(0);
  }
  parser.end();
  yield* queue.splice(0);
  if (!dataSeen) {
    throw formatError('envelope', FormatErrorReason.BAD_ENVELOPE, 'the export has no "data" object');
  }
  yield { kind: 'trailer', trailer };
}
