import { CodeAnalysisError } from '../errors.js';
import { describeDd, mergeDd } from './dd.js';
import type { Diagnostics } from './diagnostics.js';
import { keywordRecord } from './operands.js';
import { setKeyword } from './params.js';
import type { ProcDefinition } from './procs.js';
import { buildSteps, type StepEntry } from './steps.js';
import { type SymbolUsage, symbolValue } from './symbols.js';
import type { JclExpandedStep, JclStep, JclUnresolvedProc } from './types.js';

export interface ExpansionEnvironment {
  readonly file: string | undefined;
  readonly maxProcDepth: number;
  /** In-stream procedure first, then the cataloged one (`undefined` when neither exists). */
  readonly lookupProc: (name: string) => ProcDefinition | undefined;
  readonly usage: SymbolUsage;
  readonly diagnostics: Diagnostics;
  readonly unresolved: JclUnresolvedProc[];
}

/** The public view of a step. */
export function describeStep(step: StepEntry): JclStep {
  return {
    ...(step.name === undefined ? {} : { name: step.name }),
    line: step.line,
    ...(step.member === undefined ? {} : { member: step.member }),
    operands: step.operands,
    ...(step.program === undefined ? {} : { program: step.program }),
    ...(step.proc === undefined ? {} : { proc: step.proc }),
    params: keywordRecord(step.params),
    symbolics: keywordRecord(step.symbolics),
    dds: step.dds.map(describeDd),
    conditions: step.conditions,
  };
}

interface ProcOrigin {
  readonly invokingStep: string;
  readonly procName: string;
}

function expandedStep(
  step: StepEntry,
  path: readonly string[],
  origin: ProcOrigin | undefined,
): JclExpandedStep {
  return {
    ...describeStep(step),
    path,
    qualifiedName: path.join('.'),
    ...(origin === undefined
      ? {}
      : {
          invokingStep: origin.invokingStep,
          procName: origin.procName,
          ...(step.name ? { procStep: step.name } : {}),
        }),
  };
}

/**
 * Applies EXEC parameters of a PROC call to the procedure's steps: `KEYWORD.procstep=` to that step;
 * unqualified PARM to the first step only (nullifying PARM on the others); any other unqualified
 * keyword (COND, REGION, TIME…) to every step. An empty value nullifies the parameter.
 */
function applyExecOverrides(
  steps: readonly StepEntry[],
  call: StepEntry,
  proc: ProcDefinition,
  env: ExpansionEnvironment,
) {
  for (const param of call.params) {
    const [keyword = '', target] = (param.keyword ?? '').split('.');
    if (target !== undefined) {
      const step = steps.find((s) => s.name === target);
      if (step) step.params = setKeyword(step.params, keyword, param);
      else
        env.diagnostics.warn(
          'OVERRIDE_NO_STEP',
          `${param.keyword} names no step of PROC ${proc.name}`,
          call.line,
          call.member,
        );
    } else {
      steps.forEach((step, i) => {
        const nullified = (keyword === 'PARM' || keyword === 'PARMDD') && i > 0;
        step.params = setKeyword(step.params, keyword, nullified ? { ...param, raw: '' } : param);
      });
    }
  }
}

/**
 * Applies the caller's DDs to the procedure's steps: `procstep.ddname` overrides the step's DD of that
 * name (or is added to it); a DD without procstep applies to the first step.
 */
function applyDdOverrides(
  steps: readonly StepEntry[],
  call: StepEntry,
  proc: ProcDefinition,
  env: ExpansionEnvironment,
) {
  for (const dd of call.dds) {
    const step = dd.procStep === undefined ? steps[0] : steps.find((s) => s.name === dd.procStep);
    if (!step) {
      const name = dd.procStep === undefined ? dd.name : `${dd.procStep}.${dd.name}`;
      env.diagnostics.warn(
        'OVERRIDE_NO_STEP',
        `DD ${name} names no step of PROC ${proc.name}`,
        dd.line,
        dd.member,
      );
      continue;
    }
    const { procStep: _, ...added } = dd;
    const index = step.dds.findIndex((existing) => existing.name === dd.name);
    if (index < 0) step.dds.push(added);
    else step.dds[index] = mergeDd(step.dds[index]!, dd);
  }
}

/** Expands PROC calls (in-stream, cataloged, nested) into the steps that actually run. */
export class ProcExpander {
  constructor(private readonly env: ExpansionEnvironment) {}

  /** `stack`: the procedures being expanded, outermost first (for cycle and depth checks). */
  expand(
    steps: readonly StepEntry[],
    stack: readonly string[] = [],
    prefix: readonly string[] = [],
    origin?: ProcOrigin,
  ) {
    return steps.flatMap((step) => this.expandStep(step, stack, [...prefix, step.name ?? ''], origin));
  }

  private expandStep(
    step: StepEntry,
    stack: readonly string[],
    path: readonly string[],
    origin: ProcOrigin | undefined,
  ): JclExpandedStep[] {
    if (step.proc === undefined) return [expandedStep(step, path, origin)];
    const proc = this.env.lookupProc(step.proc);
    if (!proc) {
      this.env.unresolved.push({
        name: step.proc,
        ...(step.name ? { step: step.name } : {}),
        line: step.line,
      });
      return [expandedStep(step, path, origin)];
    }
    const where = { file: this.env.file, line: step.line };
    if (stack.includes(proc.name)) {
      throw new CodeAnalysisError(
        'PROC_CYCLE',
        `PROC ${[...stack, proc.name].join(' → ')} invokes itself`,
        where,
      );
    }
    if (stack.length >= this.env.maxProcDepth) {
      throw new CodeAnalysisError('PROC_DEPTH', `PROC nesting deeper than ${this.env.maxProcDepth}`, where);
    }
    const inner = buildSteps(proc.body, {
      file: this.env.file,
      ...(proc.member === undefined ? {} : { member: proc.member }),
      globals: new Map(step.globals),
      locals: this.procSymbols(step, proc),
      usage: this.env.usage,
      diagnostics: this.env.diagnostics,
      conditionPrefix: step.conditions,
      isJob: false,
    }).steps;
    applyExecOverrides(inner, step, proc, this.env);
    applyDdOverrides(inner, step, proc, this.env);
    return this.expand(inner, [...stack, proc.name], path, {
      invokingStep: origin?.invokingStep ?? path[0] ?? '',
      procName: proc.name,
    });
  }

  /** PROC defaults overridden by the EXEC's symbolic parameters. */
  private procSymbols(step: StepEntry, proc: ProcDefinition): Map<string, string> {
    const symbols = new Map(proc.defaults);
    for (const param of step.symbolics) {
      const name = param.keyword!;
      if (!proc.defaults.has(name) && !proc.references.has(name)) {
        this.env.diagnostics.warn(
          'UNUSED_SYMBOL',
          `symbolic ${name} is not used by PROC ${proc.name}`,
          step.line,
          step.member,
        );
      }
      symbols.set(name, symbolValue(param.raw));
    }
    return symbols;
  }
}
