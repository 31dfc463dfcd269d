import {
  type DomainImporter,
  type DomainImportInput,
  type DomainRecord,
  type RecordLocation,
  ValidationError,
  type ValidationIssue,
} from '@mainframe-kb/storage-core';
import { incidentInputSchema, issuesOf } from '../input-schemas.js';
import { incidentCodes, inputToRow } from '../store/incident-repository.js';
import type { IncidentImporter } from './importer-types.js';
import { importJira } from './jira-importer.js';
import { importServiceNow } from './servicenow-importer.js';
import { importSplunk } from './splunk-importer.js';

export const PATTERNS_IMPORTERS: Readonly<Record<string, IncidentImporter>> = {
  servicenow: importServiceNow,
  jira: importJira,
  splunk: importSplunk,
};

/** `result[3]` → `/result/3`; `line 7` → line 7. */
function locationOf(location: string): RecordLocation {
  const line = /^line (\d+)$/.exec(location);
  if (line) return { line: Number(line[1]) };
  return { pointer: `/${location.replace(/\[(\d+)\]/g, '/$1').replace(/\./g, '/')}` };
}

/**
 * The `handler` of the plugin's importer contributions (`kb import --source servicenow|jira|splunk`): yields
 * the rows of `incidents` and `incident_error_codes` for the import pipeline to validate and write. A file
 * with any record that does not map to a valid incident is refused whole, before a row is yielded.
 */
export function patternsImporterHandler(source: string): DomainImporter {
  const parse = PATTERNS_IMPORTERS[source];
  if (!parse) throw new Error(`no importer for '${source}'`);
  return async function* rows(input: DomainImportInput): AsyncGenerator<DomainRecord> {
    // The source formats are whole JSON documents (or CSV small enough to hold): read, then map.
    const bytes = await input.source.read(0, input.source.size);
    const now = new Date().toISOString();
    const issues: ValidationIssue[] = [];
    const out: DomainRecord[] = [];
    for await (const rec of parse(bytes)) {
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
        `${input.fileName || 'the file'}: ${issues.length} ${source} records cannot be imported: ${issues
          .slice(0, 5)
          .map((i) => `${i.path}: ${i.message}`)
          .join('; ')}`,
        issues,
      );
    }
    yield* out;
  };
}
