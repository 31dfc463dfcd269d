import type { FormatCodec } from '../../codec-types.js';
import { readOrc } from './orc-reader.js';
import { type OrcWriteOptions, writeOrc } from './orc-writer.js';

/**
 * ORC files open with `ORC`, and so do text files (a CSV whose first header is `ORCID`). ORC's first
 * bytes after the magic are stream data and chunk headers, which hold control bytes that text does not:
 * require one (other than tab, LF, CR) in the head.
 */
export function sniffOrc(head: Uint8Array): boolean {
  if (head.length < 4 || head[0] !== 0x4f || head[1] !== 0x52 || head[2] !== 0x43) return false;
  for (let i = 3; i < head.length; i++) {
    const b = head[i]!;
    if (b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d) return true;
  }
  return false;
}

export function createOrcCodec(writeOptions: OrcWriteOptions = {}): FormatCodec {
  return {
    format: 'orc',
    sniff: sniffOrc,
    read: (source, options) => readOrc(source, options),
    write: (records, schema, sink) => writeOrc(records, schema, sink, writeOptions),
  };
}

export const orcCodec: FormatCodec = createOrcCodec();
