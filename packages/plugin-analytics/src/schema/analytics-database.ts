import type { Generated } from 'kysely';

/**
 * Rows of the plugin's tables, and the columns it reads from core's and the other plugins' tables. Timestamps
 * are ISO-8601 UTC text, JSON is text, as in every table of the store.
 */

export type ModelStage = 'candidate' | 'production' | 'retired';

export interface PredictionRow {
  id: string;
  /** `kb-recommendation`, `incident-count`, or any type a caller records. */
  prediction_type: string;
  target_entity: string;
  target_id: string;
  /** The model's probability that the prediction holds, 0–1. */
  probability: number;
  /** For a numeric prediction (a forecast count): the predicted value. */
  predicted_value: number | null;
  predicted_at: string;
  expires_at: string | null;
  /** What happened, as text (`true` / `false`, the entry an incident was resolved with, a count). */
  actual_outcome: string | null;
  observed_value: number | null;
  /** 0–1, higher is better; how each type scores is in the README. */
  accuracy_score: number | null;
  outcome_at: string | null;
  model_type: string;
  model_version: string;
  /** JSON. */
  metadata: string;
}

export interface SnapshotRow {
  id: string;
  /** `hour` or `day`: the period's length. */
  snapshot_type: string;
  /** The period's first instant: `YYYY-MM-DDTHH` for an hour, `YYYY-MM-DD` for a day (UTC). */
  time_period: string;
  /** JSON: the period's additive counters, in total and by dimension. */
  data: string;
  /** The event log's and the audit trail's last sequence numbers when the snapshot was computed. */
  event_seq: number;
  audit_seq: number;
  created_at: string;
}

export interface ModelRow {
  id: string;
  model_type: string;
  version: string;
  stage: ModelStage;
  /** sha256 of the whole file, hex. */
  checksum: string;
  size_bytes: number;
  chunk_count: number;
  media_type: string;
  /** JSON. */
  training_metadata: string;
  /** JSON. */
  performance_metrics: string;
  dataset_id: string | null;
  created_by: string;
  created_at: string;
  updated_at: string;
}

export interface ModelChunkRow {
  model_id: string;
  seq: number;
  data: Uint8Array;
  /** sha256 of this chunk, hex: a corrupted chunk is refused before any of its bytes is handed out. */
  checksum: string;
}

export interface DatasetRow {
  id: string;
  name: string;
  description: string;
  /** What the members are (`incident`, `kb_entry`, `prediction`…). */
  entity: string;
  member_count: number;
  /** sha256 over the members in order: the frozen membership. */
  checksum: string;
  /** JSON. */
  metadata: string;
  created_by: string;
  created_at: string;
}

export interface DatasetMemberRow {
  dataset_id: string;
  seq: number;
  entity_id: string;
  /** `train`, `test` or `validation`. */
  split: string;
  label: string | null;
}

export interface AutoResolutionRow {
  seq: number;
  id: string;
  /** `decision`, `review` or `outcome`: rows are never updated; a review or outcome is a new row. */
  kind: string;
  /** The decision a review or outcome is about; its own id for a decision. */
  decision_id: string;
  incident_id: string;
  component: string | null;
  proposal_kind: string | null;
  proposal_id: string | null;
  confidence: number | null;
  threshold: number | null;
  /** `applied`, `held`, `accepted`, `rejected`, `resolved`, `failed`, `reverted`. */
  decision: string;
  decided_by: string;
  applied_solution: string | null;
  /** JSON: what the decision was made from. */
  inputs: string;
  created_at: string;
  prev_hash: string;
  hash: string;
}

export interface AutoResolutionHeadRow {
  id: number;
  seq: number;
  hash: string;
}

/** Columns this plugin reads from core's tables. */
export interface CoreTablesRead {
  kb_entries: { id: string; title: string; category: string; created_at: string; archived: number };
  kb_feedback: { entry_id: string; outcome: string; user_id: string | null; created_at: string };
  search_history: {
    id: number;
    query: string;
    result_count: number;
    top_result_id: string | null;
    user_id: string | null;
    created_at: string;
  };
  kb_events: { seq: number; type: string; payload: string; created_at: string };
  kb_audit: { seq: number; action: string; entity: string; entity_id: string | null };
}

/** Columns this plugin reads from plugin-patterns' and plugin-templates' tables, when they are enabled. */
export interface OtherPluginTablesRead {
  incidents: {
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
  };
  incident_error_codes: { incident_id: string; code: string };
  template_usage: { template_id: string; kind: string; worked: number | null; created_at: string };
  code_templates: { id: string; category: string };
}

export interface AnalyticsTables {
  predictions: PredictionRow;
  analytics_snapshots: SnapshotRow;
  ml_models: ModelRow;
  ml_model_chunks: ModelChunkRow;
  training_datasets: DatasetRow;
  training_dataset_members: DatasetMemberRow;
  auto_resolutions: Omit<AutoResolutionRow, 'seq'> & { seq: Generated<number> };
  auto_resolution_head: AutoResolutionHeadRow;
}

export interface AnalyticsDatabase extends AnalyticsTables, CoreTablesRead, OtherPluginTablesRead {}
