/**
 * `analyzeCobol`: preprocesses a COBOL source and reports its structure, control flow, files, EXEC
 * blocks, error conditions and data names (see {@link CobolAnalysis}). Pure: no I/O besides the
 * copybook resolver the caller passes.
 */
import type {
  CobolAnalysis,
  DataItem,
  DivisionInfo,
  ExecCicsBlock,
  ExecSqlBlock,
  HandledCondition,
  ParagraphInfo,
  ParagraphRef,
  ProgramInfo,
  SectionInfo,
} from './analysis-types.js';
import { conditionNames, trackedFields } from './conditions.js';
import { analyzeControlFlow } from './control-flow.js';
import { dataDivisionFacts, selectEntries } from './data-division.js';
import { describeCics, describeSql, type ExecBlock, findExecBlocks, normalisedText } from './exec-blocks.js';
import { type PreprocessOptions, preprocessCobol } from './preprocessor.js';
import { walkProcedure } from './procedure.js';
import { type ProcedureUnit, type ProgramScope, scanStructure, type TokenRange } from './structure.js';
import type { CobolToken } from './tokenizer.js';

export type AnalyzeCobolOptions = PreprocessOptions;

/** Analyses one COBOL source; throws {@link CodeAnalysisError} for input it refuses (see the reader and preprocessor). */
export function analyzeCobol(text: string, options: AnalyzeCobolOptions = {}): CobolAnalysis {
  const pp = preprocessCobol(text, options);
  const tokens = pp.tokens;
  const execBlocks = findExecBlocks(tokens, options.file);
  const scopes = scanStructure(tokens);
  const analysis: CobolAnalysis = {
    ...(options.file === undefined ? {} : { file: options.file }),
    format: pp.format,
    programs: [],
    divisions: [],
    sections: [],
    paragraphs: [],
    controlFlow: [],
    neverPerformed: [],
    unreachable: [],
    calls: [],
    copies: pp.copies,
    replaces: pp.replaces,
    fileControl: [],
    fileDescriptions: [],
    sql: [],
    cics: [],
    handledConditions: [],
    dataItems: [],
  };
  const firstNamed = scopes.find((s) => s.name !== undefined);
  if (firstNamed?.name !== undefined) analysis.programId = firstNamed.name;
  const execParagraphs = new Map<number, string | undefined>();
  for (const scope of scopes) analyzeProgram(tokens, scope, execBlocks, analysis, execParagraphs);
  describeExecBlocks(tokens, scopes, execBlocks, execParagraphs, analysis);
  return analysis;
}

/** Lines of the main source a token range covers (`header` is the first token, possibly before `start`). */
function lineRange(
  tokens: readonly CobolToken[],
  header: number,
  range: TokenRange,
): { line: number; endLine: number } {
  const line = tokens[header]!.mainLine;
  return { line, endLine: range.end >= header ? tokens[range.end]!.mainLine : line };
}

