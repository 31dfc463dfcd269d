import type { Database } from 'better-sqlite3';
import type { Bm25Stats } from '../../search/bm25.js';

/**
 * Reads FTS5's own row count and column token totals from the table's "averages" record (rowid 1 of
 * `<table>_data`: the row count, then one total per column, as SQLite varints). bm25() derives avgdl from
 * exactly these numbers, so scores computed in JavaScript with them equal the index's.
 */
export function readFts5Stats(sqlite: Database, table = 'kb_fts'): Bm25Stats & { columnTokens: number[] } {
  const block = sqlite.prepare(`select block from ${table}_data where id = 1`).pluck().get() as
    | Buffer
    | undefined;
  return parseFts5Averages(block);
}

/** Parses an averages record (see readFts5Stats); an empty or missing record means an empty table. */
export function parseFts5Averages(block: Uint8Array | undefined): Bm25Stats & { columnTokens: number[] } {
  if (!block || block.length === 0) return { rows: 0, avgLength: 1, columnTokens: [] };
  const values: number[] = [];
  let i = 0;
  while (i < block.length) {
    let value = 0;
    let byte: number;
    let n = 0;
    do {
      byte = block[i++]!;
      n++;
      // The 9th byte of a SQLite varint carries 8 bits; row and token counts never get there in practice.
      value = n === 9 ? value * 256 + byte : value * 128 + (byte & 0x7f);
    } while (byte & 0x80 && n < 9 && i < block.length);
    values.push(value);
  }
  const rows = values[0] ?? 0;
  const columnTokens = values.slice(1);
  const tokens = columnTokens.reduce((a, b) => a + b, 0);
  return { rows, avgLength: rows > 0 ? tokens / rows : 1, columnTokens };
}
