import { randomInt } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { ChampionIndex, type ChampionIndexState, type ChampionPage } from './champion-index.js';
import { EntryFacts, type EntryFactsDetail, type EntryFactsState } from './entry-facts.js';
import { TermTable } from './term-table.js';

/**
 * The search state (champion lists, vocabulary, entry facts) as byte strings, so a new process loads what
 * the first one built instead of tokenizing every entry again (about 2 s at 100,000 entries, 20 s at a
 * million), and reads only what its queries touch:
 * - the head: the vocabulary (sorted), each term's document frequency and list size, and one status byte per
 *   entry (held, archived) — what every query needs;
 * - list pages: the champion lists of a run of consecutive terms, read when a query first asks for one of
 *   those terms' lists;
 * - the facts: each entry's category, severity and tags, read when a filter or a facet first needs them.
 * A new process answering one query reads the head and the pages of its terms: a few hundred kilobytes of a
 * state that holds tens of megabytes at a million entries.
 *
 * Each blob: a magic, a little-endian u32 header length, the CRC-32 of everything after it, the header (JSON:
 * format, byte order, the save's generation and each section's element count), then the sections, each on an
 * 8-byte boundary so typed arrays view the bytes in place. Numbers are in the byte order of the machine that
 * saved them, which the header names; a machine of the other order rebuilds instead of loading.
 *
 * Decoding checks everything it relies on (lengths, offsets, ids in range) and throws on the first mismatch:
 * a damaged or foreign blob must cost a rebuild, never a wrong answer or a crash of the search. A part read
 * later, for a query, throws SearchStateUnavailable: `damaged`, or `replaced` when another process saved a
 * newer state since the head was read (its generation differs); the engine then reloads or rebuilds.
 */

export const SEARCH_STATE_FORMAT = 2;
const HEAD_MAGIC = 0x5353424b; // 'KBSS' read as a little-endian u32
const PART_MAGIC = 0x5053424b; // 'KBSP'
/** List items a page holds at least (whole lists, so a page ends on a term's edge; the last one fewer). */
const PAGE_ITEMS = 16_384;
/** The part number of the facts; list pages are 1, 2, … */
export const FACTS_PART = 0;

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

/** The head and the parts to store beside it (`parts[i]` under part number i). */
export interface EncodedSearchState {
  head: Buffer;
  parts: Buffer[];
}

/** A part of the saved state could not be used for a query: the engine reloads (`replaced`) or rebuilds. */
export class SearchStateUnavailable extends Error {
  constructor(
    readonly reason: 'damaged' | 'replaced',
    message: string,
  ) {
    super(`search state: ${message}`);
    this.name = 'SearchStateUnavailable';
  }
}

/**
 * Runs a query once more when a part of the loaded search state could not be read for it (another process
 * saved a newer state, or the part is damaged): `recover` drops or reloads the state, and the second run loads
 * the newer state or builds.
 */
export async function withSearchState<T>(
  run: () => Promise<T>,
  recover: (error: SearchStateUnavailable) => void,
): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (!(error instanceof SearchStateUnavailable)) throw error;
    recover(error);
    return run();
  }
}

type TypedArray = Int32Array | Float64Array | Uint8Array;
type Kind = Int32ArrayConstructor | Float64ArrayConstructor | Uint8ArrayConstructor;
/** A blob's typed sections, in order: one table serves encoding and decoding. */
type Layout = readonly (readonly [name: string, kind: Kind])[];

const HEAD_LAYOUT = [
  ['termBytes', Uint8Array],
  ['termEnds', Int32Array],
  ['df', Int32Array],
  ['offered', Int32Array],
  ['sizes', Int32Array],
  ['touched', Int32Array],
  ['status', Uint8Array],
] as const satisfies Layout;
const PAGE_LAYOUT = [
  ['seqs', Int32Array],
  ['impacts', Float64Array],
] as const satisfies Layout;
const FACTS_LAYOUT = [
  ['category', Int32Array],
  ['severity', Uint8Array],
  ['tagStart', Int32Array],
  ['tagCount', Uint8Array],
  ['tagPool', Int32Array],
] as const satisfies Layout;

type ArrayOf<K extends Kind> = K extends Int32ArrayConstructor
  ? Int32Array
  : K extends Float64ArrayConstructor
    ? Float64Array
    : Uint8Array;
type Sections<L extends Layout> = { [K in L[number] as K[0]]: ArrayOf<K[1]> };

interface HeadHeader {
  format: number;
  littleEndian: boolean;
  generation: number;
  listSize: number;
  weights: number[];
  avgLength: number;
  documents: number;
  factsCount: number;
  /** The first term of each page, then the number of terms. */
  pages: number[];
  categories: string[];
  tagNames: string[];
  lengths: number[];
}

