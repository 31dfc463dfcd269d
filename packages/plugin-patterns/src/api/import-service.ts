import { StorageError, StorageErrorCode, ValidationError } from '@mainframe-kb/storage-core';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import { incidentIdOf } from '../detection/stable-id.js';
import type { ImportError, ImportResult, IncidentImporter } from '../importers/importer-types.js';
import {
  type ImportOptions,
  importOptionsSchema,
  incidentInputSchema,
  issuesOf,
  type ValidIncidentInput,
  validate,
} from '../input-schemas.js';
import type { IncidentRow, PatternsDatabase } from '../schema/patterns-database.js';
import {
  existingRows,
  inputToRow,
  insertIncidentRows,
  replaceIncidentRow,
  sameContent,
} from '../store/incident-repository.js';
import type { ApiContext } from './api-context.js';

const sourceNameSchema = z.string().min(1).max(32);

/**
 * `importIncidents(source, input, options)`: parse with the source's importer, validate every record, then
 * write all of them or none in one transaction (with incremental detection in the same write).
 */
export function importService(
  { ctx, db, foldIn }: ApiContext,
  importers: Readonly<Record<string, IncidentImporter>>,
) {
  async function importIncidents(
    source: string,
    input: string | Uint8Array,
    rawOptions: ImportOptions = {},
  ): Promise<ImportResult> {
    const name = validate(sourceNameSchema, source, 'source');
    const opts = validate(importOptionsSchema, rawOptions, 'options');
    const importer = importers[name];
    if (!importer) {
      const message = `no incident importer for source '${name}'; known sources: ${Object.keys(importers).sort().join(', ')}`;
      throw new ValidationError(message, [{ path: 'source', message }], { details: { source: name } });
    }
    if (typeof input !== 'string' && !(input instanceof Uint8Array)) {
      throw new ValidationError('invalid input: expected the file content as a string or bytes', [
        { path: 'input', message: 'expected a string or a Uint8Array' },
      ]);
    }
    const errors: ImportError[] = [];
    // The last record of a ticket wins, as if the file had been imported record by record.
    const byId = new Map<string, { input: ValidIncidentInput; record: number; location: string }>();
    let records = 0;
    for await (const rec of importer(input)) {
      records++;
      if (!rec.ok) {
        errors.push({ record: rec.record, location: rec.location, field: rec.field, message: rec.message });
        continue;
      }
      const parsed = incidentInputSchema.safeParse({ ...rec.incident, source: name });
      if (!parsed.success) {
        for (const issue of issuesOf(parsed.error, '')) {
          errors.push({
            record: rec.record,
            location: rec.location,
            field: issue.path || null,
            message: issue.message,
          });
        }
        continue;
      }
      byId.set(incidentIdOf(parsed.data.source, parsed.data.ticketId), {
        input: parsed.data,
        record: rec.record,
        location: rec.location,
      });
    }
    const result: ImportResult = {
      source: name,
      records,
      inserted: 0,
      updated: 0,
      unchanged: 0,
      skipped: 0,
      errors,
      dryRun: opts.dryRun,
      written: false,
    };
    const plan = async (executor: Kysely<PatternsDatabase>, now: string) => {
      const planned = [...byId.values()].map((v) => ({ ...v, row: inputToRow(v.input, now) }));
      const existing = await existingRows(
        executor,
        planned.map((p) => p.row.id),
      );
      const fresh: IncidentRow[] = [];
      const changed: { row: IncidentRow; previous: IncidentRow }[] = [];
      for (const item of planned) {
        const { record, location } = item;
        const previous = existing.get(item.row.id);
        // Source systems know nothing of KB links: a link made in the store stays when the ticket comes again.
        const row =
          previous && item.row.kb_entry_id === null
            ? { ...item.row, kb_entry_id: previous.kb_entry_id }
            : item.row;
        if (!previous) fresh.push(row);
        else if (sameContent(row, previous)) result.unchanged++;
        else if (opts.onConflict === 'skip') result.skipped++;
        else if (opts.onConflict === 'fail') {
          errors.push({
            record,
            location,
            field: 'ticketId',
            message: `ticket '${row.ticket_id}' of ${name} is already stored (onConflict: fail)`,
          });
        } else changed.push({ row, previous });
      }
      result.inserted = fresh.length;
      result.updated = changed.length;
      return { fresh, changed };
    };
    if (errors.length > 0) return result;
    if (opts.dryRun) {
      await ctx.read('patterns.import', () => plan(db, new Date().toISOString()));
      return errors.length > 0 ? { ...result, inserted: 0, updated: 0 } : result;
    }
    // Thrown to roll the write back when the plan finds conflicts; core passes a StorageError through as is.
    const refused = new StorageError(StorageErrorCode.CONFLICT, 'import refused: tickets already stored');
    try {
      await ctx.write('patterns.import', async (scope) => {
        const { trx } = scope;
        const { fresh, changed } = await plan(trx, scope.now);
        if (errors.length > 0) throw refused;
        await insertIncidentRows(trx, fresh);
        for (const { row, previous } of changed) await replaceIncidentRow(trx, row, previous);
        scope.audit({
          action: 'import',
          entity: 'incident',
          entityId: null,
          detail: { source: name, inserted: fresh.length, updated: changed.length },
        });
        const ids = [...fresh, ...changed.map((c) => c.row)].map((r) => r.id);
        scope.event('incident:imported', {
          source: name,
          inserted: fresh.length,
          updated: changed.length,
          ids: ids.slice(0, 1000),
        });
        if (opts.detect) await foldIn(scope, [...fresh, ...changed.map((c) => c.row)]);
      });
    } catch (error) {
      if (error === refused) {
        return { ...result, inserted: 0, updated: 0 };
      }
      throw error;
    }
    result.written = true;
    return result;
  }

  return { importIncidents };
}
