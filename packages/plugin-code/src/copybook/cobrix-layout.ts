import type { Copybook, CopybookField } from './model.js';

export interface CobrixLayoutOptions {
  /**
   * Older Cobrix listings (before FILLER renaming): the record line shows neither the level nor a field
   * number, the fields are numbered from 1 and FILLERs keep their name. Default false.
   */
  readonly legacy?: boolean;
}

const HEADER = '-------- FIELD LEVEL/NAME --------- --ATTRIBS--    FLD  START     END  LENGTH';
const NAME_WIDTH = 39;
const ATTRIBUTE_WIDTH = 11;
const NUMBER_WIDTH = 7;

/** 'r' when another item REDEFINES this one, 'R' when this one REDEFINES another. */
function attributes(field: CopybookField): string {
  return (field.isRedefined ? 'r' : '') + (field.redefines === undefined ? '' : 'R');
}

function positions(field: CopybookField): string {
  return [field.start, field.end, field.end - field.start + 1]
    .map((n) => String(n).padStart(NUMBER_WIDTH))
    .join('');
}

/**
 * The layout listing Cobrix prints (`generateRecordLayoutPositions`, the `*_layout.txt` oracles): one line per
 * field with its level, name, attributes, field number, 1-based START/END and LENGTH. LENGTH is the span of
 * the field (all occurrences of an OCCURS).
 */
export function formatCobrixLayout(copybook: Copybook, options: CobrixLayoutOptions = {}): string {
  const lines = [HEADER, ''];
  let counter = 0;
  const fieldLine = (field: CopybookField, depth: number): void => {
    const name = options.legacy && field.isFiller ? field.name : field.key;
    if (options.legacy && depth === 0) {
      lines.push(name.padEnd(NAME_WIDTH + ATTRIBUTE_WIDTH + 5) + positions(field));
    } else {
      counter++;
      const label = `${'  '.repeat(depth)}${field.level} ${name}`;
      lines.push(
        label.padEnd(NAME_WIDTH) +
          attributes(field).padEnd(ATTRIBUTE_WIDTH) +
          String(counter).padStart(5) +
          positions(field),
      );
    }
    for (const child of field.children) fieldLine(child, depth + 1);
  };
  for (const root of copybook.roots) fieldLine(root, 0);
  return lines.join('\n');
}
