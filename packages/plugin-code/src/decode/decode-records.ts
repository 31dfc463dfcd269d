import type { Copybook } from '../copybook/model.js';
import { ByteQueue } from './byte-queue.js';
import { checkEncoding, type Encoding } from './codepages.js';
import { RecordDecodeError } from './errors.js';
import type { FloatingPointFormat } from './floats.js';
import { type DecodedRecord, RecordDecoder, type RecordShape } from './record.js';

export interface RdwOptions {
  /** Byte order of the 2-byte length. Default 'little': Cobrix's default (`is_rdw_big_endian=false`). */
  readonly byteOrder?: 'big' | 'little';
  /** The length counts the 4 header bytes too (the IBM convention). Default false, as Cobrix. */
  readonly includesHeader?: boolean;
}

export interface DecodeOptions extends Partial<RecordShape> {
  /** Default 'cp037'. */
  readonly encoding?: Encoding;
  /** 'F' (default): fixed-length records; 'V': each record preceded by a 4-byte RDW. */
  readonly recordFormat?: 'F' | 'V';
  /** Length of a fixed record; default the copybook's record length. */
  readonly recordLength?: number;
  readonly rdw?: RdwOptions;
  /** Adds File_Id, Record_Id (0-based) and, for 'V', Record_Byte_Length first in each record. */
  readonly generateRecordId?: boolean;
  readonly fileId?: number;
  /** COMP-1/COMP-2 format; default 'IBM' (hexadecimal), like Cobrix. */
  readonly floatingPointFormat?: FloatingPointFormat;
  readonly strictSignOverpunching?: boolean;
  /** Default true: a DISPLAY field of 0x00 bytes only is null. */
  readonly improvedNullDetection?: boolean;
  /** Named in the errors. */
  readonly file?: string;
  /**
   * Without it (default) the first bad record throws a `RecordDecodeError`. With it, each bad record is
   * reported here and skipped; decoding goes on while the next record can still be found.
   */
  readonly onRecordError?: (error: RecordDecodeError) => void;
}

const RDW_LENGTH = 4;

/** Cuts records out of the byte queue and decodes them; shared by the in-memory and the streaming API. */
class RecordReader {
  private readonly decoder: RecordDecoder;
  private readonly fixedLength: number;
  private recordIndex = 0;
  private byteOffset = 0;
  private stopped = false;

  constructor(
    copybook: Copybook,
    private readonly options: DecodeOptions,
  ) {
    this.decoder = new RecordDecoder(
      copybook,
      {
        encoding: checkEncoding(options.encoding ?? 'cp037'),
        floatingPointFormat: options.floatingPointFormat ?? 'IBM',
        strictSignOverpunching: options.strictSignOverpunching ?? false,
        improvedNullDetection: options.improvedNullDetection ?? true,
      },
      {
        dropFillers: options.dropFillers ?? 'values',
        schemaRetention: options.schemaRetention ?? 'collapse_root',
        variableSizeOccurs: options.variableSizeOccurs ?? false,
        ...(options.segmentField === undefined ? {} : { segmentField: options.segmentField }),
        ...(options.segmentRedefines === undefined ? {} : { segmentRedefines: options.segmentRedefines }),
      },
    );
    this.fixedLength = options.recordLength ?? copybook.recordLength;
    if (this.fixedLength <= 0) {
      throw new RecordDecodeError(
        'RECORD_LENGTH',
        `record length ${this.fixedLength} is not positive`,
        this.where(),
      );
    }
  }

  private where(): { recordIndex: number; byteOffset: number; file?: string } {
    return {
      recordIndex: this.recordIndex,
      byteOffset: this.byteOffset,
      ...(this.options.file === undefined ? {} : { file: this.options.file }),
    };
  }

  /** Reports (or throws) an error; a fatal one ends the reading. */
  private report(error: RecordDecodeError, fatal: boolean): void {
    if (!this.options.onRecordError) throw error;
    this.options.onRecordError(error);
    if (fatal) this.stopped = true;
  }

  /**
   * Yields every record complete in the queue. Before the end of the data (`atEnd` false) it stops at the
   * first incomplete record and waits for more bytes.
   */
  *drain(queue: ByteQueue, atEnd: boolean): Generator<DecodedRecord> {
    while (!this.stopped && queue.length > 0) {
      const record =
        this.options.recordFormat === 'V' ? this.nextVariable(queue, atEnd) : this.nextFixed(queue, atEnd);
      if (record === 'wait') return;
      if (record !== 'skipped') yield record;
    }
  }

