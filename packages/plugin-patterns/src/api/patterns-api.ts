import type { ImportResult, IncidentImporter } from '../importers/importer-types.js';
import type { ImportOptions } from '../input-schemas.js';
import type {
  DetectionSummary,
  Incident,
  IncidentCount,
  IncidentCountOptions,
  IncidentInput,
  IncidentQuery,
  IncidentSource,
  IncidentUpdate,
  KbEntrySuggestion,
  Pattern,
  PatternCriteria,
  PatternData,
  PatternDetail,
  PatternUpdate,
} from '../types.js';
import { createApiContext, type PatternsContext } from './api-context.js';
import { importService } from './import-service.js';
import { incidentService } from './incident-service.js';
import { patternService } from './pattern-service.js';

/** The plugin's typed API: `storage.plugin(patternsPlugin)`. */
export interface PatternsApi {
  createIncident(input: IncidentInput): Promise<Incident>;
  /** Creates many incidents in one write: all of them, or none when any is invalid or already stored. */
  createIncidents(inputs: readonly IncidentInput[]): Promise<string[]>;
  getIncident(id: string): Promise<Incident>;
  findIncident(source: IncidentSource, ticketId: string): Promise<Incident | null>;
  updateIncident(id: string, update: IncidentUpdate): Promise<Incident>;
  deleteIncident(id: string): Promise<boolean>;
  listIncidents(query?: IncidentQuery): Promise<Incident[]>;
  countIncidents(options: IncidentCountOptions): Promise<IncidentCount[]>;
  /** Parses and imports a ServiceNow / Jira / Splunk export: all records or none. */
  importIncidents(source: string, input: string | Uint8Array, options?: ImportOptions): Promise<ImportResult>;
  createPattern(data: PatternData): Promise<string>;
  getPattern(id: string): Promise<PatternDetail>;
  getPatterns(criteria?: PatternCriteria): Promise<Pattern[]>;
  /** False when no pattern has the id (the seed's contract). */
  updatePattern(id: string, updates: PatternUpdate): Promise<boolean>;
  deletePattern(id: string): Promise<boolean>;
  /** Replaces every detected pattern with a fresh detection over all incidents. */
  detectPatterns(): Promise<DetectionSummary>;
  linkKbEntry(patternId: string, kbEntryId: string, score?: number): Promise<void>;
  unlinkKbEntry(patternId: string, kbEntryId: string): Promise<boolean>;
  patternsForKbEntry(kbEntryId: string): Promise<Pattern[]>;
  listSuggestions(status?: KbEntrySuggestion['status']): Promise<KbEntrySuggestion[]>;
  setSuggestionStatus(patternId: string, status: KbEntrySuggestion['status']): Promise<KbEntrySuggestion>;
}

export interface PatternsApiDeps {
  ctx: PatternsContext;
  importers: Readonly<Record<string, IncidentImporter>>;
}

export function createPatternsApi({ ctx, importers }: PatternsApiDeps): PatternsApi {
  const context = createApiContext(ctx);
  return {
    ...incidentService(context),
    ...importService(context, importers),
    ...patternService(context),
  };
}
