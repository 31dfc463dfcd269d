import type { IncidentInput } from '../types.js';

/** One record an importer read: the incident it maps to, or why it could not map it. */
export type ImportedRecord =
  | { ok: true; record: number; location: string; incident: IncidentInput }
  | { ok: false; record: number; location: string; field: string | null; message: string };

export interface IncidentImporterOptions {
  /** `json`, `csv` or `ndjson`; guessed from the content when absent. */
  format?: 'json' | 'csv' | 'ndjson' | undefined;
}

/** Parses a source system's export and maps each record to an incident; never writes. */
export type IncidentImporter = (
  input: string | Uint8Array,
  options?: IncidentImporterOptions,
) => AsyncIterable<ImportedRecord>;

export interface ImportError {
  /** 1-based record number in the file. */
  record: number;
  /** Where in the file: `result[3]`, `line 7`, `issues[2].fields.created`. */
  location: string;
  field: string | null;
  message: string;
}

export interface ImportResult {
  source: string;
  records: number;
  inserted: number;
  updated: number;
  /** Records identical to what is stored. */
  unchanged: number;
  /** Existing tickets left alone by `onConflict: 'skip'`. */
  skipped: number;
  errors: ImportError[];
  dryRun: boolean;
  /** False when nothing was written: a dry run, or any error (imports are all or nothing). */
  written: boolean;
}

export function decodeInput(input: string | Uint8Array): string {
  const text = typeof input === 'string' ? input : new TextDecoder('utf-8').decode(input);
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}
