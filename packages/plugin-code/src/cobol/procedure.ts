/**
 * Second analyser pass over each procedure unit (paragraph, section prologue, division prologue): counts
 * statements and decision points, follows statement nesting, and collects PERFORM / GO TO / ALTER
 * edges, CALLs, EXEC blocks and error conditions. One linear walk; no backtracking beyond a statement.
 *
 * Decision points (McCabe), each +1:
 * - `IF` (so `ELSE IF` counts once, for its IF; `ELSE` itself does not count);
 * - `WHEN` of EVALUATE or SEARCH, except `WHEN OTHER`;
 * - `UNTIL` (PERFORM … UNTIL, PERFORM … VARYING … UNTIL; each AFTER … UNTIL again); `PERFORM n TIMES` does not count;
 * - `AND`, `OR` (in conditions; EXEC SQL text is not looked at);
 * - the conditional phrases `AT END`, `AT END-OF-PAGE` / `EOP`, `INVALID KEY`, `ON SIZE ERROR`, `ON OVERFLOW`,
 *   `ON EXCEPTION`, each of their `NOT …` forms counting once more.
 * GO TO … DEPENDING ON is not counted.
 *
 * Nesting: IF, EVALUATE, SEARCH, inline PERFORM and a conditional phrase open a scope, closed by the
 * matching END- word or by the period. A statement is *unconditional* when no scope is open. A unit
 * does not fall through to the next one when it has an unconditional GO TO (without DEPENDING),
 * GOBACK, STOP RUN, EXIT PROGRAM, CALL of an abend routine, or EXEC CICS RETURN / XCTL / ABEND.
 */
import type { CallInfo, ControlFlowEdge, DataItem, HandledCondition } from './analysis-types.js';
import { type ConditionName, comparisonsAt, errorCodesInMessage, type TrackedFields } from './conditions.js';
import { describeCics, type ExecBlock } from './exec-blocks.js';
import { type Scope, ScopeStack } from './scope-stack.js';
import type { ProcedureUnit } from './structure.js';
import { type CobolToken, literalValue } from './tokenizer.js';
import { ABEND_ROUTINES, canBeParagraphName, constantValue, isVerb, isWord, PHRASE_OWNERS } from './words.js';

export interface UnitFacts {
  unit: ProcedureUnit;
  statementCount: number;
  decisions: number;
  fallsThrough: boolean;
  /** Contains an ENTRY statement (an alternate entry point). */
  entry: boolean;
}

export interface ProcedureFacts {
  units: UnitFacts[];
  edges: ControlFlowEdge[];
  /** The unit holding the statement of each edge (parallel to `edges`). */
  edgeUnits: ProcedureUnit[];
  calls: CallInfo[];
  /** Paragraph holding each EXEC block of the procedure division, by the index of its EXEC token. */
  execParagraphs: Map<number, string | undefined>;
  conditions: HandledCondition[];
}

export interface ProcedureContext {
  tokens: readonly CobolToken[];
  execBlocks: ReadonlyMap<number, ExecBlock>;
  program: string | undefined;
  tracked: TrackedFields;
  conditionNames: ReadonlyMap<string, ConditionName>;
  /** Data items by upper-cased name (first declaration wins). */
  dataItems: ReadonlyMap<string, DataItem>;
}

/** Walks every unit of one program; see the module comment. */
export function walkProcedure(units: readonly ProcedureUnit[], ctx: ProcedureContext): ProcedureFacts {
  const facts: ProcedureFacts = {
    units: [],
    edges: [],
    edgeUnits: [],
    calls: [],
    execParagraphs: new Map(),
    conditions: [],
  };
  for (const unit of units) facts.units.push(new UnitWalker(unit, ctx, facts).walk());
  return facts;
}

/** `ON SIZE ERROR` → `SIZE` …: the key of {@link PHRASE_OWNERS} for the conditional phrase at `i`, if any. */
function phraseAt(tokens: readonly CobolToken[], i: number): string | undefined {
  const t = tokens[i]!;
  const prev = tokens[i - 1];
  if (isWord(t, 'END') && isWord(prev, 'AT')) return 'AT END';
  if (isWord(t, 'END-OF-PAGE', 'EOP') && isWord(prev, 'AT')) return 'END-OF-PAGE';
  if (isWord(t, 'INVALID')) return 'INVALID';
  if (isWord(t, 'SIZE') && isWord(tokens[i + 1], 'ERROR')) return 'SIZE';
  if (isWord(t, 'OVERFLOW')) return 'OVERFLOW';
  if (isWord(t, 'EXCEPTION') && !isWord(tokens[i + 1], 'PROCEDURE') && !isWord(prev, 'AFTER', 'STANDARD')) {
    return 'EXCEPTION';
  }
  return undefined;
}

