import { CodeAnalysisError, type CodeErrorReason } from '../errors.js';
import type { DataEntry } from './entries.js';
import type { Condition, Copybook, CopybookField, OccursInfo, Renames, Usage } from './model.js';
import { elementaryStorage, type Storage } from './storage.js';

/** The Cobrix spelling of a COBOL name: hyphens become underscores. */
export function cobrixName(name: string): string {
  return name.replace(/-/g, '_');
}

/** A field while the layout is worked out; frozen into a `CopybookField` at the end. */
interface Node {
  readonly entry: DataEntry;
  readonly children: Node[];
  readonly conditions: Condition[];
  storage?: Storage;
  usage: Usage;
  key: string;
  dataLength: number;
  length: number;
  offset: number;
  isRedefined: boolean;
  isOdoCounter: boolean;
  dependingOnKey?: string;
}

const isRootLevel = (level: number): boolean => level === 1 || level === 77;
const slotSize = (node: Node): number => node.dataLength * (node.entry.occurs?.max ?? 1);

class LayoutBuilder {
  readonly roots: Node[] = [];
  readonly renames: Renames[] = [];
  readonly notes: string[] = [];
  private readonly stack: Node[] = [];
  private lastItem: Node | undefined;

  constructor(private readonly file: string | undefined) {}

  fail(reason: CodeErrorReason, message: string, line: number): never {
    throw new CodeAnalysisError(reason, message, {
      ...(this.file === undefined ? {} : { file: this.file }),
      line,
    });
  }

  /** Places an entry in the hierarchy by its level number. */
  add(entry: DataEntry): void {
    if (entry.level === 88) {
      if (!this.lastItem) this.fail('SYNTAX', 'a level 88 condition needs an item before it', entry.line);
      this.lastItem.conditions.push({ name: entry.name ?? 'FILLER', line: entry.line, values: entry.values });
      return;
    }
    if (entry.level === 66) {
      if (!entry.renames) this.fail('SYNTAX', 'a level 66 entry needs RENAMES', entry.line);
      this.renames.push({ name: entry.name ?? 'FILLER', line: entry.line, ...entry.renames });
      this.notes.push(
        `line ${entry.line}: 66 ${entry.name ?? 'FILLER'} RENAMES is kept in 'renames' and not laid out (it adds no storage)`,
      );
      return;
    }
    const node: Node = {
      entry,
      children: [],
      conditions: [],
      usage: 'display',
      key: '',
      dataLength: 0,
      length: 0,
      offset: 0,
      isRedefined: false,
      isOdoCounter: false,
    };
    if (isRootLevel(entry.level)) this.stack.length = 0;
    while (this.stack.length > 0 && (this.stack[this.stack.length - 1] as Node).entry.level >= entry.level) {
      this.stack.pop();
    }
    const parent = this.stack[this.stack.length - 1];
    if (parent) {
      if (parent.entry.picture) {
        this.fail(
          'LAYOUT',
          `${entry.name ?? 'FILLER'} (level ${entry.level}) is nested in the elementary item ${parent.entry.name ?? 'FILLER'}`,
          entry.line,
        );
      }
      parent.children.push(node);
    } else {
      this.roots.push(node);
    }
    this.stack.push(node);
    this.lastItem = node;
  }

  /** Usage inheritance, storage of the elementary items, Cobrix keys (FILLERs numbered in source order). */
  resolveTypes(): void {
    let valueFillers = 0;
    let groupFillers = 0;
    const visit = (node: Node, inherited: Usage): void => {
      node.usage = node.entry.usage ?? inherited;
      const isGroup = node.children.length > 0 || (!node.entry.picture && node.usage === 'display');
      if (node.entry.name === undefined) {
        node.key = isGroup ? `FILLER_${++groupFillers}` : `FILLER_P${++valueFillers}`;
      } else {
        node.key = cobrixName(node.entry.name);
      }
      if (isGroup) {
        for (const child of node.children) visit(child, node.usage);
        return;
      }
      const storage = elementaryStorage(node.entry.picture, node.usage, node.entry.sign);
      if (typeof storage === 'string')
        this.fail('LAYOUT', `${node.entry.name ?? 'FILLER'}: ${storage}`, node.entry.line);
      node.storage = storage;
    };
    for (const root of this.roots) visit(root, 'display');
  }

  /** Bottom-up sizes: an elementary item's storage, a group's sum of its REDEFINES groups. */
  private measure(node: Node): void {
    if (node.storage) {
      node.dataLength = node.storage.length;
      return;
    }
    for (const child of node.children) this.measure(child);
    node.dataLength = this.placeSiblings(node.children, 0);
  }

