import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type ByteSource,
  csvCodec,
  type DataRecord,
  DEFAULT_LIMITS,
  type EntitySchema,
  type FormatCodec,
  jsonCodec,
  memorySink,
  ndjsonCodec,
  reasonOf,
  xmlCodec,
} from '../src/index.js';
import { JsonStreamParser } from '../src/json/json-stream-parser.js';

const schema: EntitySchema = {
  entity: 'sample',
  table: 'samples',
  fields: [
    { name: 'id', type: 'integer', nullable: false },
    { name: 'text', type: 'string', nullable: true },
    { name: 'required_text', type: 'string', nullable: false },
    { name: 'amount', type: 'double', nullable: true },
    { name: 'flag', type: 'boolean', nullable: true },
    { name: 'at', type: 'timestamp', nullable: true },
  ],
};

const tricky = fc.constantFrom(
  '',
  ' ',
  '=1+1',
  "'=x",
  "''@y",
  '+',
  '-',
  '@',
  '\t',
  '\r',
  '\r\n',
  '"',
  '""',
  ',',
  'a,b\r\nc',
  '<tag>&amp;</tag>',
  ']]>',
  'e\u0301',
  '😀',
  '\u0000\u0001\u001f',
  '\uFFFE',
  'nil',
  'null',
);
const text = fc.oneof(fc.string({ unit: 'binary', maxLength: 40 }), tricky);
const double = fc
  .oneof(
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.constantFrom(Number.MAX_VALUE, Number.MIN_VALUE, -Number.MAX_VALUE, 0.1, 1e21, 1e-7),
  )
  .filter((d) => !Object.is(d, -0));
const date = fc.date({ min: new Date(-8.64e15), max: new Date(8.64e15), noInvalidDate: true });

const record: fc.Arbitrary<DataRecord> = fc.record({
  id: fc.oneof(fc.maxSafeInteger(), fc.constantFrom(Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER, 0)),
  text: fc.option(text, { nil: null }),
  required_text: text,
  amount: fc.option(double, { nil: null }),
  flag: fc.option(fc.boolean(), { nil: null }),
  at: fc.option(date, { nil: null }),
});

/** A source whose stream is cut at the given byte positions (inside multi-byte characters too). */
function splitSource(bytes: Uint8Array, cuts: number[]): ByteSource {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  return {
    size: bytes.length,
    async read(offset, length) {
      return bytes.subarray(offset, offset + length);
    },
    async *stream() {
      let from = 0;
      for (const p of [...points, bytes.length]) {
        if (p > from) yield bytes.subarray(from, p);
        from = p;
      }
    },
  };
}

async function roundTrip(codec: FormatCodec, records: DataRecord[], cuts: number[]): Promise<DataRecord[]> {
  const sink = memorySink();
  const summary = await codec.write(
    (async function* () {
      yield* records;
    })(),
    schema,
    sink,
  );
  expect(summary.records).toBe(records.length);
  const out: DataRecord[] = [];
  for await (const item of codec.read(splitSource(sink.bytes(), cuts), { schema, limits: DEFAULT_LIMITS })) {
    out.push(item.record);
  }
  return out;
}

describe.each([jsonCodec, ndjsonCodec, csvCodec, xmlCodec])('$format codec', (codec) => {
  it('write → read gives the same records (Unicode, empty strings, nulls, extreme numbers and dates)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(record, { maxLength: 12 }),
        fc.array(fc.nat(), { maxLength: 8 }),
        async (records, cuts) => {
          expect(await roundTrip(codec, records, cuts)).toEqual(records);
        },
      ),
      { numRuns: 150, seed: 20261128 },
    );
  });

  it('sniffs what it writes', async () => {
    const sink = memorySink();
    await codec.write(
      (async function* () {
        yield { id: 1, text: 'x', required_text: 'y', amount: 1.5, flag: true, at: new Date(0) };
      })(),
      schema,
      sink,
    );
    expect(codec.sniff(sink.bytes().subarray(0, 64))).toBe(true);
  });

  it('refuses a value that does not fit its field when writing', async () => {
    const bad = [{ id: 1.5, text: null, required_text: 'x', amount: null, flag: null, at: null }];
    const error = await roundTrip(codec, bad, []).catch((e: unknown) => e);
    expect(reasonOf(error)).toBe('BAD_VALUE');
  });
});

describe('streaming JSON parser', () => {
  it('parses any JSON document like JSON.parse, whatever the chunking', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), fc.array(fc.nat(), { maxLength: 10 }), (value, cuts) => {
        const textValue = JSON.stringify(value);
        const values: unknown[] = [];
        const parser = new JsonStreamParser({
          format: 'json',
          limits: DEFAULT_LIMITS,
          decide: () => 'capture',
          onValue: (_p, v) => values.push(v),
        });
        const points = [...new Set(cuts.map((c) => c % (textValue.length + 1)))].sort((a, b) => a - b);
        try {
          let from = 0;
          for (const p of [...points, textValue.length]) {
            parser.push(textValue.slice(from, p));
            from = p;
          }
          parser.end();
        } catch (error) {
          // Refused on purpose: keys that reach a prototype, never a number JSON.stringify wrote.
          fc.pre(reasonOf(error) !== 'FORBIDDEN_KEY');
          throw error;
        }
        expect(values).toEqual([JSON.parse(textValue)]);
      }),
      { numRuns: 300, seed: 20261128 },
    );
  });
});

describe('the XML writer', () => {
  const one: EntitySchema = { entity: 'sample', fields: [{ name: 'text', type: 'string', nullable: true }] };
  const written = async (value: string | null): Promise<string> => {
    const sink = memorySink();
    await xmlCodec.write(
      (async function* () {
        yield { text: value };
      })(),
      one,
      sink,
    );
    const all = sink.text();
    return all.slice(all.indexOf('<record>') + '<record>'.length, all.lastIndexOf('</record>'));
  };

  it('writes & < > " and CR as references, everything else as itself', async () => {
    expect(await written('a&b<c>d"e\rf\ng\t\'h&&')).toBe(
      "<text>a&amp;b&lt;c&gt;d&quot;e&#13;f\ng\t'h&amp;&amp;</text>",
    );
    expect(await written('"')).toBe('<text>&quot;</text>');
    expect(await written('plain ÉBCDIC 😀')).toBe('<text>plain ÉBCDIC 😀</text>');
    expect(await written('')).toBe('<text></text>');
    expect(await written(null)).toBe('<text nil="true"/>');
  });

  it('writes text XML cannot carry as base64 of its UTF-8, escaped characters and all', async () => {
    expect(await written('a<\u0001')).toBe(
      `<text encoding="base64">${Buffer.from('a<\u0001').toString('base64')}</text>`,
    );
    expect(await written('\uFFFE')).toBe(
      `<text encoding="base64">${Buffer.from('\uFFFE').toString('base64')}</text>`,
    );
  });
});
