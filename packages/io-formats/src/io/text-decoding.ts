import type { FormatName } from '../codec-types.js';
import { FormatErrorReason, formatError } from '../errors/format-error.js';

/**
 * Decodes a byte stream as UTF-8, refusing invalid sequences instead of replacing them with U+FFFD. The
 * decoder keeps a sequence split across chunk boundaries until its end arrives; a sequence still open at
 * the end of the input is refused too. A leading BOM is dropped.
 */
export async function* decodeUtf8(
  chunks: AsyncIterable<Uint8Array>,
  format: FormatName,
): AsyncGenerator<string> {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let offset = 0;
  for await (const chunk of chunks) {
    let text: string;
    try {
      text = decoder.decode(chunk, { stream: true });
    } catch (cause) {
      throw invalid(format, offset, chunk.length, cause);
    }
    offset += chunk.length;
    if (text.length > 0) yield text;
  }
  let tail: string;
  try {
    tail = decoder.decode();
  } catch (cause) {
    throw invalid(format, offset, 0, cause);
  }
  if (tail.length > 0) yield tail;
}

function invalid(format: FormatName, offset: number, length: number, cause: unknown) {
  return formatError(
    format,
    FormatErrorReason.INVALID_UTF8,
    length === 0
      ? `the input ends inside a UTF-8 sequence (after byte ${offset}); the file is truncated or not UTF-8`
      : `the bytes ${offset}–${offset + length} hold an invalid UTF-8 sequence; save the file as UTF-8`,
    { cause, details: { byteOffset: offset } },
  );
}
