import { describeDd } from './dd.js';
import { Diagnostics } from './diagnostics.js';
import { describeStep, ProcExpander } from './expand.js';
import { expandIncludes } from './includes.js';
import { DEFAULT_MAX_LINE_LENGTH, splitLines } from './lines.js';
import { keywordRecord, positionals, valueText } from './operands.js';
import { resolveOperands } from './params.js';
import { collectInStreamProcs, describeInStreamProc, type ProcDefinition, procFromMember } from './procs.js';
import { type JclStatement, readStatements } from './reader.js';
import { type BuildResult, buildSteps } from './steps.js';
import { collectDatasets, collectPrograms } from './summary.js';
import { SymbolUsage } from './symbols.js';
import type { JclAnalysis, JclInclude, JclJob, JclParseOptions, JclUnresolvedProc } from './types.js';

const DEFAULT_MAX_PROC_DEPTH = 15;
const DEFAULT_MAX_INSTREAM_CHARS = 16 * 1024;

/** Shared state of one `parseJcl` call. */
class JclAnalyser {
  private readonly file: string | undefined;
  private readonly maxLineLength: number;
  private readonly maxProcDepth: number;
  private readonly maxInstreamChars: number;
  private readonly diagnostics = new Diagnostics();
  private readonly usage = new SymbolUsage();
  private readonly includes: JclInclude[] = [];
  private readonly unresolved: JclUnresolvedProc[] = [];
  private readonly cataloged = new Map<string, ProcDefinition | undefined>();
  private inStream = new Map<string, ProcDefinition>();

  constructor(private readonly options: JclParseOptions) {
    this.file = options.file;
    this.maxLineLength = options.maxLineLength ?? DEFAULT_MAX_LINE_LENGTH;
    this.maxProcDepth = options.maxProcDepth ?? DEFAULT_MAX_PROC_DEPTH;
    this.maxInstreamChars = options.maxInstreamChars ?? DEFAULT_MAX_INSTREAM_CHARS;
  }

  analyse(text: string): JclAnalysis {
    const source = this.readText(text, undefined);
    const statements = this.withIncludes(source.statements);
    const firstIndex = statements.findIndex((s) => s.kind === 'statement');
    const first = statements[firstIndex];
    const globals = new Map(Object.entries(this.options.symbols ?? {}).map(([k, v]) => [k.toUpperCase(), v]));
    const context = {
      file: this.file,
      globals,
      usage: this.usage,
      diagnostics: this.diagnostics,
      conditionPrefix: [],
    };
    let built: BuildResult;
    let job: JclJob | undefined;
    let proc: ProcDefinition | undefined;
    if (first?.operation === 'JOB') {
      job = this.describeJob(first, globals);
      const { procs, rest } = collectInStreamProcs(
        statements.slice(firstIndex + 1),
        this.file,
        this.diagnostics,
      );
      this.inStream = procs;
      built = buildSteps(rest, { ...context, locals: new Map(), isJob: true });
    } else {
      proc = procFromMember('', statements, this.file, this.diagnostics);
      built = buildSteps(proc.body, { ...context, locals: proc.defaults, isJob: false });
    }
    const expander = new ProcExpander({
      file: this.file,
      maxProcDepth: this.maxProcDepth,
      lookupProc: (name) => this.lookupProc(name),
      usage: this.usage,
      diagnostics: this.diagnostics,
      unresolved: this.unresolved,
    });
    const expandedSteps = expander.expand(built.steps, proc ? [proc.name] : []);
    return {
      ...(this.file === undefined ? {} : { file: this.file }),
      kind: job ? 'job' : 'proc',
      ...(job ? { job } : {}),
      ...(proc
        ? {
            proc: {
              name: proc.name || undefined,
              line: proc.line,
              defaults: Object.fromEntries(proc.defaults),
            },
          }
        : {}),
      statements: source.statements.length,
      comments: source.comments,
      jobDds: built.leadingDds.map(describeDd),
      steps: built.steps.map(describeStep),
      expandedSteps,
      inStreamProcs: [...this.inStream.values()].map(describeInStreamProc),
      unresolvedProcs: this.unresolved,
      datasets: collectDatasets(expandedSteps),
      programs: collectPrograms(expandedSteps),
      symbolsUsed: [...this.usage.used],
      unresolvedSymbols: [...this.usage.unresolved],
      includes: this.includes,
      issues: this.diagnostics.issues,
    };
  }

  private readText(text: string, member: string | undefined) {
    const lines = splitLines(text, this.maxLineLength, this.file);
    return readStatements(
      lines,
      {
        file: this.file,
        maxInstreamChars: this.maxInstreamChars,
        ...(member === undefined ? {} : { member }),
      },
      this.diagnostics,
    );
  }

  private withIncludes(statements: readonly JclStatement[]): JclStatement[] {
    return expandIncludes(statements, {
      file: this.file,
      maxDepth: this.maxProcDepth,
      resolveInclude: this.options.resolveInclude,
      read: (text, member) => this.readText(text, member).statements,
      records: this.includes,
    });
  }

  /** An in-stream procedure first, else the cataloged one via `resolveProc` (read once per name). */
  private lookupProc(name: string): ProcDefinition | undefined {
    const inStream = this.inStream.get(name);
    if (inStream) return inStream;
    if (!this.cataloged.has(name)) {
      const text = this.options.resolveProc?.(name);
      const statements =
        text === undefined ? undefined : this.withIncludes(this.readText(text, name).statements);
      this.cataloged.set(name, statements && procFromMember(name, statements, this.file, this.diagnostics));
    }
    return this.cataloged.get(name);
  }

  private describeJob(statement: JclStatement, globals: ReadonlyMap<string, string>): JclJob {
    const params = resolveOperands(statement.operands, statement.line, {
      symbols: globals,
      usage: this.usage,
      file: this.file,
    });
    const [accounting, programmer] = positionals(params);
    return {
      name: statement.name ?? '',
      line: statement.line,
      ...(accounting && accounting.raw !== '' ? { accounting: accounting.raw } : {}),
      ...(programmer && programmer.raw !== ''
        ? { programmer: valueText(programmer.value, programmer.raw) }
        : {}),
      params: keywordRecord(params),
    };
  }
}

/**
 * Analyses z/OS JCL: a job (JOB card first) or a cataloged procedure (PROC statement or no JOB card).
 * Steps, DDs, data sets and programs are reported as written and after PROC expansion. Throws
 * `CodeAnalysisError` (BINARY_INPUT, LINE_TOO_LONG, UNTERMINATED, SYNTAX, PROC_CYCLE, PROC_DEPTH)
 * for input it cannot accept; everything else questionable is reported in `issues`.
 */
export function parseJcl(text: string, options: JclParseOptions = {}): JclAnalysis {
  return new JclAnalyser(options).analyse(text);
}