interface PartHeader {
  format: number;
  generation: number;
  part: number;
  lengths: number[];
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const align8 = (n: number) => (n + 7) & ~7;
/** Bytes 8–11 hold the CRC-32 of the bytes from 12 on; the header starts at 12. */
const CHECKED_FROM = 12;
const HEADER_AT = 12;

function pack<L extends Layout>(magic: number, header: object, layout: L, sections: Sections<L>): Buffer {
  const arrays = layout.map(([name]) => (sections as Record<string, TypedArray>)[name]!);
  const headerBytes = Buffer.from(
    JSON.stringify({ ...header, lengths: arrays.map((a) => a.length) }),
    'utf8',
  );
  let size = align8(HEADER_AT + headerBytes.length);
  for (const a of arrays) size = align8(size + a.byteLength);
  const out = Buffer.alloc(size);
  out.writeUInt32LE(magic, 0);
  out.writeUInt32LE(headerBytes.length, 4);
  headerBytes.copy(out, HEADER_AT);
  let at = align8(HEADER_AT + headerBytes.length);
  for (const a of arrays) {
    out.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), at);
    at = align8(at + a.byteLength);
  }
  out.writeUInt32LE(crc32(out.subarray(CHECKED_FROM)), 8);
  return out;
}

/** The header and the sections (views of `bytes`, no copy when it starts on 8). Throws when damaged. */
function unpack<L extends Layout>(
  bytes: Uint8Array,
  magic: number,
  layout: L,
): { header: Record<string, unknown>; sections: Sections<L> } {
  if (bytes.length < HEADER_AT) throw new Error('too short');
  // Typed arrays need their offsets aligned to the element size: copy unless the bytes start on 8.
  const buffer = bytes.byteOffset % 8 === 0 ? bytes : new Uint8Array(bytes);
  const view = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  if (view.getUint32(0, true) !== magic) throw new Error('not a search state');
  if (crc32(buffer.subarray(CHECKED_FROM)) !== view.getUint32(8, true)) throw new Error('checksum mismatch');
  const headerLength = view.getUint32(4, true);
  if (HEADER_AT + headerLength > buffer.length) throw new Error('header overruns');
  const header = JSON.parse(
    new TextDecoder().decode(buffer.subarray(HEADER_AT, HEADER_AT + headerLength)),
  ) as Record<string, unknown>;
  const lengths = header.lengths;
  if (!Array.isArray(lengths) || lengths.length !== layout.length) throw new Error('malformed header');
  const sections: Record<string, TypedArray> = {};
  let at = align8(HEADER_AT + headerLength);
  layout.forEach(([name, Kind], i) => {
    const length = lengths[i] as unknown;
    if (typeof length !== 'number' || !Number.isSafeInteger(length) || length < 0) {
      throw new Error(`bad ${name}`);
    }
    const byteLength = length * Kind.BYTES_PER_ELEMENT;
    if (at + byteLength > buffer.length) throw new Error(`${name} overruns`);
    sections[name] = new Kind(buffer.buffer as ArrayBuffer, buffer.byteOffset + at, length);
    at = align8(at + byteLength);
  });
  return { header, sections: sections as Sections<L> };
}

/** Status bytes per entry key: 0 none, 1 held, 2 held and archived (what every query's filter needs). */
function statusOf(facts: EntryFactsState): Uint8Array {
  const status = new Uint8Array(facts.category.length);
  for (let seq = 0; seq < status.length; seq++) {
    if (facts.category[seq] !== -1) status[seq] = facts.archived[seq] === 1 ? 2 : 1;
  }
  return status;
}

export function encodeSearchState(
  snapshot: SearchStateSnapshot,
  parameters: SearchStateParameters,
  pageItems = PAGE_ITEMS,
): EncodedSearchState {
  const { index, facts } = snapshot;
  const generation = randomInt(1, 2 ** 31);
  const parts: Buffer[] = [];
  parts[FACTS_PART] = pack(
    PART_MAGIC,
    { format: SEARCH_STATE_FORMAT, generation, part: FACTS_PART },
    FACTS_LAYOUT,
    facts,
  );
  // Pages of whole lists, in term order.
  const pages: number[] = [];
  let term = 0;
  let item = 0;
  while (term < index.terms.length) {
    pages.push(term);
    const firstItem = item;
    while (term < index.terms.length && (item - firstItem < pageItems || term === pages.at(-1))) {
      item += index.sizes[term]!;
      term++;
    }
    parts.push(
      pack(PART_MAGIC, { format: SEARCH_STATE_FORMAT, generation, part: parts.length }, PAGE_LAYOUT, {
        seqs: index.seqs.subarray(firstItem, item),
        impacts: index.impacts.subarray(firstItem, item),
      }),
    );
  }
  pages.push(index.terms.length);
  const header: Omit<HeadHeader, 'lengths'> = {
    format: SEARCH_STATE_FORMAT,
    littleEndian: LITTLE_ENDIAN,
    generation,
    listSize: parameters.listSize,
    weights: [...parameters.weights],
    avgLength: index.avgLength,
    documents: index.documents,
    factsCount: facts.count,
    pages,
    categories: facts.categories,
    tagNames: facts.tagNames,
  };
  const terms = TermTable.encode(index.terms);
  const head = pack(HEAD_MAGIC, header, HEAD_LAYOUT, {
    termBytes: terms.bytes,
    termEnds: terms.ends,
    df: index.df,
    offered: index.offered,
    sizes: index.sizes,
    touched: snapshot.touched,
    status: statusOf(facts),
  });
  return { head, parts };
}

