import {
  formatTable,
  type PluginCommand,
  type PluginCommandContext,
  type Severity,
} from '@mainframe-kb/storage-core';
import type { Pattern, PatternCriteria, PatternDetail, PatternType } from '../types.js';
import { numberOption, patternsApiOf, stringOption } from './command-options.js';
import { clip } from './text-table.js';

const USAGE =
  'kb patterns detect | list [--type t] [--severity s] [--component c] [--min-confidence x] [--text q] [--limit n] | show <id>';

function patternRows(patterns: readonly Pattern[]): string {
  if (patterns.length === 0) return 'No patterns.';
  return formatTable(
    ['ID', 'TYPE', 'CONF', 'N', 'SEVERITY', 'LAST SEEN', 'DESCRIPTION'],
    patterns.map((p) => [
      p.id,
      p.type,
      p.confidence.toFixed(2),
      String(p.frequency),
      p.severity ?? '-',
      p.lastSeen.slice(0, 16),
      clip(p.description, 80),
    ]),
  );
}

/** A pattern's incident as `kb patterns show` prints it: with the ticket the source system gave it. */
type ShownIncident = PatternDetail['incidents'][number] & { source: string; ticketId: string };

function patternText(p: Omit<PatternDetail, 'incidents'> & { incidents: ShownIncident[] }): string {
  return [
    `${p.id}  ${p.type}  ${p.status}  (${p.origin})`,
    p.description,
    `confidence ${p.confidence.toFixed(2)} · ${p.frequency} incidents · severity ${p.severity ?? '-'}`,
    `seen ${p.firstSeen} … ${p.lastSeen}${p.component ? ` · component ${p.component}` : ''}${p.errorCode ? ` · code ${p.errorCode}` : ''}`,
    '',
    `KB entries: ${p.kbLinks.length === 0 ? 'none' : p.kbLinks.map((l) => `${l.kbEntryId} (${l.linkType}, ${l.score.toFixed(2)})`).join(', ')}`,
    ...(p.suggestion
      ? [`Suggested KB entry (${p.suggestion.status}): ${p.suggestion.title} [${p.suggestion.category}]`]
      : []),
    '',
    `Incidents (${p.incidents.length}):`,
    ...p.incidents
      .slice(0, 50)
      .map((m) => `  ${m.source} ${m.ticketId}  ${m.correlationScore.toFixed(2)}  (${m.incidentId})`),
    ...(p.incidents.length > 50 ? [`  … and ${p.incidents.length - 50} more (--json lists them all)`] : []),
  ].join('\n');
}

function criteriaOf(ctx: PluginCommandContext): PatternCriteria {
  // Unknown types and severities are the API's to refuse (a validation error, exit 3).
  return {
    type: stringOption(ctx, 'type') as PatternType | undefined,
    severity: stringOption(ctx, 'severity') as Severity | undefined,
    component: stringOption(ctx, 'component'),
    minConfidence: numberOption(ctx, 'min-confidence'),
    text: stringOption(ctx, 'text'),
    limit: numberOption(ctx, 'limit'),
  };
}

/** `kb patterns detect|list|show`. */
export const patternsCommand: PluginCommand = {
  name: 'patterns',
  summary: 'detect, list and show incident patterns (MVP2, @mainframe-kb/plugin-patterns)',
  usage: USAGE,
  details: [
    'detect            run pattern detection over every incident; prints the summary',
    'list              patterns, most confident first, filtered by the options',
    'show <id>         one pattern with its incidents, KB links and suggested KB entry',
    '--type t          temporal | component | error | correlation',
    '--severity s      low | medium | high | critical',
  ],
  options: {
    type: { type: 'string' },
    severity: { type: 'string' },
    component: { type: 'string' },
    'min-confidence': { type: 'string' },
    text: { type: 'string' },
    limit: { type: 'string' },
  },
  positionals: { min: 1, max: 2 },
  async run(ctx) {
    const [action, id] = ctx.positionals;
    if (action !== 'detect' && action !== 'list' && action !== 'show') {
      throw ctx.usageError(`unknown patterns action '${action}'`);
    }
    if (action === 'show' ? id === undefined : id !== undefined) {
      throw ctx.usageError(action === 'show' ? 'show needs a pattern id' : `unexpected argument '${id}'`);
    }
    // Options are read before the store opens: a bad number is a usage error whatever the store.
    const criteria = action === 'list' ? criteriaOf(ctx) : {};
    const api = await patternsApiOf(ctx);
    if (action === 'detect') {
      const summary = await api.detectPatterns();
      ctx.out.emit(summary, () =>
        [
          `${summary.patterns} patterns in ${summary.incidents} incidents (${summary.tookMs} ms): ${
            Object.entries(summary.byType)
              .filter(([, n]) => n > 0)
              .map(([t, n]) => `${n} ${t}`)
              .join(', ') || 'none'
          }`,
          `${summary.created} new, ${summary.updated} updated, ${summary.removed} removed; ${summary.critical.length} became critical; ${summary.kbLinked} KB links, ${summary.suggestions} KB entries suggested`,
        ].join('\n'),
      );
    } else if (action === 'list') {
      const patterns = await api.getPatterns(criteria);
      ctx.out.emit({ patterns, total: patterns.length }, () => patternRows(patterns));
    } else {
      const found = await api.getPattern(id!);
      // Operators know incidents by ticket number (INC0010001, PAY-123), not by the store's ids.
      const incidents: ShownIncident[] = [];
      for (const m of found.incidents) {
        const { source, ticketId } = await api.getIncident(m.incidentId);
        incidents.push({ ...m, source, ticketId });
      }
      const pattern = { ...found, incidents };
      ctx.out.emit(pattern, () => patternText(pattern));
    }
    return 0;
  },
};
