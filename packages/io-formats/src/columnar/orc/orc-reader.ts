import type {
  ByteSource,
  FieldSpec,
  FieldType,
  FieldValue,
  InputLimits,
  ReadItem,
  ReadOptions,
} from '../../codec-types.js';
import { ColumnarErrorReason, columnarError, limitError, unsupportedError } from '../columnar-errors.js';
import {
  badValue,
  checkReadValue,
  checkRecordSize,
  emptyRecord,
  type FileColumn,
  type ResolvedField,
  resolveSchema,
} from '../record-values.js';
import {
  COMPRESSION_NAMES,
  decompressOrcStream,
  OrcCompressionError,
  OrcUnsupportedCompressionError,
} from './orc-compression.js';
import {
  decodeFooter,
  decodePostScript,
  decodeStripeFooter,
  OrcEncodingKind,
  type OrcFooter,
  type OrcPostScript,
  OrcStreamKind,
  type OrcStripeFooter,
  type OrcStripeInfo,
  OrcTypeKind,
} from './orc-proto.js';
import {
  countRleV2Runs,
  decodeBooleans,
  decodeByteRle,
  decodeIntRleV1,
  decodeIntRleV2,
  OrcPrecisionError,
  OrcRleError,
  type RLE_V2_SUB_ENCODINGS,
} from './orc-rle.js';
import { decodeNanos, fromOrcTimestamp } from './orc-timestamp.js';
import { ProtobufError } from './protobuf.js';

const KIND_NAMES: Record<number, string> = Object.fromEntries(
  Object.entries(OrcTypeKind).map(([name, kind]) => [kind, name]),
);

function fieldTypeOf(kind: number): FieldType | undefined {
  switch (kind) {
    case OrcTypeKind.BOOLEAN:
      return 'boolean';
    case OrcTypeKind.BYTE:
    case OrcTypeKind.SHORT:
    case OrcTypeKind.INT:
    case OrcTypeKind.LONG:
      return 'integer';
    case OrcTypeKind.FLOAT:
    case OrcTypeKind.DOUBLE:
      return 'double';
    case OrcTypeKind.STRING:
    case OrcTypeKind.VARCHAR:
    case OrcTypeKind.CHAR:
      return 'string';
    case OrcTypeKind.TIMESTAMP:
    case OrcTypeKind.TIMESTAMP_INSTANT:
      return 'timestamp';
    case OrcTypeKind.BINARY:
      return 'binary';
    default:
      return undefined;
  }
}

/** Time zones whose local time is UTC: a plain TIMESTAMP written in one of them reads as UTC. */
const UTC_ZONES = new Set([
  '',
  'UTC',
  'GMT',
  'Etc/UTC',
  'Etc/GMT',
  'Z',
  'Etc/Universal',
  'Universal',
  'Zulu',
]);

const malformed = (message: string, location?: { stripe: number }) =>
  columnarError('orc', ColumnarErrorReason.MALFORMED, message, location === undefined ? {} : { location });

/** Turns the decoders' own errors into typed rejections; typed errors pass through. */
function translate(error: unknown, context: string, location?: { stripe: number }): Error {
  if (error instanceof OrcUnsupportedCompressionError) {
    return unsupportedError(
      'orc',
      `compression ${COMPRESSION_NAMES[error.kind] ?? error.kind}`,
      'rewrite the file with NONE, ZLIB, SNAPPY or ZSTD',
    );
  }
  if (error instanceof OrcPrecisionError) {
    return columnarError(
      'orc',
      ColumnarErrorReason.PRECISION_LOSS,
      `${context}: ${error.message}`,
      location === undefined ? {} : { location },
    );
  }
  if (error instanceof OrcUtf8Error) {
    return columnarError(
      'orc',
      ColumnarErrorReason.INVALID_UTF8,
      `${context}: ${error.message}`,
      location === undefined ? {} : { location },
    );
  }
  if (error instanceof OrcCompressionError && /limit|larger than/.test(error.message)) {
    return columnarError(
      'orc',
      ColumnarErrorReason.DECOMPRESSION_LIMIT,
      `${context}: ${error.message}`,
      location === undefined ? {} : { location },
    );
  }
  if (
    error instanceof OrcRleError ||
    error instanceof OrcCompressionError ||
    error instanceof ProtobufError ||
    error instanceof TypeError
  ) {
    return malformed(`${context}: ${error.message}`, location);
  }
  return error as Error;
}

interface OrcTail {
  postScript: OrcPostScript;
  footer: OrcFooter;
  tailStart: number;
}

