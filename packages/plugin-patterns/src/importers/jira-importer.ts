import type { IncidentInput, IncidentStatus } from '../types.js';
import { adfToText } from './adf-to-text.js';
import { FieldError, requireText, severityFromWord, text, timestamp } from './field-values.js';
import { decodeInput, type ImportedRecord, type IncidentImporterOptions } from './importer-types.js';

const named = (v: unknown): string | null =>
  v !== null && typeof v === 'object'
    ? text((v as { name?: unknown }).name ?? (v as { value?: unknown }).value)
    : text(v);

function statusOf(status: unknown, resolution: string | null): IncidentStatus {
  const name = named(status)?.toLowerCase() ?? '';
  const category = text(
    (status as { statusCategory?: { key?: unknown } } | null)?.statusCategory?.key,
  )?.toLowerCase();
  if (name === 'closed') return 'closed';
  if (category === 'done' || name === 'done' || name === 'resolved' || resolution !== null) return 'resolved';
  return 'open';
}

/** One issue of a Jira search result (REST v2: text descriptions; v3: ADF documents). */
export function mapJiraIssue(issue: Record<string, unknown>): IncidentInput {
  const key = requireText(text(issue.key), 'key');
  const fields = (issue.fields ?? {}) as Record<string, unknown>;
  const components = Array.isArray(fields.components)
    ? fields.components.map(named).filter((c): c is string => c !== null)
    : [];
  const labels = Array.isArray(fields.labels)
    ? fields.labels.map(text).filter((l): l is string => l !== null)
    : [];
  const resolution = named(fields.resolution);
  const priority = named(fields.priority);
  const createdAt = requireText(timestamp(text(fields.created), 'fields.created'), 'fields.created');
  const metadata: Record<string, unknown> = { components, labels };
  if (text(issue.id)) metadata.jiraId = text(issue.id);
  if (priority) metadata.priority = priority;
  if (named(fields.issuetype)) metadata.issueType = named(fields.issuetype);
  if (named(fields.status)) metadata.status = named(fields.status);
  if (fields.project && named(fields.project)) metadata.project = named(fields.project);
  return {
    ticketId: key,
    source: 'jira',
    title: requireText(text(fields.summary), 'fields.summary'),
    description: adfToText(fields.description ?? ''),
    component: components[0] ?? null,
    severity: severityFromWord(priority),
    status: statusOf(fields.status, resolution),
    createdAt,
    resolvedAt: timestamp(text(fields.resolutiondate), 'fields.resolutiondate'),
    resolution,
    metadata,
  };
}

/** Jira issues from a REST v2 or v3 search response (`{"issues":[…]}`), or a bare array of issues. */
export async function* importJira(
  input: string | Uint8Array,
  _options: IncidentImporterOptions = {},
): AsyncGenerator<ImportedRecord> {
  let doc: unknown;
  try {
    doc = JSON.parse(decodeInput(input));
  } catch (error) {
    yield {
      ok: false,
      record: 0,
      location: 'file',
      field: null,
      message: `not JSON: ${(error as Error).message}`,
    };
    return;
  }
  const issues = Array.isArray(doc) ? doc : (doc as { issues?: unknown })?.issues;
  if (!Array.isArray(issues)) {
    yield {
      ok: false,
      record: 0,
      location: 'file',
      field: 'issues',
      message: 'expected a Jira search result {"issues":[…]}',
    };
    return;
  }
  for (let i = 0; i < issues.length; i++) {
    const location = `issues[${i}]`;
    const issue = issues[i];
    if (issue === null || typeof issue !== 'object') {
      yield { ok: false, record: i + 1, location, field: null, message: 'expected an object' };
      continue;
    }
    try {
      yield { ok: true, record: i + 1, location, incident: mapJiraIssue(issue as Record<string, unknown>) };
    } catch (error) {
      if (!(error instanceof FieldError)) throw error;
      yield { ok: false, record: i + 1, location, field: error.field, message: error.message };
    }
  }
}
