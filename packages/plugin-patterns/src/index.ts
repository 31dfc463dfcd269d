// Public surface of @mainframe-kb/plugin-patterns. The package's default export is the plugin definition
// core's loader expects for `config.mvp.extensions: [{ id: 'patterns' }]`; importing the package also types
// its events and the store's createPattern / getPatterns / updatePattern (module augmentation).

import { patternsPlugin } from './patterns-plugin.js';

export type { PatternsApi } from './api/patterns-api.js';
export type { DetectedPattern, DetectionIncident, DetectionSettings } from './detection/detection-types.js';
export { categoryOfCode, extractErrorCodes } from './detection/error-code-extractor.js';
export { detectPatternsIn } from './detection/pattern-detector.js';
export { binomialTail, poissonTail } from './detection/poisson.js';
export { incidentIdOf } from './detection/stable-id.js';
export { adfToText } from './importers/adf-to-text.js';
export type { CsvRow } from './importers/csv-reader.js';
export { CsvSyntaxError, readCsv } from './importers/csv-reader.js';
export { PATTERNS_IMPORTERS, patternsImporterHandler } from './importers/importer-registry.js';
export type {
  ImportError,
  ImportedRecord,
  ImportResult,
  IncidentImporter,
  IncidentImporterOptions,
} from './importers/importer-types.js';
export { importJira, mapJiraIssue } from './importers/jira-importer.js';
export { importServiceNow, mapServiceNowRecord } from './importers/servicenow-importer.js';
export { importSplunk, mapSplunkResult } from './importers/splunk-importer.js';
export type { ImportOptions, PatternsOptions, PatternsOptionsInput } from './input-schemas.js';
export { normalizeTimestamp, patternsOptionsSchema } from './input-schemas.js';
export {
  PATTERNS_PACKAGE,
  PATTERNS_PERMISSIONS,
  PATTERNS_VERSION,
  patternsPlugin,
} from './patterns-plugin.js';
export { incidentsMigration, PATTERNS_MIGRATIONS } from './schema/patterns-migrations.js';
export type {
  CountDimension,
  CountInterval,
  DetectionSummary,
  Incident,
  IncidentCount,
  IncidentCountOptions,
  IncidentInput,
  IncidentQuery,
  IncidentSource,
  IncidentStatus,
  IncidentUpdate,
  KbEntrySuggestion,
  KbPatternLink,
  Pattern,
  PatternCriteria,
  PatternCriticalEvent,
  PatternData,
  PatternDetail,
  PatternMember,
  PatternOrigin,
  PatternStatus,
  PatternType,
  PatternUpdate,
} from './types.js';
export { INCIDENT_SOURCES, INCIDENT_STATUSES, PATTERN_STATUSES, PATTERN_TYPES } from './types.js';

export default patternsPlugin;