async function readTail(source: ByteSource, limits: InputLimits): Promise<OrcTail> {
  const size = source.size;
  if (size < 4) throw malformed(`a file of ${size} bytes is too short`);
  const head = await source.read(0, 3);
  if (head[0] !== 0x4f || head[1] !== 0x52 || head[2] !== 0x43) throw malformed('missing the ORC header');
  const last = await source.read(size - 1, 1);
  const psLength = last[0]!;
  if (psLength === 0 || psLength + 1 + 3 > size)
    throw malformed(`PostScript length ${psLength} does not fit`);
  let postScript: OrcPostScript;
  try {
    postScript = decodePostScript(await source.read(size - 1 - psLength, psLength));
  } catch (error) {
    throw translate(error, 'PostScript');
  }
  if (postScript.magic !== undefined && postScript.magic !== 'ORC')
    throw malformed('PostScript magic is not ORC');
  const { footerLength, metadataLength, compressionBlockSize } = postScript;
  if (compressionBlockSize <= 0 || compressionBlockSize >= 2 ** 23) {
    throw malformed(`compression block size ${compressionBlockSize} is out of range`);
  }
  const tailStart = size - 1 - psLength - footerLength - metadataLength;
  if (tailStart < 3) throw malformed('footer and metadata lengths run past the start of the file');
  if (footerLength > limits.maxDecompressedBytes) {
    throw limitError('orc', 'the footer length', footerLength, limits.maxDecompressedBytes);
  }
  let footer: OrcFooter;
  try {
    const raw = await source.read(size - 1 - psLength - footerLength, footerLength);
    footer = decodeFooter(
      decompressOrcStream(postScript.compression, raw, compressionBlockSize, limits.maxDecompressedBytes),
    );
  } catch (error) {
    throw translate(error, 'Footer');
  }
  if (footer.numberOfRows > limits.maxRecords) {
    throw limitError(
      'orc',
      'the row count',
      footer.numberOfRows,
      limits.maxRecords,
      undefined,
      ColumnarErrorReason.TOO_MANY_RECORDS,
    );
  }
  let rows = 0;
  for (const stripe of footer.stripes) {
    rows += stripe.numberOfRows;
    const end = stripe.offset + stripe.indexLength + stripe.dataLength + stripe.footerLength;
    if (stripe.offset < 3 || end > tailStart)
      throw malformed(`a stripe at ${stripe.offset} runs past the stripes area`);
  }
  if (rows !== footer.numberOfRows)
    throw malformed(`stripes hold ${rows} rows, the footer says ${footer.numberOfRows}`);
  return { postScript, footer, tailStart };
}

function fileColumns(footer: OrcFooter): { columns: FileColumn[]; ids: Map<string, number> } {
  const root = footer.types[0];
  if (root === undefined || root.kind !== OrcTypeKind.STRUCT)
    throw malformed('the root type is not a struct');
  if (root.subtypes.length !== root.fieldNames.length)
    throw malformed('the root struct names and subtypes differ');
  const ids = new Map<string, number>();
  const columns = root.subtypes.map((id, i) => {
    const type = footer.types[id];
    if (type === undefined || id === 0) throw malformed(`column ${id} has no type`);
    const name = root.fieldNames[i]!;
    ids.set(name, id);
    return {
      name,
      type: fieldTypeOf(type.kind),
      nullable: true,
      native: KIND_NAMES[type.kind] ?? `kind ${type.kind}`,
    };
  });
  return { columns, ids };
}

/**
 * Reads an ORC file stripe by stripe (one stripe's streams in memory at a time). Locations are
 * `{ stripe, row }` with `row` the 0-based row index in the file.
 */
export async function* readOrc(source: ByteSource, options: ReadOptions): AsyncGenerator<ReadItem> {
  const { limits } = options;
  const { postScript, footer } = await readTail(source, limits);
  const { columns, ids } = fileColumns(footer);
  const { fields } = resolveSchema('orc', 'records', columns, options.schema);
  let rowBase = 0;
  for (let s = 0; s < footer.stripes.length; s++) {
    options.signal?.throwIfAborted();
    const info = footer.stripes[s]!;
    const stripe = await readStripe(source, postScript, info, s, limits);
    const values = fields.map((resolved) =>
      resolved.column === undefined
        ? undefined
        : decodeColumn(
            stripe,
            footer,
            ids.get(resolved.column)!,
            resolved.field,
            info.numberOfRows,
            s,
            rowBase,
          ),
    );
    for (let r = 0; r < info.numberOfRows; r++) {
      const location = { stripe: s, row: rowBase + r };
      const record = emptyRecord();
      for (let f = 0; f < fields.length; f++) {
        const { field } = fields[f] as ResolvedField;
        record[field.name] = checkReadValue('orc', field, values[f]?.[r] ?? null, location);
      }
      checkRecordSize('orc', record, limits.maxRecordBytes, location);
      yield { record, location };
    }
    rowBase += info.numberOfRows;
  }
}

