import { describe, expect, it } from 'vitest';
import type { Copybook } from '../src/copybook/model.js';
import { parseCopybook } from '../src/copybook/parse-copybook.js';
import { extractRecordLayouts } from '../src/copybook/program.js';
import { decodeText } from '../src/decode/codepages.js';
import { type DecodeOptions, decodeRecordStream, decodeRecords } from '../src/decode/decode-records.js';
import type { RecordDecodeError } from '../src/decode/errors.js';
import { decodeBinary, decodePacked, parseDisplayNumber } from '../src/decode/fields.js';
import { readFloat } from '../src/decode/floats.js';
import type { DecodedRecord } from '../src/decode/record.js';
import { CodeAnalysisError } from '../src/errors.js';
import { cobrixMismatches, type JsonValue, parseJsonRecords } from './support/cobrix-json.js';
import { sample } from './support/samples.js';

const copybookOf = (relPath: string): Copybook =>
  parseCopybook(sample(relPath).toString('utf8'), { file: relPath });
const expectedOf = (relPath: string): JsonValue[] => parseJsonRecords(sample(relPath).toString('utf8'));
const fixed = (...lines: string[]): string => lines.map((line) => `       ${line}`).join('\n');
const ascii = (text: string): Uint8Array => new TextEncoder().encode(text);

/** Every mismatch of the decoded records against Cobrix's, record by record, field path by field path. */
function mismatches(actual: readonly DecodedRecord[], expected: readonly JsonValue[]): string[] {
  return expected.flatMap((want, i) => cobrixMismatches(actual[i], want, `record ${i}`));
}

const SEGMENTS: DecodeOptions = {
  recordFormat: 'V',
  generateRecordId: true,
  segmentField: 'SEGMENT_ID',
  segmentRedefines: {
    1: 'COMPANY',
    2: 'DEPT',
    3: 'EMPLOYEE',
    4: 'OFFICE',
    5: 'CUSTOMER',
    6: 'CONTACT',
    7: 'CONTRACT',
  },
};
const NESTED_ODO: DecodeOptions = {
  encoding: 'ascii',
  variableSizeOccurs: true,
  schemaRetention: 'keep_original',
};

/**
 * The Cobrix oracles, decoded with the options of the Cobrix run behind each (see SOURCES.md). Cobrix's
 * JSON leaves nulls out; a number it prints is compared exactly (as a double when we return a number, digit
 * by digit when we return a bigint or a decimal string). No deviation is needed for these samples.
 */
const ORACLES: { name: string; copybook: string; data: string; expected: string; options: DecodeOptions }[] =
  [
    {
      name: 'test19 (DISPLAY numbers, explicit point, record ids)',
      copybook: 'cobrix/data/test19_display_num.cob',
      data: 'cobrix/data/test19_display_num/data.dat',
      expected: 'cobrix/data/test19_display_num_expected/test19.txt',
      options: { generateRecordId: true, improvedNullDetection: false },
    },
    {
      name: 'test1 (COMP, COMP-3, REDEFINES, OCCURS DEPENDING ON)',
      copybook: 'cobrix/data/test1_copybook.cob',
      data: 'cobrix/data/test1_data/example.bin',
      expected: 'cobrix/data/test1_expected/test1.txt',
      options: {},
    },
    {
      name: 'test6 (type variety, IEEE754 floats, strict sign overpunching)',
      copybook: 'cobrix/data/test6_copybook.cob',
      data: 'cobrix/data/test6_data/INTEGR.TYPES.NOV28.DATA.dat',
      expected: 'cobrix/data/test6_expected/test6.txt',
      options: { floatingPointFormat: 'IEEE754', strictSignOverpunching: true },
    },
    {
      name: 'test17a (RDW records, segment redefines)',
      copybook: 'cobrix/data/test17_hierarchical.cob',
      data: 'cobrix/data/test17/HIERARCHICAL.DATA.RDW.dat',
      expected: 'cobrix/data/test17_expected/test17a.txt',
      options: SEGMENTS,
    },
    {
      name: 'test21 (ASCII, nested variable-size ODO, root kept)',
      copybook: 'cobrix/data/test21_copybook.cob',
      data: 'cobrix/data/test21_data/data.dat',
      expected: 'cobrix/data/test21_expected/test21.txt',
      options: NESTED_ODO,
    },
  ];