class UnitWalker {
  private readonly tokens: readonly CobolToken[];
  private readonly stack = new ScopeStack();
  /** The last statement verb and the nesting depth it was seen at, for conditional phrase ownership. */
  private pending: { verb: string; depth: number } | undefined;
  private readonly result: UnitFacts;

  constructor(
    private readonly unit: ProcedureUnit,
    private readonly ctx: ProcedureContext,
    private readonly facts: ProcedureFacts,
  ) {
    this.tokens = ctx.tokens;
    this.result = { unit, statementCount: 0, decisions: 0, fallsThrough: true, entry: false };
  }

  private get paragraph(): string | undefined {
    return this.unit.name;
  }

  /** Program, paragraph and origin of a fact located at token `t`. */
  private where(t: CobolToken): { paragraph?: string; program?: string; file?: string; line: number } {
    return {
      ...(this.paragraph === undefined ? {} : { paragraph: this.paragraph }),
      ...(this.ctx.program === undefined ? {} : { program: this.ctx.program }),
      ...(t.file === undefined ? {} : { file: t.file }),
      line: t.line,
    };
  }

  walk(): UnitFacts {
    const { tokens } = this;
    for (let i = this.unit.start; i <= this.unit.end; i++) {
      const exec = this.ctx.execBlocks.get(i);
      if (exec) {
        this.statement('EXEC');
        this.execBlock(exec);
        i = exec.end;
        continue;
      }
      const t = tokens[i]!;
      if (t.kind === 'period') {
        this.stack.clear();
        this.pending = undefined;
        continue;
      }
      if (t.kind !== 'word') continue;
      if (isVerb(t)) {
        this.statement(t.upper);
        this.verb(i);
      } else if (t.upper.startsWith('END-')) {
        this.close(t.upper.slice(4));
      } else {
        this.keyword(i);
      }
      if (this.ctx.tracked.has(t.upper) && !isWord(tokens[i - 1], 'MOVE', 'SET')) this.comparison(i);
      const conditionName = this.ctx.conditionNames.get(t.upper);
      if (conditionName && !isWord(tokens[i - 1], 'SET')) this.conditionNameUse(conditionName, t);
    }
    return this.result;
  }

  private statement(verb: string): void {
    this.result.statementCount++;
    this.pending = { verb, depth: this.stack.depth };
  }

  /** Marks the unit as not falling through when a transfer happens outside any nested scope. */
  private transfer(): void {
    if (this.stack.depth === 0) this.result.fallsThrough = false;
  }

  private close(kind: string): void {
    this.stack.close(kind);
    if (this.pending && this.pending.depth > this.stack.depth) this.pending = undefined;
  }

  private keyword(i: number): void {
    const t = this.tokens[i]!;
    if (isWord(t, 'AND', 'OR', 'UNTIL')) {
      this.result.decisions++;
      return;
    }
    if (isWord(t, 'WHEN')) {
      if (!isWord(this.tokens[i + 1], 'OTHER')) {
        this.result.decisions++;
        this.whenValues(i);
      }
      return;
    }
    const phrase = phraseAt(this.tokens, i);
    if (!phrase) return;
    this.result.decisions++;
    const pending = this.pending;
    if (pending && pending.depth === this.stack.depth && PHRASE_OWNERS.get(phrase)!.has(pending.verb)) {
      this.stack.push({ kind: pending.verb });
      this.pending = undefined;
    }
  }

