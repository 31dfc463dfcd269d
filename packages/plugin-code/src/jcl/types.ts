/** Public result and option types of the JCL analyser. */

export interface JclParseOptions {
  /** Name reported in errors and issues. */
  readonly file?: string;
  /** Text of a cataloged procedure (a PROC member) by name; `undefined` when it is not available. */
  readonly resolveProc?: (name: string) => string | undefined;
  /** Text of an `// INCLUDE MEMBER=` member by name; `undefined` when it is not available. */
  readonly resolveInclude?: (member: string) => string | undefined;
  /** System / JES symbols (`SYSUID`, `SYSNAME`…); symbols not given here stay unresolved. */
  readonly symbols?: Readonly<Record<string, string>>;
  /** Longest physical line accepted, in characters (default 64 KiB). */
  readonly maxLineLength?: number;
  /** Deepest PROC / INCLUDE nesting accepted (default 15, the z/OS limit). */
  readonly maxProcDepth?: number;
  /** Characters of in-stream data kept per DD (default 16 KiB); the line count is always exact. */
  readonly maxInstreamChars?: number;
}

/** A parsed parameter value: text (unquoted when written as one quoted string) or a parenthesised sublist. */
export type JclValue = string | readonly JclParam[];

/** One positional (no `keyword`) or keyword parameter of an operand field, or an item of a sublist. */
export interface JclParam {
  /** Upper-cased keyword, including a `.procstep` qualifier (`PARM.COBOL`); absent for positionals. */
  readonly keyword?: string;
  readonly value: JclValue;
  /** The value exactly as written (after symbol substitution where it applies), without `KEYWORD=`. */
  readonly raw: string;
}

export type JclIssueCode =
  | 'UNKNOWN_STATEMENT' // an operation the analyser does not know
  | 'NOT_JCL' // a line that is neither a statement, a comment nor in-stream data
  | 'STRAY_DELIMITER' // a `/*` outside in-stream data
  | 'CONTINUATION' // a continuation line missing or starting past column 16
  | 'INVALID_NAME' // a statement name not 1–8 alphanumeric/national characters starting with a letter/national
  | 'DUPLICATE_STEP' // two steps with the same name
  | 'MISPLACED_DD' // a DD before any EXEC (other than JOBLIB/JOBCAT), or an unnamed DD with nothing to concatenate to
  | 'OVERRIDE_NO_STEP' // a `procstep.ddname` DD or `KEYWORD.procstep` parameter naming no step of the PROC
  | 'UNBALANCED_IF' // ELSE/ENDIF without IF, IF without ENDIF or THEN, a second ELSE
  | 'UNUSED_SYMBOL' // a symbolic parameter on the EXEC that the PROC never uses
  | 'PROC_WITHOUT_PEND' // an in-stream PROC not ended by PEND
  | 'MULTIPLE_JOBS' // statements after a null statement or a second JOB (only the first job is analysed)
  | 'NO_OPERATION'; // a `//name` line without an operation

export interface JclIssue {
  readonly code: JclIssueCode;
  readonly message: string;
  readonly line?: number;
  /** The PROC or INCLUDE member the line belongs to, when not the analysed file itself. */
  readonly member?: string;
}

export interface JclComment {
  readonly line: number;
  /** The comment text after `//*`, trailing blanks removed. */
  readonly text: string;
}

export interface JclJob {
  readonly name: string;
  readonly line: number;
  /** First positional parameter, as written (a sublist keeps its parentheses). */
  readonly accounting?: string;
  /** Second positional parameter, unquoted. */
  readonly programmer?: string;
  /** Keyword parameters (CLASS, MSGCLASS, NOTIFY…), values as written after symbol substitution. */
  readonly params: Readonly<Record<string, string>>;
}

/** The `PROC` statement of a procedure. */
export interface JclProcInfo {
  readonly name: string | undefined;
  readonly line: number | undefined;
  /** Default values of the symbolic parameters (enclosing apostrophes removed for plain values). */
  readonly defaults: Readonly<Record<string, string>>;
}

export interface JclInStreamProc extends JclProcInfo {
  readonly name: string;
  readonly line: number;
}

/** One enclosing `IF … THEN` of a step, outermost first, and the branch the step sits in. */
export interface JclCondition {
  readonly condition: string;
  readonly branch: 'THEN' | 'ELSE';
  readonly line: number;
  readonly name?: string;
}

export interface JclDisp {
  readonly status?: string;
  readonly normal?: string;
  readonly abnormal?: string;
}

export interface JclInstreamData {
  /** `*` or `DATA`. */
  readonly kind: '*' | 'DATA';
  /** The delimiter that ends it (`/*` or the DLM value); `//` when ended by the next statement. */
  readonly delimiter: string;
  /** First data line (1-based); equals the DD line + 1 unless the DD is continued. */
  readonly line: number;
  readonly lineCount: number;
  /** The data lines joined with `\n`, capped at `maxInstreamChars`. */
  readonly text: string;
  readonly truncated: boolean;
}

