/** Row shapes of the plugin's tables (and the columns of core's `kb_entries` it reads). */
export interface IncidentRow {
  id: string;
  source: string;
  ticket_id: string;
  title: string;
  description: string;
  component: string | null;
  severity: string | null;
  status: string;
  created_at: string;
  resolved_at: string | null;
  resolution: string | null;
  kb_entry_id: string | null;
  metadata: string;
  imported_at: string;
  updated_at: string;
}

export interface IncidentErrorCodeRow {
  incident_id: string;
  code: string;
  created_at: string;
}

export interface PatternRow {
  id: string;
  pattern_type: string;
  origin: string;
  status: string;
  description: string;
  confidence: number;
  frequency: number;
  severity: string | null;
  component: string | null;
  error_code: string | null;
  first_seen: string;
  last_seen: string;
  metadata: string;
  created_at: string;
  updated_at: string;
}

export interface PatternIncidentRow {
  pattern_id: string;
  incident_id: string;
  correlation_score: number;
}

export interface KbPatternLinkRow {
  pattern_id: string;
  kb_entry_id: string;
  link_type: string;
  score: number;
  created_at: string;
}

export interface KbEntrySuggestionRow {
  pattern_id: string;
  title: string;
  problem: string;
  category: string;
  tags: string;
  status: string;
  created_at: string;
  updated_at: string;
}

interface KbEntryRow {
  id: string;
  title: string;
  problem: string;
  tags: string;
  category: string;
  archived: number;
}

export interface PatternsDatabase {
  incidents: IncidentRow;
  incident_error_codes: IncidentErrorCodeRow;
  incident_patterns: PatternRow;
  pattern_incidents: PatternIncidentRow;
  kb_pattern_links: KbPatternLinkRow;
  kb_entry_suggestions: KbEntrySuggestionRow;
  kb_entries: KbEntryRow;
}
