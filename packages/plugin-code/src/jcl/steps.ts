import type { DdEntry } from './dd.js';
import type { Diagnostics } from './diagnostics.js';
import { isValidName, splitQualifiedName } from './names.js';
import { keywordParam, positionals, valueText } from './operands.js';
import { resolveOperands, type SourcedParam } from './params.js';
import type { JclStatement } from './reader.js';
import {
  type SymbolLookup,
  type SymbolUsage,
  substituteSymbols,
  symbolReferences,
  symbolValue,
} from './symbols.js';
import type { JclCondition, JclIssueCode } from './types.js';

/** EXEC keyword parameters; any other keyword on the EXEC of a PROC is a symbolic parameter. */
export const EXEC_KEYWORDS = new Set([
  'PGM',
  'PROC',
  'PARM',
  'PARMDD',
  'COND',
  'REGION',
  'REGIONX',
  'TIME',
  'ACCT',
  'ADDRSPC',
  'DPRTY',
  'PERFORM',
  'RD',
  'CCSID',
  'MEMLIMIT',
  'DYNAMNBR',
  'TVSMSG',
  'TVSAMCOM',
]);

/** Statements that are recognised but do not affect steps, data sets or programs. */
const IGNORED_OPERATIONS = new Set([
  'OUTPUT',
  'CNTL',
  'ENDCNTL',
  'EXPORT',
  'XMIT',
  'COMMAND',
  'SCHEDULE',
  'JCLLIB',
]);

/** DDs allowed before the first EXEC of a job. */
const JOB_LEVEL_DDS = new Set(['JOBLIB', 'JOBCAT']);

/** An EXEC statement being analysed. Mutable where PROC expansion applies the caller's overrides. */
export interface StepEntry {
  readonly name?: string;
  readonly line: number;
  readonly member?: string;
  readonly operands: string;
  readonly program?: string;
  readonly proc?: string;
  /** EXEC keyword parameters, `.procstep`-qualified ones included. */
  params: SourcedParam[];
  /** Symbolic parameters on the EXEC of a PROC. */
  readonly symbolics: readonly SourcedParam[];
  readonly dds: DdEntry[];
  readonly conditions: readonly JclCondition[];
  /** System and SET symbols in effect at the EXEC, passed on to the PROC it calls. */
  readonly globals: ReadonlyMap<string, string>;
}

export interface BuildContext {
  readonly file: string | undefined;
  readonly member?: string;
  /** System and SET symbols; SET statements add to it. */
  readonly globals: Map<string, string>;
  /** Symbolic parameters of the PROC being expanded (they take precedence over `globals`). */
  readonly locals: ReadonlyMap<string, string>;
  readonly usage: SymbolUsage;
  readonly diagnostics: Diagnostics;
  /** IF/THEN/ELSE around the EXEC that called this PROC. */
  readonly conditionPrefix: readonly JclCondition[];
  /** Whether the statements are a job's (JOBLIB/JOBCAT allowed before the first step). */
  readonly isJob: boolean;
}

export interface BuildResult {
  readonly steps: StepEntry[];
  /** DDs before the first EXEC. */
  readonly leadingDds: DdEntry[];
}

interface OpenIf extends JclCondition {
  branch: 'THEN' | 'ELSE';
}

/**
 * Turns a sequence of statements (a job after its JOB card, or a PROC body) into steps: EXEC with
 * their DDs, concatenations and `procstep.ddname` overrides, SET symbols, and the IF/THEN/ELSE/ENDIF
 * nesting each step sits in.
 */
class StepBuilder {
  private readonly steps: StepEntry[] = [];
  private readonly leadingDds: DdEntry[] = [];
  private readonly ifs: OpenIf[] = [];
  private readonly stepNames = new Set<string>();
  private readonly symbols: SymbolLookup;

  constructor(private readonly context: BuildContext) {
    const { locals, globals } = context;
    this.symbols = { get: (name) => locals.get(name) ?? globals.get(name) };
  }

  build(statements: readonly JclStatement[]): BuildResult {
    for (let i = 0; i < statements.length; i++) {
      const statement = statements[i]!;
      if (statement.kind === 'null' || (statement.kind === 'statement' && statement.operation === 'JOB')) {
        if (i < statements.length - 1 || statement.operation === 'JOB') {
          this.warn(
            'MULTIPLE_JOBS',
            'only the first job is analysed; the statements after this one are ignored',
            statement,
          );
        }
        break;
      }
      if (statement.kind === 'statement') this.handle(statement);
    }
    for (const open of this.ifs) this.warn('UNBALANCED_IF', `IF (${open.condition}) has no ENDIF`, open);
    return { steps: this.steps, leadingDds: this.leadingDds };
  }

  private handle(statement: JclStatement): void {
    this.checkName(statement);
    switch (statement.operation) {
      case 'EXEC':
        this.exec(statement);
        return;
      case 'DD':
        this.dd(statement);
        return;
      case 'SET':
        this.set(statement);
        return;
      case 'IF':
        this.ifs.push({
          condition: substituteSymbols(statement.operands, this.symbols, this.context.usage),
          branch: 'THEN',
          line: statement.line,
          ...(statement.name === undefined ? {} : { name: statement.name }),
        });
        return;
      case 'ELSE':
        this.elseBranch(statement);
        return;
      case 'ENDIF':
        if (this.ifs.pop() === undefined) this.warn('UNBALANCED_IF', 'ENDIF without IF', statement);
        return;
      case 'INCLUDE':
        return; // recorded (and expanded when resolvable) before the steps are built
      case 'PROC':
      case 'PEND':
        this.warn('UNKNOWN_STATEMENT', `${statement.operation} not expected here`, statement);
        return;
      default:
        if (!IGNORED_OPERATIONS.has(statement.operation)) {
          this.warn('UNKNOWN_STATEMENT', `unknown statement ${statement.operation}`, statement);
        }
    }
  }

