import {
  formatTable,
  type PluginCommand,
  type PluginCommandContext,
  type Severity,
} from '@mainframe-kb/storage-core';
import type { Incident, IncidentQuery, IncidentSource, IncidentStatus } from '../types.js';
import { numberOption, patternsApiOf, stringOption } from './command-options.js';
import { clip } from './text-table.js';

const USAGE =
  'kb incidents list [--source s] [--status s] [--severity s] [--component c] [--error-code c] [--from t] [--to t] [--text q] [--limit n] [--offset n] | show <id>';

function incidentRows(incidents: readonly Incident[]): string {
  if (incidents.length === 0) return 'No incidents.';
  return formatTable(
    ['ID', 'SOURCE', 'TICKET', 'STATUS', 'SEVERITY', 'CREATED', 'COMPONENT', 'TITLE'],
    incidents.map((i) => [
      i.id,
      i.source,
      i.ticketId,
      i.status,
      i.severity ?? '-',
      i.createdAt.slice(0, 16),
      i.component ?? '-',
      clip(i.title, 60),
    ]),
  );
}

function incidentText(i: Incident): string {
  return [
    `${i.id}  ${i.source} ${i.ticketId}  ${i.status}`,
    i.title,
    `severity ${i.severity ?? '-'} · component ${i.component ?? '-'} · created ${i.createdAt}${i.resolvedAt ? ` · resolved ${i.resolvedAt}` : ''}`,
    `error codes: ${i.errorCodes.length === 0 ? 'none' : i.errorCodes.join(', ')}`,
    `KB entry: ${i.kbEntryId ?? 'none'}`,
    ...(i.description ? ['', i.description] : []),
    ...(i.resolution ? ['', `Resolution: ${i.resolution}`] : []),
  ].join('\n');
}

function queryOf(ctx: PluginCommandContext): IncidentQuery {
  // Unknown sources, statuses and severities, and bad timestamps, are the API's to refuse (exit 3).
  return {
    source: stringOption(ctx, 'source') as IncidentSource | undefined,
    status: stringOption(ctx, 'status') as IncidentStatus | undefined,
    severity: stringOption(ctx, 'severity') as Severity | undefined,
    component: stringOption(ctx, 'component'),
    errorCode: stringOption(ctx, 'error-code'),
    from: stringOption(ctx, 'from'),
    to: stringOption(ctx, 'to'),
    text: stringOption(ctx, 'text'),
    limit: numberOption(ctx, 'limit'),
    offset: numberOption(ctx, 'offset'),
  };
}

/** `kb incidents list|show`. */
export const incidentsCommand: PluginCommand = {
  name: 'incidents',
  summary: 'list and show imported incidents (MVP2, @mainframe-kb/plugin-patterns)',
  usage: USAGE,
  details: [
    'list              incidents, oldest first, filtered by the options (100 unless --limit)',
    'show <id>         one incident with its error codes (ids as `kb incidents list` and `kb patterns show` print them)',
    '--source s        manual | servicenow | jira | splunk',
    '--status s        open | resolved | closed',
    '--severity s      low | medium | high | critical',
    '--error-code c    incidents whose text names this code, e.g. S0C7',
    '--from t, --to t  created at or after t / before t (ISO-8601)',
    '--text q          case-insensitive text in the title or description',
  ],
  options: {
    source: { type: 'string' },
    status: { type: 'string' },
    severity: { type: 'string' },
    component: { type: 'string' },
    'error-code': { type: 'string' },
    from: { type: 'string' },
    to: { type: 'string' },
    text: { type: 'string' },
    limit: { type: 'string' },
    offset: { type: 'string' },
  },
  positionals: { min: 1, max: 2 },
  async run(ctx) {
    const [action, id] = ctx.positionals;
    if (action !== 'list' && action !== 'show') {
      throw ctx.usageError(`unknown incidents action '${action}'`);
    }
    if (action === 'show' ? id === undefined : id !== undefined) {
      throw ctx.usageError(action === 'show' ? 'show needs an incident id' : `unexpected argument '${id}'`);
    }
    const query = action === 'list' ? queryOf(ctx) : {};
    const api = await patternsApiOf(ctx);
    if (action === 'list') {
      const incidents = await api.listIncidents(query);
      ctx.out.emit({ incidents, total: incidents.length }, () => incidentRows(incidents));
    } else {
      const incident = await api.getIncident(id!);
      ctx.out.emit(incident, () => incidentText(incident));
    }
    return 0;
  },
};