interface StripeData {
  footer: OrcStripeFooter;
  streams: Map<string, Uint8Array>;
  compression: number;
  blockSize: number;
  budget: { left: number };
}

async function readStripe(
  source: ByteSource,
  postScript: OrcPostScript,
  info: OrcStripeInfo,
  index: number,
  limits: InputLimits,
): Promise<StripeData> {
  const location = { stripe: index };
  const regionLength = info.indexLength + info.dataLength;
  if (regionLength + info.footerLength > limits.maxDecompressedBytes) {
    throw limitError(
      'orc',
      'a stripe size',
      regionLength + info.footerLength,
      limits.maxDecompressedBytes,
      location,
    );
  }
  const budget = { left: limits.maxDecompressedBytes };
  let footer: OrcStripeFooter;
  try {
    const raw = await source.read(info.offset + regionLength, info.footerLength);
    const bytes = decompressOrcStream(
      postScript.compression,
      raw,
      postScript.compressionBlockSize,
      budget.left,
    );
    footer = decodeStripeFooter(bytes);
  } catch (error) {
    throw translate(error, `stripe ${index} footer`, location);
  }
  const region = await source.read(info.offset, regionLength);
  const streams = new Map<string, Uint8Array>();
  let at = 0;
  for (const stream of footer.streams) {
    if (at + stream.length > regionLength) throw malformed('a stream runs past its stripe', location);
    streams.set(`${stream.column}:${stream.kind}`, region.subarray(at, at + stream.length));
    at += stream.length;
  }
  return {
    footer,
    streams,
    compression: postScript.compression,
    blockSize: postScript.compressionBlockSize,
    budget,
  };
}

function streamOf(
  stripe: StripeData,
  column: number,
  kind: number,
  stripeIndex: number,
): Uint8Array | undefined {
  const raw = stripe.streams.get(`${column}:${kind}`);
  if (raw === undefined) return undefined;
  try {
    const bytes = decompressOrcStream(stripe.compression, raw, stripe.blockSize, stripe.budget.left);
    stripe.budget.left -= bytes.length;
    return bytes;
  } catch (error) {
    throw translate(error, `stripe ${stripeIndex} column ${column}`, { stripe: stripeIndex });
  }
}

function decodeColumn(
  stripe: StripeData,
  footer: OrcFooter,
  column: number,
  field: FieldSpec,
  rows: number,
  stripeIndex: number,
  rowBase: number,
): FieldValue[] {
  const location = { stripe: stripeIndex };
  const type = footer.types[column]!;
  const encoding = stripe.footer.columns[column];
  if (encoding === undefined) throw malformed(`no encoding for column ${column}`, location);
  const need = (kind: number): Uint8Array => {
    const bytes = streamOf(stripe, column, kind, stripeIndex);
    if (bytes === undefined) throw malformed(`column ${column} lacks its stream of kind ${kind}`, location);
    return bytes;
  };
  const v2 = encoding.kind === OrcEncodingKind.DIRECT_V2 || encoding.kind === OrcEncodingKind.DICTIONARY_V2;
  const ints = (bytes: Uint8Array, count: number, signed: boolean) =>
    v2 ? decodeIntRleV2(bytes, count, signed) : decodeIntRleV1(bytes, count, signed);
  try {
    const presentBytes = streamOf(stripe, column, OrcStreamKind.PRESENT, stripeIndex);
    const present = presentBytes === undefined ? undefined : decodeBooleans(presentBytes, rows);
    const count = present === undefined ? rows : present.reduce((n, bit) => n + bit, 0);
    const values = decodeValues(type.kind, encoding, count, need, ints, stripe, column, stripeIndex);
    const out = new Array<FieldValue>(rows);
    let next = 0;
    for (let r = 0; r < rows; r++) {
      if (present !== undefined && present[r] === 0) {
        out[r] = null;
        continue;
      }
      const value = values[next++]!;
      out[r] =
        value === undefined
          ? (() => {
              throw badValue(
                'orc',
                field,
                'has a timestamp finer than a millisecond',
                { stripe: stripeIndex, row: rowBase + r },
                ColumnarErrorReason.PRECISION_LOSS,
              );
            })()
          : value;
    }
    return out;
  } catch (error) {
    throw translate(error, `stripe ${stripeIndex} column ${column}`, location);
  }
}