  private verb(i: number): void {
    const t = this.tokens[i]!;
    const next = this.tokens[i + 1];
    switch (t.upper) {
      case 'IF':
        this.result.decisions++;
        this.stack.push({ kind: 'IF' });
        break;
      case 'EVALUATE':
        this.stack.push({ kind: 'EVALUATE', ...this.evaluateSubject(i) });
        break;
      case 'SEARCH':
        this.stack.push({ kind: 'SEARCH' });
        break;
      case 'PERFORM':
        this.perform(i);
        break;
      case 'GO':
        this.goTo(i);
        break;
      case 'ALTER':
        this.alter(i);
        break;
      case 'CALL':
        this.call(i);
        break;
      case 'SORT':
      case 'MERGE':
        this.sortProcedures(i);
        break;
      case 'MOVE':
      case 'COMPUTE':
        this.returnCode(i);
        break;
      case 'DISPLAY':
        this.display(i);
        break;
      case 'GOBACK':
        this.transfer();
        break;
      case 'STOP':
        if (isWord(next, 'RUN')) this.transfer();
        break;
      case 'EXIT':
        if (isWord(next, 'PROGRAM')) this.transfer();
        break;
      case 'ENTRY':
        this.result.entry = true;
        break;
    }
  }

  private edge(
    kind: ControlFlowEdge['kind'],
    to: string,
    at: CobolToken,
    extra: Partial<ControlFlowEdge> = {},
    from = this.paragraph,
  ): void {
    const { paragraph: _paragraph, ...where } = this.where(at);
    this.facts.edges.push({
      kind,
      ...(from === undefined ? {} : { from }),
      to,
      ...extra,
      resolved: false,
      ...where,
    });
    this.facts.edgeUnits.push(this.unit);
  }

  /** A procedure name at `i` with an optional `OF|IN section` qualifier: the name token and the index after. */
  private procedureName(i: number): { name: CobolToken; qualifier?: string; next: number } | undefined {
    const name = this.tokens[i];
    if (!name || !canBeParagraphName(name)) return undefined;
    if (isWord(this.tokens[i + 1], 'OF', 'IN') && this.tokens[i + 2]) {
      return { name, qualifier: this.tokens[i + 2]!.text, next: i + 3 };
    }
    return { name, next: i + 1 };
  }

  private perform(i: number): void {
    const tokens = this.tokens;
    const first = tokens[i + 1];
    const inline =
      first?.kind !== 'word' ||
      isWord(first, 'UNTIL', 'VARYING', 'WITH', 'TEST', 'FOREVER') ||
      isVerb(first) ||
      first.upper.startsWith('END-') ||
      isWord(tokens[i + 2], 'TIMES');
    if (inline) {
      this.stack.push({ kind: 'PERFORM' });
      return;
    }
    const target = this.procedureName(i + 1);
    if (!target) return;
    let j = target.next;
    let thru: string | undefined;
    if (isWord(tokens[j], 'THRU', 'THROUGH')) {
      const end = this.procedureName(j + 1);
      if (end) {
        thru = end.name.text;
        j = end.next;
      }
    }
    while (isWord(tokens[j], 'WITH', 'TEST', 'BEFORE', 'AFTER')) j++;
    let loop: ControlFlowEdge['loop'];
    if (isWord(tokens[j], 'UNTIL')) loop = 'until';
    else if (isWord(tokens[j], 'VARYING')) loop = 'varying';
    else if (isWord(tokens[j + 1], 'TIMES')) loop = 'times';
    this.edge('perform', target.name.text, tokens[i]!, {
      ...(thru === undefined ? {} : { thru }),
      ...(loop === undefined ? {} : { loop }),
      ...(target.qualifier === undefined ? {} : { qualifier: target.qualifier }),
    });
  }

  private goTo(i: number): void {
    const tokens = this.tokens;
    let j = i + 1;
    if (isWord(tokens[j], 'TO')) j++;
    const targets: { name: CobolToken; qualifier?: string }[] = [];
    for (;;) {
      while (tokens[j]?.kind === 'separator') j++;
      if (isWord(tokens[j], 'DEPENDING')) break;
      const target = this.procedureName(j);
      if (!target) break;
      targets.push(target);
      j = target.next;
    }
    if (isWord(tokens[j], 'DEPENDING')) {
      let k = j + 1;
      if (isWord(tokens[k], 'ON')) k++;
      const dependingOn = tokens[k]?.text ?? '';
      for (const target of targets) this.edge('goto', target.name.text, tokens[i]!, { dependingOn });
      return;
    }
    const target = targets[0];
    if (target) {
      this.edge(
        'goto',
        target.name.text,
        tokens[i]!,
        target.qualifier === undefined ? {} : { qualifier: target.qualifier },
      );
    }
    // `GO TO.` without a target is an altered GO: it transfers control too.
    this.transfer();
  }

