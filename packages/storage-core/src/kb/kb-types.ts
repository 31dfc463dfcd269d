export const SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

/**
 * Categories an analyst is offered. The set is open: any short name is accepted, these are suggestions
 * (the seed data alone uses JCL, VSAM, DB2, Batch, CICS, IMS, JES, SDSF, ISPF, …).
 */
export const KNOWN_CATEGORIES = [
  'COBOL',
  'JCL',
  'VSAM',
  'DB2',
  'CICS',
  'IMS',
  'Batch',
  'JES',
  'SDSF',
  'ISPF',
  'TSO',
  'RACF',
  'MQ',
  'Utilities',
  'Performance',
  'Data',
  'System',
  'Functional',
  'Other',
] as const;

export const RELATION_TYPES = ['related', 'duplicate', 'supersedes', 'prerequisite', 'see-also'] as const;
export type RelationType = (typeof RELATION_TYPES)[number];

export const USAGE_ACTIONS = ['view', 'copy', 'apply', 'search-click', 'share'] as const;
export type UsageAction = (typeof USAGE_ACTIONS)[number];

/** A knowledge base entry as stored and returned. */
export interface KBEntry {
  id: string;
  title: string;
  problem: string;
  solution: string;
  category: string;
  severity: Severity;
  /** Normalised: lower-case, trimmed, inner spaces as dashes, unique, in the order given. */
  tags: string[];
  createdAt: string;
  updatedAt: string;
  createdBy: string | null;
  usageCount: number;
  successCount: number;
  failureCount: number;
  archived: boolean;
  /** Increases by one on every update; pass it back as `expectedVersion` for optimistic concurrency. */
  version: number;
}

export interface KBEntryInput {
  /** Keep an id from another system; a UUID is generated otherwise. */
  id?: string | undefined;
  title: string;
  problem: string;
  solution: string;
  category: string;
  severity?: Severity | undefined;
  tags?: string[] | undefined;
  createdBy?: string | undefined;
}

export interface KBEntryUpdate {
  title?: string | undefined;
  problem?: string | undefined;
  solution?: string | undefined;
  category?: string | undefined;
  severity?: Severity | undefined;
  tags?: string[] | undefined;
  archived?: boolean | undefined;
  /** Refuse the update with CONFLICT unless the entry is still at this version. */
  expectedVersion?: number | undefined;
}

export interface KBRelation {
  fromId: string;
  toId: string;
  type: RelationType;
  createdAt: string;
}

export interface FeedbackInput {
  outcome: 'success' | 'failure';
  /** 1 to 5. */
  rating?: number | undefined;
  comment?: string | undefined;
  userId?: string | undefined;
}

export interface UsageCounters {
  id: string;
  usageCount: number;
  successCount: number;
  failureCount: number;
  /** successCount / (successCount + failureCount), null before any feedback. */
  successRate: number | null;
}

export interface ListEntriesOptions {
  category?: string | undefined;
  severity?: Severity | undefined;
  tag?: string | undefined;
  includeArchived?: boolean | undefined;
  limit?: number | undefined;
  offset?: number | undefined;
  orderBy?: 'createdAt' | 'updatedAt' | 'usageCount' | 'title' | undefined;
}

export interface SearchHistoryRecord {
  id: number;
  query: string;
  resultCount: number;
  topResultId: string | null;
  correctedQuery: string | null;
  tookMs: number;
  userId: string | null;
  createdAt: string;
}
