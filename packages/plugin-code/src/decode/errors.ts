import { CodeAnalysisError, type CodeErrorReason } from '../errors.js';

/** A record the decoder refuses: which record (0-based) and where it starts in the data. */
export class RecordDecodeError extends CodeAnalysisError {
  readonly recordIndex: number;
  readonly byteOffset: number;

  constructor(
    reason: CodeErrorReason,
    message: string,
    where: { recordIndex: number; byteOffset: number; file?: string },
  ) {
    super(reason, `record ${where.recordIndex} (byte ${where.byteOffset}): ${message}`, {
      ...(where.file === undefined ? {} : { file: where.file }),
    });
    this.recordIndex = where.recordIndex;
    this.byteOffset = where.byteOffset;
  }
}
