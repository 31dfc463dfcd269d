import type { Severity } from '@mainframe-kb/storage-core';
import type {
  IncidentRow,
  KbEntrySuggestionRow,
  KbPatternLinkRow,
  PatternRow,
} from '../schema/patterns-database.js';
import type {
  Incident,
  IncidentSource,
  IncidentStatus,
  KbEntrySuggestion,
  KbPatternLink,
  Pattern,
  PatternOrigin,
  PatternStatus,
  PatternType,
} from '../types.js';

function parseJson<T>(text: string, fallback: T): T {
  try {
    return JSON.parse(text) as T;
  } catch {
    return fallback;
  }
}

export function rowToIncident(row: IncidentRow, errorCodes: string[]): Incident {
  return {
    id: row.id,
    source: row.source as IncidentSource,
    ticketId: row.ticket_id,
    title: row.title,
    description: row.description,
    component: row.component,
    severity: row.severity as Severity | null,
    status: row.status as IncidentStatus,
    createdAt: row.created_at,
    resolvedAt: row.resolved_at,
    resolution: row.resolution,
    kbEntryId: row.kb_entry_id,
    errorCodes,
    metadata: parseJson(row.metadata, {}),
    importedAt: row.imported_at,
    updatedAt: row.updated_at,
  };
}

export function rowToPattern(row: PatternRow): Pattern {
  return {
    id: row.id,
    type: row.pattern_type as PatternType,
    origin: row.origin as PatternOrigin,
    status: row.status as PatternStatus,
    description: row.description,
    confidence: Number(row.confidence),
    frequency: Number(row.frequency),
    severity: row.severity as Severity | null,
    component: row.component,
    errorCode: row.error_code,
    firstSeen: row.first_seen,
    lastSeen: row.last_seen,
    metadata: parseJson(row.metadata, {}),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export function rowToLink(row: KbPatternLinkRow): KbPatternLink {
  return {
    patternId: row.pattern_id,
    kbEntryId: row.kb_entry_id,
    linkType: row.link_type as KbPatternLink['linkType'],
    score: Number(row.score),
    createdAt: row.created_at,
  };
}

export function rowToSuggestion(row: KbEntrySuggestionRow): KbEntrySuggestion {
  return {
    patternId: row.pattern_id,
    title: row.title,
    problem: row.problem,
    category: row.category,
    tags: parseJson(row.tags, []),
    status: row.status as KbEntrySuggestion['status'],
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
