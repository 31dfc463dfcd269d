import { crc32 } from 'node:zlib';
import { ChampionIndex, type ChampionIndexState } from './champion-index.js';
import { EntryFacts, type EntryFactsState } from './entry-facts.js';

/**
 * The search state (champion lists, vocabulary, entry facts) as one byte string, so a new process loads what
 * the first one built instead of tokenizing every entry again (about 2 s at 100,000 entries, 20 s at a
 * million).
 *
 * Layout: the magic `KBSS`, a little-endian u32 header length, the CRC-32 of everything after it, the header
 * (JSON: format, byte order, the parameters the lists were built with, and each section's element count),
 * then the sections, each starting on an 8-byte boundary so typed arrays view the bytes in place. Numbers are in the byte order of the machine
 * that saved them, which the header names; a machine of the other order rebuilds instead of loading.
 *
 * Decoding checks everything it relies on (lengths, offsets, ids in range) and throws on the first mismatch:
 * a damaged or foreign blob must cost a rebuild, never a wrong answer or a crash of the search.
 */

export const SEARCH_STATE_FORMAT = 1;
const MAGIC = 0x5353424b; // 'KBSS' read as a little-endian u32

/** What the lists depend on besides the entries: a saved state built otherwise is not used. */
export interface SearchStateParameters {
  listSize: number;
  weights: readonly number[];
}

export interface SearchStateSnapshot {
  index: ChampionIndexState;
  facts: EntryFactsState;
  /** Entries folded in one by one since the full build (their older list entries may be stale). */
  touched: Int32Array;
}

type Section = Int32Array | Float64Array | Uint8Array;

interface Header {
  format: number;
  littleEndian: boolean;
  listSize: number;
  weights: number[];
  avgLength: number;
  documents: number;
  factsCount: number;
  /** Element counts of the typed sections, in SECTION_ORDER. */
  lengths: number[];
  terms: string[];
  categories: string[];
  tagNames: string[];
}

const SECTION_ORDER = [
  ['df', Int32Array],
  ['offered', Int32Array],
  ['sizes', Int32Array],
  ['seqs', Int32Array],
  ['impacts', Float64Array],
  ['category', Int32Array],
  ['severity', Uint8Array],
  ['archived', Uint8Array],
  ['tagStart', Int32Array],
  ['tagCount', Uint8Array],
  ['tagPool', Int32Array],
  ['touched', Int32Array],
] as const;

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

const align8 = (n: number) => (n + 7) & ~7;
/** Bytes 8–11 hold the CRC-32 of the bytes from 12 on; the header starts at 12. */
const CHECKED_FROM = 12;
const HEADER_AT = 12;

function sectionsOf(snapshot: SearchStateSnapshot): Section[] {
  const { index, facts } = snapshot;
  return [
    index.df,
    index.offered,
    index.sizes,
    index.seqs,
    index.impacts,
    facts.category,
    facts.severity,
    facts.archived,
    facts.tagStart,
    facts.tagCount,
    facts.tagPool,
    snapshot.touched,
  ];
}

export function encodeSearchState(snapshot: SearchStateSnapshot, parameters: SearchStateParameters): Buffer {
  const sections = sectionsOf(snapshot);
  const header: Header = {
    format: SEARCH_STATE_FORMAT,
    littleEndian: LITTLE_ENDIAN,
    listSize: parameters.listSize,
    weights: [...parameters.weights],
    avgLength: snapshot.index.avgLength,
    documents: snapshot.index.documents,
    factsCount: snapshot.facts.count,
    lengths: sections.map((s) => s.length),
    terms: snapshot.index.terms,
    categories: snapshot.facts.categories,
    tagNames: snapshot.facts.tagNames,
  };
  const headerBytes = Buffer.from(JSON.stringify(header), 'utf8');
  let size = align8(HEADER_AT + headerBytes.length);
  for (const s of sections) size = align8(size + s.byteLength);
  const out = Buffer.alloc(size);
  out.writeUInt32LE(MAGIC, 0);
  out.writeUInt32LE(headerBytes.length, 4);
  headerBytes.copy(out, HEADER_AT);
  let at = align8(HEADER_AT + headerBytes.length);
  for (const s of sections) {
    out.set(new Uint8Array(s.buffer, s.byteOffset, s.byteLength), at);
    at = align8(at + s.byteLength);
  }
  out.writeUInt32LE(crc32(out.subarray(CHECKED_FROM)), 8);
  return out;
}