type IntDecoder = (bytes: Uint8Array, count: number, signed: boolean) => Float64Array;

function decodeValues(
  kind: number,
  encoding: { kind: number; dictionarySize: number },
  count: number,
  need: (kind: number) => Uint8Array,
  ints: IntDecoder,
  stripe: StripeData,
  column: number,
  stripeIndex: number,
): (FieldValue | undefined)[] {
  switch (kind) {
    case OrcTypeKind.BOOLEAN:
      return Array.from(decodeBooleans(need(OrcStreamKind.DATA), count), (bit) => bit === 1);
    case OrcTypeKind.BYTE:
      return Array.from(decodeByteRle(need(OrcStreamKind.DATA), count), (b) => (b > 127 ? b - 256 : b));
    case OrcTypeKind.SHORT:
    case OrcTypeKind.INT:
    case OrcTypeKind.LONG:
      return Array.from(ints(need(OrcStreamKind.DATA), count, true));
    case OrcTypeKind.FLOAT:
    case OrcTypeKind.DOUBLE: {
      const width = kind === OrcTypeKind.FLOAT ? 4 : 8;
      const data = need(OrcStreamKind.DATA);
      if (data.length < count * width) throw new OrcRleError('the DATA stream is shorter than its values');
      const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
      const out = new Array<number>(count);
      for (let i = 0; i < count; i++)
        out[i] = width === 4 ? view.getFloat32(i * 4, true) : view.getFloat64(i * 8, true);
      return out;
    }
    case OrcTypeKind.STRING:
    case OrcTypeKind.VARCHAR:
    case OrcTypeKind.CHAR:
      return decodeStrings(encoding, count, need, ints);
    case OrcTypeKind.BINARY: {
      // BINARY is always DIRECT (the specification has no dictionary for it): DATA and LENGTH.
      const data = need(OrcStreamKind.DATA);
      const lengths = ints(need(OrcStreamKind.LENGTH), count, false);
      const out = new Array<Uint8Array>(count);
      let at = 0;
      for (let i = 0; i < count; i++) {
        const length = lengths[i]!;
        if (length < 0 || at + length > data.length) {
          throw new OrcRleError('binary lengths run past the DATA stream');
        }
        // Its own copy, not a view of the whole decompressed stream.
        out[i] = Buffer.from(data.subarray(at, at + length));
        at += length;
      }
      return out;
    }
    case OrcTypeKind.TIMESTAMP:
    case OrcTypeKind.TIMESTAMP_INSTANT: {
      if (kind === OrcTypeKind.TIMESTAMP && !UTC_ZONES.has(stripe.footer.writerTimezone ?? '')) {
        throw unsupportedError(
          'orc',
          `TIMESTAMP column ${column} written in time zone '${stripe.footer.writerTimezone}' (stripe ${stripeIndex})`,
          'only UTC writers are read; write the file with TZ=UTC or as TIMESTAMP_INSTANT',
        );
      }
      const seconds = ints(need(OrcStreamKind.DATA), count, true);
      const nanos = ints(need(OrcStreamKind.SECONDARY), count, false);
      const out = new Array<Date | undefined>(count);
      for (let i = 0; i < count; i++) {
        const millis = fromOrcTimestamp(seconds[i]!, decodeNanos(nanos[i]!));
        out[i] = millis === undefined ? undefined : new Date(millis);
      }
      return out;
    }
    default:
      throw new OrcRleError(`column ${column} has unsupported type ${KIND_NAMES[kind] ?? kind}`);
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

class OrcUtf8Error extends Error {
  override readonly name = 'OrcUtf8Error';
}

function decodeStrings(
  encoding: { kind: number; dictionarySize: number },
  count: number,
  need: (kind: number) => Uint8Array,
  ints: IntDecoder,
): string[] {
  const dictionary =
    encoding.kind === OrcEncodingKind.DICTIONARY || encoding.kind === OrcEncodingKind.DICTIONARY_V2;
  if (!dictionary) {
    const data = need(OrcStreamKind.DATA);
    return sliceStrings(data, ints(need(OrcStreamKind.LENGTH), count, false));
  }
  const size = encoding.dictionarySize;
  const dictData = size === 0 ? new Uint8Array(0) : need(OrcStreamKind.DICTIONARY_DATA);
  // Every dictionary entry needs a length: more entries than bytes+values is a hostile count.
  if (size > dictData.length + count) throw new OrcRleError(`dictionary size ${size} is implausible`);
  const entries = sliceStrings(
    dictData,
    size === 0 ? new Float64Array(0) : ints(need(OrcStreamKind.LENGTH), size, false),
  );
  const indexes = ints(need(OrcStreamKind.DATA), count, false);
  const out = new Array<string>(count);
  for (let i = 0; i < count; i++) {
    const entry = entries[indexes[i]!];
    if (entry === undefined) throw new OrcRleError(`dictionary index ${indexes[i]} out of range`);
    out[i] = entry;
  }
  return out;
}

function sliceStrings(data: Uint8Array, lengths: Float64Array): string[] {
  const out = new Array<string>(lengths.length);
  let at = 0;
  for (let i = 0; i < lengths.length; i++) {
    const length = lengths[i]!;
    if (length < 0 || at + length > data.length)
      throw new OrcRleError('string lengths run past the DATA stream');
    try {
      out[i] = utf8.decode(data.subarray(at, at + length));
    } catch {
      throw new OrcUtf8Error('a string holds invalid UTF-8');
    }
    at += length;
  }
  return out;
}

/** What an ORC file is made of: for diagnostics (`kb` tooling) and for the fixture tests. */
export interface OrcFileInfo {
  compression: string;
  stripes: number;
  rows: number;
  types: string[];
  /** Column encodings seen, by column name: DIRECT, DIRECT_V2, DICTIONARY_V2… */
  encodings: Record<string, string[]>;
  writerTimezones: string[];
  /** Runs of each RLE v2 sub-encoding in the integer streams (DATA, LENGTH, SECONDARY) of every stripe. */
  rleV2Runs: Record<(typeof RLE_V2_SUB_ENCODINGS)[number], number>;
}

const ENCODING_NAMES = Object.fromEntries(
  Object.entries(OrcEncodingKind).map(([name, kind]) => [kind, name]),
);

export async function inspectOrc(source: ByteSource, limits: InputLimits): Promise<OrcFileInfo> {
  const { postScript, footer } = await readTail(source, limits);
  const { ids } = fileColumns(footer);
  const names = new Map([...ids].map(([name, id]) => [id, name]));
  const encodings: Record<string, string[]> = {};
  const zones = new Set<string>();
  const runs = { SHORT_REPEAT: 0, DIRECT: 0, PATCHED_BASE: 0, DELTA: 0 };
  for (let s = 0; s < footer.stripes.length; s++) {
    const info = footer.stripes[s]!;
    const stripe = await readStripe(source, postScript, info, s, limits);
    zones.add(stripe.footer.writerTimezone ?? '');
    for (const [id, name] of names) {
      const encoding = stripe.footer.columns[id];
      const kind = ENCODING_NAMES[encoding?.kind ?? -1] ?? String(encoding?.kind);
      const list = encodings[name] ?? [];
      encodings[name] = list;
      if (!list.includes(kind)) list.push(kind);
      if (encoding?.kind !== OrcEncodingKind.DIRECT_V2 && encoding?.kind !== OrcEncodingKind.DICTIONARY_V2)
        continue;
      const typeKind = footer.types[id]!.kind;
      const integerStreams =
        typeKind === OrcTypeKind.STRING ||
        typeKind === OrcTypeKind.VARCHAR ||
        typeKind === OrcTypeKind.CHAR ||
        typeKind === OrcTypeKind.BINARY
          ? [OrcStreamKind.LENGTH]
          : typeKind === OrcTypeKind.TIMESTAMP || typeKind === OrcTypeKind.TIMESTAMP_INSTANT
            ? [OrcStreamKind.DATA, OrcStreamKind.SECONDARY]
            : typeKind === OrcTypeKind.LONG || typeKind === OrcTypeKind.INT || typeKind === OrcTypeKind.SHORT
              ? [OrcStreamKind.DATA]
              : [];
      for (const kindOfStream of integerStreams) {
        const bytes = streamOf(stripe, id, kindOfStream, s);
        if (bytes === undefined) continue;
        countRleV2Runs(
          bytes,
          kindOfStream !== OrcStreamKind.LENGTH && kindOfStream !== OrcStreamKind.SECONDARY,
          runs,
        );
      }
    }
  }
  return {
    compression: COMPRESSION_NAMES[postScript.compression] ?? String(postScript.compression),
    stripes: footer.stripes.length,
    rows: footer.numberOfRows,
    types: footer.types.map((t) => KIND_NAMES[t.kind] ?? String(t.kind)),
    encodings,
    writerTimezones: [...zones],
    rleV2Runs: runs,
  };
}
