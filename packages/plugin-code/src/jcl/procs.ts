import type { Diagnostics } from './diagnostics.js';
import { keywordRecord, parseOperands } from './operands.js';
import type { JclStatement } from './reader.js';
import { symbolReferences, symbolValue } from './symbols.js';
import type { JclInStreamProc } from './types.js';

/** A procedure: its PROC statement defaults and the statements of its body. */
export interface ProcDefinition {
  readonly name: string;
  readonly line: number | undefined;
  /** Where its statements come from, for issues: the cataloged member name; absent when in-stream. */
  readonly member?: string;
  /** Symbolic parameter defaults, upper-case names. */
  readonly defaults: ReadonlyMap<string, string>;
  readonly body: readonly JclStatement[];
  /** Every symbol its body refers to (to report EXEC symbolics that it never uses). */
  readonly references: ReadonlySet<string>;
}

/** Builds a procedure from its (optional) PROC statement and body. */
export function defineProc(
  name: string,
  procStatement: JclStatement | undefined,
  body: readonly JclStatement[],
  file: string | undefined,
): ProcDefinition {
  const defaults = new Map<string, string>();
  if (procStatement) {
    const params = parseOperands(procStatement.operands, { file, line: procStatement.line });
    for (const [keyword, raw] of Object.entries(keywordRecord(params)))
      defaults.set(keyword, symbolValue(raw));
  }
  const references = new Set(body.flatMap((statement) => symbolReferences(statement.operands)));
  return {
    name,
    line: procStatement?.line,
    ...(procStatement?.member === undefined ? {} : { member: procStatement.member }),
    defaults,
    body,
    references,
  };
}

/**
 * Splits a cataloged procedure member into its definition: a leading PROC statement (optional) and
 * the statements up to PEND or the end.
 */
export function procFromMember(
  name: string,
  statements: readonly JclStatement[],
  file: string | undefined,
  diagnostics: Diagnostics,
): ProcDefinition {
  const start = statements.findIndex((s) => s.kind === 'statement');
  const first = statements[start];
  const procStatement = first?.operation === 'PROC' ? first : undefined;
  const rest = statements.slice(procStatement ? start + 1 : 0);
  const pend = rest.findIndex((s) => s.operation === 'PEND');
  const extra = pend < 0 ? undefined : rest.slice(pend + 1).find((s) => s.kind === 'statement');
  if (extra)
    diagnostics.warn('UNKNOWN_STATEMENT', `statements after PEND are ignored`, extra.line, extra.member);
  return defineProc(procStatement?.name ?? name, procStatement, pend < 0 ? rest : rest.slice(0, pend), file);
}

export interface InStreamProcs {
  readonly procs: Map<string, ProcDefinition>;
  /** The job's statements without the PROC … PEND blocks. */
  readonly rest: JclStatement[];
}

/** Takes the in-stream procedures (`//name PROC` … `// PEND`) out of a job's statements. */
export function collectInStreamProcs(
  statements: readonly JclStatement[],
  file: string | undefined,
  diagnostics: Diagnostics,
): InStreamProcs {
  const procs = new Map<string, ProcDefinition>();
  const rest: JclStatement[] = [];
  for (let i = 0; i < statements.length; i++) {
    const statement = statements[i]!;
    if (statement.operation !== 'PROC') {
      rest.push(statement);
      continue;
    }
    let end = i + 1;
    while (end < statements.length && !['PEND', 'PROC'].includes(statements[end]!.operation)) end++;
    if (end === statements.length) end = -1;
    const stop = end < 0 ? statements.length : end;
    if (end < 0 || statements[end]?.operation !== 'PEND') {
      diagnostics.warn(
        'PROC_WITHOUT_PEND',
        `in-stream PROC ${statement.name ?? ''} is not ended by PEND`,
        statement.line,
      );
    }
    const name = (statement.name ?? '').toUpperCase();
    procs.set(name, defineProc(name, statement, statements.slice(i + 1, stop), file));
    i = end >= 0 && statements[end]?.operation === 'PEND' ? end : stop - 1;
  }
  return { procs, rest };
}

export function describeInStreamProc(proc: ProcDefinition): JclInStreamProc {
  return { name: proc.name, line: proc.line ?? 0, defaults: Object.fromEntries(proc.defaults) };
}
