/**
 * Resolves PERFORM / GO TO / ALTER / CICS HANDLE targets to procedure units and computes, per program,
 * which paragraphs are never performed and which are unreachable.
 */
import type { ControlFlowEdge } from './analysis-types.js';
import type { UnitFacts } from './procedure.js';
import type { ProcedureUnit } from './structure.js';

export interface ControlFlowResult {
  neverPerformed: ProcedureUnit[];
  unreachable: ProcedureUnit[];
}

/** Index of the unit a procedure name designates: a paragraph (qualified, in the same section, or unique first), else a section. */
function resolver(
  units: readonly ProcedureUnit[],
): (name: string, qualifier: string | undefined, fromSection: string | undefined) => number {
  const paragraphs = new Map<string, number[]>();
  const sections = new Map<string, number>();
  units.forEach((u, i) => {
    if (u.name === undefined) return;
    const key = u.name.toUpperCase();
    if (u.kind === 'paragraph') paragraphs.set(key, [...(paragraphs.get(key) ?? []), i]);
    else if (u.kind === 'section' && !sections.has(key)) sections.set(key, i);
  });
  return (name, qualifier, fromSection) => {
    const key = name.toUpperCase();
    const candidates = paragraphs.get(key) ?? [];
    const inSection = (section: string | undefined) =>
      candidates.find((i) => units[i]!.section?.toUpperCase() === section?.toUpperCase());
    const paragraph =
      qualifier !== undefined ? inSection(qualifier) : (inSection(fromSection) ?? candidates[0]);
    return paragraph ?? sections.get(key) ?? -1;
  };
}

/** Last unit index of the section whose section unit is at `index` (the unit itself for a paragraph). */
function extent(units: readonly ProcedureUnit[], index: number): number {
  const unit = units[index]!;
  if (unit.kind !== 'section') return index;
  let last = index;
  while (
    last + 1 < units.length &&
    units[last + 1]!.kind === 'paragraph' &&
    units[last + 1]!.section === unit.name
  )
    last++;
  return last;
}

/**
 * Marks each edge `resolved` and returns the never-performed and unreachable paragraphs of one program.
 *
 * - *Never performed*: a paragraph that no PERFORM (nor SORT/MERGE INPUT/OUTPUT PROCEDURE) names,
 *   neither as target nor inside a `THRU` range; performing a section performs all its paragraphs.
 * - *Unreachable*: a paragraph not reachable from the entry points over these edges: the first unit of
 *   the procedure division after the declaratives, every declarative unit, every unit with an ENTRY
 *   statement; PERFORM / GO TO / ALTER / CICS HANDLE targets (for `THRU`, every unit of the range; for a
 *   section, the section and its paragraphs); fall-through from a unit to the next one unless it ends
 *   with an unconditional transfer (see `walkProcedure`), and never out of the declaratives. A performed
 *   paragraph is assumed to fall through like any other, which can only add reachable paragraphs, so
 *   a paragraph reported unreachable is dead code whatever the data (dynamic ALTER excepted, which is
 *   followed as an edge too).
 */
export function analyzeControlFlow(
  facts: readonly UnitFacts[],
  edges: readonly ControlFlowEdge[],
  edgeUnits: readonly ProcedureUnit[],
): ControlFlowResult {
  const units = facts.map((f) => f.unit);
  const resolve = resolver(units);
  const unitIndex = new Map(units.map((u, i) => [u, i]));
  // Successor ranges [first, last] per unit, kept as ranges so a THRU range costs O(1) per edge here.
  const successors: [number, number][][] = units.map(() => []);
  // Difference array: performed[i] > 0 after the prefix sum when some PERFORM covers unit i.
  const performedDelta = new Array<number>(units.length + 1).fill(0);
  edges.forEach((edge, e) => {
    const holder = edgeUnits[e]!;
    // ALTER p1 TO p2 changes where p1's GO TO goes: the edge leaves p1, not the ALTER statement.
    const fromIndex =
      edge.kind === 'alter' && edge.from !== undefined
        ? resolve(edge.from, undefined, holder.section)
        : (unitIndex.get(holder) ?? -1);
    const fromSection = holder.section;
    const target = resolve(edge.to, edge.qualifier, fromSection);
    const thru = edge.thru === undefined ? target : resolve(edge.thru, undefined, fromSection);
    edge.resolved = target >= 0 && thru >= 0;
    if (target < 0 || fromIndex < 0) return;
    const last = Math.max(extent(units, thru < 0 ? target : thru), target);
    successors[fromIndex]!.push([target, last]);
    if (edge.kind === 'perform') {
      performedDelta[target]!++;
      performedDelta[last + 1]!--;
    }
  });
  let covering = 0;
  const performed = units.map((_, i) => {
    covering += performedDelta[i]!;
    return covering > 0;
  });
  const firstMain = units.findIndex((u) => !u.declarative);
  const roots = units
    .map((_, i) => i)
    .filter((i) => i === firstMain || units[i]!.declarative || facts[i]!.entry);
  const reached = new Array<boolean>(units.length).fill(false);
  const work = [...roots];
  const reach = (i: number) => {
    if (!reached[i]) {
      reached[i] = true;
      work.push(i);
    }
  };
  for (const r of roots) reached[r] = true;
  while (work.length > 0) {
    const i = work.pop()!;
    for (const [first, last] of successors[i]!) for (let k = first; k <= last; k++) reach(k);
    const next = units[i + 1];
    if (facts[i]!.fallsThrough && next && next.declarative === units[i]!.declarative) reach(i + 1);
  }
  const paragraphs = units.map((u, i) => ({ u, i })).filter(({ u }) => u.kind === 'paragraph');
  return {
    neverPerformed: paragraphs.filter(({ i }) => !performed[i]).map(({ u }) => u),
    unreachable: paragraphs.filter(({ i }) => !reached[i]).map(({ u }) => u),
  };
}