describe('decoding the Cobrix samples', () => {
  for (const oracle of ORACLES) {
    it(`matches ${oracle.name}`, () => {
      const records = [...decodeRecords(sample(oracle.data), copybookOf(oracle.copybook), oracle.options)];
      const expected = expectedOf(oracle.expected);
      // test17a.txt holds the first 300 of the file's records; the others hold them all.
      expect(records.length).toBeGreaterThanOrEqual(expected.length);
      expect(mismatches(records, expected)).toEqual([]);
    });
  }

  it('matches test7c (FILLERs kept and numbered): the oracle is the 100 lowest AMOUNTs', () => {
    const records = [
      ...decodeRecords(
        sample('cobrix/data/test7_data/TEST.FILLERS.DEC07.DATA.dat'),
        copybookOf('cobrix/data/test7_fillers.cob'),
        {
          dropFillers: 'none',
        },
      ),
    ];
    expect(records).toHaveLength(1000);
    const expected = expectedOf('cobrix/data/test7_expected/test7c.txt');
    const lowest = [...records]
      .sort((a, b) => (a.AMOUNT as number) - (b.AMOUNT as number))
      .slice(0, expected.length);
    // Equal AMOUNTs may come in any order: match each expected record with an unused decoded one.
    const unused = new Set(lowest.keys());
    const unmatched = expected.flatMap((want, i) => {
      const match = [...unused].find((j) => cobrixMismatches(lowest[j], want).length === 0);
      if (match === undefined) return [cobrixMismatches(lowest[i], want, `record ${i}`)];
      unused.delete(match);
      return [];
    });
    expect(unmatched).toEqual([]);
  });

  it('decodes ACCTREC with the FD of CBL0001', () => {
    const layout = extractRecordLayouts(sample('omp-cobol-course/cbl/CBL0001.cobol').toString('utf8')).find(
      (record) => record.name === 'ACCT-FIELDS',
    );
    const records = [
      ...decodeRecords(
        sample('omp-cobol-course/data/ACCTREC.data.ebcdic'),
        (layout as { copybook: Copybook }).copybook,
      ),
    ];
    expect(records).toHaveLength(45);
    const summary = (r: DecodedRecord) => [
      r.ACCT_NO,
      r.ACCT_LIMIT,
      r.ACCT_BALANCE,
      r.LAST_NAME,
      r.FIRST_NAME,
    ];
    expect(summary(records[0] as DecodedRecord)).toEqual([
      '17891797',
      10000.0,
      188.74,
      'WASHINGTON',
      'George',
    ]);
    expect(((records[0] as DecodedRecord).CLIENT_ADDR as DecodedRecord).STREET_ADDR).toBe('1 General Dr.');
    expect(summary(records[44] as DecodedRecord)).toEqual([
      '20172021',
      8100000.0,
      10.0,
      'TRUMP',
      'Donald J.',
    ]);
  });
});

describe('streaming', () => {
  /** Chunks of `size` bytes; counts how many were pulled when each record came out. */
  function chunked(data: Uint8Array, size: number, pulled: { count: number }): AsyncIterable<Uint8Array> {
    return {
      async *[Symbol.asyncIterator]() {
        for (let at = 0; at < data.length; at += size) {
          pulled.count++;
          yield data.subarray(at, at + size);
        }
      },
    };
  }

  it('yields the same records from odd-sized chunks, one record at a time', async () => {
    const cases = [
      {
        copybook: 'cobrix/data/test17_hierarchical.cob',
        data: 'cobrix/data/test17/HIERARCHICAL.DATA.RDW.dat',
        options: SEGMENTS,
      },
      {
        copybook: 'cobrix/data/test21_copybook.cob',
        data: 'cobrix/data/test21_data/data.dat',
        options: NESTED_ODO,
      },
      { copybook: 'cobrix/data/test1_copybook.cob', data: 'cobrix/data/test1_data/example.bin', options: {} },
    ];
    for (const c of cases) {
      const copybook = copybookOf(c.copybook);
      const data = sample(c.data);
      const pulled = { count: 0 };
      const streamed: DecodedRecord[] = [];
      let pulledAtFirst = 0;
      for await (const record of decodeRecordStream(chunked(data, 7, pulled), copybook, c.options)) {
        if (streamed.length === 0) pulledAtFirst = pulled.count;
        streamed.push(record);
      }
      expect(streamed).toEqual([...decodeRecords(data, copybook, c.options)]);
      // The first record comes out as soon as its bytes (plus the look-ahead of one record) are in.
      expect(pulledAtFirst).toBeLessThanOrEqual(Math.ceil((copybook.recordLength + 4) / 7) + 1);
    }
  });
});