  private checkName(statement: JclStatement): void {
    if (statement.name === undefined) return;
    const parts = statement.operation === 'DD' ? statement.name.split('.') : [statement.name];
    for (const part of parts) {
      if (!isValidName(part)) {
        this.warn(
          'INVALID_NAME',
          `name '${statement.name}' is not 1–8 alphanumeric/national characters starting with a letter or national`,
          statement,
        );
        return;
      }
    }
  }

  private exec(statement: JclStatement): void {
    const params = this.resolve(statement);
    const pgm = keywordParam(params, 'PGM');
    const procParam = keywordParam(params, 'PROC') ?? (pgm ? undefined : positionals(params)[0]);
    const program = pgm ? valueText(pgm.value, pgm.raw) : undefined;
    const proc = procParam ? valueText(procParam.value, procParam.raw).toUpperCase() : undefined;
    const isExecKeyword = (p: SourcedParam) =>
      p.keyword !== undefined && EXEC_KEYWORDS.has(p.keyword.split('.')[0]!);
    const isStepParam = (p: SourcedParam) =>
      p.keyword !== undefined &&
      p.keyword !== 'PGM' &&
      p.keyword !== 'PROC' &&
      (proc === undefined || isExecKeyword(p));
    const symbolics =
      proc === undefined ? [] : params.filter((p) => p.keyword !== undefined && !isExecKeyword(p));
    if (statement.name !== undefined) {
      if (this.stepNames.has(statement.name))
        this.warn('DUPLICATE_STEP', `step name ${statement.name} used twice`, statement);
      this.stepNames.add(statement.name);
    }
    this.steps.push({
      ...(statement.name === undefined ? {} : { name: statement.name }),
      ...this.origin(statement),
      operands: statement.operands,
      ...(program === undefined ? {} : { program }),
      ...(proc === undefined ? {} : { proc }),
      params: params.filter(isStepParam),
      symbolics,
      dds: [],
      conditions: [...this.context.conditionPrefix, ...this.ifs.map((open) => ({ ...open }))],
      globals: new Map(this.context.globals),
    });
  }

  private dd(statement: JclStatement): void {
    const { procStep, name } =
      statement.name === undefined ? { name: undefined } : splitQualifiedName(statement.name);
    const entry: DdEntry = {
      ...(name === undefined ? {} : { name }),
      ...(procStep === undefined ? {} : { procStep }),
      ...this.origin(statement),
      operands: statement.operands,
      params: this.resolve(statement),
      ...(statement.instream ? { instream: statement.instream } : {}),
      concatenation: [],
    };
    if (entry.instream && keywordParam(entry.params, 'SYMBOLS')) {
      for (const ref of symbolReferences(entry.instream.text)) this.context.usage.used.add(ref);
    }
    const step = this.steps[this.steps.length - 1];
    const dds = step ? step.dds : this.leadingDds;
    if (name === undefined) {
      const head = dds[dds.length - 1];
      if (head) head.concatenation.push(entry);
      else this.warn('MISPLACED_DD', 'unnamed DD with no DD to concatenate to', statement);
      return;
    }
    if (!step && !(this.context.isJob && JOB_LEVEL_DDS.has(name))) {
      this.warn('MISPLACED_DD', `DD ${statement.name} before any EXEC`, statement);
    }
    if (procStep !== undefined && step?.proc === undefined) {
      this.warn(
        'OVERRIDE_NO_STEP',
        `DD ${statement.name} names a procedure step but no PROC is called`,
        statement,
      );
    }
    dds.push(entry);
  }

  private set(statement: JclStatement): void {
    for (const param of this.resolve(statement)) {
      if (param.keyword !== undefined) this.context.globals.set(param.keyword, symbolValue(param.raw));
    }
  }

  private elseBranch(statement: JclStatement): void {
    const open = this.ifs[this.ifs.length - 1];
    if (!open) {
      this.warn('UNBALANCED_IF', 'ELSE without IF', statement);
    } else {
      if (open.branch === 'ELSE')
        this.warn('UNBALANCED_IF', `second ELSE for IF at line ${open.line}`, statement);
      open.branch = 'ELSE';
    }
  }

  private resolve(statement: JclStatement): SourcedParam[] {
    return resolveOperands(statement.operands, statement.line, {
      symbols: this.symbols,
      usage: this.context.usage,
      file: this.context.file,
    });
  }

  private origin(statement: JclStatement): { line: number; member?: string } {
    return {
      line: statement.line,
      ...(statement.member === undefined ? {} : { member: statement.member }),
    };
  }

  private warn(code: JclIssueCode, message: string, at: { line: number; member?: string }): void {
    this.context.diagnostics.warn(code, message, at.line, at.member ?? this.context.member);
  }
}

export function buildSteps(statements: readonly JclStatement[], context: BuildContext): BuildResult {
  return new StepBuilder(context).build(statements);
}