function analyzeProgram(
  tokens: readonly CobolToken[],
  scope: ProgramScope,
  execBlocks: ReadonlyMap<number, ExecBlock>,
  analysis: CobolAnalysis,
  execParagraphs: Map<number, string | undefined>,
): void {
  const program = scope.name === undefined ? {} : { program: scope.name };
  for (const [name, range] of scope.divisions) {
    const division: DivisionInfo = { name, ...program, ...lineRange(tokens, range.header, range) };
    analysis.divisions.push(division);
  }
  for (const section of scope.sections) {
    const info: SectionInfo = {
      name: section.name,
      division: section.division,
      ...program,
      ...lineRange(tokens, section.header, section),
    };
    analysis.sections.push(info);
  }

  const selects = selectEntries(tokens, scope, execBlocks);
  const data = dataDivisionFacts(tokens, scope, execBlocks);
  analysis.fileControl.push(...selects);
  analysis.fileDescriptions.push(...data.files);
  analysis.dataItems.push(...data.items);

  const procedure = scope.divisions.get('PROCEDURE');
  const procedureTokens = procedure ? tokens.slice(procedure.start, procedure.end + 1) : [];
  const tracked = trackedFields(selects, procedureTokens);
  const names = conditionNames(data.items, tracked);
  const dataItems = new Map<string, DataItem>();
  for (const item of data.items)
    if (!dataItems.has(item.name.toUpperCase())) dataItems.set(item.name.toUpperCase(), item);
  for (const n of names.values()) {
    for (const value of n.values) {
      const declaration: HandledCondition = {
        kind: n.kind,
        value,
        operator: '=',
        source: 'condition-declaration',
        subject: n.name,
        ...program,
        ...(n.file === undefined ? {} : { file: n.file }),
        line: n.line,
      };
      analysis.handledConditions.push(declaration);
    }
  }

  const facts = walkProcedure(scope.units, {
    tokens,
    execBlocks,
    program: scope.name,
    tracked,
    conditionNames: names,
    dataItems,
  });
  const flow = analyzeControlFlow(facts.units, facts.edges, facts.edgeUnits);
  const ref = (u: ProcedureUnit): ParagraphRef => ({
    name: u.name ?? '',
    ...program,
    line: tokens[u.header]!.mainLine,
  });
  analysis.neverPerformed.push(...flow.neverPerformed.map(ref));
  analysis.unreachable.push(...flow.unreachable.map(ref));
  analysis.controlFlow.push(...facts.edges);
  analysis.calls.push(...facts.calls);
  analysis.handledConditions.push(...facts.conditions);
  for (const [index, paragraph] of facts.execParagraphs) execParagraphs.set(index, paragraph);

  let decisions = 0;
  for (const f of facts.units) {
    decisions += f.decisions;
    if (f.unit.kind !== 'paragraph') continue;
    const paragraph: ParagraphInfo = {
      name: f.unit.name!,
      ...(f.unit.section === undefined ? {} : { section: f.unit.section }),
      ...program,
      ...lineRange(tokens, f.unit.header, f.unit),
      statementCount: f.statementCount,
      complexity: 1 + f.decisions,
      fallsThrough: f.fallsThrough,
    };
    analysis.paragraphs.push(paragraph);
  }
  if (scope.name !== undefined) {
    const info: ProgramInfo = {
      name: scope.name,
      ...(scope.parent === undefined ? {} : { parent: scope.parent }),
      ...lineRange(tokens, scope.start, scope),
      complexity: 1 + decisions,
    };
    analysis.programs.push(info);
  }
}

/** EXEC SQL / EXEC CICS facts for every block, wherever it is (data division blocks have no paragraph). */
function describeExecBlocks(
  tokens: readonly CobolToken[],
  scopes: readonly ProgramScope[],
  execBlocks: ReadonlyMap<number, ExecBlock>,
  execParagraphs: ReadonlyMap<number, string | undefined>,
  analysis: CobolAnalysis,
): void {
  for (const block of execBlocks.values()) {
    const at = tokens[block.start]!;
    // Programs are listed in source order, so the last one containing the block is the innermost.
    const scope = scopes.filter((s) => s.start <= block.start && block.start <= s.end).pop();
    const paragraph = execParagraphs.get(block.start);
    const where = {
      line: at.line,
      endLine: tokens[block.end]!.line,
      ...(paragraph === undefined ? {} : { paragraph }),
      ...(scope?.name === undefined ? {} : { program: scope.name }),
      ...(at.file === undefined ? {} : { file: at.file }),
    };
    if (block.language === 'SQL') {
      const sql: ExecSqlBlock = { text: normalisedText(block.body), ...describeSql(block.body), ...where };
      analysis.sql.push(sql);
    } else if (block.language === 'CICS') {
      const cics: ExecCicsBlock = { ...describeCics(block.body), ...where };
      analysis.cics.push(cics);
    }
  }
}
