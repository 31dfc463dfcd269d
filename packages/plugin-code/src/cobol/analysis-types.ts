/**
 * The facts {@link analyzeCobol} reports. Lines are 1-based. A fact located in a copybook carries its
 * `file` (the copybook name) and the line in that copybook; ranges (`line` … `endLine`) of divisions,
 * sections, paragraphs, FD entries and records are lines of the main source (text brought in by a COPY
 * counts as the COPY statement's line).
 */

import type { CopyStatementInfo, ReplaceStatementInfo } from './preprocessor.js';
import type { CobolSourceFormat } from './source-reader.js';

export interface LineRange {
  line: number;
  endLine: number;
}

export interface ProgramInfo extends LineRange {
  name: string;
  /** The program this one is nested in. */
  parent?: string;
  /** McCabe complexity of the procedure division: 1 + every decision point of the program (counted as documented on `walkProcedure`). */
  complexity: number;
}

export type DivisionName = 'IDENTIFICATION' | 'ENVIRONMENT' | 'DATA' | 'PROCEDURE';

export interface DivisionInfo extends LineRange {
  name: DivisionName;
  program?: string;
}

export interface SectionInfo extends LineRange {
  name: string;
  division: DivisionName;
  program?: string;
}

export interface ParagraphInfo extends LineRange {
  name: string;
  section?: string;
  program?: string;
  /** COBOL statements (verbs) in the paragraph; an EXEC … END-EXEC block is one statement. */
  statementCount: number;
  /** 1 + decision points in the paragraph. */
  complexity: number;
  /** Control can run past the paragraph's end into the next one (no unconditional GO TO / GOBACK / STOP RUN / EXIT PROGRAM). */
  fallsThrough: boolean;
}

export type ControlFlowKind = 'perform' | 'goto' | 'alter' | 'cics-handle';

export interface ControlFlowEdge {
  kind: ControlFlowKind;
  /** Paragraph (or section, for statements before a section's first paragraph) holding the statement; undefined before the first paragraph. */
  from?: string;
  /** Target paragraph or section name. */
  to: string;
  /** `PERFORM to THRU thru`. */
  thru?: string;
  /** `to OF|IN section`. */
  qualifier?: string;
  /** PERFORM: how it repeats. */
  loop?: 'until' | 'varying' | 'times';
  /** GO TO … DEPENDING ON identifier. */
  dependingOn?: string;
  /** The target names a paragraph or section of the program. */
  resolved: boolean;
  program?: string;
  file?: string;
  line: number;
}

export interface CallInfo {
  /** Literal program name, or the identifier holding it. */
  target: string;
  /** `static` for a literal, `dynamic` for an identifier (what is loaded depends on its value at run time). */
  kind: 'static' | 'dynamic';
  /** For a dynamic call: the identifier's VALUE clause, when it has one. */
  initialValue?: string;
  using: string[];
  paragraph?: string;
  program?: string;
  file?: string;
  line: number;
}

export interface SelectEntry {
  file: string;
  assignTo: string[];
  organization?: string;
  accessMode?: string;
  recordKey?: string;
  alternateKeys: string[];
  relativeKey?: string;
  fileStatus?: string;
  program?: string;
  line: number;
}

export interface RecordInfo extends LineRange {
  name: string;
}

export interface FileDescription extends LineRange {
  /** FD, SD (sort file) or RD (report). */
  kind: 'FD' | 'SD' | 'RD';
  file: string;
  records: RecordInfo[];
  program?: string;
}

export interface SqlHostVariable {
  name: string;
  indicator?: string;
  line: number;
}

export interface ExecSqlBlock extends LineRange {
  /** SQL text with whitespace runs and line breaks made single spaces. */
  text: string;
  /** SELECT, INSERT, UPDATE, DELETE, DECLARE CURSOR, DECLARE TABLE, OPEN, FETCH, CLOSE, INCLUDE, … */
  kind: string;
  cursor?: string;
  /** INCLUDE member (SQLCA, SQLDA, a DCLGEN member). */
  include?: string;
  hostVariables: SqlHostVariable[];
  paragraph?: string;
  program?: string;
  file?: string;
}

export interface CicsOption {
  name: string;
  value?: string;
}

export interface ExecCicsBlock extends LineRange {
  /** The command, with its second word for two-word commands (SEND MAP, HANDLE CONDITION …). */
  command: string;
  options: CicsOption[];
  paragraph?: string;
  program?: string;
  file?: string;
}

export type ConditionKind = 'file-status' | 'sqlcode' | 'sqlstate' | 'abend' | 'return-code' | 'message';

/**
 * An error condition the program tests for or raises.
 * - `comparison`: `IF WS-FS = '35'`, `UNTIL SQLCODE NOT = 0` (abbreviated `OR -904` included)
 * - `evaluate-when`: `EVALUATE SQLCODE WHEN -803`
 * - `condition-name`: a level-88 name of a tracked field used in the procedure division
 * - `condition-declaration`: a level-88 entry under a tracked field (its VALUEs)
 * - `move`: `MOVE 806 TO RETURN-CODE` (also `COMPUTE RETURN-CODE = 8`)
 * - `call`: `CALL 'CEE3ABD'` / `'ILBOABN0'` (value: the abend code when known)
 * - `exec-cics`: `EXEC CICS ABEND ABCODE('XXXX')`
 * - `display`: a DISPLAYed literal that contains an error code
 * Tracked fields: SQLCODE, SQLSTATE, RETURN-CODE, the FILE STATUS fields of the SELECT entries and
 * fields that receive one of them by MOVE.
 */
export interface HandledCondition {
  kind: ConditionKind;
  value: string | undefined;
  /** Normalised relational operator of a comparison: `=`, `<>`, `<`, `>`, `<=`, `>=`. */
  operator?: string;
  source:
    | 'comparison'
    | 'evaluate-when'
    | 'condition-name'
    | 'condition-declaration'
    | 'move'
    | 'call'
    | 'exec-cics'
    | 'display';
  /** The tracked field, condition-name, called routine or DISPLAYed text behind the fact. */
  subject: string;
  paragraph?: string;
  program?: string;
  file?: string;
  line: number;
}

export interface DataItem {
  name: string;
  level: number;
  /** FILE, WORKING-STORAGE, LOCAL-STORAGE, LINKAGE … */
  section?: string;
  /** Nearest enclosing item (for a level 88: the conditional variable). */
  parent?: string;
  /** VALUE clause: literals (figurative constants as written), `a THRU b` for ranges. */
  values?: string[];
  program?: string;
  file?: string;
  line: number;
}

export interface CobolAnalysis {
  file?: string;
  format: CobolSourceFormat;
  /** PROGRAM-ID of the first program. */
  programId?: string;
  programs: ProgramInfo[];
  divisions: DivisionInfo[];
  sections: SectionInfo[];
  paragraphs: ParagraphInfo[];
  controlFlow: ControlFlowEdge[];
  /** Paragraphs no PERFORM names (as target or inside a THRU range); see `analyzeControlFlow` for the rule. */
  neverPerformed: ParagraphRef[];
  /** Paragraphs control can never reach; see `analyzeControlFlow` for the rule. */
  unreachable: ParagraphRef[];
  calls: CallInfo[];
  copies: CopyStatementInfo[];
  replaces: ReplaceStatementInfo[];
  fileControl: SelectEntry[];
  fileDescriptions: FileDescription[];
  sql: ExecSqlBlock[];
  cics: ExecCicsBlock[];
  handledConditions: HandledCondition[];
  dataItems: DataItem[];
}

export interface ParagraphRef {
  name: string;
  program?: string;
  line: number;
}