  private nextFixed(queue: ByteQueue, atEnd: boolean): DecodedRecord | 'wait' | 'skipped' {
    const variable = this.options.variableSizeOccurs ?? false;
    if (queue.length < this.fixedLength && !(atEnd && variable)) {
      if (!atEnd) return 'wait';
      this.report(
        new RecordDecodeError(
          'RECORD_LENGTH',
          `${queue.length} trailing bytes do not make a record of ${this.fixedLength} bytes`,
          this.where(),
        ),
        true,
      );
      return 'skipped';
    }
    // With variable-size OCCURS the record is as long as its counters say: decode, then consume that much.
    const available = queue.peek(Math.min(queue.length, this.fixedLength));
    return this.decodeAndConsume(queue, available, 0, variable ? undefined : this.fixedLength, !variable);
  }

  private nextVariable(queue: ByteQueue, atEnd: boolean): DecodedRecord | 'wait' | 'skipped' {
    if (queue.length < RDW_LENGTH) {
      if (!atEnd) return 'wait';
      this.report(
        new RecordDecodeError('RECORD_LENGTH', `${queue.length} trailing bytes are not an RDW`, this.where()),
        true,
      );
      return 'skipped';
    }
    const header = queue.peek(RDW_LENGTH);
    const rdw = this.options.rdw ?? {};
    const declared =
      (rdw.byteOrder ?? 'little') === 'big'
        ? ((header[0] as number) << 8) | (header[1] as number)
        : ((header[3] as number) << 8) | (header[2] as number);
    const length = declared - (rdw.includesHeader ? RDW_LENGTH : 0);
    if (length < 0) {
      this.report(
        new RecordDecodeError(
          'RECORD_LENGTH',
          `RDW length ${declared} is smaller than its header`,
          this.where(),
        ),
        true,
      );
      return 'skipped';
    }
    if (queue.length < RDW_LENGTH + length) {
      if (!atEnd) return 'wait';
      this.report(
        new RecordDecodeError(
          'RECORD_LENGTH',
          `the RDW claims ${length} bytes, only ${queue.length - RDW_LENGTH} remain`,
          this.where(),
        ),
        true,
      );
      return 'skipped';
    }
    const data = queue.peek(RDW_LENGTH + length).subarray(RDW_LENGTH);
    return this.decodeAndConsume(queue, data, RDW_LENGTH, RDW_LENGTH + length, true);
  }

  /**
   * Decodes one record and consumes its bytes. `consume` is the known size in the queue (header included);
   * undefined when only decoding tells it. An error in a record of known size skips just that record.
   */
  private decodeAndConsume(
    queue: ByteQueue,
    data: Uint8Array,
    headerLength: number,
    consume: number | undefined,
    recoverable: boolean,
  ): DecodedRecord | 'skipped' {
    try {
      const { record, size } = this.decoder.decode(data, this.where());
      const taken = consume ?? size;
      if (taken <= 0 || taken > headerLength + data.length) {
        throw new RecordDecodeError(
          'RECORD_LENGTH',
          `the record needs ${taken} bytes, ${data.length} remain`,
          this.where(),
        );
      }
      const result = this.withIds(record, taken - headerLength);
      this.advance(queue, taken);
      return result;
    } catch (error) {
      if (!(error instanceof RecordDecodeError)) throw error;
      this.report(error, !recoverable || consume === undefined);
      if (consume !== undefined) this.advance(queue, consume);
      return 'skipped';
    }
  }

  private advance(queue: ByteQueue, bytes: number): void {
    queue.consume(bytes);
    this.byteOffset += bytes;
    this.recordIndex++;
  }

  private withIds(record: DecodedRecord, length: number): DecodedRecord {
    if (!this.options.generateRecordId) return record;
    return {
      File_Id: this.options.fileId ?? 0,
      Record_Id: this.recordIndex,
      ...(this.options.recordFormat === 'V' ? { Record_Byte_Length: length } : {}),
      ...record,
    };
  }
}

/**
 * Decodes the records of a mainframe data set held in memory, one plain object per record, lazily.
 * Numbers are returned as described by `DecodedNumber`; alphanumerics trimmed at both ends like Cobrix.
 */
export function* decodeRecords(
  data: Uint8Array,
  copybook: Copybook,
  options: DecodeOptions = {},
): Generator<DecodedRecord> {
  const queue = new ByteQueue();
  queue.push(data);
  yield* new RecordReader(copybook, options).drain(queue, true);
}

/**
 * Decodes records from a stream of chunks without holding the whole data: only the bytes of the record
 * being cut (at most one record plus one chunk) are kept.
 */
export async function* decodeRecordStream(
  chunks: AsyncIterable<Uint8Array>,
  copybook: Copybook,
  options: DecodeOptions = {},
): AsyncGenerator<DecodedRecord> {
  const reader = new RecordReader(copybook, options);
  const queue = new ByteQueue();
  for await (const chunk of chunks) {
    queue.push(chunk);
    yield* reader.drain(queue, false);
  }
  yield* reader.drain(queue, true);
}
