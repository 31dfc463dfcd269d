import { cobrixName } from '../copybook/layout.js';
import type { Copybook, CopybookField } from '../copybook/model.js';
import { RecordDecodeError } from './errors.js';
import { type DecodedScalar, decodeElementary, type FieldDecodeSettings } from './fields.js';

export type DecodedValue = DecodedScalar | DecodedValue[] | DecodedRecord;
export interface DecodedRecord {
  [key: string]: DecodedValue;
}

export interface RecordShape {
  /** Which FILLERs to leave out: 'values' (default, like Cobrix) drops elementary ones, 'all' groups too. */
  readonly dropFillers: 'all' | 'values' | 'none';
  /** 'collapse_root' (default): the children of the 01 are the record; 'keep_original': the 01 is its one key. */
  readonly schemaRetention: 'collapse_root' | 'keep_original';
  /** ODO arrays take only the bytes of their actual occurrences, so the record shrinks (Cobrix `variable_size_occurs`). */
  readonly variableSizeOccurs: boolean;
  /** The field whose value selects the segment (multi-segment files). */
  readonly segmentField?: string;
  /** Segment value → the REDEFINES decoded for it; the other redefines of the map are null. */
  readonly segmentRedefines?: Readonly<Record<string, string>>;
}

/** Where the record is, for error messages. */
export interface RecordPosition {
  readonly recordIndex: number;
  readonly byteOffset: number;
  readonly file?: string;
}

interface RecordState {
  readonly data: Uint8Array;
  readonly position: RecordPosition;
  readonly counters: Map<string, number | undefined>;
  segment: string | undefined;
}

const normalKey = (name: string): string => cobrixName(name).toUpperCase();

/** Turns the bytes of a record into a plain object, walking the laid-out copybook. */
export class RecordDecoder {
  private readonly segmentKey: string | undefined;
  private readonly segmentRedefines: ReadonlyMap<string, string>;
  private readonly segmentAlternatives: ReadonlySet<string>;

  constructor(
    private readonly copybook: Copybook,
    private readonly settings: FieldDecodeSettings,
    private readonly shape: RecordShape,
  ) {
    this.segmentKey = shape.segmentField === undefined ? undefined : normalKey(shape.segmentField);
    this.segmentRedefines = new Map(
      Object.entries(shape.segmentRedefines ?? {}).map(([value, name]) => [value.trim(), normalKey(name)]),
    );
    this.segmentAlternatives = new Set(this.segmentRedefines.values());
  }

  /**
   * Decodes one record from `data` (which may run past the record when its size depends on ODO counters)
   * and returns it with the bytes it takes.
   */
  decode(data: Uint8Array, position: RecordPosition): { record: DecodedRecord; size: number } {
    const state: RecordState = { data, position, counters: new Map(), segment: undefined };
    const record: DecodedRecord = {};
    let size = 0;
    for (const root of this.copybook.roots) {
      if (this.shape.schemaRetention === 'collapse_root' && root.dataType === 'group') {
        size = Math.max(size, this.decodeSiblings(root.children, root.offset, state, record) - root.offset);
      } else {
        const decoded = this.decodeField(root, root.offset, state);
        record[root.key] = decoded.value;
        size = Math.max(size, decoded.size);
      }
    }
    return { record, size };
  }

  private keeps(field: CopybookField): boolean {
    if (!field.isFiller || this.shape.dropFillers === 'none') return true;
    return this.shape.dropFillers === 'values' && field.dataType === 'group';
  }

  /** A segment REDEFINES that is not the one of the current segment is skipped (null). */
  private skipsSegment(field: CopybookField, state: RecordState): boolean {
    if (!this.segmentAlternatives.has(field.key.toUpperCase())) return false;
    const active = state.segment === undefined ? undefined : this.segmentRedefines.get(state.segment);
    return active !== field.key.toUpperCase();
  }

  /**
   * Decodes siblings from `offset` into `into`; returns the offset after them. Members of a REDEFINES group
   * share the group's offset, and the group takes the bytes of its largest member.
   */
  private decodeSiblings(
    siblings: readonly CopybookField[],
    offset: number,
    state: RecordState,
    into: DecodedRecord,
  ): number {
    let groupStart = offset;
    let groupSize = 0;
    for (const field of siblings) {
      if (field.redefines === undefined) {
        groupStart += groupSize;
        groupSize = 0;
      }
      let value: DecodedValue = null;
      let size: number;
      if (this.skipsSegment(field, state)) {
        size = this.shape.variableSizeOccurs ? 0 : field.dataLength * (field.occurs?.max ?? 1);
      } else {
        ({ value, size } = this.decodeField(field, groupStart, state));
      }
      groupSize = Math.max(groupSize, size);
      if (this.keeps(field)) into[field.key] = value;
    }
    return groupStart + groupSize;
  }

  private decodeField(
    field: CopybookField,
    offset: number,
    state: RecordState,
  ): { value: DecodedValue; size: number } {
    const { occurs } = field;
    if (!occurs) return this.decodeOccurrence(field, offset, state);
    const count = occurs.dependingOn === undefined ? occurs.max : this.occurrences(field, offset, state);
    const items: DecodedValue[] = [];
    let position = offset;
    for (let i = 0; i < count; i++) {
      const element = this.decodeOccurrence(field, position, state);
      items.push(element.value);
      position += element.size;
    }
    if (occurs.dependingOn !== undefined && position > state.data.length) {
      this.odoError(
        field,
        `${count} occurrences need ${position - offset} bytes, only ${state.data.length - offset} remain`,
        state,
      );
    }
    const size = this.shape.variableSizeOccurs ? position - offset : field.dataLength * occurs.max;
    return { value: items, size };
  }

  /** The count an OCCURS … DEPENDING ON takes from its counter, checked against the maximum and the data. */
  private occurrences(field: CopybookField, offset: number, state: RecordState): number {
    const { occurs } = field;
    const counterKey = occurs?.dependingOn as string;
    const count = state.counters.get(counterKey);
    if (count === undefined || !Number.isInteger(count)) {
      this.odoError(field, `counter ${counterKey} has no valid value`, state);
    }
    if (count < 0 || count > (occurs?.max ?? 0)) {
      this.odoError(field, `counter ${counterKey} = ${count} is outside 0..${occurs?.max}`, state);
    }
    if (!this.shape.variableSizeOccurs && offset + count * field.dataLength > state.data.length) {
      this.odoError(field, `${count} occurrences need more bytes than the record has`, state);
    }
    return count;
  }

  private odoError(field: CopybookField, message: string, state: RecordState): never {
    throw new RecordDecodeError('ODO_RANGE', `${field.key} (line ${field.line}): ${message}`, state.position);
  }

  private decodeOccurrence(
    field: CopybookField,
    offset: number,
    state: RecordState,
  ): { value: DecodedValue; size: number } {
    if (field.dataType === 'group') {
      const group: DecodedRecord = {};
      const end = this.decodeSiblings(field.children, offset, state, group);
      return { value: group, size: this.shape.variableSizeOccurs ? end - offset : field.dataLength };
    }
    const end = offset + field.dataLength;
    // A field past the end of a short (variable-length) record has no value.
    const value =
      end > state.data.length
        ? null
        : decodeElementary(field, state.data.subarray(offset, end), this.settings);
    if (field.isOdoCounter) state.counters.set(field.key, value === null ? undefined : Number(value));
    if (this.segmentKey !== undefined && field.key.toUpperCase() === this.segmentKey) {
      state.segment = value === null ? undefined : String(value).trim();
    }
    return { value, size: field.dataLength };
  }
}
