import type { FormatCodec, FormatName } from './codec-types.js';
import { avroCodec } from './columnar/avro/avro-codec.js';
import { orcCodec } from './columnar/orc/orc-codec.js';
import { parquetCodec } from './columnar/parquet/parquet-codec.js';
import { csvCodec } from './csv/csv-codec.js';
import { FormatErrorReason, formatError } from './errors/format-error.js';
import { jsonCodec } from './json/json-codec.js';
import { ndjsonCodec } from './json/ndjson-codec.js';
import { xmlCodec } from './xml/xml-codec.js';

/**
 * Detection order: formats with magic bytes first, then the textual ones from the most to the least
 * specific (CSV claims any text, so it is asked last).
 */
const DETECTION_ORDER: readonly FormatName[] = ['parquet', 'avro', 'orc', 'xml', 'json', 'ndjson', 'csv'];

/** Format name → codec. Export and import look codecs up here, so a new codec is one `register` call. */
export class CodecRegistry {
  readonly #codecs = new Map<FormatName, FormatCodec>();

  constructor(codecs: Iterable<FormatCodec> = []) {
    for (const codec of codecs) this.register(codec);
  }

  register(codec: FormatCodec): this {
    this.#codecs.set(codec.format, codec);
    return this;
  }

  has(format: string): format is FormatName {
    return this.#codecs.has(format as FormatName);
  }

  formats(): FormatName[] {
    return DETECTION_ORDER.filter((f) => this.#codecs.has(f));
  }

  get(format: string): FormatCodec {
    const codec = this.#codecs.get(format as FormatName);
    if (codec === undefined) {
      throw formatError(
        'envelope',
        FormatErrorReason.UNKNOWN_FORMAT,
        `no codec for the format '${format}' is registered; available: ${this.formats().join(', ')}`,
        {
          details: { format },
        },
      );
    }
    return codec;
  }

  /** The codec whose sniffer recognises `head` (the first bytes of the content), or undefined. */
  detect(head: Uint8Array): FormatCodec | undefined {
    for (const format of this.formats()) {
      const codec = this.#codecs.get(format) as FormatCodec;
      if (codec.sniff(head)) return codec;
    }
    return undefined;
  }
}

/**
 * The codecs this package ships. The columnar codecs (src/columnar/) register here, one line each:
 * `registry.register(parquetCodec)`.
 */
export function createDefaultRegistry(): CodecRegistry {
  return new CodecRegistry([jsonCodec, ndjsonCodec, csvCodec, xmlCodec, parquetCodec, avroCodec, orcCodec]);
}
