/**
 * First analyser pass: finds programs (nested and consecutive), divisions, sections and procedure
 * paragraphs in the expanded token stream, as token index ranges.
 *
 * A paragraph header is a word standing alone before a period at the start of a sentence in the
 * procedure division, when the word cannot be a statement (`GOBACK.` and `EXIT.` are statements);
 * area A is not required, so free-format and sloppily indented sources work alike.
 * A new IDENTIFICATION DIVISION inside an open program starts a nested program when an
 * `END PROGRAM <open program>` follows somewhere; otherwise it ends the open program (a batch of
 * consecutive programs).
 */
import type { DivisionName } from './analysis-types.js';
import type { CobolToken } from './tokenizer.js';
import { canBeParagraphName, isWord } from './words.js';

/** Inclusive token index range; empty when `end < start`. */
export interface TokenRange {
  start: number;
  end: number;
}

export interface ProcedureUnit extends TokenRange {
  /** `entry`: statements before the first section / paragraph; `section`: statements between a section header and its first paragraph. */
  kind: 'entry' | 'section' | 'paragraph';
  name: string | undefined;
  section: string | undefined;
  /** Index of the header's first token (the first body token for `entry`). */
  header: number;
  /** Inside DECLARATIVES … END DECLARATIVES. */
  declarative: boolean;
}

export interface ProgramScope extends TokenRange {
  name: string | undefined;
  parent: string | undefined;
  divisions: Map<DivisionName, TokenRange & { header: number }>;
  sections: (TokenRange & { name: string; division: DivisionName; header: number })[];
  /** Procedure units in source order. */
  units: ProcedureUnit[];
}

const DIVISION_WORDS: ReadonlyMap<string, DivisionName> = new Map([
  ['IDENTIFICATION', 'IDENTIFICATION'],
  ['ID', 'IDENTIFICATION'],
  ['ENVIRONMENT', 'ENVIRONMENT'],
  ['DATA', 'DATA'],
  ['PROCEDURE', 'PROCEDURE'],
]);

/** Splits the token stream into programs. Nested programs are separate scopes (their tokens are not in the parent's units). */
export function scanStructure(tokens: readonly CobolToken[]): ProgramScope[] {
  return new StructureScanner(tokens).scan();
}

class StructureScanner {
  private readonly programs: ProgramScope[] = [];
  private readonly stack: ProgramScope[] = [];
  private readonly endProgramNames = new Set<string>();
  private division: { name: DivisionName; range: TokenRange } | undefined;
  private section: (TokenRange & { name: string }) | undefined;
  private unit: ProcedureUnit | undefined;
  private declaratives = false;

  constructor(private readonly tokens: readonly CobolToken[]) {
    tokens.forEach((t, i) => {
      if (isWord(t, 'END') && isWord(tokens[i + 1], 'PROGRAM') && tokens[i + 2]) {
        this.endProgramNames.add(programName(tokens[i + 2]!));
      }
    });
  }

  private get program(): ProgramScope | undefined {
    return this.stack[this.stack.length - 1];
  }

  scan(): ProgramScope[] {
    const tokens = this.tokens;
    for (let i = 0; i < tokens.length; i++) {
      const t = tokens[i]!;
      const next = tokens[i + 1];
      const sentenceStart = i === 0 || tokens[i - 1]!.kind === 'period';
      const divisionName = t.kind === 'word' ? DIVISION_WORDS.get(t.upper) : undefined;
      if (divisionName && isWord(next, 'DIVISION')) {
        i = this.startDivision(divisionName, i);
      } else if (sentenceStart && isWord(t, 'END') && isWord(next, 'PROGRAM')) {
        i = this.endProgram(i);
      } else if (
        sentenceStart &&
        t.kind === 'word' &&
        isWord(next, 'SECTION') &&
        this.inSectionedDivision()
      ) {
        i = this.startSection(t.text, i);
      } else if (this.division?.name === 'PROCEDURE' && sentenceStart) {
        i = this.procedureSentenceStart(i);
      }
    }
    this.closeProgramsFrom(0, tokens.length - 1);
    return this.programs;
  }

  /** Sections exist in the environment, data and procedure divisions (not in identification comment entries). */
  private inSectionedDivision(): boolean {
    return this.division !== undefined && this.division.name !== 'IDENTIFICATION';
  }

  /** Index of the first period at or after `from` (or the last index). */
  private periodFrom(from: number): number {
    let i = from;
    while (i < this.tokens.length - 1 && this.tokens[i]!.kind !== 'period') i++;
    return i;
  }

