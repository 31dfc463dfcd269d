import type { CopybookField } from '../copybook/model.js';
import { decodeText, type Encoding } from './codepages.js';
import { type FloatingPointFormat, readFloat } from './floats.js';
import { type DecodedNumber, scaledNumber, shortestFloat32 } from './numbers.js';

export type DecodedScalar = string | DecodedNumber | null;

export interface FieldDecodeSettings {
  readonly encoding: Encoding;
  readonly floatingPointFormat: FloatingPointFormat;
  /** Accept an overpunched sign only on a signed field, at its sign position (Cobrix `strict_sign_overpunching`). */
  readonly strictSignOverpunching: boolean;
  /** A DISPLAY field made only of 0x00 bytes is null (Cobrix `improved_null_detection`). */
  readonly improvedNullDetection: boolean;
}

/** Java's String.trim: strips every character up to U+0020 (spaces, NULs, control bytes) at both ends. */
export function trimControl(text: string): string {
  let from = 0;
  let to = text.length;
  while (from < to && text.charCodeAt(from) <= 0x20) from++;
  while (to > from && text.charCodeAt(to - 1) <= 0x20) to--;
  return text.slice(from, to);
}

/** Overpunched last (or first) digits: '{', 'A'–'I' are +0…+9, '}', 'J'–'R' are −0…−9 (EBCDIC Cx/Dx bytes). */
const OVERPUNCH: Readonly<Record<string, { digit: string; negative: boolean }>> = Object.fromEntries(
  [...'{ABCDEFGHI']
    .map((ch, digit) => [ch, { digit: String(digit), negative: false }])
    .concat([...'}JKLMNOPQR'].map((ch, digit) => [ch, { digit: String(digit), negative: true }])),
);
/** Insertion characters of numeric-edited pictures, dropped before the digits are read. */
const EDIT_INSERTIONS = /[,$*/\s]/g;
const DIGITS = /^(\d*)(?:\.(\d*))?$/;

function takeSeparateSign(
  text: string,
  field: CopybookField,
  strict: boolean,
): { text: string; negative?: boolean } {
  if (strict && !field.sign?.separate) return { text };
  const first = text[0];
  if (first === '+' || first === '-') return { text: text.slice(1).trimStart(), negative: first === '-' };
  const last = text[text.length - 1];
  if (last === '+' || last === '-') return { text: text.slice(0, -1).trimEnd(), negative: last === '-' };
  if (field.dataType === 'edited' && /(CR|DB)$/.test(text))
    return { text: text.slice(0, -2).trimEnd(), negative: true };
  return { text };
}

function takeOverpunch(
  text: string,
  field: CopybookField,
  strict: boolean,
): { text: string; negative?: boolean } {
  const allowed = (position: 'leading' | 'trailing'): boolean =>
    !strict || (field.signed && !field.sign?.separate && (field.sign?.position ?? 'trailing') === position);
  const last = OVERPUNCH[text[text.length - 1] ?? ''];
  if (last && allowed('trailing')) return { text: text.slice(0, -1) + last.digit, negative: last.negative };
  const first = OVERPUNCH[text[0] ?? ''];
  if (first && allowed('leading')) return { text: first.digit + text.slice(1), negative: first.negative };
  return { text };
}

/**
 * Reads a DISPLAY (zoned) or numeric-edited number from its characters: surrounding spaces ignored, a
 * separate sign ('+'/'-', CR/DB) or an overpunched sign, an explicit '.' when the picture has one.
 * Anything else is not a number: null. A blank field with implied decimals (V) reads as 0, as in Cobrix.
 */
export function parseDisplayNumber(raw: string, field: CopybookField, strict: boolean): DecodedNumber | null {
  let text = trimControl(raw);
  if (text === '') return field.scale > 0 && !field.explicitDecimalPoint ? 0 : null;
  const separate = takeSeparateSign(text, field, strict);
  let negative = separate.negative;
  text = separate.text;
  if (negative === undefined) {
    const overpunch = takeOverpunch(text, field, strict);
    negative = overpunch.negative;
    text = overpunch.text;
  }
  if (field.dataType === 'edited') text = text.replace(EDIT_INSERTIONS, '');
  const match = DIGITS.exec(text);
  if (!match || text === '' || text === '.') return null;
  const [, whole = '', decimals] = match;
  if (decimals !== undefined && !field.explicitDecimalPoint && field.dataType !== 'edited') return null;
  const unscaled = BigInt(whole + (decimals ?? '') || '0');
  const scale = decimals === undefined ? field.scale : decimals.length;
  return scaledNumber(negative ? -unscaled : unscaled, scale);
}

/** COMP-3: two digits a byte, the last nibble the sign (C or F positive, D negative); anything else is null. */
export function decodePacked(bytes: Uint8Array, scale: number): DecodedNumber | null {
  let digits = '';
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i] as number;
    const high = byte >> 4;
    const low = byte & 0x0f;
    if (high > 9) return null;
    digits += high;
    if (i < bytes.length - 1) {
      if (low > 9) return null;
      digits += low;
    } else if (low !== 0x0c && low !== 0x0d && low !== 0x0f) {
      return null;
    }
  }
  const unscaled = BigInt(digits);
  return scaledNumber((bytes[bytes.length - 1] as number) % 16 === 0x0d ? -unscaled : unscaled, scale);
}

/** COMP/BINARY: big-endian two's complement (signed) or unsigned, any number of bytes. */
export function decodeBinary(bytes: Uint8Array, signed: boolean, scale: number): DecodedNumber {
  let value = 0n;
  for (const byte of bytes) value = (value << 8n) | BigInt(byte);
  if (signed && bytes.length > 0 && ((bytes[0] as number) & 0x80) !== 0)
    value -= 1n << BigInt(bytes.length * 8);
  return scaledNumber(value, scale);
}

const isDisplayType = (field: CopybookField): boolean =>
  field.dataType === 'alphanumeric' ||
  field.dataType === 'alphabetic' ||
  field.dataType === 'numeric-display' ||
  field.dataType === 'edited';

/** Decodes the bytes of one elementary field (exactly `field.dataLength` bytes). */
export function decodeElementary(
  field: CopybookField,
  bytes: Uint8Array,
  settings: FieldDecodeSettings,
): DecodedScalar {
  if (settings.improvedNullDetection && isDisplayType(field) && bytes.every((b) => b === 0)) return null;
  switch (field.dataType) {
    case 'alphanumeric':
    case 'alphabetic':
      return trimControl(decodeText(bytes, settings.encoding));
    case 'numeric-display':
    case 'edited':
      return parseDisplayNumber(decodeText(bytes, settings.encoding), field, settings.strictSignOverpunching);
    case 'packed':
      return decodePacked(bytes, field.scale);
    case 'binary':
      return decodeBinary(bytes, field.signed, field.scale);
    case 'float':
      return shortestFloat32(readFloat(bytes, settings.floatingPointFormat));
    case 'double':
      return readFloat(bytes, settings.floatingPointFormat);
    case 'group':
      throw new Error(`decodeElementary called on the group ${field.name}`);
  }
}