describe('field decoding', () => {
  const numericField = (picture: string) => {
    const copybook = parseCopybook(fixed('01  R.', `    05  N  PIC ${picture}.`));
    return copybook.fields[1] as Copybook['fields'][number];
  };

  it('has a cp037 table of 256 distinct code points with the EBCDIC letters, digits and signs', () => {
    const all = decodeText(
      Uint8Array.from({ length: 256 }, (_, i) => i),
      'cp037',
    );
    expect(new Set(all).size).toBe(256);
    expect(decodeText(Uint8Array.from([0xc1, 0xc9, 0xd1, 0xd9, 0xe2, 0xe9]), 'cp037')).toBe('AIJRSZ');
    expect(
      decodeText(Uint8Array.from([0x81, 0xa9, 0xf0, 0xf9, 0x40, 0x4b, 0x4e, 0x60, 0x5b, 0x7d]), 'cp037'),
    ).toBe("az09 .+-$'");
  });

  it('reads zoned numbers with overpunched and separate signs, ASCII and EBCDIC alike', () => {
    const signed = numericField('S9(3)V99');
    expect(parseDisplayNumber('1234}', signed, true)).toBe(-123.4);
    expect(parseDisplayNumber('1234{', signed, true)).toBe(123.4);
    expect(parseDisplayNumber('-12345', signed, false)).toBe(-123.45);
    // Strict: an overpunch on an unsigned field is not a number.
    expect(parseDisplayNumber('12J', numericField('9(3)'), true)).toBeNull();
    expect(parseDisplayNumber('12J', numericField('9(3)'), false)).toBe(-121);
    expect(parseDisplayNumber('1X3', numericField('9(3)'), false)).toBeNull();
    expect(parseDisplayNumber('$1,234.50CR', numericField('$,$$9.99CR'), false)).toBe(-1234.5);
    expect(parseDisplayNumber('12345678901234567890', numericField('9(20)'), false)).toBe(
      12345678901234567890n,
    );
    expect(parseDisplayNumber('1234567890123456.78', numericField('9(16).99'), false)).toBe(
      '1234567890123456.78',
    );
  });

  it('reads COMP-3 with C/D/F signs, invalid nibbles as null', () => {
    expect(decodePacked(Uint8Array.from([0x12, 0x34, 0x5d]), 2)).toBe(-123.45);
    expect(decodePacked(Uint8Array.from([0x12, 0x34, 0x5f]), 0)).toBe(12345);
    expect(decodePacked(Uint8Array.from([0x12, 0x34, 0x5a]), 0)).toBeNull();
    expect(decodePacked(Uint8Array.from([0x1a, 0x34, 0x5c]), 0)).toBeNull();
  });

  it('reads binary big-endian, signed or not, as a bigint past 2^53', () => {
    expect(decodeBinary(Uint8Array.from([0xff, 0xfe]), true, 0)).toBe(-2);
    expect(decodeBinary(Uint8Array.from([0xff, 0xfe]), false, 1)).toBe(6553.4);
    expect(decodeBinary(Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]), false, 0)).toBe(
      2n ** 64n - 1n,
    );
    expect(decodeBinary(Uint8Array.from([0x80, 0, 0, 0, 0, 0, 0, 0]), true, 0)).toBe(-(2n ** 63n));
  });

  it('reads IBM hexadecimal and IEEE 754 floats', () => {
    expect(readFloat(Uint8Array.from([0x41, 0x10, 0, 0]), 'IBM')).toBe(1);
    expect(readFloat(Uint8Array.from([0xc2, 0x76, 0xa0, 0]), 'IBM')).toBe(-118.625);
    expect(readFloat(Uint8Array.from([0x41, 0x10, 0, 0, 0, 0, 0, 0]), 'IBM')).toBe(1);
    expect(readFloat(Uint8Array.from([0x3f, 0xf8, 0, 0, 0, 0, 0, 0]), 'IEEE754')).toBe(1.5);
  });
});