  private startDivision(name: DivisionName, i: number): number {
    if (name === 'IDENTIFICATION') {
      this.startProgram(i);
    } else if (!this.program) {
      this.openProgram(undefined, i, undefined);
    }
    this.closeDivision(i - 1);
    const header = this.periodFrom(i + 1);
    const range = { start: header + 1, end: this.tokens.length - 1, header: i };
    this.program!.divisions.set(name, range);
    this.division = { name, range };
    return header;
  }

  private startProgram(i: number): void {
    const open = this.program;
    if (open?.name !== undefined && this.endProgramNames.has(open.name)) {
      // Nested program: the enclosing one stays open until its END PROGRAM.
      this.closeDivision(i - 1);
    } else if (open) {
      this.closeProgramsFrom(this.stack.length - 1, i - 1);
    }
    const idHeader = this.periodFrom(i + 1);
    const pid = this.tokens[idHeader + 1];
    let nameToken: CobolToken | undefined;
    if (isWord(pid, 'PROGRAM-ID')) {
      const afterPid = this.tokens[idHeader + 2];
      nameToken = afterPid?.kind === 'period' ? this.tokens[idHeader + 3] : afterPid;
    }
    this.openProgram(nameToken ? programName(nameToken) : undefined, i, this.program?.name);
  }

  private openProgram(name: string | undefined, start: number, parent: string | undefined): void {
    const program: ProgramScope = {
      name,
      parent,
      start,
      end: this.tokens.length - 1,
      divisions: new Map(),
      sections: [],
      units: [],
    };
    this.programs.push(program);
    this.stack.push(program);
  }

  private endProgram(i: number): number {
    const end = this.periodFrom(i + 2);
    const name = this.tokens[i + 2] ? programName(this.tokens[i + 2]!) : undefined;
    let index = this.stack.length - 1;
    while (index > 0 && this.stack[index]!.name !== name) index--;
    this.closeProgramsFrom(index, i - 1);
    const closed = this.programs.find((p) => p.name === name && p.end === i - 1);
    if (closed) closed.end = end;
    return end;
  }

  /** Closes the programs from stack position `index` up, their last token being `end`. */
  private closeProgramsFrom(index: number, end: number): void {
    this.closeDivision(end);
    while (this.stack.length > index) {
      const p = this.stack.pop()!;
      p.end = end;
    }
  }

  private closeDivision(end: number): void {
    this.closeSection(end);
    if (this.division) this.division.range.end = end;
    this.division = undefined;
    this.declaratives = false;
  }

  private closeSection(end: number): void {
    this.closeUnit(end);
    if (this.section) this.section.end = end;
    this.section = undefined;
  }

  private closeUnit(end: number): void {
    if (this.unit) this.unit.end = end;
    this.unit = undefined;
  }

  private startSection(name: string, i: number): number {
    this.closeSection(i - 1);
    const header = this.periodFrom(i + 1);
    const division = this.division!;
    const section = {
      name,
      division: division.name,
      start: header + 1,
      end: this.tokens.length - 1,
      header: i,
    };
    this.program!.sections.push(section);
    this.section = section;
    if (division.name === 'PROCEDURE') this.openUnit('section', name, i, header + 1);
    return header;
  }

  private procedureSentenceStart(i: number): number {
    const t = this.tokens[i]!;
    const next = this.tokens[i + 1];
    if (isWord(t, 'DECLARATIVES') && next?.kind === 'period') {
      this.declaratives = true;
      return i + 1;
    }
    if (isWord(t, 'END') && isWord(next, 'DECLARATIVES')) {
      this.closeSection(i - 1);
      this.declaratives = false;
      return this.periodFrom(i + 2);
    }
    if (next?.kind === 'period' && canBeParagraphName(t)) {
      this.openUnit('paragraph', t.text, i, i + 2);
      return i + 1;
    }
    if (!this.unit) this.openUnit('entry', undefined, i, i);
    return i;
  }

  private openUnit(
    kind: ProcedureUnit['kind'],
    name: string | undefined,
    header: number,
    start: number,
  ): void {
    this.closeUnit(header - 1);
    const unit: ProcedureUnit = {
      kind,
      name,
      section: this.section?.name,
      header,
      start,
      end: this.tokens.length - 1,
      declarative: this.declaratives,
    };
    this.program!.units.push(unit);
    this.unit = unit;
  }
}

function programName(t: CobolToken): string {
  return t.kind === 'literal' ? t.text.slice(1, -1) : t.text;
}