/**
 * The state whose head is `bytes`, or a reason it cannot be used (another format, byte order or build
 * parameters). Throws when the head is damaged. `readPart` reads a part when a query first needs it; it is
 * checked then, and a damaged or newer part throws SearchStateUnavailable from the query.
 */
export function decodeSearchState(
  bytes: Uint8Array,
  parameters: SearchStateParameters,
  readPart: (part: number) => Uint8Array | undefined,
):
  | { index: ChampionIndex; facts: EntryFacts; touched: Set<number>; reason?: undefined }
  | { reason: string } {
  const { header, sections } = unpack(bytes, HEAD_MAGIC, HEAD_LAYOUT);
  const h = header as Partial<HeadHeader>;
  if (h.format !== SEARCH_STATE_FORMAT) return { reason: `format ${String(h.format)}` };
  if (h.littleEndian !== LITTLE_ENDIAN) return { reason: 'saved on a machine of the other byte order' };
  if (
    h.listSize !== parameters.listSize ||
    JSON.stringify(h.weights) !== JSON.stringify(parameters.weights)
  ) {
    return { reason: 'built with other list size or column weights' };
  }
  const { pages, categories, tagNames, generation } = h;
  if (
    !Array.isArray(pages) ||
    !Array.isArray(categories) ||
    !Array.isArray(tagNames) ||
    typeof generation !== 'number' ||
    typeof h.avgLength !== 'number' ||
    typeof h.documents !== 'number' ||
    typeof h.factsCount !== 'number' ||
    ![categories, tagNames].every((names) => names.every((n) => typeof n === 'string')) ||
    !pages.every((p) => Number.isSafeInteger(p))
  ) {
    throw new Error('search state: malformed header');
  }
  const part = <L extends Layout>(number: number, layout: L): Sections<L> => {
    const stored = readPart(number);
    if (stored === undefined) throw new SearchStateUnavailable('replaced', `part ${number} is gone`);
    let unpacked: ReturnType<typeof unpack<L>>;
    try {
      unpacked = unpack(stored, PART_MAGIC, layout);
    } catch (error) {
      throw new SearchStateUnavailable('damaged', `part ${number}: ${(error as Error).message}`);
    }
    const ph = unpacked.header as Partial<PartHeader>;
    if (ph.generation !== generation) {
      throw new SearchStateUnavailable('replaced', `part ${number} belongs to another save`);
    }
    if (ph.part !== number || ph.format !== SEARCH_STATE_FORMAT) {
      throw new SearchStateUnavailable('damaged', `part ${number} is labelled ${String(ph.part)}`);
    }
    return unpacked.sections;
  };
  const loadPage = (page: number, items: number): ChampionPage => {
    let sections: Sections<typeof PAGE_LAYOUT>;
    try {
      sections = part(page + 1, PAGE_LAYOUT);
    } catch (error) {
      // Reading the row itself failed: the part is as good as damaged.
      if (error instanceof SearchStateUnavailable) throw error;
      throw new SearchStateUnavailable('damaged', (error as Error).message);
    }
    const { seqs, impacts } = sections;
    if (seqs.length !== items || impacts.length !== items) {
      throw new SearchStateUnavailable('damaged', `page ${page} holds ${seqs.length} items, not ${items}`);
    }
    return { seqs, impacts };
  };
  let index: ChampionIndex;
  try {
    index = ChampionIndex.fromState(
      {
        listSize: h.listSize,
        avgLength: h.avgLength,
        documents: h.documents,
        terms: TermTable.view(sections.termBytes, sections.termEnds),
        df: sections.df,
        offered: sections.offered,
        sizes: sections.sizes,
        pages,
      },
      parameters.weights,
      loadPage,
    );
  } catch (error) {
    throw new Error(`search state: ${(error as Error).message}`);
  }
  const facts = EntryFacts.fromState(
    { categories, tagNames, count: h.factsCount, status: sections.status },
    (): EntryFactsDetail => part(FACTS_PART, FACTS_LAYOUT),
    (message) => new SearchStateUnavailable('damaged', message),
  );
  return { index, facts, touched: new Set(sections.touched) };
}
