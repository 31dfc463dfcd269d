import { ValidationError, type ValidationIssue } from '@mainframe-kb/storage-core';
import type { PatternsApi } from '../api/patterns-api.js';
import { type ImportOptions, incidentInputSchema, issuesOf } from '../input-schemas.js';
import { incidentCodes, inputToRow } from '../store/incident-repository.js';
import type { ImportResult, IncidentImporter } from './importer-types.js';
import { importJira } from './jira-importer.js';
import { importServiceNow } from './servicenow-importer.js';
import { importSplunk } from './splunk-importer.js';

export const PATTERNS_IMPORTERS: Readonly<Record<string, IncidentImporter>> = {
  servicenow: importServiceNow,
  jira: importJira,
  splunk: importSplunk,
};

/** The part of io-formats' `DomainImportInput` this extension reads (structurally typed: no dependency). */
export interface DomainImportInputLike {
  readonly source: { readonly size: number; read(offset: number, length: number): Promise<Uint8Array> };
  readonly fileName?: string;
  readonly options?: Readonly<Record<string, unknown>>;
}

/** io-formats' `DomainRecord` row variant: a row of a table this extension contributes. */
export interface DomainRowLike {
  readonly table: 'incidents' | 'incident_error_codes';
  readonly row: Readonly<Record<string, string | number | null>>;
  readonly location: { readonly line?: number; readonly pointer?: string };
}

/**
 * `contributes.importers[].handler`. Called as a function it is io-formats' `DomainImporter`: it yields
 * the rows of `incidents` and `incident_error_codes` for the pipeline to validate and write. It also
 * carries this extension's own entry points: `parse` (read and map, no write) and `import` (validate all,
 * write all or nothing in one transaction, with incremental pattern detection in the same write).
 */
export interface PatternsImporterHandler {
  (input: DomainImportInputLike): AsyncIterable<DomainRowLike>;
  readonly source: string;
  readonly entities: readonly ['incidents'];
  readonly parse: IncidentImporter;
  import(input: string | Uint8Array, options?: ImportOptions): Promise<ImportResult>;
}

/** `result[3]` → `/result/3`; `line 7` → line 7. */
function locationOf(location: string): { line?: number; pointer?: string } {
  const line = /^line (\d+)$/.exec(location);
  if (line) return { line: Number(line[1]) };
  return { pointer: `/${location.replace(/\[(\d+)\]/g, '/$1').replace(/\./g, '/')}` };
}

export function patternsImporterHandler(source: string, api: PatternsApi): PatternsImporterHandler {
  const parse = PATTERNS_IMPORTERS[source];
  if (!parse) throw new Error(`no importer for '${source}'`);
  async function* rows(input: DomainImportInputLike): AsyncGenerator<DomainRowLike> {
    // The source formats are whole JSON documents (or CSV small enough to hold): read, then map.
    const bytes = await input.source.read(0, input.source.size);
    const now = new Date().toISOString();
    const issues: ValidationIssue[] = [];
    const out: DomainRowLike[] = [];
    for await (const rec of parse!(bytes)) {
      if (!rec.ok) {
        issues.push({ path: `${rec.location}${rec.field ? `.${rec.field}` : ''}`, message: rec.message });
        continue;
      }
      const parsed = incidentInputSchema.safeParse({ ...rec.incident, source });
      if (!parsed.success) {
        issues.push(...issuesOf(parsed.error, rec.location));
        continue;
      }
      const row = inputToRow(parsed.data, now);
      const location = locationOf(rec.location);
      out.push({ table: 'incidents', row: { ...row }, location });
      for (const code of incidentCodes(row)) {
        out.push({
          table: 'incident_error_codes',
          row: { incident_id: row.id, code, created_at: row.created_at },
          location,
        });
      }
    }
    if (issues.length > 0) {
      throw new ValidationError(
        `${input.fileName ?? 'the file'}: ${issues.length} ${source} records cannot be imported: ${issues
          .slice(0, 5)
          .map((i) => `${i.path}: ${i.message}`)
          .join('; ')}`,
        issues,
      );
    }
    yield* out;
  }
  return Object.assign(rows, {
    source,
    entities: ['incidents'] as const,
    parse,
    import: (input: string | Uint8Array, options?: ImportOptions) =>
      api.importIncidents(source, input, options),
  });
}