/**
 * The state in `bytes`, or a reason it cannot be used (another format, byte order or build parameters).
 * Throws when the bytes are damaged.
 */
export function decodeSearchState(
  bytes: Uint8Array,
  parameters: SearchStateParameters,
):
  | { index: ChampionIndex; facts: EntryFacts; touched: Set<number>; reason?: undefined }
  | { reason: string } {
  if (bytes.length < HEADER_AT) throw new Error('search state: too short');
  // Typed arrays need their offsets aligned to the element size: copy unless the bytes start on 8.
  const buffer = bytes.byteOffset % 8 === 0 ? bytes : new Uint8Array(bytes);
  const view = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  if (view.getUint32(0, true) !== MAGIC) throw new Error('search state: not a search state');
  if (crc32(buffer.subarray(CHECKED_FROM)) !== view.getUint32(8, true)) {
    throw new Error('search state: checksum mismatch');
  }
  const headerLength = view.getUint32(4, true);
  if (HEADER_AT + headerLength > buffer.length) throw new Error('search state: header overruns');
  const header = JSON.parse(
    new TextDecoder().decode(buffer.subarray(HEADER_AT, HEADER_AT + headerLength)),
  ) as Partial<Header>;
  if (header.format !== SEARCH_STATE_FORMAT) return { reason: `format ${String(header.format)}` };
  if (header.littleEndian !== LITTLE_ENDIAN) return { reason: 'saved on a machine of the other byte order' };
  if (
    header.listSize !== parameters.listSize ||
    JSON.stringify(header.weights) !== JSON.stringify(parameters.weights)
  ) {
    return { reason: 'built with other list size or column weights' };
  }
  const { lengths, terms, categories, tagNames } = header;
  if (
    !Array.isArray(lengths) ||
    lengths.length !== SECTION_ORDER.length ||
    !Array.isArray(terms) ||
    !Array.isArray(categories) ||
    !Array.isArray(tagNames) ||
    typeof header.avgLength !== 'number' ||
    typeof header.documents !== 'number' ||
    typeof header.factsCount !== 'number' ||
    ![terms, categories, tagNames].every((names) => names.every((n) => typeof n === 'string'))
  ) {
    throw new Error('search state: malformed header');
  }
  const sections: Section[] = [];
  let at = align8(HEADER_AT + headerLength);
  SECTION_ORDER.forEach(([name, Kind], i) => {
    const length = lengths[i];
    if (!Number.isSafeInteger(length) || (length as number) < 0) throw new Error(`search state: bad ${name}`);
    const bytesLength = (length as number) * Kind.BYTES_PER_ELEMENT;
    if (at + bytesLength > buffer.length) throw new Error(`search state: ${name} overruns`);
    sections.push(new Kind(buffer.buffer as ArrayBuffer, buffer.byteOffset + at, length as number));
    at = align8(at + bytesLength);
  });
  const [
    df,
    offered,
    sizes,
    seqs,
    impacts,
    category,
    severity,
    archived,
    tagStart,
    tagCount,
    tagPool,
    touched,
  ] = sections as [
    Int32Array,
    Int32Array,
    Int32Array,
    Int32Array,
    Float64Array,
    Int32Array,
    Uint8Array,
    Uint8Array,
    Int32Array,
    Uint8Array,
    Int32Array,
    Int32Array,
  ];
  const index = ChampionIndex.fromState(
    {
      listSize: header.listSize,
      avgLength: header.avgLength,
      documents: header.documents,
      terms,
      df,
      offered,
      sizes,
      seqs,
      impacts,
    },
    parameters.weights,
  );
  const facts = EntryFacts.fromState({
    categories,
    tagNames,
    count: header.factsCount,
    category,
    severity,
    archived,
    tagStart,
    tagCount,
    tagPool,
  });
  return { index, facts, touched: new Set(touched) };
}
