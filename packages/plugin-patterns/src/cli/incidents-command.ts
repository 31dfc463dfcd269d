import {
  formatTable,
  isStorageError,
  NotFoundError,
  type PluginCommand,
  type PluginCommandContext,
  type Severity,
  StorageError,
  StorageErrorCode,
} from '@mainframe-kb/storage-core';
import type { PatternsApi } from '../api/patterns-api.js';
import {
  INCIDENT_SOURCES,
  type Incident,
  type IncidentQuery,
  type IncidentSource,
  type IncidentStatus,
} from '../types.js';
import { numberOption, patternsApiOf, stringOption } from './command-options.js';
import { clip } from './text-table.js';

const USAGE =
  'kb incidents list [--source s] [--status s] [--severity s] [--component c] [--error-code c] [--from t] [--to t] [--text q] [--limit n] [--offset n] | show <id|ticket>';

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

/**
 * An incident by the store's id (`inc_…`) or by its ticket number in any source (INC0010001, PAY-123); a
 * ticket number two sources share is refused, naming them, so the operator picks with the id.
 */
async function incidentByIdOrTicket(api: PatternsApi, key: string): Promise<Incident> {
  try {
    return await api.getIncident(key);
  } catch (error) {
    if (!isStorageError(error, StorageErrorCode.NOT_FOUND)) throw error;
    const found: Incident[] = [];
    for (const source of INCIDENT_SOURCES) {
      const incident = await api.findIncident(source, key);
      if (incident) found.push(incident);
    }
    const [only] = found;
    if (found.length === 1 && only) return only;
    if (found.length === 0) throw new NotFoundError('incident (id or ticket number)', key);
    throw new StorageError(
      StorageErrorCode.CONFLICT,
      `ticket '${key}' is in ${found.length} sources (${found.map((i) => `${i.source}: ${i.id}`).join(', ')}): show it by id`,
      { details: { ticketId: key, ids: found.map((i) => i.id) } },
    );
  }
}

/** `kb incidents list|show`. */
export const incidentsCommand: PluginCommand = {
  name: 'incidents',
  summary: 'list and show imported incidents (MVP2, @mainframe-kb/plugin-patterns)',
  usage: USAGE,
  details: [
    'list              incidents, oldest first, filtered by the options (100 unless --limit)',
    'show <id|ticket>  one incident with its error codes, by id or by ticket number (INC0010001, PAY-123)',
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
      const incident = await incidentByIdOrTicket(api, id!);
      ctx.out.emit(incident, () => incidentText(incident));
    }
    return 0;
  },
};
