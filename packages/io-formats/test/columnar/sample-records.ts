import type { DataRecord, EntitySchema } from '../../src/codec-types.js';

/** One field of every type, nullable and not, as KB entries carry them. */
export const SAMPLE_SCHEMA: EntitySchema = {
  entity: 'kb',
  fields: [
    { name: 'id', type: 'string', nullable: false },
    { name: 'title', type: 'string', nullable: false },
    { name: 'notes', type: 'string', nullable: true },
    { name: 'usage_count', type: 'integer', nullable: false },
    { name: 'score', type: 'double', nullable: true },
    { name: 'archived', type: 'boolean', nullable: false },
    { name: 'reviewed', type: 'boolean', nullable: true },
    { name: 'created_at', type: 'timestamp', nullable: false },
    { name: 'resolved_at', type: 'timestamp', nullable: true },
  ],
};

export function sampleRecords(count: number): DataRecord[] {
  const records: DataRecord[] = [];
  for (let i = 0; i < count; i++) {
    records.push({
      id: `kb-${i}`,
      title: i % 7 === 0 ? '' : `S0C7 data exception in step ${i} — 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 ✓`,
      notes: i % 3 === 0 ? null : `note ${i % 11}`,
      usage_count: i % 5 === 0 ? -(2 ** 53 - 1) + i : i * 1_000_003,
      score: i % 4 === 0 ? null : i / 7,
      archived: i % 2 === 0,
      reviewed: i % 3 === 1 ? null : i % 3 === 0,
      created_at: new Date(Date.UTC(1900 + (i % 300), i % 12, 1 + (i % 28), 13, 14, 15, i % 1000)),
      resolved_at: i % 6 === 0 ? null : new Date(1_700_000_000_000 + i * 1001),
    });
  }
  return records;
}

/** Values at the edges of every type, for the independent readers. */
export function edgeRecords(): DataRecord[] {
  const base = sampleRecords(1)[0]!;
  const doubles = [
    -0,
    5e-324,
    -5e-324,
    2.2250738585072014e-308,
    Number.MAX_VALUE,
    -Number.MAX_VALUE,
    Infinity,
    -Infinity,
    Number.NaN,
    0.1,
  ];
  const ints = [
    Number.MAX_SAFE_INTEGER,
    Number.MIN_SAFE_INTEGER,
    0,
    -1,
    1,
    2 ** 31,
    -(2 ** 31) - 1,
    2 ** 32 + 7,
  ];
  const dates = [
    new Date(Date.UTC(1900, 0, 1, 0, 0, 0, 1)),
    new Date(Date.UTC(2199, 11, 31, 23, 59, 59, 999)),
    new Date(-1000),
    new Date(-1001),
    new Date(0),
    new Date(Date.UTC(2015, 0, 1)),
    new Date(Date.UTC(2014, 11, 31, 23, 59, 59, 999)),
  ];
  const strings = [
    '',
    ' ',
    '😀🙃 astral',
    'ẞ ß ǅ',
    'a\u0000b',
    '=cmd|"/c calc"!A1',
    'x'.repeat(5000),
    '\u{10FFFF}',
  ];
  const count = Math.max(doubles.length, ints.length, dates.length, strings.length);
  const out: DataRecord[] = [];
  for (let i = 0; i < count; i++) {
    out.push({
      ...base,
      id: `edge-${i}`,
      title: strings[i % strings.length]!,
      notes: i % 2 === 0 ? null : strings[(i + 3) % strings.length]!,
      usage_count: ints[i % ints.length]!,
      score: doubles[i % doubles.length]!,
      created_at: dates[i % dates.length]!,
      resolved_at: i % 3 === 0 ? null : dates[(i + 2) % dates.length]!,
    });
  }
  return out;
}