describe('hostile data', () => {
  const odoCopybook = parseCopybook(
    fixed(
      '01  R.',
      '    05  N  PIC 9.',
      '    05  A  PIC X OCCURS 0 TO 3 TIMES DEPENDING ON N.',
      '    05  T  PIC X.',
    ),
  );
  const refusal = (run: () => unknown): CodeAnalysisError => {
    try {
      run();
    } catch (error) {
      if (error instanceof CodeAnalysisError) return error;
      throw error;
    }
    throw new Error('no error');
  };

  it('refuses an ODO counter above its maximum, naming the record; or reports it and goes on', () => {
    const data = ascii('2ab-z' + '9abcz' + '1a--y');
    const error = refusal(() => [
      ...decodeRecords(data, odoCopybook, { encoding: 'ascii' }),
    ]) as RecordDecodeError;
    expect([error.reason, error.recordIndex, error.byteOffset]).toEqual(['ODO_RANGE', 1, 5]);
    const errors: RecordDecodeError[] = [];
    const records = [
      ...decodeRecords(data, odoCopybook, { encoding: 'ascii', onRecordError: (e) => errors.push(e) }),
    ];
    expect(records.map((r) => [r.N, r.A, r.T])).toEqual([
      [2, ['a', 'b'], 'z'],
      [1, ['a'], 'y'],
    ]);
    expect(errors.map((e) => [e.reason, e.recordIndex])).toEqual([['ODO_RANGE', 1]]);
  });

  it('refuses an ODO counter bigger than the bytes left in a variable-size record', () => {
    const error = refusal(() => [
      ...decodeRecords(ascii('3ab'), odoCopybook, { encoding: 'ascii', variableSizeOccurs: true }),
    ]);
    expect(error.reason).toBe('ODO_RANGE');
    expect([
      ...decodeRecords(ascii('2abz1cy'), odoCopybook, { encoding: 'ascii', variableSizeOccurs: true }),
    ]).toEqual([
      { N: 2, A: ['a', 'b'], T: 'z' },
      { N: 1, A: ['c'], T: 'y' },
    ]);
  });

  it('refuses data that is not a whole number of fixed records', () => {
    const error = refusal(() => [...decodeRecords(ascii('0---z0---'), odoCopybook, { encoding: 'ascii' })]);
    expect(error.reason).toBe('RECORD_LENGTH');
    expect(error.message).toMatch(/record 1 .*4 trailing bytes/);
  });

  it('refuses an RDW that claims more bytes than remain, in either byte order', () => {
    const copybook = parseCopybook(fixed('01  R.', '    05  A  PIC X(3).'));
    const little = Uint8Array.from([0, 0, 3, 0, 0x41, 0x42, 0x43, 0, 0, 9, 0, 0x41]);
    const error = refusal(() => [
      ...decodeRecords(little, copybook, { encoding: 'ascii', recordFormat: 'V' }),
    ]);
    expect([error.reason, (error as RecordDecodeError).recordIndex]).toEqual(['RECORD_LENGTH', 1]);
    const big = Uint8Array.from([0, 7, 0, 0, 0x41, 0x42, 0x43, 0, 12, 0, 0, 0x41]);
    const options: DecodeOptions = {
      encoding: 'ascii',
      recordFormat: 'V',
      rdw: { byteOrder: 'big', includesHeader: true },
    };
    expect(refusal(() => [...decodeRecords(big, copybook, options)]).reason).toBe('RECORD_LENGTH');
    expect([...decodeRecords(big.subarray(0, 7), copybook, options)]).toEqual([{ A: 'ABC' }]);
  });

  it('refuses an unknown encoding', () => {
    const options = { encoding: 'cp500' } as unknown as DecodeOptions;
    expect(refusal(() => [...decodeRecords(ascii('0---z'), odoCopybook, options)]).reason).toBe('ENCODING');
  });
});