  /** `ALTER p1 TO [PROCEED TO] p2 …`: p1's GO TO now goes to p2 — an edge from p1. */
  private alter(i: number): void {
    const tokens = this.tokens;
    let j = i + 1;
    for (;;) {
      while (tokens[j]?.kind === 'separator') j++;
      const altered = this.procedureName(j);
      if (!altered || !isWord(tokens[altered.next], 'TO')) return;
      j = altered.next + 1;
      if (isWord(tokens[j], 'PROCEED') && isWord(tokens[j + 1], 'TO')) j += 2;
      const target = this.procedureName(j);
      if (!target) return;
      this.edge('alter', target.name.text, tokens[i]!, {}, altered.name.text);
      j = target.next;
    }
  }

  /** SORT / MERGE … INPUT|OUTPUT PROCEDURE [IS] p1 [THRU p2]: performed like PERFORM p1 THRU p2. */
  private sortProcedures(i: number): void {
    const tokens = this.tokens;
    for (let j = i + 1; j < tokens.length && tokens[j]!.kind !== 'period' && !isVerb(tokens[j]); j++) {
      if (!isWord(tokens[j], 'INPUT', 'OUTPUT') || !isWord(tokens[j + 1], 'PROCEDURE')) continue;
      let k = j + 2;
      if (isWord(tokens[k], 'IS')) k++;
      const target = this.procedureName(k);
      if (!target) continue;
      let thru: string | undefined;
      if (isWord(tokens[target.next], 'THRU', 'THROUGH'))
        thru = this.procedureName(target.next + 1)?.name.text;
      this.edge('perform', target.name.text, tokens[i]!, thru === undefined ? {} : { thru });
      j = k;
    }
  }

  private call(i: number): void {
    const tokens = this.tokens;
    const at = tokens[i]!;
    const target = tokens[i + 1];
    if (!target || (target.kind !== 'literal' && target.kind !== 'word')) return;
    const using: CobolToken[] = [];
    let j = i + 2;
    if (isWord(tokens[j], 'USING')) {
      for (j++; j < tokens.length; j++) {
        const arg = tokens[j]!;
        if (
          arg.kind === 'separator' ||
          isWord(arg, 'BY', 'REFERENCE', 'CONTENT', 'VALUE', 'ADDRESS', 'OF', 'LENGTH')
        ) {
          continue;
        }
        if ((arg.kind !== 'word' && arg.kind !== 'literal') || isVerb(arg)) break;
        if (isWord(arg, 'RETURNING', 'ON', 'NOT', 'EXCEPTION', 'OVERFLOW') || arg.upper.startsWith('END-'))
          break;
        using.push(arg);
      }
    }
    const isStatic = target.kind === 'literal';
    const initialValue = isStatic ? undefined : this.ctx.dataItems.get(target.upper)?.values?.[0];
    const { paragraph, ...rest } = this.where(at);
    this.facts.calls.push({
      target: isStatic ? literalValue(target) : target.text,
      kind: isStatic ? 'static' : 'dynamic',
      ...(initialValue === undefined ? {} : { initialValue }),
      using: using.map((u) => (u.kind === 'literal' ? literalValue(u) : u.text)),
      ...(paragraph === undefined ? {} : { paragraph }),
      ...rest,
    });
    const routine = (isStatic ? literalValue(target) : (initialValue ?? '')).toUpperCase();
    if (ABEND_ROUTINES.has(routine)) {
      const code = using[0];
      const value = code
        ? (constantValue(code) ?? this.ctx.dataItems.get(code.upper)?.values?.[0])
        : undefined;
      this.condition({ kind: 'abend', value, source: 'call', subject: routine }, at);
      this.transfer();
    }
  }

  /** `MOVE constant TO … RETURN-CODE …`, `COMPUTE RETURN-CODE = constant`. */
  private returnCode(i: number): void {
    const tokens = this.tokens;
    const at = tokens[i]!;
    if (at.upper === 'COMPUTE') {
      if (isWord(tokens[i + 1], 'RETURN-CODE') && tokens[i + 2]?.text === '=') {
        const value = constantValue(tokens[i + 3]);
        const after = tokens[i + 4];
        if (
          value !== undefined &&
          (!after || after.kind === 'period' || isVerb(after) || after.upper.startsWith('END-'))
        ) {
          this.condition({ kind: 'return-code', value, source: 'move', subject: 'RETURN-CODE' }, at);
        }
      }
      return;
    }
    const value = constantValue(tokens[i + 1]);
    if (value === undefined || !isWord(tokens[i + 2], 'TO')) return;
    for (let j = i + 3; tokens[j]?.kind === 'word' || tokens[j]?.kind === 'separator'; j++) {
      if (isVerb(tokens[j])) break;
      if (isWord(tokens[j], 'RETURN-CODE')) {
        this.condition({ kind: 'return-code', value, source: 'move', subject: 'RETURN-CODE' }, at);
      }
    }
  }