export interface JclDd {
  /** DD name; absent on a concatenated (unnamed) DD. */
  readonly name?: string;
  /** The procedure step an override/addition (`//COBOL.SYSIN DD`) targets. */
  readonly procStep?: string;
  readonly line: number;
  readonly member?: string;
  /** Operand field as written (continuations joined). */
  readonly operands: string;
  /** Data set name after symbol substitution (unresolved symbols left as written). */
  readonly dsn?: string;
  /** Data set name as written. */
  readonly dsnRaw?: string;
  readonly disp?: JclDisp;
  /** SYSOUT class (`*` for the job's MSGCLASS). */
  readonly sysout?: string;
  readonly dummy: boolean;
  readonly instream?: JclInstreamData;
  /** The SYMBOLS= value of an in-stream DD. */
  readonly symbols?: string;
  /** Every keyword parameter (DCB, SPACE, UNIT…) as written after substitution. */
  readonly params: Readonly<Record<string, string>>;
  /** Unnamed DDs that follow and are concatenated to this one. */
  readonly concatenation: readonly JclDd[];
  /** Line of the job's override statement merged into this procedure DD. */
  readonly overriddenAt?: number;
}

export interface JclStep {
  readonly name?: string;
  readonly line: number;
  readonly member?: string;
  readonly operands: string;
  /** `EXEC PGM=`. */
  readonly program?: string;
  /** `EXEC PROC=` or `EXEC name`. */
  readonly proc?: string;
  /** EXEC keyword parameters (PARM, COND, REGION, TIME… possibly `.procstep`-qualified). */
  readonly params: Readonly<Record<string, string>>;
  /** Symbolic parameters given on the EXEC of a PROC (`MBR=`), values after substitution. */
  readonly symbolics: Readonly<Record<string, string>>;
  readonly dds: readonly JclDd[];
  readonly conditions: readonly JclCondition[];
}

/** A step as it runs: job steps executing programs, and the steps of every expanded PROC. */
export interface JclExpandedStep extends JclStep {
  /** Step names from the job step down (`['COMPILE', 'COBOL']`); one element for a job step. */
  readonly path: readonly string[];
  /** `path` joined with dots, the name used by `datasets` and `programs`. */
  readonly qualifiedName: string;
  /** The job step whose EXEC invoked the PROC this step comes from. */
  readonly invokingStep?: string;
  /** The procedure step name within its PROC. */
  readonly procStep?: string;
  /** The PROC this step comes from. */
  readonly procName?: string;
}

export interface JclUnresolvedProc {
  readonly name: string;
  readonly step?: string;
  readonly line: number;
}

export interface JclInclude {
  readonly kind: 'JCLLIB' | 'INCLUDE';
  readonly line: number;
  /** JCLLIB ORDER libraries. */
  readonly order?: readonly string[];
  /** INCLUDE MEMBER name. */
  readonly member?: string;
  /** Whether the INCLUDE member was resolved and its statements analysed in place. */
  readonly expanded: boolean;
}

export interface JclDatasetUse {
  /** Qualified step name (`COMPILE.COBOL`). */
  readonly step: string;
  /** DD name (`COBOL.SYSIN` for an unexpanded override); a concatenated DD carries its head's name. */
  readonly dd: string;
  readonly disp?: JclDisp;
  readonly line: number;
}

export interface JclDataset {
  readonly dsn: string;
  /** `&&NAME` temporary data set. */
  readonly temporary: boolean;
  readonly uses: readonly JclDatasetUse[];
}

export interface JclProgram {
  readonly name: string;
  /** Qualified names of the steps executing it. */
  readonly steps: readonly string[];
}

export interface JclAnalysis {
  readonly file?: string;
  readonly kind: 'job' | 'proc';
  readonly job?: JclJob;
  /** The PROC statement when `kind` is `proc`. */
  readonly proc?: JclProcInfo;
  /** Statements in the file (comments and in-stream data lines excluded). */
  readonly statements: number;
  readonly comments: readonly JclComment[];
  /** DDs before the first step (JOBLIB, JOBCAT). */
  readonly jobDds: readonly JclDd[];
  /** Steps as written, in order. */
  readonly steps: readonly JclStep[];
  /** Steps after PROC expansion (unresolved PROC calls stay as their job step). */
  readonly expandedSteps: readonly JclExpandedStep[];
  readonly inStreamProcs: readonly JclInStreamProc[];
  readonly unresolvedProcs: readonly JclUnresolvedProc[];
  readonly datasets: readonly JclDataset[];
  readonly programs: readonly JclProgram[];
  /** Every symbol referenced (`&NAME`), in order of first use. */
  readonly symbolsUsed: readonly string[];
  /** Symbols left unresolved somewhere (system symbols not in `options.symbols`, undefined ones). */
  readonly unresolvedSymbols: readonly string[];
  readonly includes: readonly JclInclude[];
  readonly issues: readonly JclIssue[];
}
