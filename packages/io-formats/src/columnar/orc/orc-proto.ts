import { ProtoMessage, ProtoWriter } from './protobuf.js';

/** Type.Kind of orc_proto.proto (TIMESTAMP_INSTANT is ORC 1.6+'s "timestamp with local time zone"). */
export const OrcTypeKind = {
  BOOLEAN: 0,
  BYTE: 1,
  SHORT: 2,
  INT: 3,
  LONG: 4,
  FLOAT: 5,
  DOUBLE: 6,
  STRING: 7,
  BINARY: 8,
  TIMESTAMP: 9,
  LIST: 10,
  MAP: 11,
  STRUCT: 12,
  UNION: 13,
  DECIMAL: 14,
  DATE: 15,
  VARCHAR: 16,
  CHAR: 17,
  TIMESTAMP_INSTANT: 18,
} as const;

export const OrcStreamKind = {
  PRESENT: 0,
  DATA: 1,
  LENGTH: 2,
  DICTIONARY_DATA: 3,
  DICTIONARY_COUNT: 4,
  SECONDARY: 5,
  ROW_INDEX: 6,
} as const;

export const OrcEncodingKind = { DIRECT: 0, DICTIONARY: 1, DIRECT_V2: 2, DICTIONARY_V2: 3 } as const;

export interface OrcType {
  kind: number;
  subtypes: number[];
  fieldNames: string[];
}

export interface OrcStripeInfo {
  offset: number;
  indexLength: number;
  dataLength: number;
  footerLength: number;
  numberOfRows: number;
}

export interface OrcStream {
  kind: number;
  column: number;
  length: number;
}

export interface OrcColumnEncoding {
  kind: number;
  dictionarySize: number;
}

export interface OrcStripeFooter {
  streams: OrcStream[];
  columns: OrcColumnEncoding[];
  writerTimezone: string | undefined;
}

export interface OrcColumnStats {
  numberOfValues: number;
  hasNull: boolean;
}

export interface OrcFooter {
  headerLength: number;
  contentLength: number;
  stripes: OrcStripeInfo[];
  types: OrcType[];
  numberOfRows: number;
  rowIndexStride: number;
  statistics: OrcColumnStats[];
}

export interface OrcPostScript {
  footerLength: number;
  compression: number;
  compressionBlockSize: number;
  version: number[];
  metadataLength: number;
  writerVersion: number;
  magic: string | undefined;
}

// ------------------------------------------------------------------ encode

function statsMessage(stats: OrcColumnStats): ProtoWriter {
  return new ProtoWriter().uint(1, stats.numberOfValues).bool(10, stats.hasNull);
}

export function encodePostScript(ps: OrcPostScript): Uint8Array {
  return new ProtoWriter()
    .uint(1, ps.footerLength)
    .uint(2, ps.compression)
    .uint(3, ps.compressionBlockSize)
    .packedUint(4, ps.version)
    .uint(5, ps.metadataLength)
    .uint(6, ps.writerVersion)
    .string(8000, ps.magic)
    .finish();
}

export function encodeFooter(footer: OrcFooter): Uint8Array {
  const w = new ProtoWriter().uint(1, footer.headerLength).uint(2, footer.contentLength);
  for (const s of footer.stripes) {
    w.message(
      3,
      new ProtoWriter()
        .uint(1, s.offset)
        .uint(2, s.indexLength)
        .uint(3, s.dataLength)
        .uint(4, s.footerLength)
        .uint(5, s.numberOfRows),
    );
  }
  for (const t of footer.types) {
    const tw = new ProtoWriter().uint(1, t.kind).packedUint(2, t.subtypes);
    for (const name of t.fieldNames) tw.string(3, name);
    w.message(4, tw);
  }
  w.uint(6, footer.numberOfRows);
  for (const stats of footer.statistics) w.message(7, statsMessage(stats));
  w.uint(8, footer.rowIndexStride);
  return w.finish();
}

export function encodeStripeFooter(footer: OrcStripeFooter): Uint8Array {
  const w = new ProtoWriter();
  for (const s of footer.streams)
    w.message(1, new ProtoWriter().uint(1, s.kind).uint(2, s.column).uint(3, s.length));
  for (const c of footer.columns) {
    w.message(
      2,
      new ProtoWriter().uint(1, c.kind).uint(2, c.kind === 1 || c.kind === 3 ? c.dictionarySize : undefined),
    );
  }
  w.string(3, footer.writerTimezone);
  return w.finish();
}

/** Metadata: per stripe, the statistics of every column. */
export function encodeMetadata(stripes: readonly OrcColumnStats[][]): Uint8Array {
  const w = new ProtoWriter();
  for (const columns of stripes) {
    const sw = new ProtoWriter();
    for (const stats of columns) sw.message(1, statsMessage(stats));
    w.message(1, sw);
  }
  return w.finish();
}

// ------------------------------------------------------------------ decode

export function decodePostScript(bytes: Uint8Array): OrcPostScript {
  const m = ProtoMessage.decode(bytes, 'PostScript');
  return {
    footerLength: m.uint(1) ?? 0,
    compression: m.uint(2) ?? 0,
    compressionBlockSize: m.uint(3) ?? 256 * 1024,
    version: m.packedUints(4, 'PostScript.version'),
    metadataLength: m.uint(5) ?? 0,
    writerVersion: m.uint(6) ?? 0,
    magic: m.string(8000),
  };
}

export function decodeFooter(bytes: Uint8Array): OrcFooter {
  const m = ProtoMessage.decode(bytes, 'Footer');
  return {
    headerLength: m.uint(1) ?? 0,
    contentLength: m.uint(2) ?? 0,
    stripes: m.messages(3, 'StripeInformation').map((s) => ({
      offset: s.uint(1) ?? 0,
      indexLength: s.uint(2) ?? 0,
      dataLength: s.uint(3) ?? 0,
      footerLength: s.uint(4) ?? 0,
      numberOfRows: s.uint(5) ?? 0,
    })),
    types: m.messages(4, 'Type').map((t) => ({
      kind: t.uint(1) ?? 0,
      subtypes: t.packedUints(2, 'Type.subtypes'),
      fieldNames: t.strings(3),
    })),
    numberOfRows: m.uint(6) ?? 0,
    rowIndexStride: m.uint(8) ?? 0,
    statistics: [],
  };
}

export function decodeStripeFooter(bytes: Uint8Array): OrcStripeFooter {
  const m = ProtoMessage.decode(bytes, 'StripeFooter');
  return {
    streams: m.messages(1, 'Stream').map((s) => ({
      kind: s.uint(1) ?? 0,
      column: s.uint(2) ?? 0,
      length: s.uint(3) ?? 0,
    })),
    columns: m.messages(2, 'ColumnEncoding').map((c) => ({
      kind: c.uint(1) ?? 0,
      dictionarySize: c.uint(2) ?? 0,
    })),
    writerTimezone: m.string(3),
  };
}