  /** Error codes in the literals of a DISPLAY statement. */
  private display(i: number): void {
    const tokens = this.tokens;
    for (let j = i + 1; j < tokens.length; j++) {
      const t = tokens[j]!;
      if (
        t.kind === 'period' ||
        isVerb(t) ||
        isWord(t, 'UPON', 'WITH', 'ELSE', 'WHEN') ||
        t.upper.startsWith('END-')
      )
        break;
      if (t.kind !== 'literal') continue;
      const text = literalValue(t);
      for (const code of errorCodesInMessage(text)) {
        this.condition({ kind: code.kind, value: code.value, source: 'display', subject: text }, t);
      }
    }
  }

  /** `EVALUATE field` with a tracked field as the (only) subject. */
  private evaluateSubject(i: number): Pick<Scope, 'subject'> {
    const subject = this.tokens[i + 1];
    const kind = subject ? this.ctx.tracked.get(subject.upper) : undefined;
    if (!subject || !kind || isWord(this.tokens[i + 2], 'ALSO')) return {};
    return { subject: { name: subject.text, kind } };
  }

  /** `WHEN constant [THRU constant]` of an EVALUATE whose subject is tracked. */
  private whenValues(i: number): void {
    const subject = this.stack.selection()?.subject;
    if (!subject) return;
    const value = constantValue(this.tokens[i + 1]);
    if (value === undefined) return;
    let text = value;
    if (isWord(this.tokens[i + 2], 'THRU', 'THROUGH')) {
      const high = constantValue(this.tokens[i + 3]);
      if (high !== undefined) text = `${value} THRU ${high}`;
    }
    this.condition(
      { kind: subject.kind, value: text, operator: '=', source: 'evaluate-when', subject: subject.name },
      this.tokens[i]!,
    );
  }

  private comparison(i: number): void {
    const t = this.tokens[i]!;
    const kind = this.ctx.tracked.get(t.upper)!;
    for (const c of comparisonsAt(this.tokens, i)) {
      this.condition(
        { kind, value: c.value, operator: c.operator, source: 'comparison', subject: t.text },
        t,
      );
    }
  }

  private conditionNameUse(name: ConditionName, at: CobolToken): void {
    for (const value of name.values) {
      this.condition(
        { kind: name.kind, value, operator: '=', source: 'condition-name', subject: name.name },
        at,
      );
    }
  }

  private condition(
    fact: Pick<HandledCondition, 'kind' | 'value' | 'source' | 'subject' | 'operator'>,
    at: CobolToken,
  ): void {
    this.facts.conditions.push({ ...fact, ...this.where(at) });
  }

  /** Records the block's paragraph; EXEC CICS RETURN / XCTL / ABEND transfer control, ABEND raises a condition. */
  private execBlock(exec: ExecBlock): void {
    this.facts.execParagraphs.set(exec.start, this.paragraph);
    if (exec.language !== 'CICS') return;
    const at = this.tokens[exec.start]!;
    const cics = describeCics(exec.body);
    if (cics.command === 'RETURN' || cics.command === 'XCTL' || cics.command === 'ABEND') this.transfer();
    if (cics.command === 'ABEND') {
      const code = cics.options.find((o) => o.name === 'ABCODE')?.value;
      this.condition({ kind: 'abend', value: code, source: 'exec-cics', subject: 'EXEC CICS ABEND' }, at);
    }
    // HANDLE CONDITION / AID name(label) and HANDLE ABEND LABEL(label) branch to the label.
    if (
      cics.command === 'HANDLE CONDITION' ||
      cics.command === 'HANDLE AID' ||
      cics.command === 'HANDLE ABEND'
    ) {
      for (const option of cics.options) {
        const isLabel = cics.command === 'HANDLE ABEND' ? option.name === 'LABEL' : true;
        if (isLabel && option.value && /^[A-Z0-9][A-Z0-9-]*$/i.test(option.value))
          this.edge('cics-handle', option.value, at);
      }
    }
  }
}