  /**
   * Places siblings from `offset` and returns the bytes they span. An item and the items that REDEFINE it
   * share one offset; the group takes the largest of them and Cobrix reports each member at that size.
   */
  private placeSiblings(siblings: readonly Node[], offset: number): number {
    let position = offset;
    let group: Node[] = [];
    let groupSize = 0;
    const closeGroup = (): void => {
      group.forEach((member, index) => {
        member.length = group.length > 1 && !member.entry.occurs ? groupSize : member.dataLength;
        // Cobrix marks every member but the last of a REDEFINES group as redefined.
        member.isRedefined = index < group.length - 1;
      });
      position += groupSize;
      group = [];
      groupSize = 0;
    };
    for (const node of siblings) {
      const target = node.entry.redefines;
      if (target === undefined) {
        closeGroup();
      } else {
        if (!group.some((member) => member.entry.name === target)) {
          const known = siblings.some((s) => s.entry.name === target);
          this.fail(
            'LAYOUT',
            known
              ? `${node.entry.name ?? 'FILLER'} REDEFINES ${target}, which is not the item just before it`
              : `${node.entry.name ?? 'FILLER'} REDEFINES ${target}, an unknown item at this level`,
            node.entry.line,
          );
        }
      }
      node.offset = position;
      group.push(node);
      groupSize = Math.max(groupSize, slotSize(node));
    }
    closeGroup();
    return position - offset;
  }

  /** Top-down absolute offsets. */
  private locate(node: Node): void {
    if (node.storage) return;
    this.placeSiblings(node.children, node.offset);
    for (const child of node.children) this.locate(child);
  }

  layOut(): void {
    let fragmentOffset = 0;
    for (const root of this.roots) {
      this.measure(root);
      root.length = root.dataLength;
      // Records (01/77) all start at 0; the items of a copybook fragment (no 01) follow one another.
      root.offset = isRootLevel(root.entry.level) ? 0 : fragmentOffset;
      if (!isRootLevel(root.entry.level)) fragmentOffset += slotSize(root);
      this.locate(root);
    }
  }

  /** Resolves every OCCURS … DEPENDING ON counter to the field it names. */
  resolveCounters(): void {
    const byName = new Map<string, Node>();
    this.walk((node) => {
      if (node.entry.name !== undefined && !byName.has(node.entry.name)) byName.set(node.entry.name, node);
    });
    this.walk((node) => {
      const counterName = node.entry.occurs?.dependingOn;
      if (counterName === undefined) return;
      const counter = byName.get(counterName);
      if (!counter) {
        this.fail('LAYOUT', `OCCURS DEPENDING ON ${counterName}: no such item`, node.entry.line);
      }
      if (!counter.storage || counter.storage.digits === 0) {
        this.fail(
          'LAYOUT',
          `OCCURS DEPENDING ON ${counterName}: the counter must be a numeric item`,
          node.entry.line,
        );
      }
      counter.isOdoCounter = true;
      node.dependingOnKey = counter.key;
    });
  }

  private walk(visit: (node: Node) => void): void {
    const go = (node: Node): void => {
      visit(node);
      for (const child of node.children) go(child);
    };
    for (const root of this.roots) go(root);
  }

  freeze(): Copybook {
    const freezeNode = (node: Node, path: readonly string[]): CopybookField => {
      const { entry } = node;
      const storage = node.storage;
      const occurs: OccursInfo | undefined = entry.occurs && {
        min: entry.occurs.min,
        max: entry.occurs.max,
        ...(node.dependingOnKey === undefined ? {} : { dependingOn: node.dependingOnKey }),
      };
      const field: CopybookField = {
        level: entry.level,
        name: entry.name ?? 'FILLER',
        key: node.key,
        path,
        line: entry.line,
        offset: node.offset,
        length: node.length,
        dataLength: node.dataLength,
        start: node.offset + 1,
        end: node.offset + node.length * (entry.occurs?.max ?? 1),
        dataType: storage?.dataType ?? 'group',
        usage: node.usage,
        ...(entry.picture ? { picture: entry.picture.text } : {}),
        signed: storage?.signed ?? false,
        ...(storage?.sign ? { sign: storage.sign } : {}),
        digits: storage?.digits ?? 0,
        scale: storage?.scale ?? 0,
        explicitDecimalPoint: storage?.explicitDecimalPoint ?? false,
        ...(occurs ? { occurs } : {}),
        ...(entry.redefines === undefined ? {} : { redefines: entry.redefines }),
        isRedefined: node.isRedefined,
        isOdoCounter: node.isOdoCounter,
        conditions: node.conditions,
        isFiller: entry.name === undefined,
        justified: entry.justified,
        blankWhenZero: entry.blankWhenZero,
        synchronized: entry.synchronized,
        ...(entry.values[0] ? { value: entry.values[0].from } : {}),
        children: node.children.map((child) => freezeNode(child, [...path, node.key])),
      };
      return field;
    };
    const roots = this.roots.map((root) => freezeNode(root, []));
    const fields: CopybookField[] = [];
    const collect = (field: CopybookField): void => {
      fields.push(field);
      field.children.forEach(collect);
    };
    roots.forEach(collect);
    const recordLength = roots.reduce((max, root) => Math.max(max, root.end), 0);
    return {
      ...(this.file === undefined ? {} : { file: this.file }),
      roots,
      fields,
      recordLength,
      renames: this.renames,
      notes: this.notes,
    };
  }
}

/** Builds the field tree, offsets and sizes of the data description entries of one copybook or record. */
export function layOutEntries(entries: readonly DataEntry[], file?: string): Copybook {
  const builder = new LayoutBuilder(file);
  for (const entry of entries) builder.add(entry);
  builder.resolveTypes();
  builder.layOut();
  builder.resolveCounters();
  return builder.freeze();
}
