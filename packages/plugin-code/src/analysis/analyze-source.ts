import type { CobolAnalysis } from '../cobol/analysis-types.js';
import { analyzeCobol } from '../cobol/analyzer.js';
import { preprocessCobol } from '../cobol/preprocessor.js';
import type { Copybook } from '../copybook/model.js';
import { parseCopybook } from '../copybook/parse-copybook.js';
import { CodeAnalysisError } from '../errors.js';
import { parseJcl } from '../jcl/index.js';
import type { JclAnalysis } from '../jcl/types.js';
import type { CodeLanguage } from '../schema/code-database.js';
import { hasDataEntries } from './detect-language.js';
import type {
  CobolStructure,
  CodeIssue,
  CodeStructure,
  CodeSymbol,
  CopybookStructure,
  JclStructure,
} from './structure-types.js';
import { symbolsOf } from './symbols.js';

/** Resolves a COPY member or a cataloged PROC from the files of the same scan. */
export interface MemberResolver {
  copybook(name: string, library?: string): string | undefined;
  proc(name: string): string | undefined;
}

export interface AnalyzedSource {
  language: CodeLanguage;
  /** The program id, copybook or job / PROC name (upper case). */
  name: string | null;
  lines: number;
  complexity: number | null;
  structure: CodeStructure;
  issues: CodeIssue[];
  symbols: CodeSymbol[];
}

/** Copybook source kept with its layout (for `kb code decode` by name), up to this many characters. */
const MAX_KEPT_SOURCE = 256 * 1024;

const NO_RESOLVER: MemberResolver = { copybook: () => undefined, proc: () => undefined };

/** The member name of a path: its base name without extension, upper case (`src/CUSTREC.cpy` → `CUSTREC`). */
export function memberName(path: string): string {
  const base = path.split(/[\\/]/).pop() ?? path;
  const dot = base.indexOf('.');
  return (dot > 0 ? base.slice(0, dot) : base).toUpperCase();
}

function countLines(text: string): number {
  if (text === '') return 0;
  let n = 1;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) n++;
  return text.endsWith('\n') ? n - 1 : n;
}

/**
 * Analyses one source with the analyser of its language. A source the analyser refuses is not an error of
 * the scan: it comes back with an empty structure and the refusal among its issues, so the scan stores what
 * it can say about the file (its language, size, hash) and goes on.
 */
export function analyzeSource(
  path: string,
  text: string,
  language: CodeLanguage,
  resolver: MemberResolver = NO_RESOLVER,
): AnalyzedSource {
  const lines = countLines(text);
  try {
    switch (language) {
      case 'cobol':
        return fromCobol(
          analyzeCobol(text, { file: path, resolveCopybook: (n, lib) => resolver.copybook(n, lib) }),
          lines,
        );
      case 'copybook':
        // A copybook of procedure statements (COPY in the PROCEDURE DIVISION) has no layout to find.
        return hasDataEntries(text)
          ? fromCopybook(path, text, layoutOf(path, text, resolver), lines)
          : {
              language,
              name: memberName(path),
              lines,
              complexity: null,
              structure: procedureCopybook(),
              issues: [],
              symbols: symbolsOf(procedureCopybook(), memberName(path)),
            };
      case 'jcl':
        return fromJcl(path, parseJcl(text, { file: path, resolveProc: (n) => resolver.proc(n) }), lines);
      default:
        return {
          language,
          name: null,
          lines,
          complexity: null,
          structure: { version: 1, language: 'unknown' },
          issues: [],
          symbols: [],
        };
    }
  } catch (error) {
    if (!(error instanceof CodeAnalysisError)) throw error;
    return {
      language,
      name: language === 'copybook' ? memberName(path) : null,
      lines,
      complexity: null,
      structure: { version: 1, language: 'unknown' },
      issues: [{ severity: 'error', code: error.reason, message: error.message, line: error.line ?? null }],
      symbols: [],
    };
  }
}

/** A copybook's layout; one that COPYs others is expanded first (fields then carry the expanded text's lines). */
function layoutOf(path: string, text: string, resolver: MemberResolver): Copybook {
  if (!/\bCOPY\b/i.test(text)) return parseCopybook(text, { file: path });
  const expanded = preprocessCobol(text, {
    file: path,
    resolveCopybook: (n, lib) => resolver.copybook(n, lib),
  });
  return parseCopybook(expanded.text, { file: path, format: 'free' });
}

function procedureCopybook(): CopybookStructure {
  return { version: 1, language: 'copybook', kind: 'procedure', recordLength: 0, fields: [] };
}

