import type { FieldDataType, SignInfo, Usage } from './model.js';
import type { Picture } from './picture.js';

/** How an elementary item is stored: its type, size and numeric attributes. */
export interface Storage {
  readonly dataType: FieldDataType;
  readonly length: number;
  readonly signed: boolean;
  readonly sign?: SignInfo;
  readonly digits: number;
  readonly scale: number;
  readonly explicitDecimalPoint: boolean;
}

/**
 * Bytes of a binary (COMP/BINARY) item of `digits` digits: 2, 4 or 8 up to 18 digits; beyond, the bytes
 * that hold `digits` decimal digits plus a sign bit (9 bytes for 19–20 digits, 16 for 37), like Cobrix.
 */
export function binaryLength(digits: number): number {
  if (digits <= 4) return 2;
  if (digits <= 9) return 4;
  if (digits <= 18) return 8;
  return Math.ceil((Math.ceil(digits * Math.log2(10)) + 1) / 8);
}

/** Bytes of a packed-decimal item: one nibble per digit plus the sign nibble. */
export function packedLength(digits: number): number {
  return Math.floor(digits / 2) + 1;
}

/**
 * The storage of an elementary item from its picture, its (possibly inherited) USAGE and its SIGN clause.
 * Returns a message instead when the combination is not valid.
 */
export function elementaryStorage(
  picture: Picture | undefined,
  usage: Usage,
  signClause: SignInfo | undefined,
): Storage | string {
  if (usage === 'float' || usage === 'double') {
    return {
      dataType: usage,
      length: usage === 'float' ? 4 : 8,
      signed: true,
      digits: picture?.digits ?? 0,
      scale: 0,
      explicitDecimalPoint: false,
    };
  }
  if (!picture) return 'an elementary item needs a PICTURE';
  const plain = {
    digits: picture.digits,
    scale: picture.scale,
    explicitDecimalPoint: picture.explicitDecimalPoint,
  };
  if (picture.category === 'alphanumeric' || picture.category === 'alphabetic') {
    if (usage !== 'display') return `a PIC ${picture.text} item cannot be ${usage}`;
    return { ...plain, dataType: picture.category, length: picture.displayLength, signed: false };
  }
  if (picture.category === 'edited') {
    if (usage !== 'display') return `an edited PIC ${picture.text} must be DISPLAY`;
    return {
      ...plain,
      dataType: 'edited',
      length: picture.displayLength,
      signed: picture.signed,
      ...(picture.sign ? { sign: picture.sign } : {}),
    };
  }
  // A SIGN clause makes the item signed even when its picture has no S (Cobrix reads it so).
  const signed = picture.signed || signClause !== undefined;
  if (usage === 'binary' || usage === 'packed') {
    const length = usage === 'binary' ? binaryLength(picture.digits) : packedLength(picture.digits);
    return { ...plain, dataType: usage, length, signed };
  }
  const sign = signClause ?? (signed ? { position: 'trailing' as const, separate: false } : undefined);
  return {
    ...plain,
    dataType: 'numeric-display',
    length: picture.displayLength + (sign?.separate ? 1 : 0),
    signed,
    ...(sign ? { sign } : {}),
  };
}
