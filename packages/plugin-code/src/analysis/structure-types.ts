/**
 * What `code_files.structure` holds: a summary of each analyser's result, versioned, kept small enough to
 * store for every file of a large tree (a program's data items are indexed as symbols, not kept here).
 */

export interface CodeIssue {
  severity: 'error' | 'warning';
  /** The analyser's reason code (`UNTERMINATED`, `COPY_CYCLE`, `UNKNOWN_STATEMENT` …). */
  code: string;
  message: string;
  line: number | null;
}

/** A name a file defines or uses, indexed for search (`code_symbols`). */
export interface CodeSymbol {
  /** program, section, paragraph, call, copy, file, data, copybook, field, condition, job, proc, step, runs, uses-proc, dataset, handles-<kind> */
  kind: string;
  /** Upper case, as COBOL and JCL names are compared. */
  name: string;
  line: number;
  detail: string | null;
}

interface Range {
  start: number;
  end: number;
}

export interface CobolStructure {
  version: 1;
  language: 'cobol';
  programId: string | null;
  format: string;
  programs: (Range & { name: string; complexity: number })[];
  divisions: (Range & { name: string })[];
  sections: (Range & { name: string; division: string })[];
  paragraphs: (Range & { name: string; section?: string; statements: number; complexity: number })[];
  controlFlow: { kind: string; from?: string; to: string; thru?: string; line: number }[];
  neverPerformed: string[];
  unreachable: string[];
  calls: { target: string; kind: 'static' | 'dynamic'; line: number }[];
  copies: { name: string; library?: string; line: number; resolved: boolean }[];
  files: { name: string; assignTo: string[]; organization?: string; fileStatus?: string; line: number }[];
  records: { file: string; name: string; line: number }[];
  sql: (Range & { kind: string; cursor?: string; hostVariables: string[]; paragraph?: string })[];
  cics: (Range & { command: string })[];
  /** Level-01 and -77 data names. */
  dataNames: { name: string; line: number; section?: string }[];
  conditions: { kind: string; value: string | null; subject: string; line: number; paragraph?: string }[];
}

export interface CopybookFieldSummary {
  level: number;
  name: string;
  /** 1-based first and last byte, and the length in bytes, as Cobrix lists them. */
  start: number;
  end: number;
  length: number;
  type: string;
  usage: string;
  picture?: string;
  occurs?: { min: number; max: number; dependingOn?: string };
  redefines?: string;
  conditions?: string[];
  line: number;
}

export interface CopybookStructure {
  version: 1;
  language: 'copybook';
  /** `record`: data description entries, laid out; `procedure`: statements copied into a PROCEDURE DIVISION. */
  kind: 'record' | 'procedure';
  recordLength: number;
  fields: CopybookFieldSummary[];
  /** The copybook's text (up to 256 KiB), so records can be decoded with it by name. */
  source?: string;
}

export interface JclStructure {
  version: 1;
  language: 'jcl';
  kind: 'job' | 'proc';
  job: string | null;
  proc: string | null;
  steps: {
    name: string;
    line: number;
    program?: string;
    proc?: string;
    dds: {
      name?: string;
      dsn?: string;
      disp?: string;
      sysout?: string;
      dummy?: boolean;
      instreamLines?: number;
      line: number;
    }[];
  }[];
  datasets: string[];
  programs: string[];
  unresolvedProcs: string[];
}

export interface UnknownStructure {
  version: 1;
  language: 'unknown';
}

export type CodeStructure = CobolStructure | CopybookStructure | JclStructure | UnknownStructure;