function fromCobol(a: CobolAnalysis, lines: number): AnalyzedSource {
  const complexity = a.programs.reduce((sum, p) => sum + p.complexity, 0) || null;
  const structure: CobolStructure = {
    version: 1,
    language: 'cobol',
    programId: a.programId ?? null,
    format: a.format,
    programs: a.programs.map((p) => ({
      name: p.name,
      start: p.line,
      end: p.endLine,
      complexity: p.complexity,
    })),
    divisions: a.divisions.map((d) => ({ name: d.name, start: d.line, end: d.endLine })),
    sections: a.sections.map((s) => ({ name: s.name, division: s.division, start: s.line, end: s.endLine })),
    paragraphs: a.paragraphs.map((p) => ({
      name: p.name,
      ...(p.section === undefined ? {} : { section: p.section }),
      start: p.line,
      end: p.endLine,
      statements: p.statementCount,
      complexity: p.complexity,
    })),
    controlFlow: a.controlFlow.map((e) => ({
      kind: e.kind,
      ...(e.from === undefined ? {} : { from: e.from }),
      to: e.to,
      ...(e.thru === undefined ? {} : { thru: e.thru }),
      line: e.line,
    })),
    neverPerformed: a.neverPerformed.map((p) => p.name),
    unreachable: a.unreachable.map((p) => p.name),
    calls: a.calls.map((c) => ({ target: c.target, kind: c.kind, line: c.line })),
    copies: a.copies.map((c) => ({
      name: c.name,
      ...(c.library === undefined ? {} : { library: c.library }),
      line: c.line,
      resolved: c.resolved,
    })),
    files: a.fileControl.map((f) => ({
      name: f.file,
      assignTo: f.assignTo,
      ...(f.organization === undefined ? {} : { organization: f.organization }),
      ...(f.fileStatus === undefined ? {} : { fileStatus: f.fileStatus }),
      line: f.line,
    })),
    records: a.fileDescriptions.flatMap((fd) =>
      fd.records.map((r) => ({ file: fd.file, name: r.name, line: r.line })),
    ),
    sql: a.sql.map((s) => ({
      kind: s.kind,
      start: s.line,
      end: s.endLine,
      ...(s.cursor === undefined ? {} : { cursor: s.cursor }),
      hostVariables: s.hostVariables.map((h) => h.name),
      ...(s.paragraph === undefined ? {} : { paragraph: s.paragraph }),
    })),
    cics: a.cics.map((c) => ({ command: c.command, start: c.line, end: c.endLine })),
    dataNames: a.dataItems
      .filter((d) => d.level === 1 || d.level === 77)
      .map((d) => ({
        name: d.name,
        line: d.line,
        ...(d.section === undefined ? {} : { section: d.section }),
      })),
    conditions: a.handledConditions.map((c) => ({
      kind: c.kind,
      value: c.value ?? null,
      subject: c.subject,
      line: c.line,
      ...(c.paragraph === undefined ? {} : { paragraph: c.paragraph }),
    })),
  };
  return {
    language: 'cobol',
    name: a.programId ? a.programId.toUpperCase() : null,
    lines,
    complexity,
    structure,
    issues: [],
    symbols: symbolsOf(structure),
  };
}

function fromCopybook(path: string, text: string, copybook: Copybook, lines: number): AnalyzedSource {
  const structure: CopybookStructure = {
    version: 1,
    language: 'copybook',
    kind: 'record',
    recordLength: copybook.recordLength,
    fields: copybook.fields.map((f) => ({
      level: f.level,
      name: f.name,
      start: f.start,
      end: f.end,
      length: f.length,
      type: f.dataType,
      usage: f.usage,
      ...(f.picture === undefined ? {} : { picture: f.picture }),
      ...(f.occurs === undefined ? {} : { occurs: { ...f.occurs } }),
      ...(f.redefines === undefined ? {} : { redefines: f.redefines }),
      ...(f.conditions.length === 0 ? {} : { conditions: f.conditions.map((c) => c.name) }),
      line: f.line,
    })),
    ...(text.length <= MAX_KEPT_SOURCE ? { source: text } : {}),
  };
  const name = memberName(path);
  return {
    language: 'copybook',
    name,
    lines,
    complexity: null,
    structure,
    issues: [],
    symbols: symbolsOf(structure, name),
  };
}

function fromJcl(path: string, a: JclAnalysis, lines: number): AnalyzedSource {
  const structure: JclStructure = {
    version: 1,
    language: 'jcl',
    kind: a.kind,
    job: a.job?.name ?? null,
    proc: a.proc?.name ?? null,
    steps: a.expandedSteps.map((s) => ({
      name: s.qualifiedName,
      line: s.line,
      ...(s.program === undefined ? {} : { program: s.program }),
      ...(s.proc === undefined ? {} : { proc: s.proc }),
      dds: s.dds.map((d) => ({
        ...(d.name === undefined ? {} : { name: d.name }),
        ...(d.dsn === undefined ? {} : { dsn: d.dsn }),
        ...(d.disp === undefined
          ? {}
          : { disp: [d.disp.status, d.disp.normal, d.disp.abnormal].filter(Boolean).join(',') }),
        ...(d.sysout === undefined ? {} : { sysout: d.sysout }),
        ...(d.dummy ? { dummy: true } : {}),
        ...(d.instream === undefined ? {} : { instreamLines: d.instream.lineCount }),
        line: d.line,
      })),
    })),
    datasets: a.datasets.map((d) => d.dsn),
    programs: a.programs.map((p) => p.name),
    unresolvedProcs: a.unresolvedProcs.map((p) => p.name),
  };
  const issues: CodeIssue[] = a.issues.map((i) => ({
    severity: 'warning',
    code: i.code,
    message: i.message,
    line: i.line ?? null,
  }));
  const name = a.job?.name ?? a.proc?.name ?? memberName(path);
  return {
    language: 'jcl',
    name: name.toUpperCase(),
    lines,
    complexity: null,
    structure,
    issues,
    symbols: symbolsOf(structure, name.toUpperCase()),
  };
}
