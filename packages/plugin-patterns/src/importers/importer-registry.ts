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

/** The whole file, streamed: a compressed input (which the pipeline decompresses as it streams) has no size. */
async function readAll(input: DomainImportInput): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of input.source.stream()) chunks.push(chunk);
  return Buffer.concat(chunks);
}

/** One record the importer could not map, as the import pipeline reports rejected records. */
interface RejectedRecord {
  record: number;
  location: RecordLocation;
  field: string | null;
  message: string;
}

/**
 * The `handler` of the plugin's importer contributions (`kb import --source servicenow|jira|splunk`, or a file
 * the pipeline recognises as one of them): yields the rows of `incidents` and `incident_error_codes` for the
 * import pipeline to validate and write, a ticket's rows together (the incident first, its codes after it).
 *
 * - A row carries what the source system says of the ticket, and the time of the import (`imported_at`,
 *   `updated_at`), never a KB link (`kb_entry_id`): a link made in the store survives a re-import, and a ticket
 *   the source reports again unchanged is `unchanged`.
 * - A ticket listed twice in one file is imported once, as its last record says (as `importIncidents` does).
 * - A file whose records do not all map to valid incidents is refused before a row is yielded: a
 *   `ValidationError` whose `details.rejected` names each record (its number, location, field and reason),
 *   which the pipeline reports as rejected records. A file that is not the source's format at all is refused
 *   as a whole.
 */
export function patternsImporterHandler(source: string): DomainImporter {
  const parse = PATTERNS_IMPORTERS[source];
  if (!parse) throw new Error(`no importer for '${source}'`);
  return async function* rows(input: DomainImportInput): AsyncGenerator<DomainRecord> {
    // The source formats are whole JSON documents (or CSV small enough to hold): read, then map.
    const bytes = await readAll(input);
    const now = new Date().toISOString();
    const issues: ValidationIssue[] = [];
    const rejected: RejectedRecord[] = [];
    const tickets = new Map<string, DomainRecord[]>();
    for await (const rec of parse(bytes)) {
      if (!rec.ok) {
        issues.push({ path: `${rec.location}${rec.field ? `.${rec.field}` : ''}`, message: rec.message });
        rejected.push({
          record: rec.record,
          location: locationOf(rec.location),
          field: rec.field,
          message: rec.message,
        });
        continue;
      }
      const parsed = incidentInputSchema.safeParse({ ...rec.incident, source });
      if (!parsed.success) {
        const found = issuesOf(parsed.error, rec.location);
        issues.push(...found);
        for (const issue of issuesOf(parsed.error, '')) {
          rejected.push({
            record: rec.record,
            location: locationOf(rec.location),
            field: issue.path || null,
            message: issue.message,
          });
        }
        continue;
      }
      const { kb_entry_id: _link, ...row } = inputToRow(parsed.data, now);
      const location = locationOf(rec.location);
      const made: DomainRecord[] = [{ table: 'incidents', row, location }];
      for (const code of incidentCodes(row)) {
        made.push({
          table: 'incident_error_codes',
          row: { incident_id: row.id, code, created_at: row.created_at },
          location,
        });
      }
      // The last record of a ticket wins: it replaces an earlier one, in its own place in the file.
      tickets.delete(row.id);
      tickets.set(row.id, made);
    }
    if (issues.length > 0) {
      // Record 0 is the file itself (not JSON, not the expected shape): the whole file is refused.
      const whole = rejected.some((r) => r.record < 1);
      throw new ValidationError(
        `${input.fileName || 'the file'}: ${issues.length} ${source} records cannot be imported: ${issues
          .slice(0, 5)
          .map((i) => `${i.path}: ${i.message}`)
          .join('; ')}`,
        issues,
        whole ? {} : { details: { rejected } },
      );
    }
    for (const made of tickets.values()) yield* made;
  };
}
