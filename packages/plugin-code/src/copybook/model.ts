/**
 * The field model of a laid-out copybook: what `parseCopybook` returns and what the record decoder walks.
 * Offsets and lengths are in bytes of the stored record; `start`/`end` are 1-based and inclusive, like the
 * `*_layout.txt` listings of Cobrix.
 */

/** How the bytes of an elementary item are stored (a group is 'group'). */
export type FieldDataType =
  | 'group'
  | 'alphanumeric' // PIC X…, or a mix of X/A/9 with X
  | 'alphabetic' // PIC A… (B allowed)
  | 'numeric-display' // zoned decimal: PIC 9/S/V/P, optionally an explicit '.' decimal point
  | 'edited' // numeric-edited: Z, $, comma, CR, DB, B, 0, /, *, +, - (decoded as a number when it reads as one)
  | 'packed' // COMP-3 / PACKED-DECIMAL
  | 'binary' // COMP / COMP-0 / COMP-4 / COMP-5 / BINARY, big-endian
  | 'float' // COMP-1, 4 bytes
  | 'double'; // COMP-2, 8 bytes

/** The USAGE written on the item or inherited from a group, normalised. */
export type Usage = 'display' | 'binary' | 'packed' | 'float' | 'double';

export interface SignInfo {
  /** Where the sign is: an overpunched or separate sign at the first or last character. */
  readonly position: 'leading' | 'trailing';
  /** The sign takes a character of its own (SIGN … SEPARATE, or a '+'/'-'/CR/DB picture symbol). */
  readonly separate: boolean;
}

export interface OccursInfo {
  readonly min: number;
  readonly max: number;
  /** Cobrix-style key (e.g. `NUMBER_OF_ACCTS`) of the counter of an OCCURS … DEPENDING ON. */
  readonly dependingOn?: string;
}

/** One value or range of a level-88 condition; literals are kept as written (quotes removed). */
export interface ConditionValue {
  readonly from: string;
  readonly thru?: string;
}

export interface Condition {
  readonly name: string;
  readonly line: number;
  readonly values: readonly ConditionValue[];
}

/** A level-66 RENAMES entry: parsed and kept, not laid out (it adds no storage). */
export interface Renames {
  readonly name: string;
  readonly line: number;
  readonly from: string;
  readonly thru?: string;
}

export interface CopybookField {
  readonly level: number;
  /** The name as written (`COMPANY-NAME`, `FILLER`); an unnamed item is `FILLER`. */
  readonly name: string;
  /**
   * The output name, as Cobrix spells it: hyphens become underscores and FILLERs are numbered like
   * Cobrix's `filler_naming_policy=sequence_numbers` (`FILLER_P<n>` for elementary, `FILLER_<n>` for groups).
   */
  readonly key: string;
  /** Keys of the enclosing groups, outermost first (empty for a level 01/77). */
  readonly path: readonly string[];
  /** 1-based line of the entry in the source. */
  readonly line: number;
  /** 0-based byte offset of the (first occurrence of the) item in the record. */
  readonly offset: number;
  /**
   * Bytes of one occurrence as Cobrix reports them: every member of a REDEFINES group is widened to the
   * largest member of that group.
   */
  readonly length: number;
  /** Bytes of one occurrence of the item's own data (PIC/USAGE size, or the sum of a group's children). */
  readonly dataLength: number;
  /** 1-based first byte, like Cobrix. */
  readonly start: number;
  /** 1-based last byte of the item including all its occurrences (max occurrences for an ODO). */
  readonly end: number;
  readonly dataType: FieldDataType;
  readonly usage: Usage;
  readonly picture?: string;
  readonly signed: boolean;
  readonly sign?: SignInfo;
  /** Digit positions of a numeric (9, Z, *, floating $/+/-); 0 for non-numerics. */
  readonly digits: number;
  /** Implied decimals (V and P scaling; negative for trailing P). For an explicit '.', digits after it. */
  readonly scale: number;
  readonly explicitDecimalPoint: boolean;
  readonly occurs?: OccursInfo;
  /** Name as written of the item this one REDEFINES. */
  readonly redefines?: string;
  /**
   * Storage shared with a later sibling: every member of a REDEFINES group but the last (this is how Cobrix
   * marks 'r' in its listing, so `B REDEFINES A` and `C REDEFINES A` mark both A and B).
   */
  readonly isRedefined: boolean;
  /** An OCCURS … DEPENDING ON elsewhere names this item as its counter. */
  readonly isOdoCounter: boolean;
  readonly conditions: readonly Condition[];
  readonly isFiller: boolean;
  readonly justified: boolean;
  readonly blankWhenZero: boolean;
  readonly synchronized: boolean;
  /** The VALUE literal of a non-88 item, as written. */
  readonly value?: string;
  readonly children: readonly CopybookField[];
}

export interface Copybook {
  readonly file?: string;
  /** The level 01/77 items (a copybook may also start at a deeper level: those items are roots too). */
  readonly roots: readonly CopybookField[];
  /** Every field in source order (pre-order walk of `roots`). */
  readonly fields: readonly CopybookField[];
  /** Bytes of the longest record (all roots start at offset 0; ODOs counted at their maximum). */
  readonly recordLength: number;
  readonly renames: readonly Renames[];
  /** Things accepted but not laid out (RENAMES …), one sentence each. */
  readonly notes: readonly string[];
}

export interface SourceLimits {
  /** Longest physical line accepted (characters); default 32,768. */
  readonly maxLineLength?: number;
  /** Largest source accepted (characters); default 16 MiB. */
  readonly maxSourceLength?: number;
}

export interface ParseCopybookOptions extends SourceLimits {
  readonly file?: string;
  /** 'fixed' (default): columns 1–6 sequence, 7 indicator, 8–72 code. 'free': the whole line is code. */
  readonly format?: 'fixed' | 'free';
  /** Tab stops used to expand TAB characters before columns are counted; default 8. */
  readonly tabWidth?: number;
}
