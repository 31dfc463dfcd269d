import type { DetectedPattern, DetectionIncident, DetectionSettings } from './detection-types.js';
import {
  dominantComponent,
  highestSeverity,
  iso,
  ranked,
  round4,
  sizeConfidence,
} from './pattern-summary.js';
import { binomialTail } from './poisson.js';
import { stableId } from './stable-id.js';

/** An `error` pattern: one error code recurring in at least `minIncidents` incidents. */
export function errorPatternOf(code: string, incidents: readonly DetectionIncident[]): DetectedPattern {
  const components = ranked(incidents.map((i) => i.component));
  const first = incidents[0]!;
  const last = incidents[incidents.length - 1]!;
  const where =
    components.length === 0
      ? ''
      : ` on ${components.length === 1 ? components[0]![0] : `${components.length} components (most on ${components[0]![0]})`}`;
  return {
    id: stableId('pat', 'error', code),
    type: 'error',
    description: `${code} recurred in ${incidents.length} incidents${where}`,
    confidence: round4(sizeConfidence(incidents.length)),
    severity: highestSeverity(incidents),
    component: dominantComponent(incidents),
    errorCode: code,
    firstSeen: iso(first.time),
    lastSeen: iso(last.time),
    metadata: { components: Object.fromEntries(components.slice(0, 10)), detector: 'error-code' },
    members: incidents.map((i) => ({ incidentId: i.id, correlationScore: 1 })),
  };
}

/**
 * How unlikely it is that `count` of a code's `codeTotal` incidents fall on a component that has `share` of
 * all incidents, if the code struck components in proportion to their size (binomial tail).
 */
export function concentrationPValue(count: number, codeTotal: number, share: number): number {
  return binomialTail(count, codeTotal, share);
}

/**
 * A `component` pattern: one error code concentrated on one component — more of its incidents there than
 * the component's share of all incidents explains (binomial tail below `burstAlpha`), while the code also
 * occurs elsewhere (otherwise the code's `error` pattern already names the component).
 */
export function componentPatternOf(
  component: string,
  code: string,
  incidents: readonly DetectionIncident[],
  codeTotal: number,
  share: number,
): DetectedPattern {
  const first = incidents[0]!;
  const last = incidents[incidents.length - 1]!;
  const p = concentrationPValue(incidents.length, codeTotal, share);
  return {
    id: stableId('pat', 'component', component, code),
    type: 'component',
    description: `${code} concentrated on ${component}: ${incidents.length} of its ${codeTotal} incidents, where ${component} has ${(share * 100).toFixed(1)}% of all incidents`,
    confidence: round4(Math.min(1, -Math.log10(Math.max(p, 1e-300)) / 10) * sizeConfidence(incidents.length)),
    severity: highestSeverity(incidents),
    component,
    errorCode: code,
    firstSeen: iso(first.time),
    lastSeen: iso(last.time),
    metadata: { detector: 'component-concentration', codeTotal, share: round4(share), pValue: p },
    members: incidents.map((i) => ({ incidentId: i.id, correlationScore: 1 })),
  };
}

/** Groups time-ordered incidents by error code (and by code on each component); frequent ones are patterns. */
export function detectErrorPatterns(
  sorted: readonly DetectionIncident[],
  settings: DetectionSettings,
): DetectedPattern[] {
  const perComponent = new Map<string, number>();
  for (const i of sorted)
    if (i.component !== null) perComponent.set(i.component, (perComponent.get(i.component) ?? 0) + 1);
  const byCode = new Map<string, DetectionIncident[]>();
  for (const incident of sorted) {
    for (const code of incident.codes) {
      let list = byCode.get(code);
      if (!list) {
        list = [];
        byCode.set(code, list);
      }
      list.push(incident);
    }
  }
  const out: DetectedPattern[] = [];
  for (const [code, incidents] of byCode) {
    if (incidents.length < settings.minIncidents) continue;
    out.push(errorPatternOf(code, incidents));
    const byComponent = new Map<string, DetectionIncident[]>();
    for (const incident of incidents) {
      if (incident.component === null) continue;
      let list = byComponent.get(incident.component);
      if (!list) {
        list = [];
        byComponent.set(incident.component, list);
      }
      list.push(incident);
    }
    for (const [component, list] of byComponent) {
      const share = (perComponent.get(component) ?? 0) / sorted.length;
      if (
        list.length >= settings.minIncidents &&
        list.length < incidents.length &&
        concentrationPValue(list.length, incidents.length, share) < settings.burstAlpha
      ) {
        out.push(componentPatternOf(component, code, list, incidents.length, share));
      }
    }
  }
  return out;
}
