import type { Severity } from '@mainframe-kb/storage-core';

export const PATTERN_TYPES = ['temporal', 'component', 'error', 'correlation'] as const;
export type PatternType = (typeof PATTERN_TYPES)[number];

export const INCIDENT_STATUSES = ['open', 'resolved', 'closed'] as const;
export type IncidentStatus = (typeof INCIDENT_STATUSES)[number];

export const PATTERN_STATUSES = ['active', 'acknowledged', 'resolved', 'dismissed'] as const;
export type PatternStatus = (typeof PATTERN_STATUSES)[number];

/** Where a pattern came from: `detectPatterns()` (replaced on the next run) or a person (`createPattern`). */
export type PatternOrigin = 'detected' | 'manual';

export const INCIDENT_SOURCES = ['manual', 'servicenow', 'jira', 'splunk'] as const;
export type IncidentSource = (typeof INCIDENT_SOURCES)[number];

/** One incident as given to `createIncident` or produced by an importer. */
export interface IncidentInput {
  ticketId: string;
  /** The system the ticket comes from; `ticketId` is unique per source. Default `manual`. */
  source?: IncidentSource | undefined;
  title: string;
  description?: string | undefined;
  component?: string | null | undefined;
  severity?: Severity | null | undefined;
  status?: IncidentStatus | undefined;
  /** ISO-8601 timestamp; stored as UTC with milliseconds. */
  createdAt: string;
  resolvedAt?: string | null | undefined;
  resolution?: string | null | undefined;
  kbEntryId?: string | null | undefined;
  metadata?: Record<string, unknown> | undefined;
}

export interface Incident {
  id: string;
  source: IncidentSource;
  ticketId: string;
  title: string;
  description: string;
  component: string | null;
  severity: Severity | null;
  status: IncidentStatus;
  createdAt: string;
  resolvedAt: string | null;
  resolution: string | null;
  kbEntryId: string | null;
  /** Mainframe error codes found in the title, description and resolution (`S0C7`, `SQLCODE -911`, …). */
  errorCodes: string[];
  metadata: Record<string, unknown>;
  importedAt: string;
  updatedAt: string;
}

export interface IncidentUpdate {
  title?: string | undefined;
  description?: string | undefined;
  component?: string | null | undefined;
  severity?: Severity | null | undefined;
  status?: IncidentStatus | undefined;
  resolvedAt?: string | null | undefined;
  resolution?: string | null | undefined;
  kbEntryId?: string | null | undefined;
  metadata?: Record<string, unknown> | undefined;
}

export interface IncidentQuery {
  component?: string | undefined;
  severity?: Severity | readonly Severity[] | undefined;
  status?: IncidentStatus | readonly IncidentStatus[] | undefined;
  source?: IncidentSource | undefined;
  errorCode?: string | undefined;
  /** Inclusive lower bound on `createdAt`. */
  from?: string | undefined;
  /** Exclusive upper bound on `createdAt`. */
  to?: string | undefined;
  /** Case-insensitive substring of the title or description. */
  text?: string | undefined;
  limit?: number | undefined;
  offset?: number | undefined;
}

export interface PatternMember {
  incidentId: string;
  /** How strongly the incident belongs to the pattern, 0–1. */
  correlationScore: number;
}

/** The seed's `PatternData`: what `createPattern` takes. */
export interface PatternData {
  type: PatternType;
  description: string;
  confidence: number;
  frequency?: number | undefined;
  severity?: Severity | null | undefined;
  component?: string | null | undefined;
  errorCode?: string | null | undefined;
  firstSeen?: string | undefined;
  lastSeen?: string | undefined;
  metadata?: Record<string, unknown> | undefined;
  /** Incident ids, or members with their correlation score (1 when only the id is given). */
  incidents?: readonly (string | PatternMember)[] | undefined;
}

export interface Pattern {
  id: string;
  type: PatternType;
  origin: PatternOrigin;
  status: PatternStatus;
  description: string;
  confidence: number;
  frequency: number;
  severity: Severity | null;
  component: string | null;
  errorCode: string | null;
  firstSeen: string;
  lastSeen: string;
  metadata: Record<string, unknown>;
  createdAt: string;
  updatedAt: string;
}

export interface PatternDetail extends Pattern {
  incidents: PatternMember[];
  kbLinks: KbPatternLink[];
  suggestion: KbEntrySuggestion | null;
}

/** The seed's `PatternCriteria`. */
export interface PatternCriteria {
  type?: PatternType | readonly PatternType[] | undefined;
  severity?: Severity | readonly Severity[] | undefined;
  minConfidence?: number | undefined;
  /** Patterns seen at or after this time (their `lastSeen` ≥ from). */
  from?: string | undefined;
  /** Patterns seen before this time (their `firstSeen` < to). */
  to?: string | undefined;
  component?: string | undefined;
  errorCode?: string | undefined;
  /** Case-insensitive substring of the description. */
  text?: string | undefined;
  status?: PatternStatus | readonly PatternStatus[] | undefined;
  origin?: PatternOrigin | undefined;
  limit?: number | undefined;
  offset?: number | undefined;
}

/** The seed's `PatternUpdate`. */
export interface PatternUpdate {
  description?: string | undefined;
  confidence?: number | undefined;
  severity?: Severity | null | undefined;
  status?: PatternStatus | undefined;
  metadata?: Record<string, unknown> | undefined;
}

export interface KbPatternLink {
  patternId: string;
  kbEntryId: string;
  linkType: 'manual' | 'detected';
  score: number;
  createdAt: string;
}

export interface KbEntrySuggestion {
  patternId: string;
  title: string;
  problem: string;
  category: string;
  tags: string[];
  status: 'open' | 'accepted' | 'dismissed';
  createdAt: string;
  updatedAt: string;
}

export type CountDimension = 'component' | 'errorCode' | 'severity' | 'source';
export type CountInterval = 'hour' | 'day';

export interface IncidentCountOptions {
  by: CountDimension;
  interval: CountInterval;
  from?: string | undefined;
  to?: string | undefined;
  /** Only this component / error code. */
  key?: string | undefined;
}

export interface IncidentCount {
  /** The component, code, severity or source; `null` for incidents without one. */
  key: string | null;
  /** `YYYY-MM-DDTHH` for hours, `YYYY-MM-DD` for days (UTC). */
  bucket: string;
  count: number;
}

export interface DetectionSummary {
  incidents: number;
  patterns: number;
  byType: Record<PatternType, number>;
  created: number;
  updated: number;
  removed: number;
  critical: string[];
  kbLinked: number;
  suggestions: number;
  tookMs: number;
}

export interface PatternCriticalEvent {
  pattern: Pattern;
  /** The first 100 member incidents (by id); `incidentCount` has them all. */
  incidentIds: string[];
  incidentCount: number;
}
