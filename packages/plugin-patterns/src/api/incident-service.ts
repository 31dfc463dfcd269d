import {
  NotFoundError,
  StorageError,
  StorageErrorCode,
  ValidationError,
  type ValidationIssue,
} from '@mainframe-kb/storage-core';
import { z } from 'zod';
import { incidentIdOf } from '../detection/stable-id.js';
import {
  countOptionsSchema,
  incidentInputSchema,
  incidentQuerySchema,
  incidentUpdateSchema,
  issuesOf,
  type ValidIncidentInput,
  validate,
} from '../input-schemas.js';
import {
  applyUpdate,
  countIncidents,
  existingRows,
  findIncidentRow,
  getIncident,
  inputToRow,
  insertIncidentRows,
  listIncidents,
  replaceIncidentRow,
  toIncidents,
} from '../store/incident-repository.js';
import type { ApiContext } from './api-context.js';
import type { PatternsApi } from './patterns-api.js';

const idArg = z.string().min(1).max(64);

type IncidentMethods = Pick<
  PatternsApi,
  | 'createIncident'
  | 'createIncidents'
  | 'getIncident'
  | 'findIncident'
  | 'updateIncident'
  | 'deleteIncident'
  | 'listIncidents'
  | 'countIncidents'
>;

/** Incidents: create (one or many, all or none), read, update, delete, query and count. */
export function incidentService({ ctx, db, requireKbEntry, foldIn }: ApiContext): IncidentMethods {
  return {
    async createIncident(input) {
      const valid = validate(incidentInputSchema, input, 'incident');
      return ctx.write('patterns.incident.write', async (scope) => {
        const { trx } = scope;
        const row = inputToRow(valid, scope.now);
        if (await findIncidentRow(trx, row.id)) {
          throw new StorageError(
            StorageErrorCode.CONFLICT,
            `incident '${valid.ticketId}' of ${valid.source} already exists; update it or import with onConflict 'update'`,
            { details: { source: valid.source, ticketId: valid.ticketId, id: row.id } },
          );
        }
        if (row.kb_entry_id) await requireKbEntry(trx, row.kb_entry_id);
        await insertIncidentRows(trx, [row]);
        const [incident] = await toIncidents(trx, [row]);
        scope.audit({ action: 'create', entity: 'incident', entityId: row.id });
        scope.event('incident:created', { incident: incident! });
        await foldIn(scope, [row]);
        return incident!;
      });
    },

    async createIncidents(inputs) {
      if (!Array.isArray(inputs)) {
        throw new ValidationError('invalid incidents: expected an array', [
          { path: 'incidents', message: 'expected an array' },
        ]);
      }
      const issues: ValidationIssue[] = [];
      const valid: ValidIncidentInput[] = [];
      inputs.forEach((input, i) => {
        const parsed = incidentInputSchema.safeParse(input);
        if (parsed.success) valid.push(parsed.data);
        else issues.push(...issuesOf(parsed.error, `incidents.${i}`));
      });
      if (issues.length > 0) {
        throw new ValidationError(
          `invalid incidents: ${issues
            .slice(0, 5)
            .map((i) => `${i.path}: ${i.message}`)
            .join('; ')}${issues.length > 5 ? ` (and ${issues.length - 5} more)` : ''}`,
          issues,
        );
      }
      if (valid.length === 0) return [];
      return ctx.write('patterns.incident.write', async (scope) => {
        const { trx } = scope;
        const rows = valid.map((v) => inputToRow(v, scope.now));
        const ids = rows.map((r) => r.id);
        const twice = ids.find((id, k) => ids.indexOf(id) !== k);
        if (twice !== undefined) {
          const row = rows.find((r) => r.id === twice)!;
          throw new ValidationError(
            `invalid incidents: ticket '${row.ticket_id}' of ${row.source} is given twice`,
            [{ path: 'incidents', message: `ticket '${row.ticket_id}' of ${row.source} is given twice` }],
          );
        }
        const existing = await existingRows(trx, ids);
        if (existing.size > 0) {
          const row = [...existing.values()][0]!;
          throw new StorageError(
            StorageErrorCode.CONFLICT,
            `incident '${row.ticket_id}' of ${row.source} already exists (${existing.size} of the incidents do); use importIncidents with onConflict 'update' or 'skip'`,
            { details: { ids: [...existing.keys()].slice(0, 100) } },
          );
        }
        const kbIds = [...new Set(rows.map((r) => r.kb_entry_id).filter((k): k is string => k !== null))];
        for (const kb of kbIds) await requireKbEntry(trx, kb);
        await insertIncidentRows(trx, rows);
        scope.audit({ action: 'create', entity: 'incident', entityId: null, detail: { count: rows.length } });
        scope.event('incident:imported', {
          source: 'api',
          inserted: rows.length,
          updated: 0,
          ids: ids.slice(0, 1000),
        });
        await foldIn(scope, rows);
        return ids;
      });
    },

    async getIncident(id) {
      const valid = validate(idArg, id, 'id');
      return ctx.read('patterns.incident.read', () => getIncident(db, valid));
    },

    async findIncident(source, ticketId) {
      const s = validate(z.string().min(1).max(32), source, 'source');
      const t = validate(z.string().trim().min(1).max(128), ticketId, 'ticketId');
      return ctx.read('patterns.incident.read', async () => {
        const row = await findIncidentRow(db, incidentIdOf(s, t));
        return row ? (await toIncidents(db, [row]))[0]! : null;
      });
    },

    async updateIncident(id, update) {
      const validId = validate(idArg, id, 'id');
      const valid = validate(incidentUpdateSchema, update, 'update');
      return ctx.write('patterns.incident.write', async (scope) => {
        const { trx } = scope;
        const previous = await findIncidentRow(trx, validId);
        if (!previous) throw new NotFoundError('incident', validId);
        if (valid.kbEntryId) await requireKbEntry(trx, valid.kbEntryId);
        const row = applyUpdate(previous, valid, scope.now);
        await replaceIncidentRow(trx, row, previous);
        const [incident, before] = await toIncidents(trx, [row, previous]);
        scope.audit({ action: 'update', entity: 'incident', entityId: validId });
        scope.event('incident:updated', { incident: incident!, previous: before! });
        return incident!;
      });
    },

    async deleteIncident(id) {
      const validId = validate(idArg, id, 'id');
      return ctx.write('patterns.incident.delete', async (scope) => {
        const { trx } = scope;
        const result = await trx.deleteFrom('incidents').where('id', '=', validId).executeTakeFirst();
        const deleted = Number(result.numDeletedRows) > 0;
        if (deleted) {
          scope.audit({ action: 'delete', entity: 'incident', entityId: validId });
          scope.event('incident:deleted', { id: validId });
        }
        return deleted;
      });
    },

    async listIncidents(query = {}) {
      const valid = validate(incidentQuerySchema, query, 'query');
      return ctx.read('patterns.incident.read', () => listIncidents(db, valid));
    },

    async countIncidents(countOptions) {
      const valid = validate(countOptionsSchema, countOptions, 'options');
      return ctx.read('patterns.incident.read', () => countIncidents(db, valid));
    },
  };
}
